/**
 * What a handler sees of its own actor: itself, its children, death watch and a logger.
 * Only valid inside the actor's handlers; never share it with other code.
 */
import type { ActorRef } from './actor-ref.js';
import type { Behavior } from './behavior.js';
import type { ActorLogger } from './logger.js';
import type { ActorSystemCore } from './actor-system.js';

/** Per-actor settings given at spawn time. */
export interface SpawnOptions {
  /**
   * Messages the mailbox holds at most; a message beyond it becomes a dead letter ("mailbox
   * full"), and an ask whose message it was fails at once. Default: unbounded.
   */
  readonly mailboxCapacity?: number;
}

export interface ActorContext<T> {
  readonly self: ActorRef<T>;
  readonly system: ActorSystemCore;
  readonly log: ActorLogger;
  /** The live children, by name. */
  readonly children: ReadonlyMap<string, ActorRef<never>>;
  /** Starts a child actor; a name already taken by a live child is rejected. */
  spawn<U>(behavior: Behavior<U>, name?: string, options?: SpawnOptions): ActorRef<U>;
  /** Stops a child of this actor (or this actor itself). */
  stop(ref: ActorRef<never>): void;
  /** Delivers `Terminated(ref)` to this actor's signal handler when `ref` stops. */
  watch(ref: ActorRef<never>): void;
  unwatch(ref: ActorRef<never>): void;
}
