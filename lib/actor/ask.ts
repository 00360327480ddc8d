/**
 * One pending `ask`: the record in its system's request-id table (see ReplyEndpoint) and, at
 * the same time, the `replyTo` ref handed to the message factory. It carries its promise's
 * settle functions, its deadline and what was asked, so an ask costs one object beside its
 * promise. Its address (`/temp/$<id>#<uid>`) is only built when someone asks for it.
 */
import type { ActorAddress, NodeLocation } from './actor-address.js';
import { InternalActorRef } from './actor-ref.js';
import { describeValue } from './describe.js';
import { randomUid48 } from './random-uid.js';
import { Terminated, type Signal } from './signals.js';

/** What a pending ask needs from the endpoint that issued it. */
export interface AskOwner {
  /** The system the ask belongs to. */
  readonly location: NodeLocation;
  /** Builds the address of ask `id` (on this system, under /temp). */
  addressOf(ask: PendingAsk<never>): ActorAddress;
  /** The ask has settled: forget it. */
  release(ask: PendingAsk<never>): void;
  /** A reply arrived after the ask settled. */
  lateReply(ask: PendingAsk<never>, message: unknown): void;
}

export class PendingAsk<R> extends InternalActorRef<R> {
  settled = false;
  /** Watchers waiting for the ask to settle (a peer's remote watch of this reply endpoint). */
  private watchers?: Set<InternalActorRef<never>>;
  /** What was asked (set once built); only described when an error needs to name it. */
  message: unknown = undefined;
  resolve!: (reply: R) => void;
  reject!: (error: Error) => void;
  private cachedAddress?: ActorAddress;
  /** 0 until the ref is first named (address or wire form): a local ask never draws one. */
  private drawnUid = 0;

  constructor(
    private readonly owner: AskOwner,
    /** Key in the request-id table; replies over the network name it instead of a path. */
    readonly id: number,
    /** The actor asked: its dead letters and its node's disconnect fail this ask early. */
    readonly target: InternalActorRef<unknown>,
    /** Deadline on the scheduler's clock. */
    readonly at: number,
    readonly timeoutMs: number,
  ) {
    super();
  }

  /** Random and unguessable: a reply must name it, so no peer can resolve someone else's ask. */
  get uid(): number {
    if (this.drawnUid === 0) this.drawnUid = randomUid48();
    return this.drawnUid;
  }

  /** True when `uid` is this ask's uid and has been handed out (a uid never drawn matches nothing). */
  hasUid(uid: number): boolean {
    return this.drawnUid !== 0 && uid === this.drawnUid;
  }

  /** The system that made the ask. */
  get location(): NodeLocation {
    return this.owner.location;
  }

  get address(): ActorAddress {
    return (this.cachedAddress ??= this.owner.addressOf(this as PendingAsk<never>));
  }

  tell(message: R): void {
    if (this.settled) {
      this.owner.lateReply(this as PendingAsk<never>, message);
      return;
    }
    this.settle();
    this.resolve(message);
  }

  /** The asked message's class or type, for error messages. */
  get messageType(): string {
    return this.message === undefined ? 'message' : describeValue(this.message);
  }

  fail(error: Error): void {
    if (this.settled) return;
    this.settle();
    this.reject(error);
  }

  private settle(): void {
    this.settled = true;
    this.owner.release(this as PendingAsk<never>);
    // A settled ask may wait in the deadline lanes until its timeout: it must not pin the message.
    this.message = undefined;
    const watchers = this.watchers;
    if (watchers !== undefined) {
      this.watchers = undefined;
      const signal = new Terminated(this as InternalActorRef<never>);
      for (const watcher of watchers) watcher.sendSignal(signal);
    }
  }

  sendSignal(_signal: Signal): void {}

  /** A temporary ref is "terminated" once its ask has settled (replied, failed or timed out). */
  addWatcher(watcher: InternalActorRef<never>): void {
    if (this.settled) watcher.sendSignal(new Terminated(this as InternalActorRef<never>));
    else (this.watchers ??= new Set()).add(watcher);
  }

  removeWatcher(watcher: InternalActorRef<never>): void {
    this.watchers?.delete(watcher);
  }

  get isTerminated(): boolean {
    return this.settled;
  }
}
