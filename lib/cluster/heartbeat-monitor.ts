/**
 * The failure detector of one node: a phi-accrual detector per monitored peer (the k members
 * the monitor ring gives it), fed with the heartbeats remoting reads off each connection.
 * Beats from both connections of a peer arrive interleaved; those closer than half the
 * heartbeat interval to the last one counted are skipped, so the detector sees the rhythm
 * its defaults were set for rather than a doubled, irregular one.
 */
import type { NodeKey } from './node-id.js';
import { FailureDetectorRegistry, type PhiAccrualOptions } from './phi-accrual.js';

export class HeartbeatMonitor {
  private readonly detectors: FailureDetectorRegistry<NodeKey>;
  private targets = new Set<NodeKey>();
  private readonly lastCounted = new Map<NodeKey, number>();

  constructor(
    private readonly clock: () => number,
    private readonly options: PhiAccrualOptions,
    private readonly heartbeatIntervalMs: number,
  ) {
    this.detectors = new FailureDetectorRegistry(clock, options);
  }

  /** The peers monitored now. */
  get monitored(): readonly NodeKey[] {
    return [...this.targets];
  }

  isMonitoring(peer: NodeKey): boolean {
    return this.targets.has(peer);
  }

  /**
   * Monitors exactly `peers` from now on. A newly monitored peer's clock starts at once, so
   * one that never answers is suspected like one that fell silent.
   */
  setTargets(peers: Iterable<NodeKey>): void {
    const next = new Set(peers);
    this.detectors.retain(next);
    for (const peer of this.lastCounted.keys()) if (!next.has(peer)) this.lastCounted.delete(peer);
    for (const peer of next) {
      if (!this.targets.has(peer)) {
        this.detectors.heartbeat(peer);
        this.lastCounted.set(peer, this.clock());
      }
    }
    this.targets = next;
  }

  /** Something the peer's read path or timer wrote arrived. */
  heartbeat(peer: NodeKey): void {
    if (!this.targets.has(peer)) return;
    const now = this.clock();
    const last = this.lastCounted.get(peer);
    if (last !== undefined && now - last < this.heartbeatIntervalMs / 2) return;
    this.lastCounted.set(peer, now);
    this.detectors.heartbeat(peer);
  }

  /** The monitored peers suspected now; read only after pending socket input was handled. */
  suspects(): NodeKey[] {
    return this.detectors.suspects().filter(peer => this.targets.has(peer)).sort();
  }

  phi(peer: NodeKey): number {
    return this.detectors.phi(peer);
  }

  /** Forgets every peer (a new incarnation starts its observations afresh). */
  reset(): void {
    this.detectors.retain([]);
    this.lastCounted.clear();
    this.targets = new Set();
  }

  get detectorOptions(): PhiAccrualOptions {
    return this.options;
  }
}
