/**
 * Remote messaging between two OS processes on loopback, beside a plain msgpack loop over a
 * `net` socket between the same two processes (bench/remote/plain-loop.ts: every request and
 * reply packed, unpacked and matched by id, as remoting must):
 *  - `ask` round trips/s at concurrency 1, 16 and 128, with p50/p99 latency;
 *  - one-way `tell` of a small message, with end-to-end flow control (the sink acknowledges
 *    every 4096 messages; at most WINDOW are unacknowledged);
 *  - per phase, CPU time per operation, GC pauses (count, total, longest) and JavaScript-heap
 *    bytes allocated per operation, on this process (the asker / sender) and on the peer (see
 *    support/process-meter.ts).
 *
 * Each round runs the remote phases with both actor systems started, stops them, then runs the
 * plain phases with only the plain server running; ROUNDS rounds, and every figure is the median
 * of its rounds. Each phase measures MEASURE_MS after WARMUP_MS; the run takes about a minute.
 *
 * Run: npx tsx bench/remote.ts   (or through bench/run-all.ts)
 */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Behaviors, RemoteActorSystem, type ActorRef } from '../lib/index.js';
import { ACK_EVERY, Ack, Ping, Pong, StartAcks, Tick } from './remote/messages.js';
import type { PeerCommand } from './remote/peer.js';
import { PlainClient } from './remote/plain-loop.js';
import { ProcessMeter, type WindowCost } from './support/process-meter.js';
import { report, type Row } from './support/report.js';
import { LatencyHistogram, median } from './support/stats.js';

const ROUNDS = 3;
const WARMUP_MS = 400;
const MEASURE_MS = 1500;
/** Unacknowledged tells allowed in flight (well below the outbound queue bound of 100,000). */
const WINDOW = 64 * 1024;
/** Tells per pump turn: the sender yields to I/O in between, as a real producer would. */
const TELLS_PER_TURN = 8192;
const ASK_TIMEOUT_MS = 5000;
/** The plain loop writes by remoting's rule: the first KiB of a turn at once, the rest at the end of the turn. */
const PLAIN_FLUSH_BYTES = 1024;
const CONCURRENCIES = [1, 16, 128] as const;

// ---- the peer process -------------------------------------------------------------------------

class Peer {
  private nextId = 0;
  private readonly waiting = new Map<number, { resolve(value: unknown): void; reject(error: Error): void }>();

  private constructor(readonly child: ChildProcess) {
    child.on('message', (message: { id: number; result?: unknown; error?: string }) => {
      const waiter = this.waiting.get(message.id);
      this.waiting.delete(message.id);
      if (message.error !== undefined) waiter?.reject(new Error(`benchmark peer: ${message.error}`));
      else waiter?.resolve(message.result);
    });
  }

  static start(): Promise<Peer> {
    const file = fileURLToPath(new URL('./remote/peer.ts', import.meta.url));
    const child = fork(file, [], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('benchmark peer did not start within 20 s')), 20_000);
      child.once('message', () => {
        clearTimeout(timer);
        resolve(new Peer(child));
      });
      child.once('exit', code => reject(new Error(`benchmark peer exited with ${code}`)));
    });
  }

  call<T>(command: PeerCommand): Promise<T> {
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.waiting.set(id, { resolve: resolve as (value: unknown) => void, reject });
      this.child.send({ id, command });
    });
  }

  async stop(): Promise<void> {
    const exited = new Promise(resolve => this.child.once('exit', resolve));
    await this.call({ cmd: 'exit' }).catch(() => undefined);
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([exited, new Promise(resolve => (timer = setTimeout(resolve, 5000)))]);
    clearTimeout(timer);
    if (this.child.exitCode === null) this.child.kill('SIGKILL');
  }
}

// ---- one measured phase -------------------------------------------------------------------------

interface Window {
  /** True between the end of the warm-up and the end of the measurement. */
  measuring: boolean;
  /** True once the measurement ended: loops stop. */
  done: boolean;
  /** Operations completed while measuring (tells: set by the phase from its acknowledgements). */
  ops: number;
  readonly histogram: LatencyHistogram;
}

interface PhaseFigures {
  opsPerSecond: number;
  p50Us: number;
  p99Us: number;
  cost: WindowCost;
  peerCost: WindowCost;
  ops: number;
  /** Wire bytes per message (remote tells only). */
  wireBytes?: number;
}

/**
 * Runs `body` through the warm-up and the measurement; `onMeasuring(true/false)` marks the
 * window's edges for phases that count from their own progress (acknowledged tells).
 */
async function phase(peer: Peer, body: (w: Window) => Promise<void>, edges?: (starting: boolean) => void): Promise<PhaseFigures> {
  const w: Window = { measuring: false, done: false, ops: 0, histogram: new LatencyHistogram() };
  const meter = new ProcessMeter();
  let startedAt = 0;
  let elapsed = 0;
  let cost!: WindowCost;
  let peerStarted!: Promise<unknown>;
  let peerCost!: Promise<WindowCost>;
  const start = setTimeout(() => {
    peerStarted = peer.call({ cmd: 'meter-start' });
    edges?.(true);
    w.measuring = true;
    startedAt = performance.now();
    meter.start();
  }, WARMUP_MS);
  const stop = setTimeout(() => {
    cost = meter.stop();
    elapsed = performance.now() - startedAt;
    w.measuring = false;
    edges?.(false);
    w.done = true;
    peerCost = peerStarted.then(() => peer.call<WindowCost>({ cmd: 'meter-stop' }));
  }, WARMUP_MS + MEASURE_MS);
  try {
    await body(w);
  } finally {
    clearTimeout(start);
    clearTimeout(stop);
  }
  return {
    opsPerSecond: (w.ops * 1000) / elapsed,
    p50Us: w.histogram.percentileUs(50),
    p99Us: w.histogram.percentileUs(99),
    cost,
    peerCost: await peerCost,
    ops: w.ops,
  };
}

/** `concurrency` workers calling `call` back to back until the window is done. */
function roundTrips(concurrency: number, call: () => Promise<unknown>): (w: Window) => Promise<void> {
  return async w => {
    const worker = async () => {
      while (!w.done) {
        const t0 = performance.now();
        await call();
        if (w.measuring) {
          w.histogram.recordMs(performance.now() - t0);
          w.ops++;
        }
      }
    };
    await Promise.all(Array.from({ length: concurrency }, worker));
  };
}

/**
 * Tells `send(i)` as fast as the window of unacknowledged messages allows, until the window is
 * done; `acked()` is the count acknowledged so far, `onAck` wires the acknowledgement callback.
 */
function tells(send: (i: number) => void, acked: () => number, onAck: (callback: () => void) => void): { body: (w: Window) => Promise<void>; edges: (starting: boolean) => void } {
  let window: Window | undefined;
  let ackedAtStart = 0;
  return {
    edges: starting => {
      if (starting) ackedAtStart = acked();
      else if (window) window.ops = acked() - ackedAtStart;
    },
    body: w =>
      new Promise<void>(resolve => {
        window = w;
        let sent = acked();
        let scheduled = false;
        const pump = () => {
          scheduled = false;
          if (w.done) {
            resolve();
            return;
          }
          for (let budget = TELLS_PER_TURN; budget > 0 && sent - acked() < WINDOW; budget--) send(sent++);
          if (sent - acked() < WINDOW) schedule();
        };
        const schedule = () => {
          if (!scheduled) {
            scheduled = true;
            setImmediate(pump);
          }
        };
        onAck(schedule);
        schedule();
      }),
  };
}

// ---- the two sides ----------------------------------------------------------------------------

interface RoundFigures {
  asks: Map<number, PhaseFigures>;
  tell: PhaseFigures;
}

async function remoteRound(peer: Peer): Promise<RoundFigures> {
  const port = await peer.call<number>({ cmd: 'start-system' });
  const system = await RemoteActorSystem.start({ name: 'bench', logLevel: 'warn' });
  try {
    const node = `127.0.0.1:${port}`;
    const echo = system.remoteRef<Ping>(node, '/user/echo');
    const sink = system.remoteRef<Tick | StartAcks>(node, '/user/sink');
    const asks = new Map<number, PhaseFigures>();
    for (const c of CONCURRENCIES) {
      let n = 0;
      asks.set(c, await phase(peer, roundTrips(c, () => system.ask<Pong>(echo, replyTo => new Ping(n++, replyTo), ASK_TIMEOUT_MS))));
    }
    let acked = 0;
    let onAck = () => {};
    const acker = system.spawn(
      Behaviors.receiveMessage<Ack>(ack => {
        acked = ack.count;
        onAck();
      }),
    );
    sink.tell(new StartAcks(acker));
    const t = tells(i => sink.tell(new Tick(i)), () => acked, callback => (onAck = callback));
    const before = system.remoteStats();
    const tell = await phase(peer, t.body, t.edges);
    const after = system.remoteStats();
    tell.wireBytes = (after.bytesSent - before.bytesSent) / (after.messagesSent - before.messagesSent);
    return { asks, tell };
  } finally {
    await system.terminate();
    await peer.call({ cmd: 'stop-system' });
  }
}

async function plainRound(peer: Peer): Promise<RoundFigures> {
  const port = await peer.call<number>({ cmd: 'start-plain', flushBytes: PLAIN_FLUSH_BYTES });
  const clients: PlainClient[] = [];
  try {
    const asks = new Map<number, PhaseFigures>();
    for (const c of CONCURRENCIES) {
      const client = await PlainClient.connect(port, PLAIN_FLUSH_BYTES);
      clients.push(client);
      let n = 0;
      asks.set(c, await phase(peer, roundTrips(c, () => client.request(n++))));
    }
    const client = await PlainClient.connect(port, PLAIN_FLUSH_BYTES);
    clients.push(client);
    const t = tells(i => client.tell(i), () => client.acked, callback => (client.onAck = callback));
    return { asks, tell: await phase(peer, t.body, t.edges) };
  } finally {
    for (const client of clients) client.close();
    await peer.call({ cmd: 'stop-plain' });
  }
}

// ---- report -----------------------------------------------------------------------------------

interface Summary {
  opsPerSecond: number;
  cpuUsPerOp: number;
  peerCpuUsPerOp: number;
  p50Us: number;
  p99Us: number;
  gcCount: number;
  gcTotalMs: number;
  gcMaxMs: number;
  bytesPerOp: number;
  peerBytesPerOp: number;
  peerGcTotalMs: number;
  wireBytes?: number;
}

function summarize(figures: PhaseFigures[]): Summary {
  const m = (f: (x: PhaseFigures) => number) => median(figures.map(f));
  return {
    opsPerSecond: m(x => x.opsPerSecond),
    cpuUsPerOp: m(x => (x.cost.cpuMs * 1000) / x.ops),
    peerCpuUsPerOp: m(x => (x.peerCost.cpuMs * 1000) / x.ops),
    p50Us: m(x => x.p50Us),
    p99Us: m(x => x.p99Us),
    gcCount: m(x => x.cost.count),
    gcTotalMs: m(x => x.cost.totalMs),
    gcMaxMs: m(x => x.cost.maxMs),
    bytesPerOp: m(x => x.cost.allocatedBytes / x.ops),
    peerBytesPerOp: m(x => x.peerCost.allocatedBytes / x.ops),
    peerGcTotalMs: m(x => x.peerCost.totalMs),
    wireBytes: figures[0].wireBytes === undefined ? undefined : m(x => x.wireBytes!),
  };
}

const jsonRound = (f: RoundFigures) => ({ asks: Object.fromEntries(f.asks), tell: f.tell });

const round1 = (x: number) => Math.round(x * 10) / 10;

function row(figure: string, side: string, s: Summary, plain?: Summary): Row {
  const latency = s.p50Us > 0;
  return {
    figure,
    side,
    'ops/s': Math.round(s.opsPerSecond),
    'vs plain': plain ? `${(s.opsPerSecond / plain.opsPerSecond).toFixed(2)}×` : '',
    'p50 µs': latency ? Math.round(s.p50Us) : '',
    'p99 µs': latency ? Math.round(s.p99Us) : '',
    'p99 vs plain': plain && latency ? `${(s.p99Us / plain.p99Us).toFixed(2)}×` : '',
    'CPU µs/op': Math.round(s.cpuUsPerOp * 100) / 100,
    'peer CPU µs/op': Math.round(s.peerCpuUsPerOp * 100) / 100,
    'GC n': Math.round(s.gcCount),
    'GC ms': round1(s.gcTotalMs),
    'GC max ms': Math.round(s.gcMaxMs * 100) / 100,
    'B/op': Math.round(s.bytesPerOp),
    'peer B/op': Math.round(s.peerBytesPerOp),
    'peer GC ms': round1(s.peerGcTotalMs),
    'wire B/msg': s.wireBytes === undefined ? '' : round1(s.wireBytes),
  };
}

export async function main(): Promise<void> {
  const peer = await Peer.start();
  const remote: RoundFigures[] = [];
  const plain: RoundFigures[] = [];
  try {
    for (let r = 0; r < ROUNDS; r++) {
      remote.push(await remoteRound(peer));
      plain.push(await plainRound(peer));
    }
  } finally {
    await peer.stop();
  }
  const rows: Row[] = [];
  const summary: string[] = [];
  const summaries: Record<string, { remote: Summary; plain: Summary }> = {};
  const add = (name: string, pick: (f: RoundFigures) => PhaseFigures) => {
    const r = summarize(remote.map(pick));
    const p = summarize(plain.map(pick));
    summaries[name] = { remote: r, plain: p };
    rows.push(row(name, 'remote', r, p), row(name, 'plain', p));
  };
  for (const c of CONCURRENCIES) add(`ask c=${c}`, f => f.asks.get(c)!);
  add('tell small', f => f.tell);

  for (const c of CONCURRENCIES) {
    const { remote: r, plain: p } = summaries[`ask c=${c}`];
    summary.push(
      `remote: ask c=${c} ${Math.round(r.opsPerSecond).toLocaleString('en-US')}/s = ${(r.opsPerSecond / p.opsPerSecond).toFixed(2)}× the plain loop ` +
        `(${Math.round(p.opsPerSecond).toLocaleString('en-US')}/s), p50/p99 ${Math.round(r.p50Us)}/${Math.round(r.p99Us)} µs vs ${Math.round(p.p50Us)}/${Math.round(p.p99Us)} µs, ` +
        `CPU ${r.cpuUsPerOp.toFixed(2)} + ${r.peerCpuUsPerOp.toFixed(2)} µs per ask vs ${p.cpuUsPerOp.toFixed(2)} + ${p.peerCpuUsPerOp.toFixed(2)}, ${Math.round(r.bytesPerOp)} B allocated per ask on the asker`,
    );
  }
  const { remote: tr, plain: tp } = summaries['tell small'];
  summary.push(
    `remote: tell small ${Math.round(tr.opsPerSecond).toLocaleString('en-US')}/s = ${(tr.opsPerSecond / tp.opsPerSecond).toFixed(2)}× the plain loop ` +
      `(${Math.round(tp.opsPerSecond).toLocaleString('en-US')}/s), ${round1(tr.wireBytes ?? 0)} bytes on the wire each`,
  );
  const c128 = summaries['ask c=128'];
  const targets = [
    `ask c=128 >= 0.9× plain: ${c128.remote.opsPerSecond >= 0.9 * c128.plain.opsPerSecond ? 'met' : 'MISSED'}`,
    `ask c=128 p99 <= 1.5× plain: ${c128.remote.p99Us <= 1.5 * c128.plain.p99Us ? 'met' : 'MISSED'}`,
    // At c=128 (one ask at a time also pays a socket read and write per ask, as the plain loop does).
    `< 1 KB allocated per remote ask on the asker at c=128: ${c128.remote.bytesPerOp < 1000 ? 'met' : 'MISSED'}`,
  ];
  summary.push(`remote targets: ${targets.join('; ')}`);
  report('remote', `Remote messaging between two processes on loopback, beside a plain msgpack loop (median of ${ROUNDS} rounds)`, rows, {
    summary,
    settings: { rounds: ROUNDS, warmupMs: WARMUP_MS, measureMs: MEASURE_MS, window: WINDOW, ackEvery: ACK_EVERY, plainFlushBytes: PLAIN_FLUSH_BYTES },
    notes:
      'CPU µs/op: user + system CPU time of the process per operation (robust on a shared machine, where ops/s move with the load of other processes). ' +
      'B/op: JavaScript-heap bytes allocated per operation (used heap delta plus what each GC freed, from v8.GCProfiler), not Buffer backing stores. ' +
      'GC: collections on this process (the asker / sender) during the measured window. peer: the echo / sink process.',
    rounds: { remote: remote.map(jsonRound), plain: plain.map(jsonRound) },
  });
  for (const line of summary) console.log(line);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await main();
}
