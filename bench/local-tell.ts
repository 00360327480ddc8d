/**
 * Local `tell` throughput on one thread:
 *  - one actor counting with a synchronous handler (the target: >= 5 million msgs/s);
 *  - the same with a fresh message object per tell (allocation included);
 *  - one actor counting with an async handler (one promise per message), for reference;
 *  - a ping-pong pair, one message in flight (round trips/s and messages/s);
 *  - a ping-pong pair with 64 messages in flight.
 *
 * Each scenario runs one untimed warm-up, then up to RUNS timed runs (stopping early once the
 * scenario's time budget is spent). The figure is the best run; the median is shown too, since
 * the machine is shared and runs are noisy.
 *
 * Run: npx tsx bench/local-tell.ts
 */
import { ActorSystem, Behaviors, type ActorRef } from '../lib/index.js';
import { report, type Row } from './support/report.js';
import { median } from './support/stats.js';

const RUNS = 5;
const SCENARIO_BUDGET_MS = 4_000;
/** A run that has not finished by then is a hang, not a slow run. */
const RUN_TIMEOUT_MS = 20_000;
const TARGET_SYNC_TELLS_PER_S = 5_000_000;

interface Scenario {
  name: string;
  /** Messages processed per run (for ping-pong: round trips). */
  count: number;
  /** Messages per unit of `count`: 2 for a ping-pong round trip. */
  messagesPerUnit: number;
  /** Runs once and resolves when all `count` units were processed. */
  run(count: number): Promise<void>;
}

function withTimeout<T>(promise: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not finish within ${RUN_TIMEOUT_MS} ms`)), RUN_TIMEOUT_MS);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** Tells are sent in bursts so the mailbox stays at a realistic size (not millions deep). */
const BURST = 100_000;

function counter(system: ActorSystem, fresh: boolean): Scenario['run'] {
  return async count => {
    let processed = 0;
    let wake!: () => void;
    let target = 0;
    const ref = system.spawn(
      Behaviors.receive<{ n: number }>((_ctx, message) => {
        processed += message.n;
        if (processed === target) wake();
      }),
    );
    const shared = { n: 1 };
    for (let sent = 0; sent < count; sent += BURST) {
      const burst = Math.min(BURST, count - sent);
      target = sent + burst;
      const drained = new Promise<void>(resolve => (wake = resolve));
      if (fresh) for (let i = 0; i < burst; i++) ref.tell({ n: 1 });
      else for (let i = 0; i < burst; i++) ref.tell(shared);
      await withTimeout(drained, 'counter');
    }
    system.stop(ref as ActorRef<never>);
  };
}

function asyncCounter(system: ActorSystem): Scenario['run'] {
  return async count => {
    let processed = 0;
    let wake!: () => void;
    let target = 0;
    const ref = system.spawn(
      Behaviors.receive<number>(async (_ctx, n) => {
        processed += n;
        if (processed === target) wake();
      }),
    );
    for (let sent = 0; sent < count; sent += BURST) {
      const burst = Math.min(BURST, count - sent);
      target = sent + burst;
      const drained = new Promise<void>(resolve => (wake = resolve));
      for (let i = 0; i < burst; i++) ref.tell(1);
      await withTimeout(drained, 'async counter');
    }
    system.stop(ref as ActorRef<never>);
  };
}

interface Ping {
  readonly replyTo: ActorRef<Pong>;
}
type Pong = 'pong';

function pingPong(system: ActorSystem, inFlight: number): Scenario['run'] {
  return async roundTrips => {
    let done!: () => void;
    const finished = new Promise<void>(resolve => (done = resolve));
    const ponger = system.spawn(
      Behaviors.receive<Ping>((_ctx, ping) => {
        ping.replyTo.tell('pong');
      }),
    );
    let received = 0;
    let sent = 0;
    let ping!: Ping;
    const pinger = system.spawn(
      Behaviors.receive<Pong>(() => {
        received++;
        if (sent < roundTrips) {
          sent++;
          ponger.tell(ping);
        } else if (received === roundTrips) {
          done();
        }
      }),
    );
    ping = { replyTo: pinger };
    for (let i = 0; i < inFlight && sent < roundTrips; i++) {
      sent++;
      ponger.tell(ping);
    }
    await withTimeout(finished, 'ping-pong');
    system.stop(ponger as ActorRef<never>);
    system.stop(pinger as ActorRef<never>);
  };
}

async function measure(scenario: Scenario): Promise<number[]> {
  await scenario.run(Math.max(1, Math.floor(scenario.count / 5))); // warm-up
  const rates: number[] = [];
  const started = performance.now();
  for (let i = 0; i < RUNS && performance.now() - started < SCENARIO_BUDGET_MS; i++) {
    const t0 = performance.now();
    await scenario.run(scenario.count);
    const seconds = (performance.now() - t0) / 1000;
    rates.push(scenario.count / seconds);
  }
  return rates;
}


function millions(x: number): string {
  return `${(x / 1e6).toFixed(2)} M`;
}

async function main(): Promise<void> {
  const system = ActorSystem.create('bench-tell', { logLevel: 'warn' });
  const scenarios: Scenario[] = [
    { name: 'one actor, sync handler, shared message', count: 5_000_000, messagesPerUnit: 1, run: counter(system, false) },
    { name: 'one actor, sync handler, new object per tell', count: 5_000_000, messagesPerUnit: 1, run: counter(system, true) },
    { name: 'one actor, async handler (reference)', count: 2_000_000, messagesPerUnit: 1, run: asyncCounter(system) },
    { name: 'ping-pong pair, 1 in flight', count: 1_000_000, messagesPerUnit: 2, run: pingPong(system, 1) },
    { name: 'ping-pong pair, 64 in flight', count: 3_000_000, messagesPerUnit: 2, run: pingPong(system, 64) },
  ];
  const rows: Row[] = [];
  const summary: string[] = [];
  for (const scenario of scenarios) {
    const rates = await measure(scenario);
    const best = Math.max(...rates);
    const med = median(rates);
    const pingPong = scenario.messagesPerUnit === 2;
    const row: Row = {
      scenario: scenario.name,
      'units/run': scenario.count,
      runs: rates.length,
      'best msgs/s': Math.round(best * scenario.messagesPerUnit),
      'median msgs/s': Math.round(med * scenario.messagesPerUnit),
      'ns/msg (best)': Number((1e9 / (best * scenario.messagesPerUnit)).toFixed(1)),
    };
    if (pingPong) {
      row['best round trips/s'] = Math.round(best);
      row['median round trips/s'] = Math.round(med);
    }
    rows.push(row);
    const perS = millions(best * scenario.messagesPerUnit);
    summary.push(
      pingPong
        ? `local tell, ${scenario.name}: ${millions(best)} round trips/s = ${perS} msgs/s (best of ${rates.length})`
        : `local tell, ${scenario.name}: ${perS} msgs/s (best of ${rates.length}, median ${millions(med)})`,
    );
  }
  const syncBest = rows[0]['best msgs/s'] as number;
  const targetMet = syncBest >= TARGET_SYNC_TELLS_PER_S;
  summary.push(`target >= 5 M tells/s with a sync handler on one core: ${targetMet ? 'MET' : 'NOT MET'} (${millions(syncBest)})`);
  report('local-tell', 'Local tell throughput (one thread; best and median of timed runs)', rows, {
    summary,
    targets: { syncTellsPerSecond: { target: TARGET_SYNC_TELLS_PER_S, measured: syncBest, met: targetMet } },
    notes: 'units/run: messages per run, or round trips for ping-pong (2 messages each). Tells sent in bursts of 100,000.',
  });
  await system.terminate();
}

await main();
