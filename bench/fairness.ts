/**
 * How late a 10 ms interval timer fires while actors keep the run queue full, beside the same
 * timer on an idle process in the same run:
 *  - idle (the baseline: the event loop's own lateness);
 *  - a ping-pong of two actors (sync handlers, one message in flight: never idle);
 *  - the same with async handlers;
 *  - 100 actors each sending to itself forever.
 * Also the actors' throughput under each load, so the cost of yielding shows beside its effect.
 *
 * Run: npx tsx bench/fairness.ts
 */
import { ActorSystem, Behaviors, type ActorRef } from '../lib/index.js';
import { percentiles, report, type Row } from './support/report.js';

const PERIOD_MS = 10;
const RUN_MS = 2_000;

interface Ball {
  readonly from: ActorRef<Ball>;
}

interface Load {
  readonly messages: () => number;
  stop(): void;
}

function pingPong(system: ActorSystem, async: boolean): Load {
  let count = 0;
  let stopped = false;
  const player = Behaviors.receive<Ball>((ctx, ball) => {
    count++;
    if (stopped) return undefined;
    if (async) return Promise.resolve().then(() => ball.from.tell({ from: ctx.self }));
    ball.from.tell({ from: ctx.self });
    return undefined;
  });
  const a = system.spawn(player, 'ping');
  const b = system.spawn(player, 'pong');
  a.tell({ from: b });
  return { messages: () => count, stop: () => void (stopped = true) };
}

function selfSenders(system: ActorSystem, n: number): Load {
  let count = 0;
  let stopped = false;
  for (let i = 0; i < n; i++) {
    system
      .spawn(
        Behaviors.receive<number>((ctx, m) => {
          count++;
          if (!stopped) ctx.self.tell(m + 1);
          return undefined;
        }),
        `spin-${i}`,
      )
      .tell(0);
  }
  return { messages: () => count, stop: () => void (stopped = true) };
}

async function lateness(): Promise<number[]> {
  const late: number[] = [];
  const started = performance.now();
  let expected = started + PERIOD_MS;
  await new Promise<void>(resolve => {
    const timer = setInterval(() => {
      const now = performance.now();
      late.push(now - expected);
      expected = now + PERIOD_MS;
      if (now - started >= RUN_MS) {
        clearInterval(timer);
        resolve();
      }
    }, PERIOD_MS);
  });
  return late;
}

async function scenario(name: string, start?: (system: ActorSystem) => Load): Promise<Row> {
  const system = ActorSystem.create('fairness', { logLevel: 'silent' });
  const load = start?.(system);
  const t0 = performance.now();
  const late = await lateness();
  const seconds = (performance.now() - t0) / 1000;
  load?.stop();
  await system.terminate();
  const p = percentiles(late, [50, 99]);
  return {
    scenario: name,
    firings: late.length,
    'expected firings': Math.floor(RUN_MS / PERIOD_MS),
    'late p50 ms': p.p50,
    'late p99 ms': p.p99,
    'late max ms': Math.max(...late),
    'actor msgs/s': load ? Math.round(load.messages() / seconds) : '',
  };
}

const rows: Row[] = [];
rows.push(await scenario('idle (baseline)'));
rows.push(await scenario('ping-pong, sync handlers', s => pingPong(s, false)));
rows.push(await scenario('ping-pong, async handlers', s => pingPong(s, true)));
rows.push(await scenario('100 actors sending to themselves', s => selfSenders(s, 100)));
report('fairness', `Lateness of a ${PERIOD_MS} ms timer over ${RUN_MS / 1000} s while actors keep the run queue full (default scheduling)`, rows);
