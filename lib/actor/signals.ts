/**
 * Signals are lifecycle notifications delivered to `Behaviors.receiveSignal` handlers,
 * in the same loop as messages, so an actor never has to reason about concurrency.
 */
import type { ActorRef } from './actor-ref.js';

/** Delivered once to the last behavior of an actor that is stopping. */
export class PostStop {
  static readonly instance = new PostStop();
  private constructor() {}
  toString(): string {
    return 'PostStop';
  }
}

/** Delivered to the old behavior before a supervisor restarts the actor. */
export class PreRestart {
  static readonly instance = new PreRestart();
  private constructor() {}
  toString(): string {
    return 'PreRestart';
  }
}

/** Delivered to a watcher when an actor it watches has stopped. */
export class Terminated {
  constructor(readonly ref: ActorRef<never>) {}
  toString(): string {
    return `Terminated(${this.ref.path})`;
  }
}

export type Signal = PostStop | PreRestart | Terminated;
