/**
 * `system.ask` round trips against an echo actor: sequential (one ask at a time), and with
 * 16 and 128 asks in flight. Reports round trips/s and the latency of each ask (p50/p99, µs),
 * measured from the call to `ask` until its promise settled and the awaiting code resumed.
 *
 * Each case runs one short untimed warm-up, then up to RUNS timed runs, each bounded by a
 * count and a time limit. The round-trip figure is the best run (median shown too); the
 * percentiles pool the latencies of every timed run (histogram buckets about 2% wide).
 *
 * Run: npx tsx bench/ask.ts
 */
import { ActorSystem, Behaviors, type ActorRef } from '../lib/index.js';
import { report, type Row } from './support/report.js';
import { LatencyHistogram, median } from './support/stats.js';

const RUNS = 5;
const ASKS_PER_RUN = 100_000;
const RUN_LIMIT_MS = 1_000;
const ASK_TIMEOUT_MS = 10_000;

interface Echo {
  readonly replyTo: ActorRef<number>;
}


/** One timed run, bounded by a count and a time limit; returns the asks completed per second. */
async function run(
  system: ActorSystem,
  echo: ActorRef<Echo>,
  inFlight: number,
  maxAsks: number,
  limitMs: number,
  histogram: LatencyHistogram,
): Promise<number> {
  let started = 0;
  let completed = 0;
  const t0 = performance.now();
  const deadline = t0 + limitMs;
  const worker = async () => {
    while (started < maxAsks && performance.now() < deadline) {
      started++;
      const t = performance.now();
      const reply = await system.ask<number, Echo>(echo, replyTo => ({ replyTo }), ASK_TIMEOUT_MS);
      histogram.recordMs(performance.now() - t);
      completed++;
      if (reply !== 1) throw new Error(`unexpected reply ${reply}`);
    }
  };
  await Promise.all(Array.from({ length: inFlight }, worker));
  return completed / ((performance.now() - t0) / 1000);
}


async function measure(system: ActorSystem, inFlight: number): Promise<{ rates: number[]; histogram: LatencyHistogram }> {
  const echo = system.spawn(Behaviors.receive<Echo>((_ctx, m) => m.replyTo.tell(1)));
  await run(system, echo, inFlight, ASKS_PER_RUN / 5, RUN_LIMIT_MS / 2, new LatencyHistogram()); // warm-up
  const histogram = new LatencyHistogram();
  const rates: number[] = [];
  for (let i = 0; i < RUNS; i++) rates.push(await run(system, echo, inFlight, ASKS_PER_RUN, RUN_LIMIT_MS, histogram));
  system.stop(echo as ActorRef<never>);
  return { rates, histogram };
}

async function main(): Promise<void> {
  const system = ActorSystem.create('bench-ask', { logLevel: 'warn' });
  const cases = [
    { name: 'sequential (1 in flight)', system, inFlight: 1 },
    { name: '16 in flight', system, inFlight: 16 },
    { name: '128 in flight', system, inFlight: 128 },
  ];
  const rows: Row[] = [];
  const summary: string[] = [];
  for (const c of cases) {
    const { rates, histogram } = await measure(c.system, c.inFlight);
    const best = Math.max(...rates);
    const p50 = histogram.percentileUs(50);
    const p99 = histogram.percentileUs(99);
    rows.push({
      case: c.name,
      runs: rates.length,
      asks: histogram.count,
      'best round trips/s': Math.round(best),
      'median round trips/s': Math.round(median(rates)),
      'p50 µs': Number(p50.toFixed(2)),
      'p99 µs': Number(p99.toFixed(2)),
    });
    summary.push(`ask, ${c.name}: ${Math.round(best).toLocaleString('en-US')} round trips/s (best of ${rates.length}), p50 ${p50.toFixed(1)} µs, p99 ${p99.toFixed(1)} µs`);
  }
  report('ask', 'system.ask round trips against an echo actor (best and median of timed runs; latency pooled)', rows, {
    summary,
    notes:
      'Latency runs from the ask() call until the awaiting code resumes, so with N in flight it includes queueing behind the other N-1 asks.',
  });
  await system.terminate();
}

await main();
