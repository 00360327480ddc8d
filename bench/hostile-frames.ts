/**
 * Event-loop block from one hostile frame, per kind: the time a receiving node spends in
 * `decodeMessage` (or the handshake decoder) on it, whether it ends in a dead letter or a
 * refusal. Decoding must stay linear in the frame's size; the target is under 10 ms for the
 * worst frame. Also the frame sizes of a small ask and its reply, and the cost of the guard
 * on the small-message path. Then, against a node in its own process (with a secret), the
 * round trip of a good peer's ask sent right after each hostile frame.
 *
 * Run: npx tsx bench/hostile-frames.ts
 */
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Behaviors, RemoteActorSystem, type ActorRef } from '../lib/index.js';
import { encodeFrame, FrameKind } from '../lib/remote/frame-codec.js';
import { decodeHelloFields } from '../lib/remote/handshake.js';
import { Ping as FixturePing, Pong as FixturePong } from '../test/remote/fixtures/messages.js';
import { RawClient, rawHandshake } from '../test/remote/support/nodes.js';
import {
  deepNesting,
  helloBody,
  hugeArrayHeader,
  manyEmptyArrays,
  messageBody,
  record,
  recordExpansion,
  recordDefinitionsPadded,
  recordRedefinitions,
  referenceGraph,
} from '../test/remote/support/hostile-frames.js';
import { Ping, Pong } from './remote/messages.js';
import { report, type Row } from './support/report.js';
import { median } from './support/stats.js';

const RUNS = 15;

/** Median and worst ms of `f` over RUNS runs (after two warm-ups); `f` may throw (a refusal). */
function block(f: () => unknown): { median: number; max: number; outcome: string } {
  let outcome = 'delivered';
  const once = () => {
    const t0 = performance.now();
    try {
      f();
    } catch (error) {
      outcome = `refused: ${(error as Error).message.replace(/^Malformed frame: /, '').slice(0, 60)}`;
    }
    return performance.now() - t0;
  };
  once();
  once();
  const runs = Array.from({ length: RUNS }, once);
  return { median: median(runs), max: Math.max(...runs), outcome };
}

async function main(): Promise<void> {
  const sender = await RemoteActorSystem.start({ name: 'bench', port: 0, logLevel: 'warn' });
  const receiver = await RemoteActorSystem.start({ name: 'bench', port: 0, logLevel: 'warn' });
  const origin = sender.identity;
  const rows: Row[] = [];
  const message = (label: string, payload: number[], trailing: number[] = []) => {
    const body = messageBody('/user/echo', payload, trailing);
    const r = block(() => {
      const decoded = receiver.serialization.decodeMessage(body, 0, body.length, origin, true);
      if (decoded.problem) throw new Error(decoded.problem);
    });
    rows.push({ frame: label, bytes: body.length, 'median ms': r.median.toFixed(3), 'max ms': r.max.toFixed(3), outcome: r.outcome });
  };
  {
    const body = helloBody(referenceGraph(24), [0x00]);
    const r = block(() => decodeHelloFields(body, 0, body.length));
    rows.push({ frame: 'Hello: reference graph 2^24 + trailing byte', bytes: body.length, 'median ms': r.median.toFixed(3), 'max ms': r.max.toFixed(3), outcome: r.outcome });
  }
  message('Message: reference graph 2^24 + trailing byte', referenceGraph(24), [0x00]);
  message('Message: reference graph 2^24', referenceGraph(24));
  message('constructor.name.toString = 1 (receptionist crash)', record('{"constructor": {"name": {"toString": 1}}}'));
  message('__proto__ nested in a record', record('{"a": [{"b": {"__proto__": {"polluted": 1}}}]}'));
  message('record: 200 keys x 200 B, 2,000 instances', recordExpansion(200, 200, 2000));
  message('record: 20 keys x 30 B, 3,000 instances (within budget)', recordExpansion(20, 30, 3000));
  message('record ids redefined 16,000 times, new key names', recordRedefinitions(16_000));
  message('record ids redefined 500 times, new key names (within budget)', recordRedefinitions(500));
  message('2,000 record definitions, one per 32 bytes (the budget)', recordDefinitionsPadded(2000, 32));
  message('6,000 record definitions, one per 10 bytes (over it)', recordDefinitionsPadded(6000, 10));
  message('arrays nested 100,000 deep', deepNesting(100_000));
  message('arrays nested 500 deep (accepted)', deepNesting(500));
  message('array announcing 2^32-1 elements', hugeArrayHeader());
  message('64 Ki empty arrays (most objects per byte)', manyEmptyArrays(64 * 1024));
  message('1 Mi empty arrays (a 1 MiB frame)', manyEmptyArrays(1024 * 1024));

  // Frame sizes of a small ask and its reply (the reply names the asker's incarnation).
  const echo = sender.remoteRef<Ping>(`${receiver.host}:${receiver.port}`, '/user/echo');
  const replyTo = sender.resolveRef(sender.spawn(Behaviors.ignore, 'reply-to').address) as ActorRef<Pong>;
  const askFrame = sender.serialization.encodeMessage('/user/echo', 0, 0, new Ping(1, replyTo));
  const replyFrame = receiver.serialization.encodeMessage('/temp/$1a', 123456789, sender.identity.uid, new Pong(1));
  void echo;

  // The guard on the small-message path: decode of the ask frame, ns per call.
  const OPS = 200_000;
  const perOp: number[] = [];
  for (let r = 0; r < 5; r++) {
    const t0 = performance.now();
    for (let i = 0; i < OPS; i++) receiver.serialization.decodeMessage(askFrame, 5, askFrame.length, origin, true);
    perOp.push(((performance.now() - t0) * 1e6) / OPS);
  }
  const refused = rows.filter(r => String(r.outcome).startsWith('refused'));
  const worstRefused = refused.reduce((w, r) => (Number(r['median ms']) > Number(w['median ms']) ? r : w), refused[0]);
  // Delivered frames cost what their content costs to build: the figure per byte is what bounds them.
  const delivered = rows.filter(r => r.outcome === 'delivered' && Number(r.bytes) > 10_000);
  const worstPerByte = delivered.reduce((w, r) => Math.max(w, (Number(r['median ms']) * 1e6) / Number(r.bytes)), 0);
  const roundTrips = await roundTripsAfterHostileFrames();
  report('hostile-frames', 'Event-loop block per hostile frame (decode on the receiving node; median and max of runs)', rows, {
    roundTrips,
    askFrameBytes: askFrame.length,
    replyFrameBytes: replyFrame.length,
    smallAskDecodeNs: Math.round(median(perOp.slice(1))),
    summary: [
      `hostile frames refused: worst median block ${worstRefused['median ms']} ms (${worstRefused.frame}, ${worstRefused.bytes} bytes; max ${worstRefused['max ms']} ms)`,
      `well-formed frames delivered: up to ${worstPerByte.toFixed(0)} ns per byte (so ${((worstPerByte * 64 * 1024) / 1e6).toFixed(1)} ms for 64 KiB, ${((worstPerByte * 4 * 1024 * 1024) / 1e6).toFixed(0)} ms for a 4 MiB frame)`,
      `good peer's ask right after a hostile frame, node in another process: worst median ${Math.max(...roundTrips.map(r => Number(r['median ms'])))} ms, worst max ${Math.max(...roundTrips.map(r => Number(r['max ms'])))} ms`,
      `small ask frame ${askFrame.length} bytes, its reply ${replyFrame.length} bytes; decode of the ask ${Math.round(median(perOp.slice(1)))} ns`,
    ],
  });
  await sender.terminate();
  await receiver.terminate();
}

const SECRET = 'bench-hostile-frames';
const ROUND_TRIPS = 7;

/** Forks the test fixture node (with a secret), and times a good peer's ask after each hostile frame. */
async function roundTripsAfterHostileFrames(): Promise<Row[]> {
  const fixture = fileURLToPath(new URL('../test/remote/fixtures/node.ts', import.meta.url));
  const child = fork(fixture, [], { execArgv: ['--import', 'tsx'], env: { ...process.env, NODE_SECRET: SECRET }, stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
  const port = await new Promise<number>((resolve, reject) => {
    child.once('message', m => resolve((m as { ready: number }).ready));
    child.once('exit', code => reject(new Error(`fixture node exited with ${code}`)));
  });
  const good = await RemoteActorSystem.start({ name: 'test', port: 0, secret: SECRET, logLevel: 'error' });
  const echo = good.remoteRef<FixturePing>(`127.0.0.1:${port}`, '/user/echo');
  const ask = async () => {
    const t0 = performance.now();
    await good.ask<FixturePong>(echo, r => new FixturePing(1, r), 5000);
    return performance.now() - t0;
  };
  for (let i = 0; i < 20; i++) await ask();
  const kinds: [string, boolean, Buffer][] = [
    ['none (baseline)', true, Buffer.alloc(0)],
    ['Hello: reference graph + trailing byte (no auth)', false, encodeFrame(FrameKind.Hello, helloBody(referenceGraph(24), [0x00]))],
    ['Message: reference graph + trailing byte', true, encodeFrame(FrameKind.Message, messageBody('/user/echo', referenceGraph(24), [0x00]))],
    ['Message: constructor.name.toString = 1', true, encodeFrame(FrameKind.Message, messageBody('/system/receptionist', record('{"constructor": {"name": {"toString": 1}}}')))],
    ['record: 200 keys x 200 B, 2,000 instances', true, encodeFrame(FrameKind.Message, messageBody('/user/echo', recordExpansion(200, 200, 2000)))],
    ['record: 20 keys x 30 B, 3,000 instances', true, encodeFrame(FrameKind.Message, messageBody('/user/nobody', recordExpansion(20, 30, 3000)))],
    ['record ids redefined 16,000 times', true, encodeFrame(FrameKind.Message, messageBody('/user/nobody', recordRedefinitions(16_000)))],
    ['record ids redefined 500 times, new key names', true, encodeFrame(FrameKind.Message, messageBody('/user/nobody', recordRedefinitions(500)))],
    ['arrays nested 100,000 deep', true, encodeFrame(FrameKind.Message, messageBody('/user/echo', deepNesting(100_000)))],
    ['64 Ki empty arrays', true, encodeFrame(FrameKind.Message, messageBody('/user/nobody', manyEmptyArrays(64 * 1024)))],
  ];
  const rows: Row[] = [];
  try {
    for (const [label, authenticated, frame] of kinds) {
      const times: number[] = [];
      for (let i = 0; i < ROUND_TRIPS; i++) {
        const raw = authenticated ? await rawHandshake(port, { secret: SECRET }) : await RawClient.connect(port);
        // Written, then the good peer's ask at once: a node busy with the frame answers late.
        if (frame.length > 0) raw.write(frame);
        await new Promise(resolve => setImmediate(resolve));
        times.push(await ask());
        raw.destroy();
      }
      rows.push({ 'hostile frame': label, 'bytes': frame.length, 'median ms': median(times).toFixed(2), 'max ms': Math.max(...times).toFixed(2) });
    }
  } finally {
    await good.terminate();
    child.send({ stop: true });
    await new Promise(resolve => child.once('exit', resolve));
  }
  console.log('\nGood peer ask round trip right after a hostile frame (node in another process)');
  console.table(rows);
  return rows;
}

await main();
