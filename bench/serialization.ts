/**
 * Cost of turning one message into a wire frame and back, in one process (no sockets):
 * a plain object, a registered class carrying a reply-to ref, and the same after 50 more
 * classes are registered — the encoding cost must not grow with the number of classes.
 *
 * Run: npx tsx bench/serialization.ts
 */
import { Behaviors, RemoteActorSystem, registerSerializable, type ActorRef } from '../lib/index.js';
import { Ping } from './remote/messages.js';
import { report, type Row } from './support/report.js';
import { median } from './support/stats.js';

const OPS = 200_000;
const RUNS = 5;

/** Median ns per call of `f` over RUNS timed runs of OPS calls, after a warm-up run. */
function nsPerOp(f: (i: number) => unknown): number {
  for (let i = 0; i < OPS / 4; i++) f(i);
  const runs: number[] = [];
  for (let r = 0; r < RUNS; r++) {
    const t0 = performance.now();
    for (let i = 0; i < OPS; i++) f(i);
    runs.push(((performance.now() - t0) * 1e6) / OPS);
  }
  return median(runs);
}

async function main(): Promise<void> {
  const sender = await RemoteActorSystem.start({ name: 'bench', port: 0, logLevel: 'warn' });
  const receiver = await RemoteActorSystem.start({ name: 'bench', port: 0, logLevel: 'warn' });
  const replyTo = sender.spawn(Behaviors.ignore, 'reply-to') as ActorRef<never>;
  const rows: Row[] = [];
  const measure = (label: string, make: (i: number) => unknown) => {
    const frame = sender.serialization.encodeMessage('/user/echo', 0, 0, make(0));
    // As remoting encodes: in place, into a chunk (without a connection's name table: names as strings).
    const chunk = Buffer.allocUnsafeSlow(64 * 1024);
    const encode = nsPerOp(i => sender.serialization.encodeMessageInto(chunk, 0, '/user/echo', 0, 0, make(i)));
    const decode = nsPerOp(() => receiver.serialization.decodeMessage(frame, 5, frame.length, sender.identity, true));
    rows.push({ message: label, 'frame bytes': frame.length, 'encode ns': Math.round(encode), 'decode ns': Math.round(decode) });
  };
  measure('plain object { n, s }', i => ({ n: i, s: 'abc' }));
  measure('registered class with a replyTo ref', i => new Ping(i, replyTo));
  for (let k = 0; k < 50; k++) registerSerializable(class { v = k; } as never, `bench.Extra${k}`);
  measure('the same, 50 more classes registered', i => new Ping(i, replyTo));
  report('serialization', 'Serialization of one message (median of runs; no sockets)', rows, {
    summary: rows.map(r => `serialization, ${r['message']}: encode ${r['encode ns']} ns, decode ${r['decode ns']} ns, ${r['frame bytes']} bytes`),
  });
  await sender.terminate();
  await receiver.terminate();
}

await main();
