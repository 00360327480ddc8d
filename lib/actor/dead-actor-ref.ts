/**
 * A ref to an actor that does not exist (any more), or that can never be reached: every
 * message sent to it is a dead letter, and watching it yields Terminated at once.
 */
import type { ActorAddress } from './actor-address.js';
import { InternalActorRef } from './actor-ref.js';
import { Terminated } from './signals.js';

export class DeadActorRef<T> extends InternalActorRef<T> {
  constructor(
    readonly address: ActorAddress,
    private readonly onMessage: (message: T, ref: DeadActorRef<T>) => void,
  ) {
    super();
  }

  tell(message: T): void {
    this.onMessage(message, this);
  }

  sendSignal(): void {}

  addWatcher(watcher: InternalActorRef<never>): void {
    watcher.sendSignal(new Terminated(this as InternalActorRef<never>));
  }

  removeWatcher(): void {}

  get isTerminated(): boolean {
    return true;
  }
}
