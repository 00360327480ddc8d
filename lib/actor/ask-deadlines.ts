/**
 * Ask timeouts share one timer per system instead of one timer each: a timer costs more
 * than the rest of a local ask. Asks with the same timeout expire in the order they were
 * made, so each distinct timeout keeps a FIFO lane and only the earliest deadline is armed.
 * Settling an ask costs nothing here; settled entries are skipped when they reach the head.
 * The lanes hold the ask records themselves, which carry their own deadline.
 */
import type { PendingAsk } from './ask.js';
import { AskTimeoutError } from './errors.js';
import { Queue } from './queue.js';
import type { Cancellable, Scheduler } from './scheduler.js';

/** Compaction threshold: below it, settled entries wait to reach the head of their lane. */
const COMPACT_MIN = 1024;

export class AskDeadlines {
  private readonly lanes = new Map<number, Queue<PendingAsk<never>>>();
  private queued = 0;
  private timer?: Cancellable;
  private timerAt = Infinity;
  /** No ask is pending: the armed timer (kept for the next ask) must not keep the process alive. */
  private idle = false;

  constructor(
    private readonly scheduler: Scheduler,
    /** Number of asks still waiting; used to tell when settled entries dominate the lanes. */
    private readonly pendingCount: () => number,
  ) {}

  add(ask: PendingAsk<never>): void {
    const { at, timeoutMs } = ask;
    let lane = this.lanes.get(timeoutMs);
    if (!lane) this.lanes.set(timeoutMs, (lane = new Queue()));
    // Sequential asks settle before the next one starts: dropping settled heads keeps lanes short.
    while (lane.length > 0 && lane.peek().settled) {
      lane.shift();
      this.queued--;
    }
    lane.push(ask);
    this.queued++;
    // A slow ask at the head would hold every later settled one; compact when they dominate.
    if (this.queued > COMPACT_MIN && this.queued > 2 * this.pendingCount()) this.compact();
    const wasIdle = this.idle;
    this.idle = false;
    if (at < this.timerAt) this.arm(at);
    else if (wasIdle) this.timer?.keepAlive?.(true);
  }

  /**
   * Called when the last pending ask settled. Settled entries may keep the timer armed until
   * their deadline; re-arming it per ask would cost more than the ask, so it stays armed but
   * stops keeping the process alive.
   */
  settledAll(): void {
    if (this.idle) return;
    this.idle = true;
    this.timer?.keepAlive?.(false);
  }

  /** Cancels the timer; the pending asks are failed by their owner. */
  clear(): void {
    this.timer?.cancel();
    this.timer = undefined;
    this.timerAt = Infinity;
    this.lanes.clear();
    this.queued = 0;
  }

  private arm(at: number): void {
    this.timer?.cancel();
    this.timerAt = at;
    this.timer = this.scheduler.schedule(at - this.scheduler.now(), this.fire);
    if (this.idle) this.timer.keepAlive?.(false);
  }

  private readonly fire = (): void => {
    this.timer = undefined;
    this.timerAt = Infinity;
    const now = this.scheduler.now();
    let next = Infinity;
    for (const [timeoutMs, lane] of this.lanes) {
      while (lane.length > 0) {
        const head = lane.peek();
        if (!head.settled && head.at > now) {
          next = Math.min(next, head.at);
          break;
        }
        lane.shift();
        this.queued--;
        if (!head.settled) head.fail(new AskTimeoutError(head.target.path, head.timeoutMs, head.messageType));
      }
      if (lane.length === 0) this.lanes.delete(timeoutMs);
    }
    if (next < Infinity) this.arm(next);
  };

  private compact(): void {
    this.queued = 0;
    for (const lane of this.lanes.values()) {
      lane.retain(ask => !ask.settled);
      this.queued += lane.length;
    }
  }
}
