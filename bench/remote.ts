/**
 * Remote messaging between two OS processes on loopback:
 *  - one-way `tell` throughput, small message and 1 KiB message, with end-to-end flow control
 *    (the receiving sink acknowledges every 4096 messages; at most WINDOW are unacknowledged);
 *  - `ask` round trips/s at concurrency 1, 16 and 128, with p50/p99 latency;
 *  - bytes on the wire per small message (framing included);
 *  - the same length-prefixed frames over a plain Node `net` socket (pre-encoded, same
 *    batching per event-loop turn, same acknowledgements), the practical limit here, and the
 *    ratio of each remote figure to it.
 * Every phase is bounded in time (warm-up + PHASE_MS), so the whole run takes ~30 s.
 *
 * Run: npx tsx bench/remote.ts   (or through bench/run-all.ts)
 */
import { fork, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Behaviors, RemoteActorSystem, type ActorRef } from '../lib/index.js';
import { FrameDecoder, encodeFrame } from '../lib/remote/index.js';
import { batchedWriter } from './remote/batched-writer.js';
import { ACK_EVERY, Ack, Blob, Ping, Pong, RAW_ACK_KIND, StartAcks, Tick } from './remote/messages.js';
import { percentiles, report, type Row } from './support/report.js';

const WARMUP_MS = 500;
const PHASE_MS = 2500;
/** Unacknowledged messages allowed in flight (well below the outbound queue bound of 100,000). */
const WINDOW = 64 * 1024;
/** Tells per pump turn: the sender yields to I/O in between, as a real producer would. */
const TELLS_PER_TURN = 8192;
const TARGET_TELLS = 500_000;
const TARGET_ASKS_128 = 100_000;

interface PeerPorts {
  port: number;
  rawSinkPort: number;
  rawEchoPort: number;
}

function startPeer(): Promise<{ child: ChildProcess; ports: PeerPorts }> {
  const file = fileURLToPath(new URL('./remote/peer.ts', import.meta.url));
  const child = fork(file, [], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('benchmark peer did not start within 20 s')), 20_000);
    child.once('message', ports => {
      clearTimeout(timer);
      resolve({ child, ports: ports as PeerPorts });
    });
    child.once('exit', code => reject(new Error(`benchmark peer exited with ${code}`)));
  });
}

const sleep = (ms: number) => new Promise(resolve => setTimeout(resolve, ms));

// ---- remote tell ----------------------------------------------------------------------------

interface Throughput {
  perSecond: number;
  messages: number;
}

/**
 * Turns acknowledged counts into a rate: measuring starts with the first acknowledgement after
 * WARMUP_MS and ends with the first one PHASE_MS later, which returns the figures.
 */
function phaseMeter(): (acked: number) => Throughput | undefined {
  const start = performance.now();
  let warmAcked = -1;
  let warmAt = 0;
  return acked => {
    const now = performance.now();
    if (warmAcked < 0) {
      if (now - start >= WARMUP_MS) {
        warmAcked = acked;
        warmAt = now;
      }
      return undefined;
    }
    if (now - warmAt < PHASE_MS) return undefined;
    return { perSecond: ((acked - warmAcked) * 1000) / (now - warmAt), messages: acked };
  };
}

/**
 * Sends `make(i)` to the sink as fast as the window allows for WARMUP_MS + PHASE_MS and
 * measures acknowledged messages per second after the warm-up.
 */
function remoteTells(system: RemoteActorSystem, sink: ActorRef<Tick | Blob | StartAcks>, make: (i: number) => Tick | Blob): Promise<Throughput> {
  return new Promise(resolve => {
    let sent = 0;
    let acked = 0;
    let scheduled = false;
    let done = false;
    const meter = phaseMeter();
    const pump = () => {
      scheduled = false;
      if (done) return;
      for (let budget = TELLS_PER_TURN; budget > 0 && sent - acked < WINDOW; budget--) sink.tell(make(sent++));
      if (sent - acked < WINDOW) schedule();
    };
    const schedule = () => {
      if (!scheduled) {
        scheduled = true;
        setImmediate(pump);
      }
    };
    const acker = system.spawn(
      Behaviors.receiveMessage<Ack>(ack => {
        acked = ack.count;
        const figures = done ? undefined : meter(acked);
        if (figures) {
          done = true;
          system.stop(acker);
          resolve(figures);
          return;
        }
        schedule();
      }),
    );
    sink.tell(new StartAcks(acker));
    schedule();
  });
}

// ---- remote ask -----------------------------------------------------------------------------

interface AskFigures {
  perSecond: number;
  p50: number;
  p99: number;
}

/**
 * Runs `concurrency` workers, each calling `call(worker)` back to back, for WARMUP_MS + PHASE_MS;
 * measures round trips/s and latency after the warm-up.
 */
async function roundTrips(concurrency: number, call: (worker: number) => Promise<unknown>): Promise<AskFigures> {
  const samples: number[] = [];
  let measuring = false;
  let measuredFrom = 0;
  const end = performance.now() + WARMUP_MS + PHASE_MS;
  const warm = setTimeout(() => {
    measuring = true;
    measuredFrom = performance.now();
  }, WARMUP_MS);
  const worker = async (id: number) => {
    while (performance.now() < end) {
      const t0 = performance.now();
      await call(id);
      if (measuring) samples.push(performance.now() - t0);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, (_, i) => worker(i)));
  clearTimeout(warm);
  const elapsed = performance.now() - measuredFrom;
  const { p50, p99 } = percentiles(samples);
  return { perSecond: (samples.length * 1000) / elapsed, p50: p50 * 1000, p99: p99 * 1000 };
}

function remoteAsks(system: RemoteActorSystem, echo: ActorRef<Ping>, concurrency: number): Promise<AskFigures> {
  return roundTrips(concurrency, id => system.ask<Pong>(echo, replyTo => new Ping(id, replyTo), 5000));
}

// ---- plain net baseline -----------------------------------------------------------------------

function connect(port: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: '127.0.0.1', port, noDelay: true }, () => resolve(socket));
    socket.once('error', reject);
  });
}

/** The same frames, pre-encoded, written in batches of up to 1 MiB per turn, with the same acknowledgements. */
async function rawTells(port: number, frame: Buffer): Promise<Throughput> {
  const socket = await connect(port);
  const perBatch = Math.max(1, Math.min(TELLS_PER_TURN, Math.floor((1024 * 1024) / frame.length)));
  const batch = Buffer.concat(Array.from({ length: perBatch }, () => frame));
  return new Promise(resolve => {
    let sent = 0;
    let acked = 0;
    let scheduled = false;
    let blocked = false;
    let done = false;
    const meter = phaseMeter();
    const pump = () => {
      scheduled = false;
      if (done || blocked) return;
      if (sent - acked + perBatch <= WINDOW) {
        sent += perBatch;
        if (!socket.write(batch)) {
          blocked = true;
          return;
        }
      }
      if (sent - acked + perBatch <= WINDOW) schedule();
    };
    const schedule = () => {
      if (!scheduled) {
        scheduled = true;
        setImmediate(pump);
      }
    };
    socket.on('drain', () => {
      blocked = false;
      schedule();
    });
    const decoder = new FrameDecoder(1024, (kind, buffer, s) => {
      if (kind !== RAW_ACK_KIND || done) return;
      acked = buffer.readUInt32BE(s);
      const figures = meter(acked);
      if (figures) {
        done = true;
        socket.destroy();
        resolve(figures);
        return;
      }
      schedule();
    });
    socket.on('data', chunk => decoder.push(chunk));
    schedule();
  });
}

/** Request/response over one socket with `concurrency` requests outstanding; writes batched per turn. */
async function rawAsks(port: number, request: Buffer, reply: Buffer, concurrency: number): Promise<AskFigures> {
  const socket = await connect(port);
  socket.write(encodeFrame(0, reply)); // tells the echo server what to answer
  const waiting: (() => void)[] = [];
  let head = 0;
  const send = batchedWriter(socket);
  const decoder = new FrameDecoder(1 << 20, () => {
    const resolve = waiting[head];
    waiting[head++] = undefined as never;
    if (head > 1 << 16 && head * 2 > waiting.length) {
      waiting.splice(0, head);
      head = 0;
    }
    resolve();
  });
  socket.on('data', chunk => decoder.push(chunk));
  const call = () =>
    new Promise<void>(resolve => {
      waiting.push(resolve);
      send(request);
    });
  const figures = await roundTrips(concurrency, call);
  socket.destroy();
  return figures;
}

// ---- main -----------------------------------------------------------------------------------

export async function main(): Promise<void> {
  const { child, ports } = await startPeer();
  const system = await RemoteActorSystem.start({ name: 'bench', logLevel: 'warn' });
  try {
    const peer = `127.0.0.1:${ports.port}`;
    const sink = system.remoteRef<Tick | Blob | StartAcks>(peer, '/user/sink');
    const echo = system.remoteRef<Ping>(peer, '/user/echo');
    const kib = Buffer.alloc(1024, 7);

    // The exact frames the remote path writes, for the baseline and the bytes-per-message figure.
    const smallFrame = Buffer.from(system.serialization.encodeMessage(sink.path, 0, 0, new Tick(123456)));
    const kibFrame = Buffer.from(system.serialization.encodeMessage(sink.path, 0, 0, new Blob(123456, kib)));
    const askFrame = Buffer.from(system.serialization.encodeMessage(echo.path, 0, 0, new Ping(1, system.resolveRef(system.spawn(Behaviors.ignore, 'frame-sample').address))));
    const replyFrame = Buffer.from(system.serialization.encodeMessage('/temp/$1a', 123456789, system.identity.uid, new Pong(1)));

    const before = system.remoteStats();
    const small = await remoteTells(system, sink, i => new Tick(i));
    const after = system.remoteStats();
    const wireBytes = (after.bytesSent - before.bytesSent) / (after.messagesSent - before.messagesSent);
    const large = await remoteTells(system, sink, i => new Blob(i, kib));
    const asks = new Map<number, AskFigures>();
    for (const c of [1, 16, 128]) asks.set(c, await remoteAsks(system, echo, c));

    const rawSmall = await rawTells(ports.rawSinkPort, smallFrame);
    const rawLarge = await rawTells(ports.rawSinkPort, kibFrame);
    const rawAsk = new Map<number, AskFigures>();
    for (const c of [1, 16, 128]) rawAsk.set(c, await rawAsks(ports.rawEchoPort, askFrame, replyFrame, c));

    const ratio = (a: number, b: number) => `${((100 * a) / b).toFixed(0)}%`;
    const rows: Row[] = [
      { figure: 'tell, small message', 'ops/s': Math.round(small.perSecond), 'p50 µs': '', 'p99 µs': '', 'wire bytes/msg': Math.round(wireBytes * 10) / 10, 'net ops/s': Math.round(rawSmall.perSecond), 'vs net': ratio(small.perSecond, rawSmall.perSecond), target: `>= ${TARGET_TELLS.toLocaleString('en-US')}` },
      { figure: 'tell, 1 KiB message', 'ops/s': Math.round(large.perSecond), 'p50 µs': '', 'p99 µs': '', 'wire bytes/msg': kibFrame.length, 'net ops/s': Math.round(rawLarge.perSecond), 'vs net': ratio(large.perSecond, rawLarge.perSecond), target: '' },
    ];
    for (const c of [1, 16, 128]) {
      const r = asks.get(c)!;
      const n = rawAsk.get(c)!;
      rows.push({
        figure: `ask, concurrency ${c}`,
        'ops/s': Math.round(r.perSecond),
        'p50 µs': Math.round(r.p50),
        'p99 µs': Math.round(r.p99),
        'wire bytes/msg': `${askFrame.length} + ${replyFrame.length}`,
        'net ops/s': Math.round(n.perSecond),
        'vs net': ratio(r.perSecond, n.perSecond),
        target: c === 128 ? `>= ${TARGET_ASKS_128.toLocaleString('en-US')}` : '',
      });
    }
    const ask128 = asks.get(128)!.perSecond;
    const summary = [
      `remote: tell small ${Math.round(small.perSecond).toLocaleString('en-US')}/s (${ratio(small.perSecond, rawSmall.perSecond)} of plain net; target ${TARGET_TELLS.toLocaleString('en-US')}: ${small.perSecond >= TARGET_TELLS ? 'met' : 'MISSED'})`,
      `remote: tell 1 KiB ${Math.round(large.perSecond).toLocaleString('en-US')}/s (${ratio(large.perSecond, rawLarge.perSecond)} of plain net)`,
      `remote: ask c=128 ${Math.round(ask128).toLocaleString('en-US')}/s, p99 ${Math.round(asks.get(128)!.p99)} µs (target ${TARGET_ASKS_128.toLocaleString('en-US')}: ${ask128 >= TARGET_ASKS_128 ? 'met' : 'MISSED'})`,
      `remote: ${Math.round(wireBytes * 10) / 10} bytes on the wire per small message`,
    ];
    report('remote', 'Remote messaging between two processes on loopback (plain net = same frames, pre-encoded)', rows, {
      summary,
      settings: { warmupMs: WARMUP_MS, phaseMs: PHASE_MS, window: WINDOW, ackEvery: ACK_EVERY },
    });
    for (const line of summary) console.log(line);
  } finally {
    await system.terminate();
    child.send({ stop: true });
    await Promise.race([new Promise(resolve => child.once('exit', resolve)), sleep(5000)]);
    if (child.exitCode === null) child.kill('SIGKILL');
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await main();
}
