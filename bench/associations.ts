/**
 * What a dead, frozen or flapping peer costs the sender:
 *  - ask to a killed node: time from SIGKILL of the peer process to the rejection of every
 *    pending ask (they fail with PeerDisconnectedError instead of waiting for their timeout);
 *  - memory held vs bytes queued for a frozen (SIGSTOPped) peer: ArrayBuffer and RSS growth
 *    after forced GCs, for ~100 MB of 100 KiB messages, alone and interleaved with oversized
 *    messages that are encoded and then refused (they leave the encoder's shared chunk large),
 *    and for 500,000 messages of about 100 bytes;
 *  - redials of a peer that completes the handshake and drops at once, per second, with the
 *    default backoff settings.
 * Bounded: about 15 s in all.
 *
 * Run: npx tsx bench/associations.ts   (or through bench/run-all.ts)
 */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import v8 from 'node:v8';
import vm from 'node:vm';
import { RemoteActorSystem, type ActorRef } from '../lib/index.js';
import { Blob, Ping, Pong, Tick } from './remote/messages.js';
import { startFlappingPeer } from '../test/remote/support/flapping-peer.js';
import { percentiles, report, type Row } from './support/report.js';

const KILL_ROUNDS = 5;
const ASKS_PER_ROUND = 100;
const ASK_TIMEOUT_MS = 20_000;
const FROZEN_MESSAGES = 1000;
const FROZEN_MESSAGE_BYTES = 100 * 1024;
const SMALL_MESSAGES = 500_000;
/** Payload of the small message; its frame is about 100 bytes. */
const SMALL_MESSAGE_BYTES = 64;
const FLAP_WINDOW_MS = 3000;

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;

function startPeer(): Promise<{ child: ChildProcess; port: number }> {
  const file = fileURLToPath(new URL('./remote/peer.ts', import.meta.url));
  const child = fork(file, [], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('benchmark peer did not start within 20 s')), 20_000);
    child.once('message', ports => {
      clearTimeout(timer);
      resolve({ child, port: (ports as { port: number }).port });
    });
    child.once('exit', code => reject(new Error(`benchmark peer exited with ${code}`)));
  });
}

function killed(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  const exited = new Promise<void>(resolve => child.once('exit', () => resolve()));
  child.kill('SIGKILL');
  return exited;
}

async function settledMemory(): Promise<NodeJS.MemoryUsage> {
  for (let i = 0; i < 3; i++) {
    await new Promise(resolve => setImmediate(resolve));
    gc();
  }
  return process.memoryUsage();
}

const MB = 1024 * 1024;

// ---- ask to a killed node -------------------------------------------------------------------

async function askToKilledNode(system: RemoteActorSystem): Promise<Row> {
  const first: number[] = [];
  const last: number[] = [];
  let named = 0;
  for (let round = 0; round < KILL_ROUNDS; round++) {
    const { child, port } = await startPeer();
    const node = `127.0.0.1:${port}`;
    await system.ask<Pong>(system.remoteRef<Ping>(node, '/user/echo'), r => new Ping(0, r), 10_000);
    // The sink never replies to a Tick: only the disconnect can end these asks early.
    const sink = system.remoteRef<Tick>(node, '/user/sink');
    let killedAt = 0;
    const times: number[] = [];
    const asks = Array.from({ length: ASKS_PER_ROUND }, (_, i) =>
      system.ask<never>(sink, () => new Tick(i), ASK_TIMEOUT_MS).then(
        () => undefined,
        (error: Error) => {
          times.push(performance.now() - killedAt);
          if ((error.cause as Error | undefined)?.name === 'PeerDisconnectedError') named++;
        },
      ),
    );
    while (system.remoteStats().peers.find(p => p.node === node)!.queued > 0) await new Promise(resolve => setImmediate(resolve));
    killedAt = performance.now();
    await killed(child);
    await Promise.all(asks);
    first.push(Math.min(...times));
    last.push(Math.max(...times));
  }
  return {
    figure: 'ask to a SIGKILLed node: time to error',
    rounds: KILL_ROUNDS,
    'asks/round': ASKS_PER_ROUND,
    'ask timeout ms': ASK_TIMEOUT_MS,
    'first error ms p50': round2(percentiles(first, [50]).p50),
    'all failed ms p50': round2(percentiles(last, [50]).p50),
    'all failed ms max': round2(Math.max(...last)),
    'with PeerDisconnectedError': `${named}/${KILL_ROUNDS * ASKS_PER_ROUND}`,
  };
}

// ---- memory for a frozen peer -----------------------------------------------------------------

type Frozen = 'large' | 'large, interleaved' | 'small';

async function frozenPeer(kind: Frozen): Promise<Row> {
  const system = await RemoteActorSystem.start({
    name: 'bench',
    logLevel: 'error',
    maxFrameSize: MB,
    outboundQueueBytes: 256 * MB,
    outboundQueueSize: 2 * SMALL_MESSAGES,
    idleTimeoutMs: 60_000,
    deadLetterLogLimit: 0,
  });
  const { child, port } = await startPeer();
  try {
    const node = `127.0.0.1:${port}`;
    await system.ask<Pong>(system.remoteRef<Ping>(node, '/user/echo'), r => new Ping(0, r), 10_000);
    child.kill('SIGSTOP');
    const sink = system.remoteRef<Blob>(node, '/user/sink') as ActorRef<Blob>;
    const before = await settledMemory();
    if (kind === 'small') {
      const data = Buffer.alloc(SMALL_MESSAGE_BYTES, 1);
      for (let i = 0; i < SMALL_MESSAGES; i++) sink.tell(new Blob(i, data));
    } else {
      const data = Buffer.alloc(FROZEN_MESSAGE_BYTES, 1);
      const oversized = new Blob(-1, Buffer.alloc(1.2 * MB, 2));
      for (let i = 0; i < FROZEN_MESSAGES; i++) {
        sink.tell(new Blob(i, data));
        if (kind === 'large, interleaved') sink.tell(oversized);
      }
    }
    // Until the socket pushes back and the queue stops shrinking.
    let last = -1;
    for (let still = 0; still < 20; ) {
      await new Promise(resolve => setImmediate(resolve));
      const queued = system.remoteStats().peers.find(p => p.node === node)!.queued;
      still = queued === last ? still + 1 : 0;
      last = queued;
    }
    const after = await settledMemory();
    const peer = system.remoteStats().peers.find(p => p.node === node)!;
    const queued = peer.queuedBytes;
    const arrayBuffers = after.arrayBuffers - before.arrayBuffers;
    const rss = after.rss - before.rss;
    return {
      figure: { large: 'frozen peer, 100 KiB messages', 'large, interleaved': 'frozen peer, 100 KiB with refused 1.2 MiB in between', small: 'frozen peer, 100-byte messages' }[kind],
      'messages queued': peer.queued,
      'MB queued': round2(queued / MB),
      'MB ArrayBuffers held': round2(arrayBuffers / MB),
      'MB RSS growth': round2(rss / MB),
      'held / queued': round2(arrayBuffers / queued),
    };
  } finally {
    await killed(child);
    await system.terminate();
  }
}

// ---- a peer that accepts the handshake and drops -----------------------------------------------

async function flappingPeer(): Promise<Row> {
  const peer = await startFlappingPeer('bench');
  const system = await RemoteActorSystem.start({ name: 'bench', logLevel: 'error', deadLetterLogLimit: 0 });
  const target = system.remoteRef<Tick>(`127.0.0.1:${peer.port}`, '/user/sink');
  const started = performance.now();
  let n = 0;
  while (performance.now() - started < FLAP_WINDOW_MS) {
    target.tell(new Tick(n++));
    await new Promise(resolve => setTimeout(resolve, 1));
  }
  const elapsed = performance.now() - started;
  await system.terminate();
  await peer.close();
  const accepted = peer.accepted.length;
  return {
    figure: 'peer that completes the handshake and drops (default backoff)',
    'window s': round2(elapsed / 1000),
    'messages sent': n,
    connections: accepted,
    'redials/s': round2(accepted / (elapsed / 1000)),
  };
}

function round2(x: number): number {
  return Math.round(x * 100) / 100;
}

const rows: Row[] = [];
const system = await RemoteActorSystem.start({ name: 'bench', logLevel: 'error', deadLetterLogLimit: 0 });
rows.push(await askToKilledNode(system));
await system.terminate();
rows.push(await frozenPeer('large'));
rows.push(await frozenPeer('large, interleaved'));
rows.push(await frozenPeer('small'));
rows.push(await flappingPeer());

const [kill, plain, mixed, small, flap] = rows;
report('associations', 'Dead, frozen and flapping peers: what they cost the sender', rows, {
  summary: [
    `ask to a SIGKILLed node: all ${kill['asks/round']} pending asks failed ${kill['all failed ms p50']} ms (p50; max ${kill['all failed ms max']} ms) after the kill, ask timeout ${ASK_TIMEOUT_MS} ms`,
    `frozen peer: ${plain['MB queued']} MB queued held ${plain['MB ArrayBuffers held']} MB of ArrayBuffers (${plain['held / queued']}x); with refused oversized messages in between ${mixed['MB queued']} MB held ${mixed['MB ArrayBuffers held']} MB (${mixed['held / queued']}x)`,
    `frozen peer, ${small['messages queued']} small messages: ${small['MB queued']} MB queued held ${small['MB ArrayBuffers held']} MB of ArrayBuffers (${small['held / queued']}x)`,
    `handshake-and-drop peer: ${flap['redials/s']} redials/s with the default backoff`,
  ],
});
process.exit(0);
