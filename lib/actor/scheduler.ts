/**
 * Time is injected through a Scheduler so that tests can drive timers deterministically
 * and a benchmark can count them; the default uses the Node event loop.
 */
export interface Cancellable {
  cancel(): void;
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
    return { cancel: () => clearTimeout(handle) };
  },
};
