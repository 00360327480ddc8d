/**
 * Where the replies to a system's asks arrive: one endpoint per system with a request-id
 * table of pending asks (no temporary actor per ask), their shared deadline timer, and the
 * asked messages, so a dead-lettered request fails its ask at once. Addresses under `/temp`
 * name an ask by id; a reply must also carry the ask's random uid, or it reaches nothing.
 */
import { ActorAddress, type NodeLocation } from './actor-address.js';
import type { InternalActorRef } from './actor-ref.js';
import { PendingAsk, type AskOwner } from './ask.js';
import { AskDeadlines } from './ask-deadlines.js';
import { AskFailedError, TooManyPendingAsksError } from './errors.js';
import type { Scheduler } from './scheduler.js';

/** Asks live under this path: `/temp/$<id in base 36>`. */
const TEMP_PREFIX = '/temp/$';

// A shared promise executor: one closure fewer per ask (the record takes the settle functions).
let constructing: PendingAsk<never>;
const takeSettlers = (resolve: (value: never) => void, reject: (error: Error) => void): void => {
  constructing.resolve = resolve;
  constructing.reject = reject;
};

export interface ReplyEndpointHost {
  readonly location: NodeLocation;
  readonly scheduler: Scheduler;
  deadLetter(message: unknown, recipient: string, reason: string): void;
}

export class ReplyEndpoint implements AskOwner {
  /**
   * The request-id table: an ask's id is its slot, and a settled ask's slot is reused by a
   * later one (its random uid tells them apart), so the table is as large as the most asks
   * ever pending at once and an ask costs no hashing. A Map keyed by ever-growing ids cost
   * a rehash every few hundred asks.
   */
  private readonly slots: (PendingAsk<never> | undefined)[] = [];
  /** Free slots, most recently freed last. */
  private readonly free: number[] = [];
  private count = 0;
  /**
   * The message of each pending ask (objects only): its dead letter fails the ask at once.
   * A Map with a delete on settle, not a WeakMap: weak keys cost the garbage collector
   * more than the whole ask (a WeakMap made local asks three times slower).
   */
  private readonly messages = new Map<object, PendingAsk<never>>();
  private readonly deadlines: AskDeadlines;

  constructor(
    private readonly host: ReplyEndpointHost,
    /** New asks beyond this many pending fail at once with TooManyPendingAsksError. */
    private readonly maxPending: number,
  ) {
    this.deadlines = new AskDeadlines(host.scheduler, () => this.count);
  }

  get location(): NodeLocation {
    return this.host.location;
  }

  get size(): number {
    return this.count;
  }

  /**
   * Starts an ask of `target`: builds the message with the ask as its replyTo and sends it.
   * The promise settles with the first reply, or fails (timeout, dead letter, node lost).
   */
  ask<Res, Req>(target: InternalActorRef<Req>, make: (replyTo: InternalActorRef<Res>) => Req, timeoutMs: number): Promise<Res> {
    if (this.count >= this.maxPending) {
      return Promise.reject(new TooManyPendingAsksError(target.path, this.maxPending));
    }
    const id = this.free.length > 0 ? this.free.pop()! : this.slots.length;
    const ask = new PendingAsk<never>(this, id, target as InternalActorRef<unknown>, this.host.scheduler.now() + timeoutMs, timeoutMs);
    constructing = ask;
    const promise = new Promise<never>(takeSettlers);
    this.slots[id] = ask;
    this.count++;
    this.deadlines.add(ask);
    try {
      const message = make(ask as InternalActorRef<Res>);
      ask.message = message;
      if (typeof message === 'object' && message !== null) this.messages.set(message, ask);
      target.tell(message);
    } catch (error) {
      ask.fail(error instanceof Error ? error : new Error(String(error)));
    }
    return promise as Promise<Res>;
  }

  /** The pending ask named by `id` and `uid` (a reply from the network), if any. */
  byId(id: number, uid: number): PendingAsk<never> | undefined {
    const ask = this.slots[id];
    return ask !== undefined && ask.hasUid(uid) ? ask : undefined;
  }

  /** The pending ask at `path` (`/temp/$<id>`) whose uid is `uid`, if any. */
  byPath(path: string, uid: number | undefined): PendingAsk<never> | undefined {
    if (uid === undefined || uid === 0 || !path.startsWith(TEMP_PREFIX)) return undefined;
    const digits = path.slice(TEMP_PREFIX.length);
    const id = parseInt(digits, 36);
    // Only the canonical spelling names an ask: `/temp/$01` is not `/temp/$1`.
    if (!(id >= 0 && id < this.slots.length) || id.toString(36) !== digits) return undefined;
    return this.byId(id, uid);
  }

  /** Fails at once the pending ask whose message this is, when it was dead-lettered on its way to `recipientKey`. */
  deadLettered(message: object, recipientKey: string, reason: string, cause?: Error): void {
    const ask = this.messages.get(message);
    if (ask !== undefined && !ask.settled && ask.target.key === recipientKey) {
      ask.fail(new AskFailedError(ask.target.path, ask.messageType, reason, { cause }));
    }
  }

  /** Fails every pending ask whose target matches; returns how many failed. */
  failMatching(matches: (target: InternalActorRef<unknown>) => boolean, fail: (ask: PendingAsk<never>) => Error): number {
    let failed = 0;
    for (const ask of this.pendingAsks()) {
      if (!matches(ask.target)) continue;
      ask.fail(fail(ask));
      failed++;
    }
    return failed;
  }

  /** Fails every pending ask and stops the deadline timer (the system terminated). */
  close(error: Error): void {
    for (const ask of this.pendingAsks()) ask.fail(error);
    this.deadlines.clear();
  }

  /** A snapshot of the pending asks (failing one frees its slot). */
  private pendingAsks(): PendingAsk<never>[] {
    const asks: PendingAsk<never>[] = [];
    for (const ask of this.slots) if (ask !== undefined) asks.push(ask);
    return asks;
  }

  // ---- AskOwner -------------------------------------------------------------------------------

  addressOf(ask: PendingAsk<never>): ActorAddress {
    const { system, host, port } = this.host.location;
    return new ActorAddress(system, TEMP_PREFIX + ask.id.toString(36), ask.uid, host, port);
  }

  release(ask: PendingAsk<never>): void {
    if (this.slots[ask.id] === ask) {
      this.slots[ask.id] = undefined;
      this.free.push(ask.id);
      this.count--;
    }
    const message = ask.message;
    if (typeof message === 'object' && message !== null && this.messages.get(message) === ask) this.messages.delete(message);
    if (this.count === 0) {
      this.deadlines.settledAll();
      // After a burst, idle slots are not worth keeping.
      if (this.slots.length > 1024) this.slots.length = this.free.length = 0;
    }
  }

  lateReply(ask: PendingAsk<never>, message: unknown): void {
    this.host.deadLetter(message, ask.key, 'reply arrived after the ask completed');
  }
}
