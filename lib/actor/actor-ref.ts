/**
 * `ActorRef<T>` is the only way to reach an actor: the same interface whether the actor
 * runs in this process or on another node, so callers never branch on locality.
 */
import type { ActorAddress } from './actor-address.js';
import type { Signal } from './signals.js';

export interface ActorRef<T> {
  /** Sends a message without waiting. Never throws for a stopped target: it becomes a dead letter. */
  tell(message: T): void;
  /** The actor's path inside its system, e.g. `/user/payment`. */
  readonly path: string;
  /** The full address, unique to this actor incarnation. */
  readonly address: ActorAddress;
  /** True when both refs name the same actor incarnation. */
  equals(other: unknown): boolean;
  toString(): string;
}

/**
 * What the runtime needs from every ref beyond `tell`: system signals and death watch.
 * Remote refs implement the same contract over the network.
 */
export abstract class InternalActorRef<T> implements ActorRef<T> {
  abstract tell(message: T): void;

  /**
   * Like `tell`, and `receipt.delivered()` runs once the actor has taken the message out of
   * its mailbox (or the message was dropped). Remoting counts a connection's undelivered
   * messages this way to pause a peer that sends faster than its targets handle.
   * Refs without a mailbox consume the message at once.
   */
  tellWithReceipt(message: T, receipt: DeliveryReceipt): void {
    try {
      this.tell(message);
    } finally {
      receipt.delivered();
    }
  }
  abstract readonly address: ActorAddress;

  get path(): string {
    return this.address.path;
  }

  /** Stable string identity, used as a map key everywhere refs are indexed. */
  get key(): string {
    return this.address.toString();
  }

  equals(other: unknown): boolean {
    return other instanceof InternalActorRef && other.key === this.key;
  }

  toString(): string {
    return this.key;
  }

  toJSON(): string {
    return this.key;
  }

  /** Delivers a signal (Terminated, …) ahead of ordinary messages. */
  abstract sendSignal(signal: Signal): void;
  /**
   * Delivers a signal behind the messages already in the mailbox. A Terminated from another
   * node comes this way: it must not overtake what the stopped actor sent before it stopped,
   * which arrived first. Refs without a mailbox take it as any signal.
   */
  sendSignalAfterMessages(signal: Signal): void {
    this.sendSignal(signal);
  }
  /** Asks this actor to send `Terminated(this)` to `watcher` when it stops (at once if already stopped). */
  abstract addWatcher(watcher: InternalActorRef<never>): void;
  abstract removeWatcher(watcher: InternalActorRef<never>): void;
  /** True once this ref is known to point to a stopped actor. */
  abstract get isTerminated(): boolean;
}

/** Told once per message handed over with `tellWithReceipt`, when the actor takes it or it is dropped. */
export interface DeliveryReceipt {
  delivered(): void;
}

export function asInternal<T>(ref: ActorRef<T>): InternalActorRef<T> {
  if (ref instanceof InternalActorRef) return ref;
  throw new TypeError(`Not an actor ref created by an ActorSystem: ${String(ref)}`);
}
