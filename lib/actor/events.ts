/** Events the runtime publishes on the system's EventStream. */
import type { ActorRef } from './actor-ref.js';

/** An actor has stopped (after its PostStop ran). */
export class ActorStopped {
  constructor(readonly ref: ActorRef<never>) {}
}

/** A message that could not be delivered, with the reason. */
export class DeadLetter {
  constructor(
    readonly message: unknown,
    readonly recipient: string,
    readonly reason: string,
  ) {}
}
