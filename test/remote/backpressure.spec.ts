/**
 * Inbound credit: a slow actor slows its remote senders through TCP instead of growing its
 * node's memory, without the paused connection ever being closed as idle.
 */
import {
  Behaviors,
  DeadLetter,
  PeerDisconnected,
  RemoteActorSystem,
  RemoteConfigurationError,
  type ActorRef,
} from '../../lib/index.js';
import { eventually, until } from '../support/eventually.js';
import { Load } from './fixtures/messages.js';
import type { SlowNodeStats } from './fixtures/slow-node.js';
import { fixturePath, forkNode, request, stopNode, type ChildNode } from './support/child-node.js';
import { startNode, terminateAll, type TestNode } from './support/nodes.js';

const PAD = 'x'.repeat(1000);
/** One socket read carries at most 64 KiB: that many frames of Load at least. */
const FRAMES_PER_READ = Math.ceil(65_536 / PAD.length);

function orderHash(hash: number, n: number): number {
  return (Math.imul(hash, 31) + n) >>> 0;
}

describe('Inbound backpressure', () => {
  let a: TestNode | undefined;
  let b: ChildNode | undefined;

  afterEach(async () => {
    await stopNode(b, 'SIGKILL');
    await terminateAll(a);
    a = b = undefined;
  });

  it('a slow actor on node B slows a fast sender on node A: B stays bounded, the connection stays up, and what A accepted arrives in order', async () => {
    const credit = 1000;
    const timing = { heartbeatIntervalMs: 100, idleTimeoutMs: 400 };
    const outboundQueueSize = 2000;
    b = await forkNode({ CREDIT: String(credit), HEARTBEAT_MS: '100', IDLE_TIMEOUT_MS: '400' }, fixturePath('slow-node.ts'));
    a = await startNode({ ...timing, outboundQueueSize });
    const node = `127.0.0.1:${b.port}`;
    const slow: ActorRef<Load> = a.system.remoteRef<Load>(node, '/user/slow');
    const dropped = new Set<number>();
    a.system.eventStream.subscribe(DeadLetter, e => {
      if (e.message instanceof Load && e.reason.startsWith(`The outbound queue to ${node} is full`)) dropped.add(e.message.n);
    });
    const disconnects: string[] = [];
    a.system.eventStream.subscribe(PeerDisconnected, e => disconnects.push(e.reason));
    const bStats = () => request<SlowNodeStats>(b!, { stats: true }, 'stats');

    slow.tell(new Load(0, PAD));
    await eventually(async () => expect((await bStats()).count).toBe(1));
    await request(b, { stall: true }, 'stalled');

    // The flood: paced per event-loop turn (as a busy producer would be), 120k messages (about
    // 130 MB of frames) and for at least 2 s (five idle timeouts), whichever ends later, and
    // never beyond 10 s.
    let sent = 1;
    let maxQueued = 0;
    const started = Date.now();
    let sawPaused = false;
    let maxUndeliveredSeen = 0;
    let polling: Promise<void> | undefined;
    const flooding = () => {
      const elapsed = Date.now() - started;
      return elapsed < 10_000 && (elapsed < 2000 || sent < 120_000);
    };
    while (flooding()) {
      for (let i = 0; i < 500 && sent < 120_000; i++) slow.tell(new Load(sent++, PAD));
      const peer = a.system.remoteStats().peers.find(p => p.node === node);
      maxQueued = Math.max(maxQueued, peer?.queued ?? 0);
      polling ??= bStats().then(s => {
        for (const h of s.inbound) {
          sawPaused ||= h.paused;
          maxUndeliveredSeen = Math.max(maxUndeliveredSeen, h.undelivered);
        }
        polling = undefined;
      });
      await new Promise(resolve => setImmediate(resolve));
    }
    await polling;
    const stalledMs = Date.now() - started;
    const during = await bStats();
    await request(b, { release: true }, 'released');

    const accepted = sent - dropped.size;
    let expectedHash = 0;
    for (let n = 0; n < sent; n++) if (!dropped.has(n)) expectedHash = orderHash(expectedHash, n);
    const after = await eventually(async () => {
      const s = await bStats();
      expect(s.count).toBe(accepted);
      return s;
    }, 30_000, 50);

    // Everything A did not drop at its own queue arrived, once each and in order.
    expect(after.inOrder).toBe(true);
    expect(after.hash).toBe(expectedHash);
    // A was slowed: its queue reached its bound and the excess became dead letters there.
    expect(maxQueued).toBe(outboundQueueSize);
    expect(dropped.size).toBeGreaterThan(0);
    expect(a.system.remoteStats().overflowed).toBe(dropped.size);
    // B paused reading at the credit (plus at most one socket read) instead of queueing everything.
    expect(sawPaused).toBe(true);
    expect(after.inboundPauses).toBeGreaterThanOrEqual(1);
    const peak = Math.max(...after.inbound.map(h => h.peakUndelivered));
    expect(peak).toBeGreaterThanOrEqual(credit);
    expect(peak).toBeLessThanOrEqual(credit + FRAMES_PER_READ);
    expect(maxUndeliveredSeen).toBeLessThanOrEqual(credit + FRAMES_PER_READ);
    // Memory: what A offered would have taken far more than the bound had B queued it all.
    const bound = 32 * 1024 * 1024;
    expect(sent * PAD.length).toBeGreaterThan(3 * bound);
    expect(during.peakHeap - during.baseHeap).toBeLessThan(bound);
    expect(during.peakRss - during.baseRss).toBeLessThan(2 * bound);
    // Stalled for several idle timeouts, and neither side closed the connection.
    expect(stalledMs).toBeGreaterThan(3 * timing.idleTimeoutMs);
    expect(after.disconnects).toEqual([]);
    expect(disconnects).toEqual([]);
    expect(after.inbound).toHaveLength(1);
    expect(after.inbound[0]).toMatchObject({ undelivered: 0, paused: false });
    expect(a.system.remoteStats().peers.find(p => p.node === node)?.connected).toBe(true);
  }, 60_000);

  it('releases a connection that closes while paused; receipts of its messages still in mailboxes change nothing', async () => {
    const credit = 200;
    const receiver = await startNode({ inboundCreditMessages: credit, heartbeatIntervalMs: 50, idleTimeoutMs: 200 });
    const sender = await startNode({ heartbeatIntervalMs: 50, idleTimeoutMs: 200 });
    a = receiver;
    try {
      let open!: () => void;
      let gate: Promise<void> | undefined = new Promise<void>(resolve => (open = resolve));
      const taken: number[] = [];
      receiver.system.spawn(
        Behaviors.receiveMessage<Load>(load => {
          if (gate) return gate.then(() => void taken.push(load.n));
          taken.push(load.n);
        }),
        'slow',
      );
      const slow = sender.system.remoteRef<Load>(receiver.system.hostPort, '/user/slow');
      let sent = 0;
      const health = () => receiver.system.remoting.inboundHealth();
      while (!health()[0]?.paused && sent < 100_000) {
        for (let i = 0; i < 100; i++) slow.tell(new Load(sent++, PAD));
        await new Promise(resolve => setImmediate(resolve));
      }
      expect(health()[0].paused).toBe(true);
      const waiting = health()[0].undelivered;
      expect(waiting).toBeGreaterThanOrEqual(credit);

      // The sender goes away while the receiver is not reading.
      await sender.system.terminate();
      await until(() => receiver.system.remoting.stats().inboundConnections === 0, 'the paused connection to close');
      expect(receiver.system.remoteStats()).toMatchObject({ inboundUndelivered: 0, inboundPaused: 0 });

      // The mailbox still holds what was read; it is delivered, and the late receipts are harmless.
      const before = taken.length;
      gate = undefined;
      open();
      await until(() => taken.length >= before + waiting, 'the messages already read to be handled');
      expect(taken.slice(0, waiting)).toEqual(Array.from({ length: waiting }, (_, i) => i));
      expect(receiver.logs.lines.filter(l => l.level === 'error')).toEqual([]);

      // A new connection starts with a fresh credit.
      const again = await startNode();
      try {
        again.system.remoteRef<Load>(receiver.system.hostPort, '/user/slow').tell(new Load(-1, PAD));
        await until(() => taken.includes(-1), 'a message over a new connection');
        expect(health()).toHaveLength(1);
        expect(health()[0]).toMatchObject({ paused: false, pauses: 0 });
      } finally {
        await again.system.terminate();
      }
    } finally {
      await terminateAll(sender);
    }
  }, 30_000);

  it('validates inboundCreditMessages like the other options', async () => {
    await expect(RemoteActorSystem.start({ name: 'test', inboundCreditMessages: 0 })).rejects.toThrow(RemoteConfigurationError);
    await expect(RemoteActorSystem.start({ name: 'test', inboundCreditMessages: 1.5 })).rejects.toThrow(/inboundCreditMessages/);
  });
});
