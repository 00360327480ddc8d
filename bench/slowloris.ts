/**
 * A good peer's view of a node under a slowloris: three OS processes on loopback, the node
 * (test/remote/fixtures/node.ts, default settings), an attacker holding 5,000 sockets that
 * never finish a handshake (reopening each one the node closes), and this process as the
 * good peer. Per phase (no attack, silent sockets, slow Hellos) it measures, SAMPLES times:
 *  - connect: TCP connect of a raw socket;
 *  - first answer: connect + Hello until the node's Welcome arrives;
 *  - ask: a fresh node started here, its handshake and one ask to the node's echo actor.
 * Each sample is bounded (5 s), each phase by SAMPLES; the run takes ~30 s.
 *
 * Run: npx tsx bench/slowloris.ts
 * Against another build: NODE_FIXTURE=/other/checkout/test/remote/fixtures/node.ts npx tsx bench/slowloris.ts
 * (its results go to bench/results/slowloris.json too: copy them away first).
 */
import { fork, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { RemoteActorSystem } from '../lib/index.js';
import { FrameDecoder, FrameKind } from '../lib/remote/index.js';
import { PROTOCOL_VERSION, encodeHello, newNonce } from '../lib/remote/handshake.js';
import { NodeIdentity } from '../lib/remote/node-identity.js';
import { Ping, Pong } from '../test/remote/fixtures/messages.js';
import { Attacker, type AttackMode } from '../test/remote/support/attacker.js';
import { percentiles, report, type Row } from './support/report.js';

const SOCKETS = 5000;
const SAMPLES = 20;
const SAMPLE_TIMEOUT_MS = 5000;

function startVictim(): Promise<{ child: ChildProcess; port: number }> {
  const file = process.env.NODE_FIXTURE ?? fileURLToPath(new URL('../test/remote/fixtures/node.ts', import.meta.url));
  // tsx applies the tsconfig of the directory it runs in: run another checkout's fixture from its root.
  const cwd = process.env.NODE_FIXTURE ? join(dirname(file), '..', '..', '..') : undefined;
  const child = fork(file, [], { cwd, execArgv: ['--import', 'tsx'], env: { ...process.env, NODE_OPTIONS: '' }, stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('node under attack did not start within 20 s')), 20_000);
    child.once('message', message => {
      clearTimeout(timer);
      resolve({ child, port: (message as { ready: number }).ready });
    });
    child.once('exit', code => reject(new Error(`node under attack exited with ${code}`)));
  });
}

/** Connect time and time to the Welcome of one raw handshake attempt, in ms (NaN when it timed out). */
function firstAnswer(port: number): Promise<{ connectMs: number; welcomeMs: number }> {
  return new Promise(resolve => {
    const started = performance.now();
    let connectMs = NaN;
    const socket = net.connect({ host: '127.0.0.1', port });
    const done = (welcomeMs: number) => {
      clearTimeout(timer);
      socket.destroy();
      resolve({ connectMs, welcomeMs });
    };
    const timer = setTimeout(() => done(NaN), SAMPLE_TIMEOUT_MS);
    const decoder = new FrameDecoder(64 * 1024, kind => {
      if (kind === FrameKind.Welcome) done(performance.now() - started);
      else done(NaN);
    });
    socket.on('error', () => done(NaN));
    socket.on('close', () => done(NaN));
    socket.on('data', chunk => decoder.push(chunk));
    socket.once('connect', () => {
      connectMs = performance.now() - started;
      const node = new NodeIdentity('test', '127.0.0.1', 1, 7);
      socket.write(encodeHello({ version: PROTOCOL_VERSION, system: 'test', node, nonce: newNonce(), maxFrameSize: 1024 * 1024 }));
    });
  });
}

/** A fresh node's handshake and first ask to the echo actor, in ms (NaN when it failed). */
async function firstAsk(port: number): Promise<number> {
  const started = performance.now();
  const system = await RemoteActorSystem.start({ name: 'test', logLevel: 'silent' });
  try {
    const echo = system.remoteRef<Ping>(`127.0.0.1:${port}`, '/user/echo');
    await system.ask<Pong>(echo, replyTo => new Ping(1, replyTo), SAMPLE_TIMEOUT_MS);
    return performance.now() - started;
  } catch {
    return NaN;
  } finally {
    await system.terminate();
  }
}

async function phase(name: string, port: number): Promise<Row> {
  const connect: number[] = [];
  const welcome: number[] = [];
  const ask: number[] = [];
  let failures = 0;
  for (let i = 0; i < SAMPLES; i++) {
    const answer = await firstAnswer(port);
    const askMs = await firstAsk(port);
    if (Number.isNaN(answer.welcomeMs) || Number.isNaN(askMs)) failures++;
    if (!Number.isNaN(answer.connectMs)) connect.push(answer.connectMs);
    if (!Number.isNaN(answer.welcomeMs)) welcome.push(answer.welcomeMs);
    if (!Number.isNaN(askMs)) ask.push(askMs);
  }
  const c = percentiles(connect, [50, 100]);
  const w = percentiles(welcome, [50, 90, 100]);
  const a = percentiles(ask, [50, 90, 100]);
  return {
    phase: name,
    samples: SAMPLES,
    failed: failures,
    'connect p50 ms': c.p50,
    'connect max ms': c.p100,
    'first answer p50 ms': w.p50,
    'first answer p90 ms': w.p90,
    'first answer max ms': w.p100,
    'ask p50 ms': a.p50,
    'ask p90 ms': a.p90,
    'ask max ms': a.p100,
  };
}

function fmt(value: string | number | undefined): string {
  return typeof value === 'number' ? value.toFixed(1) : String(value);
}

async function main(): Promise<void> {
  const victim = await startVictim();
  const rows: Row[] = [];
  try {
    rows.push(await phase('no attack', victim.port));
    for (const mode of ['silent', 'slow-hello'] as AttackMode[]) {
      const attacker = await Attacker.start(victim.port, SOCKETS, mode, 120_000);
      try {
        rows.push(await phase(`${SOCKETS} ${mode} sockets`, victim.port));
        const stats = await attacker.stats();
        rows[rows.length - 1]['attacker sockets closed by node'] = stats.closedByNode;
      } finally {
        await attacker.stop();
      }
    }
  } finally {
    victim.child.send({ stop: true });
    const timer = setTimeout(() => victim.child.kill('SIGKILL'), 5000);
    await new Promise(resolve => victim.child.once('exit', resolve));
    clearTimeout(timer);
  }
  const summary = rows.map(
    r => `good peer, ${r.phase}: first answer p50 ${fmt(r['first answer p50 ms'])} ms, max ${fmt(r['first answer max ms'])} ms; handshake + ask p50 ${fmt(r['ask p50 ms'])} ms, max ${fmt(r['ask max ms'])} ms (${r.failed} of ${r.samples} failed)`,
  );
  report('slowloris', `A good peer during a ${SOCKETS}-socket slowloris (node, attacker and peer in three processes)`, rows, { summary });
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().then(
    () => process.exit(0),
    error => {
      console.error(error);
      process.exit(1);
    },
  );
}
