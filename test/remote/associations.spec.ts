/**
 * Outbound associations: bounded in number, stopped when idle, given up on unreachable
 * peers, redialled with backoff; sender-side frame and queue limits with named errors; asks
 * failing at once when their message is dropped or their node goes. Cases about a process
 * (killed, frozen) run the peer as a separate OS process.
 */
import net from 'node:net';
import v8 from 'node:v8';
import vm from 'node:vm';
import {
  AskFailedError,
  AssociationEvictedError,
  Behaviors,
  DeadLetter,
  Find,
  MessageTooLargeError,
  OutboundQueueFullError,
  PeerDisconnectedError,
  PeerUnreachableError,
  Serializable,
  ServiceKey,
  type ActorRef,
} from '../../lib/index.js';
import { eventually, until } from '../support/eventually.js';
import { TestProbe } from '../support/probe.js';
import { forkNode, stopNode, type ChildNode } from './support/child-node.js';
import { startFlappingPeer } from './support/flapping-peer.js';
import { Ping, Pong, Seq } from './fixtures/messages.js';
import { startNode, terminateAll, type TestNode } from './support/nodes.js';

@Serializable('associations.Payload')
class Payload {
  constructor(
    readonly bytes: Buffer,
    readonly replyTo?: ActorRef<string>,
  ) {}
}

function deadLetters(node: TestNode): DeadLetter[] {
  const seen: DeadLetter[] = [];
  node.system.eventStream.subscribe(DeadLetter, event => seen.push(event));
  return seen;
}

/** A port nothing listens on (bound, then released). */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>(resolve => server.close(() => resolve()));
  return port;
}

/** The rejection of `promise`, which must reject. */
async function rejection(promise: Promise<unknown>): Promise<AskFailedError> {
  try {
    await promise;
  } catch (error) {
    return error as AskFailedError;
  }
  throw new Error('expected the ask to fail');
}

describe('Associations are bounded', () => {
  it('keeps 2,000 reply refs naming made-up nodes bounded: few associations, bounded dials, every reply dead-lettered with a reason, nothing left after', async () => {
    const a = await startNode({ maxAssociations: 64, giveUpAfterMs: 1000, maxConnectAttempts: 5, minBackoffMs: 50, maxBackoffMs: 200 });
    const b = await startNode();
    try {
      const dead = deadLetters(a);
      let maxAssociations = 0;
      a.system.eventStream.subscribe(DeadLetter, () => {
        maxAssociations = Math.max(maxAssociations, a.system.remoteStats().peers.length);
      });
      const key = ServiceKey.of<string>('made-up');
      const receptionistOfA = b.system.remoteRef<Find<string>>(a.system.hostPort, '/system/receptionist');
      for (let i = 0; i < 2000; i++) {
        // Half on closed loopback ports, half on names that cannot resolve (.invalid, RFC 6761).
        const node = i % 2 === 0 ? `127.0.0.1:${1 + (i >> 1)}` : `nowhere-${i}.invalid:4000`;
        receptionistOfA.tell(new Find(key, b.system.remoteRef<never>(node, '/user/replies')));
      }
      const replies = () => dead.filter(d => d.recipient.includes('/user/replies'));
      await until(() => replies().length === 2000, '2,000 replies dead-lettered', 30_000);
      const reasons = replies().map(d => d.reason);
      expect(reasons.every(r => /was closed to make room: .*maxAssociations \(64\)|^Gave up on \S+ after \d+ connect attempts? in \d+ ms/.test(r))).toBe(true);
      expect(reasons.some(r => /does not resolve/.test(r))).toBe(true);
      expect(reasons.some(r => /ECONNREFUSED/.test(r))).toBe(true);
      expect(maxAssociations).toBeLessThanOrEqual(64);
      await until(() => a.system.remoteStats().peers.length === 0, 'every association gone', 10_000);
      const stats = a.system.remoteStats();
      // One dial per association at first, a few retries for the last 64 (the issue saw 12,000 in 5 s).
      expect(stats.connectAttempts).toBeLessThanOrEqual(2000 + 64 * 5);
      expect(stats.associationsEvicted + stats.associationsGivenUp).toBeGreaterThanOrEqual(2000);
      expect(a.logs.lines.filter(l => l.level === 'warn' && /^(Gave up on|Cannot reach)/.test(l.message)).length).toBeLessThanOrEqual(20);
      // Nothing remains that could dial again, and the node still answers.
      expect(a.system.remoteStats().connectAttempts).toBe(stats.connectAttempts);
      const probe = new TestProbe<unknown>(b.system);
      receptionistOfA.tell(new Find(key, probe.ref as never));
      await probe.expectMessage(5000);
    } finally {
      await terminateAll(a, b);
    }
  }, 60_000);

  it('closes the least recently used association at maxAssociations, dead-lettering its queue with AssociationEvictedError', async () => {
    const gone = await closedPort();
    const a = await startNode({ maxAssociations: 2, minBackoffMs: 10_000, maxBackoffMs: 10_000 });
    const [b, c] = await Promise.all([startNode(), startNode()]);
    try {
      const dead = deadLetters(a);
      const atB = new TestProbe<string>(b.system, 'sink');
      const atC = new TestProbe<string>(c.system, 'sink');
      const toGone = a.system.remoteRef<Payload>(`127.0.0.1:${gone}`, '/user/sink');
      const pending = rejection(a.system.ask<string>(toGone, r => new Payload(Buffer.alloc(1), r), 10_000));
      a.system.remoteRef<string>(b.system.hostPort, '/user/sink').tell('to b');
      expect(await atB.expectMessage()).toBe('to b');
      a.system.remoteRef<string>(c.system.hostPort, '/user/sink').tell('to c');
      expect(await atC.expectMessage()).toBe('to c');
      const failed = await pending;
      expect(failed).toBeInstanceOf(AskFailedError);
      expect(failed.cause).toBeInstanceOf(AssociationEvictedError);
      expect((failed.cause as AssociationEvictedError).node).toBe(`127.0.0.1:${gone}`);
      expect(a.system.remoteStats().peers.map(p => p.node).sort()).toEqual([b.system.hostPort, c.system.hostPort].sort());
      // b is now the least recently used: a third peer replaces it, and b comes back afresh.
      a.system.remoteRef<string>(`127.0.0.1:${gone}`, '/user/sink').tell('queued');
      expect(a.system.remoteStats().peers.map(p => p.node).sort()).toEqual([`127.0.0.1:${gone}`, c.system.hostPort].sort());
      a.system.remoteRef<string>(b.system.hostPort, '/user/sink').tell('b again');
      expect(await atB.expectMessage()).toBe('b again');
      a.system.remoteRef<string>(c.system.hostPort, '/user/sink').tell('c again');
      expect(await atC.expectMessage()).toBe('c again');
      expect(dead.find(d => d.message === 'queued')?.reason).toMatch(/^The association to 127\.0\.0\.1:\d+ was closed to make room/);
      expect(a.system.remoteStats().associationsEvicted).toBe(4);
    } finally {
      await terminateAll(a, b, c);
    }
  });

  it('stops an association that sent nothing for associationIdleTimeoutMs; the next message starts a new one', async () => {
    const a = await startNode({ heartbeatIntervalMs: 50, idleTimeoutMs: 1000, associationIdleTimeoutMs: 300 });
    const b = await startNode();
    try {
      const probe = new TestProbe<string>(b.system, 'sink');
      const sink = a.system.remoteRef<string>(b.system.hostPort, '/user/sink');
      sink.tell('first');
      expect(await probe.expectMessage()).toBe('first');
      await until(() => a.system.remoteStats().peers.length === 0, 'the idle association removed', 5000);
      expect(a.system.remoteStats().associationsIdleStopped).toBe(1);
      // The peer saw a goodbye, not a failure.
      expect(b.logs.lines.filter(l => l.level === 'warn')).toEqual([]);
      sink.tell('second');
      expect(await probe.expectMessage()).toBe('second');
    } finally {
      await terminateAll(a, b);
    }
  });

  it('gives up after maxConnectAttempts: the ask fails with PeerUnreachableError naming host:port, attempts and the last reason, and a later send starts afresh', async () => {
    const port = await closedPort();
    const a = await startNode({ maxConnectAttempts: 3, minBackoffMs: 10, maxBackoffMs: 20 });
    try {
      const target = a.system.remoteRef<Payload>(`127.0.0.1:${port}`, '/user/sink');
      const failed = await rejection(a.system.ask<string>(target, r => new Payload(Buffer.alloc(1), r), 10_000));
      expect(failed).toBeInstanceOf(AskFailedError);
      const cause = failed.cause as PeerUnreachableError;
      expect(cause).toBeInstanceOf(PeerUnreachableError);
      expect(cause.node).toBe(`127.0.0.1:${port}`);
      expect(cause.attempts).toBe(3);
      expect(cause.message).toMatch(new RegExp(`^Gave up on 127\\.0\\.0\\.1:${port} after 3 connect attempts in \\d+ ms \\(last: could not connect: .*ECONNREFUSED`));
      expect(a.system.remoteStats().peers).toEqual([]);
      expect(a.logs.text()).toMatch(/warn Gave up on 127\.0\.0\.1:\d+ after 3 connect attempts/);
      const before = a.system.remoteStats().connectAttempts;
      target.tell(new Payload(Buffer.alloc(1)));
      await until(() => a.system.remoteStats().associationsGivenUp === 2, 'the second give-up', 5000);
      expect(a.system.remoteStats().connectAttempts - before).toBe(3);
    } finally {
      await terminateAll(a);
    }
  });

  it('resolves a host name once: a name that does not resolve gives up at once, after one attempt', async () => {
    const a = await startNode();
    try {
      const target = a.system.remoteRef<Payload>('no-such-node.invalid:4000', '/user/sink');
      const failed = await rejection(a.system.ask<string>(target, r => new Payload(Buffer.alloc(1), r), 10_000));
      const cause = failed.cause as PeerUnreachableError;
      expect(cause).toBeInstanceOf(PeerUnreachableError);
      expect(cause.attempts).toBe(1);
      expect(cause.message).toMatch(/^Gave up on no-such-node\.invalid:4000 after 1 connect attempt in \d+ ms \(last: host name no-such-node\.invalid does not resolve: /);
      expect(a.system.remoteStats().peers).toEqual([]);
    } finally {
      await terminateAll(a);
    }
  });

  it('gives up after giveUpAfterMs without a connection', async () => {
    const port = await closedPort();
    const a = await startNode({ giveUpAfterMs: 300, maxConnectAttempts: 1000, minBackoffMs: 20, maxBackoffMs: 50 });
    try {
      const target = a.system.remoteRef<Payload>(`127.0.0.1:${port}`, '/user/sink');
      const failed = await rejection(a.system.ask<string>(target, r => new Payload(Buffer.alloc(1), r), 10_000));
      const cause = failed.cause as PeerUnreachableError;
      expect(cause).toBeInstanceOf(PeerUnreachableError);
      expect(cause.elapsedMs).toBeGreaterThanOrEqual(300);
      expect(cause.attempts).toBeGreaterThan(1);
    } finally {
      await terminateAll(a);
    }
  });

  it('redials a peer that completes the handshake and drops at once with growing backoff, then gives up', async () => {
    const peer = await startFlappingPeer('test');
    const { port, accepted } = peer;
    const a = await startNode({ minBackoffMs: 20, maxBackoffMs: 160, maxConnectAttempts: 8, giveUpAfterMs: 30_000 });
    try {
      const target = a.system.remoteRef<Payload>(`127.0.0.1:${port}`, '/user/sink');
      let sent = 0;
      // Keep something queued all the time, as a busy sender would.
      const sender = setInterval(() => {
        // After the give-up a new message would start a new association: stop there.
        if (sent++ < 2000 && a.system.remoteStats().associationsGivenUp === 0) target.tell(new Payload(Buffer.alloc(1)));
      }, 2);
      try {
        await until(() => a.system.remoteStats().associationsGivenUp === 1, 'the give-up after 8 short connections', 10_000);
      } finally {
        clearInterval(sender);
      }
      expect(accepted.length).toBe(8);
      const gaps = accepted.slice(1).map((t, i) => t - accepted[i]);
      // Backoff 20, 40, 80, 160, 160, ... ms with ±20% jitter: each gap is at least its lower bound.
      gaps.forEach((gap, i) => expect(gap).toBeGreaterThanOrEqual(0.8 * Math.min(160, 20 * 2 ** i) - 2));
      expect(a.logs.text()).toMatch(/Gave up on 127\.0\.0\.1:\d+ after 8 connect attempts .*connection closed \d+ ms after the handshake/);
    } finally {
      await terminateAll(a);
      await peer.close();
    }
  });

  it('fails pending asks at once with PeerDisconnectedError when the node leaves', async () => {
    const a = await startNode();
    const b = await startNode();
    try {
      b.system.spawn(Behaviors.ignore, 'silent');
      const silent = a.system.remoteRef<Payload>(b.system.hostPort, '/user/silent');
      const echo = b.system.spawn(Behaviors.receiveMessage<Payload>(p => void p.replyTo?.tell('ok')), 'echo');
      expect(await a.system.ask<string>(a.system.resolveRef<Payload>(echo.address), r => new Payload(Buffer.alloc(1), r), 5000)).toBe('ok');
      const asks = Array.from({ length: 5 }, () => rejection(a.system.ask<string>(silent, r => new Payload(Buffer.alloc(1), r), 20_000)));
      await eventually(() => expect(a.system.remoteStats().peers[0].queued).toBe(0));
      await b.system.terminate();
      for (const failed of await Promise.all(asks)) {
        expect(failed).toBeInstanceOf(AskFailedError);
        expect(failed.cause).toBeInstanceOf(PeerDisconnectedError);
        expect(failed.message).toMatch(new RegExp(`The connection to 127\\.0\\.0\\.1:${b.system.port} closed while waiting for the reply \\(peer is shutting down\\)`));
      }
    } finally {
      await terminateAll(a, b);
    }
  });
});

describe('Limits as documented', () => {
  let a: TestNode;
  let b: TestNode;
  let small: TestNode;

  beforeAll(async () => {
    [a, b, small] = await Promise.all([startNode({ maxFrameSize: 64 * 1024 }), startNode(), startNode({ maxFrameSize: 16 * 1024 })]);
    for (const node of [b, small]) node.system.spawn(Behaviors.receiveMessage<Payload>(p => void p.replyTo?.tell(`got ${p.bytes.length}`)), 'echo');
  });

  afterAll(() => terminateAll(a, b, small));

  it("refuses a message over this node's maxFrameSize on the sending side: tell dead-letters, ask rejects, naming size and type", async () => {
    const dead = deadLetters(a);
    const echo = a.system.remoteRef<Payload>(b.system.hostPort, '/user/echo');
    const big = new Payload(Buffer.alloc(100 * 1024));
    echo.tell(big);
    const letter = dead.find(d => d.message === big);
    expect(letter?.reason).toMatch(new RegExp(`^Payload to 127\\.0\\.0\\.1:${b.system.port} not sent: its frame of \\d{6} bytes exceeds the maximum of 65536 bytes \\(maxFrameSize\\)`));
    const failed = await rejection(a.system.ask<string>(echo, r => new Payload(Buffer.alloc(100 * 1024), r), 5000));
    expect(failed).toBeInstanceOf(AskFailedError);
    const cause = failed.cause as MessageTooLargeError;
    expect(cause).toBeInstanceOf(MessageTooLargeError);
    expect(cause).toMatchObject({ messageType: 'Payload', maxFrameSize: 65536, limitName: 'maxFrameSize' });
    expect(cause.size).toBeGreaterThan(100 * 1024);
    expect(a.system.remoteStats().tooLarge).toBe(2);
    expect(await a.system.ask<string>(echo, r => new Payload(Buffer.alloc(10), r), 5000)).toBe('got 10');
  });

  it("refuses a message over the peer's smaller maxFrameSize, before and after the handshake told it, and keeps the connection", async () => {
    const dead = deadLetters(b);
    const echo = b.system.remoteRef<Payload>(small.system.hostPort, '/user/echo');
    // Before any connection: refused when the handshake tells the limit.
    const early = new Payload(Buffer.alloc(20 * 1024));
    echo.tell(early);
    expect(await b.system.ask<string>(echo, r => new Payload(Buffer.alloc(10), r), 5000)).toBe('got 10');
    expect(dead.find(d => d.message === early)?.reason).toMatch(/^Payload to \S+ not sent: its frame of \d+ bytes exceeds the maximum of 16384 bytes \(the peer's maxFrameSize\)/);
    // Once known, refused at once.
    const failed = await rejection(b.system.ask<string>(echo, r => new Payload(Buffer.alloc(20 * 1024), r), 5000));
    expect(failed.cause).toBeInstanceOf(MessageTooLargeError);
    expect(failed.cause).toMatchObject({ messageType: 'Payload', maxFrameSize: 16384, limitName: "the peer's maxFrameSize" });
    expect(await b.system.ask<string>(echo, r => new Payload(Buffer.alloc(10), r), 5000)).toBe('got 10');
    expect(b.system.remoteStats().peers.find(p => p.node === small.system.hostPort)?.connected).toBe(true);
    expect(small.logs.lines.filter(l => l.level === 'warn')).toEqual([]);
  });

  it('says "queue full" only when the queue is full; one message above outboundQueueBytes is too large', async () => {
    const port = await closedPort();
    const c = await startNode({ outboundQueueBytes: 1024 * 1024, minBackoffMs: 10_000, maxBackoffMs: 10_000 });
    try {
      const dead = deadLetters(c);
      const target = c.system.remoteRef<Payload>(`127.0.0.1:${port}`, '/user/sink');
      const huge = new Payload(Buffer.alloc(2 * 1024 * 1024));
      target.tell(huge);
      expect(dead.find(d => d.message === huge)?.reason).toMatch(/^Payload to \S+ not sent: its frame of \d+ bytes exceeds the maximum of 1048576 bytes \(outboundQueueBytes\)/);
      for (let i = 0; i < 3; i++) target.tell(new Payload(Buffer.alloc(300 * 1024)));
      expect(c.system.remoteStats().peers[0].queued).toBe(3);
      const failed = await rejection(c.system.ask<string>(target, r => new Payload(Buffer.alloc(300 * 1024), r), 5000));
      const cause = failed.cause as OutboundQueueFullError;
      expect(cause).toBeInstanceOf(OutboundQueueFullError);
      expect(cause.queuedMessages).toBe(3);
      expect(cause.message).toMatch(/^The outbound queue to 127\.0\.0\.1:\d+ is full \(3 messages, 92\d{4} bytes; limits outboundQueueSize 100000, outboundQueueBytes 1048576\)/);
      expect(c.system.remoteStats().overflowed).toBe(1);
    } finally {
      await terminateAll(c);
    }
  });
});

describe('A peer in another OS process', () => {
  let local: TestNode;
  let child: ChildNode | undefined;

  beforeEach(async () => {
    [local, child] = await Promise.all([startNode({ outboundQueueBytes: 256 * 1024 * 1024, maxFrameSize: 1024 * 1024, idleTimeoutMs: 60_000 }), forkNode()]);
  }, 30_000);

  afterEach(async () => {
    await stopNode(child, 'SIGKILL');
    await terminateAll(local);
  });

  const node = () => `127.0.0.1:${child!.port}`;

  it('fails asks to a SIGKILLed node at once with PeerDisconnectedError, long before their timeout', async () => {
    const echo = local.system.remoteRef<Ping>(node(), '/user/echo');
    expect(await local.system.ask<Pong>(echo, r => new Ping(1, r), 10_000)).toEqual(new Pong(1, child!.process.pid!));
    // The sink never answers a Seq: only the disconnect can end these asks before 20 s.
    const sink = local.system.remoteRef<Seq>(node(), '/user/sink');
    const asks = Array.from({ length: 20 }, (_, i) => rejection(local.system.ask<never>(sink, () => new Seq(i), 20_000)));
    await eventually(() => expect(local.system.remoteStats().peers[0].queued).toBe(0));
    const killedAt = performance.now();
    child!.process.kill('SIGKILL');
    const failures = await Promise.all(asks);
    const elapsed = performance.now() - killedAt;
    for (const failed of failures) {
      expect(failed).toBeInstanceOf(AskFailedError);
      expect(failed.cause).toBeInstanceOf(PeerDisconnectedError);
      expect((failed.cause as PeerDisconnectedError).node).toBe(node());
    }
    expect(elapsed).toBeLessThan(10_000);
  }, 30_000);

  it('holds about the bytes it queues for a frozen (SIGSTOPped) peer, even when the encoder chunk is shared with larger messages', async () => {
    v8.setFlagsFromString('--expose-gc');
    const gc = vm.runInNewContext('gc') as () => void;
    const settle = async () => {
      for (let i = 0; i < 3; i++) {
        await new Promise(resolve => setImmediate(resolve));
        gc();
      }
      return process.memoryUsage();
    };
    const echo = local.system.remoteRef<Ping>(node(), '/user/echo');
    expect(await local.system.ask<Pong>(echo, r => new Ping(1, r), 10_000)).toBeInstanceOf(Pong);
    child!.process.kill('SIGSTOP');
    const sink = local.system.remoteRef<unknown>(node(), '/user/sink');
    const before = await settle();
    const chunk = Buffer.alloc(100 * 1024, 1);
    const tooBig = { bytes: Buffer.alloc(1200 * 1024, 2) };
    for (let i = 0; i < 1000; i++) {
      sink.tell({ bytes: chunk });
      // Encoded, then refused by this node's 1 MiB limit: it leaves the encoder's chunk large.
      sink.tell(tooBig);
    }
    const peer = () => local.system.remoteStats().peers.find(p => p.node === node())!;
    await until(() => peer().queued > 0, 'frames queued behind the frozen peer');
    const after = await settle();
    const queuedBytes = peer().queuedBytes;
    expect(queuedBytes).toBeGreaterThan(80 * 1024 * 1024);
    const held = after.arrayBuffers - before.arrayBuffers;
    // The socket's own buffer holds up to a few MB more than the queue.
    expect(held).toBeLessThan(queuedBytes * 1.1 + 16 * 1024 * 1024);
    expect(local.system.remoteStats().tooLarge).toBe(1000);
  }, 60_000);
});
