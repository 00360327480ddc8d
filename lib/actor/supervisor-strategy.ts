/**
 * What happens when a handler throws (or its promise rejects). Without a strategy the
 * actor stops and the error is logged with its path; a strategy keeps it alive.
 */
export type SupervisorKind = 'restart' | 'resume' | 'stop' | 'backoff';

export class SupervisorStrategy {
  private constructor(
    readonly kind: SupervisorKind,
    /** For restart: at most this many restarts within `withinMs`, then stop. */
    readonly maxRestarts: number = Infinity,
    readonly withinMs: number = Infinity,
    readonly minBackoffMs = 0,
    readonly maxBackoffMs = 0,
    /** Fraction of random extra delay, so many restarting actors do not retry in lockstep. */
    readonly randomFactor = 0,
    readonly logErrors = true,
  ) {}

  /** Replace the behavior with its initial state (setup runs again, children and timers stop). */
  static restart(): SupervisorStrategy {
    return new SupervisorStrategy('restart');
  }

  /** Keep the current behavior and state; only the failing message is lost. */
  static resume(): SupervisorStrategy {
    return new SupervisorStrategy('resume');
  }

  /** Stop the actor (the default without a strategy). */
  static stop(): SupervisorStrategy {
    return new SupervisorStrategy('stop');
  }

  /**
   * Restart after a delay that doubles with each consecutive failure, from `minMs` up to
   * `maxMs`; messages wait in the mailbox meanwhile. The count resets once the actor has run
   * for `maxMs` without failing.
   */
  static restartWithBackoff(minMs: number, maxMs: number, randomFactor = 0.2): SupervisorStrategy {
    if (!(minMs >= 0) || !(maxMs >= minMs)) {
      throw new RangeError(`restartWithBackoff needs 0 <= minMs <= maxMs, got ${minMs} and ${maxMs}`);
    }
    if (!(randomFactor >= 0)) throw new RangeError(`randomFactor must be >= 0, got ${randomFactor}`);
    return new SupervisorStrategy('backoff', Infinity, Infinity, minMs, maxMs, randomFactor);
  }

  /** For restart: give up (stop) after `maxRestarts` restarts within `withinMs`. */
  withLimit(maxRestarts: number, withinMs: number): SupervisorStrategy {
    return new SupervisorStrategy(this.kind, maxRestarts, withinMs, this.minBackoffMs, this.maxBackoffMs, this.randomFactor, this.logErrors);
  }

  /** Turn off the error log line on each failure (the failure is still handled). */
  withLogging(enabled: boolean): SupervisorStrategy {
    return new SupervisorStrategy(this.kind, this.maxRestarts, this.withinMs, this.minBackoffMs, this.maxBackoffMs, this.randomFactor, enabled);
  }

  /** Delay before the n-th consecutive restart (n starts at 0). */
  backoffDelay(n: number, random: () => number = Math.random): number {
    const base = Math.min(this.maxBackoffMs, this.minBackoffMs * 2 ** Math.min(n, 30));
    return base * (1 + random() * this.randomFactor);
  }
}
