/**
 * Event-loop block from one hostile frame, per kind: the time a receiving node spends in
 * `decodeMessage` (or the handshake decoder) on it, whether it ends in a dead letter or a
 * refusal. Decoding must stay linear in the frame's size; the target is under 10 ms for the
 * worst frame. Also the frame sizes of a small ask and its reply, and the cost of the guard
 * on the small-message path.
 *
 * Run: npx tsx bench/hostile-frames.ts
 */
import { Behaviors, RemoteActorSystem, type ActorRef } from '../lib/index.js';
import { decodeHelloFields } from '../lib/remote/handshake.js';
import {
  deepNesting,
  helloBody,
  hugeArrayHeader,
  manyEmptyArrays,
  messageBody,
  record,
  recordExpansion,
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
  message('record ids redefined 16,000 times', recordRedefinitions(16_000));
  message('record ids redefined 300 times (within budget)', recordRedefinitions(300));
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
  const worst = rows.reduce((w, r) => Math.max(w, Number(r['max ms'])), 0);
  report('hostile-frames', 'Event-loop block per hostile frame (decode on the receiving node; median and max of runs)', rows, {
    askFrameBytes: askFrame.length,
    replyFrameBytes: replyFrame.length,
    smallAskDecodeNs: Math.round(median(perOp.slice(1))),
    summary: [
      `hostile frames: worst block ${worst.toFixed(2)} ms (max over runs of every kind)`,
      `small ask frame ${askFrame.length} bytes, its reply ${replyFrame.length} bytes; decode of the ask ${Math.round(median(perOp.slice(1)))} ns`,
    ],
  });
  await sender.terminate();
  await receiver.terminate();
}

await main();
