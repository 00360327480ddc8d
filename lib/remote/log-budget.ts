/**
 * A per-minute budget of warnings for lines that peers can cause at will (unreachable made-up
 * nodes, malformed or refused watches): the first `perMinute` are warnings, the rest go to
 * debug, and the next minute's first line says how many were demoted.
 */
import type { ActorLogger, Scheduler } from '../actor/index.js';

export class LogBudget {
  private used = 0;
  private windowStart = 0;

  constructor(
    private readonly log: ActorLogger,
    private readonly scheduler: Scheduler,
    /** What the lines are about, for the summary: "warnings about unreachable peers". */
    private readonly what: string,
    private readonly perMinute = 20,
  ) {}

  warn(message: string): void {
    const now = this.scheduler.now();
    if (now - this.windowStart >= 60_000) {
      if (this.used > this.perMinute) this.log.warn(`${this.used - this.perMinute} more ${this.what} in the last minute were logged at debug level`);
      this.windowStart = now;
      this.used = 0;
    }
    if (++this.used <= this.perMinute) this.log.warn(message);
    else this.log.debug(message);
  }
}
