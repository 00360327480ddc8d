/**
 * A Scheduler whose clock only moves when the test says so: timers, backoff and ask
 * timeouts become deterministic.
 */
import type { Cancellable, Scheduler } from '../../lib/index.js';

interface Task {
  at: number;
  seq: number;
  run: () => void;
  cancelled: boolean;
}

export class ManualScheduler implements Scheduler {
  private time = 0;
  private seq = 0;
  private tasks: Task[] = [];

  now(): number {
    return this.time;
  }

  schedule(delayMs: number, run: () => void): Cancellable {
    const task: Task = { at: this.time + Math.max(0, delayMs), seq: this.seq++, run, cancelled: false };
    this.tasks.push(task);
    return { cancel: () => void (task.cancelled = true) };
  }

  /** Number of scheduled tasks not yet run or cancelled. */
  get pending(): number {
    return this.tasks.filter(t => !t.cancelled).length;
  }

  /** Moves the clock forward, running every task that falls due, in time order. */
  advance(ms: number): void {
    const target = this.time + ms;
    for (;;) {
      const due = this.tasks.filter(t => !t.cancelled && t.at <= target).sort((a, b) => a.at - b.at || a.seq - b.seq)[0];
      if (!due) break;
      this.tasks = this.tasks.filter(t => t !== due);
      this.time = due.at;
      due.run();
    }
    this.time = target;
    this.tasks = this.tasks.filter(t => !t.cancelled);
  }
}
