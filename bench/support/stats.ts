/** Statistics shared by the benchmarks. */
/**
 * Latency histogram with logarithmic buckets (32 per doubling, about 2% wide): constant memory
 * and no allocation per sample. Storing every sample instead (a growing array, or a typed array
 * of several MB) changed the garbage collector's behaviour enough to distort the latencies measured.
 */
export class LatencyHistogram {
  private readonly counts = new Uint32Array(48 * 32);
  count = 0;

  recordMs(ms: number): void {
    const ns = ms * 1e6;
    const i = ns <= 1 ? 0 : Math.min(this.counts.length - 1, Math.floor(Math.log2(ns) * 32));
    this.counts[i]++;
    this.count++;
  }

  /** The p-th percentile in µs (the geometric middle of its bucket). */
  percentileUs(p: number): number {
    const rank = Math.max(1, Math.ceil((p / 100) * this.count));
    let seen = 0;
    for (let i = 0; i < this.counts.length; i++) {
      seen += this.counts[i];
      if (seen >= rank) return 2 ** ((i + 0.5) / 32) / 1000;
    }
    return NaN;
  }
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}
