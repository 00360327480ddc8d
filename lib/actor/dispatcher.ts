/**
 * The run queue every actor of a system is processed from. Actors with messages wait here in
 * the order they became ready; each visit handles at most `throughput` messages, so one busy
 * actor cannot hold the others back. Work per event-loop turn is bounded too (in messages and
 * in milliseconds): past the budget the queue continues on the next turn (`setImmediate`), so
 * timers, socket reads and heartbeats always get their turn, whatever the actors do.
 */
import { Queue } from './queue.js';

export interface SchedulingOptions {
  /** Messages one actor handles per visit before the next ready actor gets its turn. Default 64. */
  readonly throughput?: number;
  /** Messages handled in one event-loop turn before yielding to timers and I/O. Default 50000. */
  readonly maxMessagesPerTurn?: number;
  /** Time spent handling messages in one event-loop turn before yielding to timers and I/O. Default 2 ms. */
  readonly maxTurnMs?: number;
}

/** Something the dispatcher can run: an actor with messages. */
export interface Runnable {
  /** Handles up to `limit` messages; returns how many it handled. */
  run(limit: number): number;
}

interface ResolvedScheduling {
  readonly throughput: number;
  readonly maxMessagesPerTurn: number;
  readonly maxTurnMs: number;
}

/** How many visits may pass between two clock reads (a visit that handled many messages reads it at once). */
const VISITS_PER_CLOCK_READ = 16;

function positive(name: string, value: number | undefined, fallback: number, integer: boolean): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !(value > 0) || (integer && !Number.isInteger(value))) {
    throw new RangeError(`scheduling.${name} must be a positive ${integer ? 'integer' : 'number'}, got ${String(value)}`);
  }
  return value;
}

export function resolveScheduling(options: SchedulingOptions = {}): ResolvedScheduling {
  return {
    throughput: positive('throughput', options.throughput, 64, true),
    maxMessagesPerTurn: positive('maxMessagesPerTurn', options.maxMessagesPerTurn, 50_000, true),
    maxTurnMs: positive('maxTurnMs', options.maxTurnMs, 2, false),
  };
}

export class Dispatcher {
  private readonly ready = new Queue<Runnable>(64);
  private readonly settings: ResolvedScheduling;
  /** A drain is queued (as a microtask, or as the next turn's continuation). */
  private kicked = false;
  private draining = false;
  /** The current turn's budget is in use: it closes when the `setImmediate` opened with it runs. */
  private turnOpen = false;
  private turnStartedAt = 0;
  private turnMessages = 0;
  private turnVisits = 0;
  /** The last visit handled many messages: read the clock before the next one. */
  private readClockNext = false;
  /** The budget ran out: the queue waits for the next turn instead of the microtask queue. */
  private exhausted = false;

  constructor(options?: SchedulingOptions) {
    this.settings = resolveScheduling(options);
  }

  /** Queues an actor that has messages; the caller makes sure each actor is queued once. */
  schedule(runnable: Runnable): void {
    this.ready.push(runnable);
    if (this.draining || this.kicked) return;
    this.kicked = true;
    if (this.exhausted) return; // the turn's closing `setImmediate` drains it
    queueMicrotask(this.drain);
  }

  /**
   * An actor whose async handler just settled and that has more messages. When nothing else is
   * waiting and the turn has budget left, it runs at once: queueing it would only add a
   * microtask per message to every async actor. Otherwise it queues like any other.
   */
  resume(runnable: Runnable): void {
    if (this.draining || this.kicked || this.exhausted || this.ready.length > 0) {
      this.schedule(runnable);
      return;
    }
    if (!this.turnOpen) this.openTurn();
    if (this.budgetSpent()) {
      this.exhausted = true;
      this.kicked = true;
      this.ready.push(runnable);
      return;
    }
    this.draining = true;
    try {
      const handled = runnable.run(this.settings.throughput);
      this.turnMessages += handled;
      if (handled >= VISITS_PER_CLOCK_READ) this.readClockNext = true;
    } finally {
      this.draining = false;
    }
    // Whatever became ready during the visit waits for a drain of its own.
    if (this.ready.length > 0 && !this.kicked) {
      this.kicked = true;
      queueMicrotask(this.drain);
    }
  }

  /** Actors waiting for their visit. */
  get readyCount(): number {
    return this.ready.length;
  }

  private readonly drain = (): void => {
    this.kicked = false;
    if (this.exhausted) return;
    if (!this.turnOpen) this.openTurn();
    const { throughput } = this.settings;
    this.draining = true;
    try {
      while (this.ready.length > 0) {
        // Checked before each visit, not after: with async handlers the queue is often empty
        // between visits, and each visit may come from a drain of its own.
        if (this.budgetSpent()) {
          this.exhausted = true;
          this.kicked = true;
          return;
        }
        const handled = this.ready.shift().run(throughput);
        this.turnMessages += handled;
        if (handled >= VISITS_PER_CLOCK_READ) this.readClockNext = true;
      }
    } finally {
      this.draining = false;
    }
  };

  private budgetSpent(): boolean {
    if (this.turnMessages >= this.settings.maxMessagesPerTurn) return true;
    if (++this.turnVisits % VISITS_PER_CLOCK_READ !== 0 && !this.readClockNext) return false;
    this.readClockNext = false;
    return performance.now() - this.turnStartedAt >= this.settings.maxTurnMs;
  }

  private openTurn(): void {
    this.turnOpen = true;
    this.turnStartedAt = performance.now();
    this.turnMessages = 0;
    this.turnVisits = 0;
    setImmediate(this.closeTurn);
  }

  /** Runs once the event loop has moved on (timers and I/O had their turn): a fresh budget. */
  private readonly closeTurn = (): void => {
    this.turnOpen = false;
    if (!this.exhausted) return;
    this.exhausted = false;
    this.kicked = false;
    if (this.ready.length > 0) this.drain();
  };
}
