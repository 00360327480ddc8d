/**
 * Time is injected through a Scheduler so that tests can drive timers deterministically
 * and a benchmark can count them; the default uses the Node event loop.
 */
export interface Cancellable {
  cancel(): void;
  /** Whether this pending task alone keeps the process alive (default true); optional for schedulers. */
  keepAlive?(keep: boolean): void;
}

export interface Scheduler {
  /** Milliseconds on a monotonic clock. */
  now(): number;
  /** Runs `task` once after `delayMs`. */
  schedule(delayMs: number, task: () => void): Cancellable;
}

export const systemScheduler: Scheduler = {
  now: () => performance.now(),
  schedule(delayMs, task) {
    const handle = setTimeout(task, Math.max(0, delayMs));
    return {
      cancel: () => clearTimeout(handle),
      keepAlive: keep => void (keep ? handle.ref() : handle.unref()),
    };
  },
};
