/**
 * Keyed timers owned by one actor (`Behaviors.withTimers`). Starting a timer under a key
 * replaces the previous one; all timers are cancelled when the actor stops or restarts.
 */
import type { Cancellable, Scheduler } from './scheduler.js';

export interface TimerScheduler<T> {
  /** Sends `message` to self once after `delayMs`. */
  startSingleTimer(key: unknown, message: T, delayMs: number): void;
  /** Sends `message` to self every `intervalMs`, the first after `initialDelayMs` (default: one interval). */
  startPeriodicTimer(key: unknown, message: T, intervalMs: number, initialDelayMs?: number): void;
  isTimerActive(key: unknown): boolean;
  cancel(key: unknown): void;
  cancelAll(): void;
}

export class ActorTimers<T> implements TimerScheduler<T> {
  private readonly active = new Map<unknown, Cancellable>();

  constructor(
    private readonly scheduler: Scheduler,
    private readonly deliver: (message: T) => void,
  ) {}

  startSingleTimer(key: unknown, message: T, delayMs: number): void {
    this.cancel(key);
    const handle = this.scheduler.schedule(delayMs, () => {
      if (this.active.get(key) !== handle) return;
      this.active.delete(key);
      this.deliver(message);
    });
    this.active.set(key, handle);
  }

  startPeriodicTimer(key: unknown, message: T, intervalMs: number, initialDelayMs = intervalMs): void {
    if (!(intervalMs > 0)) throw new RangeError(`Timer interval must be > 0 ms, got ${intervalMs}`);
    this.cancel(key);
    // One holder whose inner handle is swapped at each tick, so cancel() always reaches the pending one.
    let pending: Cancellable;
    const holder: Cancellable = { cancel: () => pending.cancel() };
    const tick = () => {
      if (this.active.get(key) !== holder) return;
      pending = this.scheduler.schedule(intervalMs, tick);
      this.deliver(message);
    };
    pending = this.scheduler.schedule(initialDelayMs, tick);
    this.active.set(key, holder);
  }

  isTimerActive(key: unknown): boolean {
    return this.active.has(key);
  }

  cancel(key: unknown): void {
    const handle = this.active.get(key);
    if (handle) {
      this.active.delete(key);
      handle.cancel();
    }
  }

  cancelAll(): void {
    for (const handle of this.active.values()) handle.cancel();
    this.active.clear();
  }
}
