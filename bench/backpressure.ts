/**
 * Memory of a receiver flooded by a fast sender, with inbound credit on (the default
 * inboundCreditMessages) and effectively off (a credit no connection reaches), side by side
 * in one run. The receiver is its own OS process (test/remote/fixtures/slow-node.ts); this
 * process floods it, paced per event-loop turn. Every 500 ms the receiver reports heap, RSS
 * and its connection's undelivered messages. Phases, each with credit on and off: an actor
 * that awaits 1 ms per message (a handler waiting on I/O; 3 s), and one that computes for
 * 20 µs per message (2 s). The run takes ~15 s.
 *
 * Run: npx tsx bench/backpressure.ts
 */
import { DeadLetter, RemoteActorSystem, type ActorRef } from '../lib/index.js';
import { Load } from '../test/remote/fixtures/messages.js';
import type { SlowNodeStats } from '../test/remote/fixtures/slow-node.js';
import { fixturePath, forkNode, request, stopNode } from '../test/remote/support/child-node.js';
import { printTable, report, type Row } from './support/report.js';

const PAD = 'x'.repeat(100);
const BATCH = 1000;
const SAMPLE_MS = 500;
const DEFAULT_CREDIT = 4096;
const OFF = Number.MAX_SAFE_INTEGER;

interface Phase {
  actor: 'async 1 ms' | 'busy 20 µs';
  asyncMs: number;
  workUs: number;
  credit: number;
  ms: number;
}

const MB = 1024 * 1024;
const mb = (bytes: number) => Math.round((bytes / MB) * 10) / 10;

async function run(phase: Phase): Promise<{ summary: Row; timeline: Row[] }> {
  const receiver = await forkNode({ CREDIT: String(phase.credit), WORK_US: String(phase.workUs), ASYNC_MS: String(phase.asyncMs) }, fixturePath('slow-node.ts'));
  const sender = await RemoteActorSystem.start({ name: 'test', logLevel: 'error', deadLetterLogLimit: 0 });
  const label = phase.credit === OFF ? 'off' : phase.credit.toLocaleString('en-US');
  try {
    const node = `127.0.0.1:${receiver.port}`;
    const target: ActorRef<Load> = sender.remoteRef<Load>(node, '/user/slow');
    let overflowed = 0;
    sender.eventStream.subscribe(DeadLetter, () => void overflowed++);
    const stats = () => request<SlowNodeStats>(receiver, { stats: true }, 'stats', 10_000);
    target.tell(new Load(0, PAD));
    for (;;) if ((await stats()).count === 1) break;

    const timeline: Row[] = [];
    let sent = 1;
    const started = performance.now();
    let nextSample = SAMPLE_MS;
    let sampling: Promise<void> | undefined;
    const sample = (at: number) =>
      stats().then(s => {
        const h = s.inbound[0];
        timeline.push({
          actor: phase.actor,
          credit: label,
          't ms': at,
          'heap MB': mb(s.heap - s.baseHeap),
          'rss MB': mb(s.rss - s.baseRss),
          undelivered: h?.undelivered ?? 0,
          paused: h?.paused ? 'yes' : 'no',
          delivered: s.count,
          'sent so far': sent,
        });
      });
    while (performance.now() - started < phase.ms) {
      for (let i = 0; i < BATCH; i++) target.tell(new Load(sent++, PAD));
      const elapsed = performance.now() - started;
      if (elapsed >= nextSample && sampling === undefined) {
        const at = nextSample;
        nextSample += SAMPLE_MS;
        sampling = sample(at).finally(() => (sampling = undefined));
      }
      await new Promise(resolve => setImmediate(resolve));
    }
    await sampling;
    const end = await stats();
    const seconds = phase.ms / 1000;
    const peer = sender.remoteStats().peers.find(p => p.node === node);
    const summary: Row = {
      actor: phase.actor,
      credit: label,
      seconds,
      'sent /s': Math.round(sent / seconds),
      'dropped at sender': overflowed,
      'sender queued at end': peer?.queued ?? 0,
      'delivered /s': Math.round(end.count / seconds),
      'peak undelivered': end.inbound[0]?.peakUndelivered ?? 0,
      pauses: end.inboundPauses,
      'peak heap +MB': mb(end.peakHeap - end.baseHeap),
      'peak rss +MB': mb(end.peakRss - end.baseRss),
    };
    return { summary, timeline };
  } finally {
    await stopNode(receiver, 'SIGKILL');
    await sender.terminate();
  }
}

const phases: Phase[] = [
  { actor: 'async 1 ms', asyncMs: 1, workUs: 0, credit: DEFAULT_CREDIT, ms: 3000 },
  { actor: 'async 1 ms', asyncMs: 1, workUs: 0, credit: OFF, ms: 3000 },
  { actor: 'busy 20 µs', asyncMs: 0, workUs: 20, credit: DEFAULT_CREDIT, ms: 2000 },
  { actor: 'busy 20 µs', asyncMs: 0, workUs: 20, credit: OFF, ms: 2000 },
];
const summaries: Row[] = [];
const timelines: Row[] = [];
for (const phase of phases) {
  const { summary, timeline } = await run(phase);
  summaries.push(summary);
  timelines.push(...timeline);
}

const title = 'A receiver flooded by a fast sender: inbound credit on (default 4,096) vs off, in one run (receiver in its own process)';
printTable('Receiver memory over the run (growth since start; undelivered = its connection\'s messages still in mailboxes)', timelines);
report('backpressure', title, summaries, {
  summary: summaries.map(
    s =>
      `backpressure: ${s.actor} actor, credit ${s.credit}: peak heap +${s['peak heap +MB']} MB, rss +${s['peak rss +MB']} MB, ` +
      `peak undelivered ${Number(s['peak undelivered']).toLocaleString('en-US')}, delivered ${Number(s['delivered /s']).toLocaleString('en-US')}/s, ` +
      `dropped at sender ${Number(s['dropped at sender']).toLocaleString('en-US')}`,
  ),
  timeline: timelines,
  notes:
    'Messages are fixture.Load (a number and 100 characters), sent 1,000 per event-loop turn. Heap and RSS are growth since the receiver became ready (after a full GC); ' +
    'peaks are sampled every 20 ms in the receiver. An actor that computes synchronously is handled between socket reads (its mailbox drains before the next read), ' +
    'so it holds about one read\'s worth either way; one that awaits takes a message per await while reads go on. With credit on, the receiver stops reading at the credit, so the sender\'s socket pushes back, its ' +
    'outbound queue (100,000 messages) fills and the rest are dropped there as dead letters (OutboundQueueFullError); with credit off, everything the sender ' +
    'writes is read and queued in the slow actor\'s mailbox.',
});
