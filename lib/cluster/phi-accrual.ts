/**
 * Phi-accrual failure detection (Hayashibara et al.): instead of "silent for more than T",
 * a suspicion level phi = -log10(P(a heartbeat comes this late)), from the history of
 * inter-arrival times of one peer's heartbeats. Pure: the caller passes the time.
 *
 * Defaults, for heartbeats sent every 200 ms (250 ms gives nearly the same figures):
 * - The expected gap is the mean interval plus `acceptableHeartbeatPauseMs` (600), the
 *   spread at least `minStdDeviationMs` (100): a steady 200 ms rhythm is scored as a normal
 *   distribution around 800 ms with sigma 100.
 * - A 500 ms event-loop stall of the monitored node stretches one interval to at most
 *   200 + 500 = 700 ms; phi(700) = 0.08, phi(800) = 0.3 (100 ms of slack on the observer),
 *   and even a 1 s stall (1200 ms) scores 4.7: all far below the threshold of 8.
 * - phi reaches 8 after 1323 ms of silence (1373 ms at 250 ms heartbeats), so a peer that
 *   stops is suspected 1.3-1.4 s after its last heartbeat, plus however often phi is checked.
 * The history adapts: a peer whose intervals jitter more than sigma 100 gets a wider
 * distribution, so a noisy link is suspected later rather than falsely.
 */

export interface PhiAccrualOptions {
  /** Suspicion level above which the peer is considered unavailable. Default 8 (a chance of 1 in 10^8). */
  thresholdPhi?: number;
  /** Inter-arrival times remembered. Default 200 (40 s of heartbeats at 200 ms). */
  maxSampleSize?: number;
  /** Floor of the standard deviation, so a very regular peer is not suspected at its first late beat. Default 100. */
  minStdDeviationMs?: number;
  /** A pause this long beyond the usual interval is expected and scored as normal (GC, event-loop stalls). Default 600. */
  acceptableHeartbeatPauseMs?: number;
  /** The interval assumed before any was measured (the heartbeat interval). Default 250. */
  firstHeartbeatEstimateMs?: number;
}

export const DEFAULT_PHI_ACCRUAL: Readonly<Required<PhiAccrualOptions>> = Object.freeze({
  thresholdPhi: 8,
  maxSampleSize: 200,
  minStdDeviationMs: 100,
  acceptableHeartbeatPauseMs: 600,
  firstHeartbeatEstimateMs: 250,
});

/**
 * phi for a heartbeat `elapsedMs` late against a normal distribution (mean, sigma), by the
 * logistic approximation of the normal CDF (Bowling et al. 2009), written in a form that
 * stays accurate, and finite, far in the tail where 1 - CDF underflows.
 */
export function phiOf(elapsedMs: number, meanMs: number, stdDeviationMs: number): number {
  const y = (elapsedMs - meanMs) / stdDeviationMs;
  const exponent = y * (1.5976 + 0.070566 * y * y);
  const e = Math.exp(-exponent);
  // Late: -log10(e / (1 + e)), expanded so it stays finite where e underflows to 0.
  return elapsedMs > meanMs ? exponent / Math.LN10 + Math.log10(1 + e) : -Math.log10(1 - 1 / (1 + e));
}

/** The detector of one monitored peer. */
export class PhiAccrualDetector {
  readonly options: Readonly<Required<PhiAccrualOptions>>;
  private readonly samples: number[];
  private next = 0;
  private count = 0;
  private sum = 0;
  private squares = 0;
  private last: number | undefined;

  constructor(options: PhiAccrualOptions = {}) {
    this.options = { ...DEFAULT_PHI_ACCRUAL, ...definedOnly(options) };
    const { maxSampleSize, firstHeartbeatEstimateMs, thresholdPhi, minStdDeviationMs, acceptableHeartbeatPauseMs } = this.options;
    if (!(maxSampleSize >= 2) || !(firstHeartbeatEstimateMs > 0) || !(thresholdPhi > 0) || !(minStdDeviationMs > 0) || !(acceptableHeartbeatPauseMs >= 0)) {
      throw new RangeError('Phi-accrual options must be positive (maxSampleSize at least 2, acceptableHeartbeatPauseMs at least 0)');
    }
    this.samples = new Array<number>(maxSampleSize);
    // Seeded with the estimate and a spread of a quarter of it, so the first minutes behave
    // like a steady peer at that interval rather than like a peer with no history.
    const spread = firstHeartbeatEstimateMs / 4;
    this.record(firstHeartbeatEstimateMs - spread);
    this.record(firstHeartbeatEstimateMs + spread);
  }

  /**
   * A heartbeat arrived. The first call starts the clock: call it when monitoring begins,
   * so a peer that never answers is suspected as well.
   */
  heartbeat(nowMs: number): void {
    if (this.last !== undefined && nowMs > this.last) this.record(nowMs - this.last);
    if (this.last === undefined || nowMs > this.last) this.last = nowMs;
  }

  /** 0 before the first heartbeat. */
  phi(nowMs: number): number {
    if (this.last === undefined) return 0;
    const mean = this.sum / this.count + this.options.acceptableHeartbeatPauseMs;
    return phiOf(Math.max(0, nowMs - this.last), mean, this.stdDeviationMs);
  }

  isAvailable(nowMs: number): boolean {
    return this.phi(nowMs) < this.options.thresholdPhi;
  }

  get lastHeartbeatMs(): number | undefined {
    return this.last;
  }

  get meanIntervalMs(): number {
    return this.sum / this.count;
  }

  get stdDeviationMs(): number {
    const mean = this.sum / this.count;
    const variance = Math.max(0, this.squares / this.count - mean * mean);
    return Math.max(Math.sqrt(variance), this.options.minStdDeviationMs);
  }

  get sampleCount(): number {
    return this.count;
  }

  private record(interval: number): void {
    if (this.count === this.samples.length) {
      const old = this.samples[this.next]!;
      this.sum -= old;
      this.squares -= old * old;
    } else {
      this.count++;
    }
    this.samples[this.next] = interval;
    this.next = (this.next + 1) % this.samples.length;
    this.sum += interval;
    this.squares += interval * interval;
  }
}

/**
 * One detector per monitored peer, on one injected clock. Read `suspects()` after the input
 * that arrived has been read: when the observer's own event loop stalled, Node runs due
 * timers before it polls sockets, and the heartbeats waiting there would count as missing.
 */
export class FailureDetectorRegistry<Peer> {
  private readonly detectors = new Map<Peer, PhiAccrualDetector>();

  constructor(
    private readonly clock: () => number,
    private readonly options: PhiAccrualOptions = {},
  ) {}

  /** A heartbeat from `peer`; the first one starts monitoring it. */
  heartbeat(peer: Peer): void {
    let detector = this.detectors.get(peer);
    if (!detector) this.detectors.set(peer, (detector = new PhiAccrualDetector(this.options)));
    detector.heartbeat(this.clock());
  }

  /** A peer not monitored is available: nothing is known against it. */
  isAvailable(peer: Peer): boolean {
    return this.detectors.get(peer)?.isAvailable(this.clock()) ?? true;
  }

  phi(peer: Peer): number {
    return this.detectors.get(peer)?.phi(this.clock()) ?? 0;
  }

  isMonitoring(peer: Peer): boolean {
    return this.detectors.has(peer);
  }

  /** Stops monitoring (the peer left the monitor set or was downed); a later heartbeat starts afresh. */
  remove(peer: Peer): void {
    this.detectors.delete(peer);
  }

  /** Keeps only the detectors of `peers` (the current monitor set). */
  retain(peers: Iterable<Peer>): void {
    const keep = new Set(peers);
    for (const peer of [...this.detectors.keys()]) if (!keep.has(peer)) this.detectors.delete(peer);
  }

  /** The monitored peers whose phi is at or above the threshold now. */
  suspects(): Peer[] {
    const now = this.clock();
    const out: Peer[] = [];
    for (const [peer, detector] of this.detectors) if (!detector.isAvailable(now)) out.push(peer);
    return out;
  }
}

function definedOnly(options: PhiAccrualOptions): PhiAccrualOptions {
  return Object.fromEntries(Object.entries(options).filter(([, value]) => value !== undefined));
}
