import { Behaviors, DeadLetter, HandshakeFailed, PROTOCOL_VERSION, Serializable, type ActorRef } from '../../lib/index.js';
import { FrameKind, encodeFrame } from '../../lib/remote/index.js';
import { encodeHello, newNonce } from '../../lib/remote/handshake.js';
import { NodeIdentity } from '../../lib/remote/node-identity.js';
import { eventually } from '../support/eventually.js';
import { TestProbe } from '../support/probe.js';
import { RawClient, rawHandshake, startNode, terminateAll, type TestNode } from './support/nodes.js';

@Serializable('handshake.Ping')
class Ping {
  constructor(readonly replyTo: ActorRef<string>) {}
}

function collect<E>(node: TestNode, type: abstract new (...args: never[]) => E): E[] {
  const seen: E[] = [];
  node.system.eventStream.subscribe(type, event => seen.push(event));
  return seen;
}

/** The node still answers a well-behaved peer. */
async function stillServes(node: TestNode, peer: TestNode): Promise<void> {
  const echo = peer.system.remoteRef<Ping>(node.system.hostPort, '/user/echo');
  await expect(peer.system.ask<string>(echo, r => new Ping(r), 3000)).resolves.toBe('pong');
}

function echoBehavior() {
  return Behaviors.receiveMessage<Ping>(ping => {
    ping.replyTo.tell('pong');
  });
}

describe('Handshake and secrets', () => {
  it('connects nodes that share a secret', async () => {
    const a = await startNode({ secret: 'correct horse' });
    const b = await startNode({ secret: 'correct horse' });
    b.system.spawn(echoBehavior(), 'echo');
    await stillServes(b, a);
    await terminateAll(a, b);
  });

  it('refuses a peer with another secret, on both sides, with a logged reason and no message delivered', async () => {
    const a = await startNode({ secret: 'secret-a' });
    const b = await startNode({ secret: 'secret-b' });
    const probe = new TestProbe<string>(b.system, 'target');
    const deadAtA = collect(a, DeadLetter);
    const failedAtA = collect(a, HandshakeFailed);
    a.system.resolveRef<string>(probe.ref.address).tell('must not arrive');
    await eventually(() => expect(deadAtA.map(d => d.message)).toContain('must not arrive'));
    const mismatch = `the shared secrets of ${a.system.identity} and ${b.system.identity} differ`;
    expect(deadAtA[0].reason).toBe(`handshake with ${b.system.hostPort} failed: ${mismatch}`);
    expect(failedAtA[0].reason).toBe(mismatch);
    expect(a.logs.text()).toContain(`warn Cannot reach ${b.system.hostPort}: ${mismatch}`);
    await eventually(() => expect(b.logs.text()).toMatch(/warn Connection from 127\.0\.0\.1:\d+ closed: 127\.0\.0\.1:\d+ refused the handshake: the shared secrets of .* differ/));
    expect(probe.received).toEqual([]);
    await terminateAll(a, b);
  });

  it('refuses a peer without a secret when one is required, and the other way round', async () => {
    const guarded = await startNode({ secret: 's3cret' });
    const open = await startNode();
    guarded.system.spawn(echoBehavior(), 'echo');
    open.system.spawn(echoBehavior(), 'echo');
    const toGuarded = open.system.remoteRef<Ping>(guarded.system.hostPort, '/user/echo');
    await expect(open.system.ask(toGuarded, r => new Ping(r), 5000)).rejects.toThrow(/failed: handshake with .* requires a shared secret/);
    expect(open.logs.text()).toContain(`${guarded.system.identity} requires a shared secret and ${open.system.identity} has none configured`);
    const toOpen = guarded.system.remoteRef<Ping>(open.system.hostPort, '/user/echo');
    await expect(guarded.system.ask(toOpen, r => new Ping(r), 5000)).rejects.toThrow(/failed: handshake with .* requires a shared secret/);
    expect(guarded.logs.text()).toContain(`${guarded.system.identity} requires a shared secret and ${open.system.identity} has none configured`);
    await terminateAll(guarded, open);
  });

  it('delivers not a single message from a peer that skips the handshake or fails the secret', async () => {
    const node = await startNode({ secret: 's3cret' });
    const probe = new TestProbe<unknown>(node.system, 'target');
    const before = node.system.deadLetterCount;
    const message = node.system.serialization.encodeMessage('/user/target', 0, 0, 'sneaked in');

    const eager = await RawClient.connect(node.system.port);
    eager.write(message); // no Hello at all
    await eager.closedWithin();

    const liar = await rawHandshake(node.system.port, { secret: 'wrong' });
    liar.write(message);
    await liar.closedWithin();
    expect(liar.rejectReason()).toMatch(/the shared secrets of test@127\.0\.0\.1:\d+#\d+ and test@127\.0\.0\.1:1#424242 differ/);

    const noSecret = await rawHandshake(node.system.port);
    noSecret.write(message);
    await noSecret.closedWithin();
    expect(noSecret.rejectReason()).toMatch(/requires a shared secret/);

    expect(probe.received).toEqual([]);
    expect(node.system.deadLetterCount).toBe(before);
    expect(node.system.remoteStats().messagesReceived).toBe(0);

    const honest = await rawHandshake(node.system.port, { secret: 's3cret' });
    honest.write(message);
    expect(await probe.expectMessage()).toBe('sneaked in');
    honest.destroy();
    await node.system.terminate();
  });

  it('refuses an incompatible protocol version with a logged reason', async () => {
    const node = await startNode();
    const failed = collect(node, HandshakeFailed);
    const raw = await RawClient.connect(node.system.port);
    const identity = new NodeIdentity('test', '127.0.0.1', 1, 7);
    raw.write(encodeHello({ version: PROTOCOL_VERSION + 98, system: 'test', node: identity, nonce: newNonce(), maxFrameSize: 4096 }));
    await raw.closedWithin();
    expect(raw.rejectReason()).toBe(`incompatible protocol version ${PROTOCOL_VERSION + 98} (${node.system.identity} speaks version ${PROTOCOL_VERSION})`);
    await eventually(() => expect(failed[0]?.reason).toMatch(new RegExp(`incompatible protocol version ${PROTOCOL_VERSION + 98}`)));
    expect(node.logs.text()).toMatch(new RegExp(`warn Connection from 127\\.0\\.0\\.1:\\d+ closed: incompatible protocol version ${PROTOCOL_VERSION + 98}`));
    await node.system.terminate();
  });

  it('refuses a peer of another actor system name', async () => {
    const node = await startNode();
    const raw = await RawClient.connect(node.system.port);
    raw.write(encodeHello({ version: PROTOCOL_VERSION, system: 'other', node: new NodeIdentity('other', '127.0.0.1', 1, 7), nonce: newNonce(), maxFrameSize: 4096 }));
    await raw.closedWithin();
    expect(raw.rejectReason()).toBe('actor system name "other" does not match "test"');
    await node.system.terminate();
  });
});

describe('Connection limits', () => {
  let node: TestNode;
  let peer: TestNode;

  beforeAll(async () => {
    node = await startNode({ maxFrameSize: 64 * 1024, handshakeTimeoutMs: 300, heartbeatIntervalMs: 50, idleTimeoutMs: 300 });
    peer = await startNode({ heartbeatIntervalMs: 50, idleTimeoutMs: 300 });
    node.system.spawn(echoBehavior(), 'echo');
  });

  afterAll(() => terminateAll(node, peer));

  it('closes a connection whose frame exceeds the maximum size, and keeps serving others', async () => {
    const client = await rawHandshake(node.system.port);
    const header = Buffer.alloc(5);
    header.writeUInt32BE(64 * 1024 + 1);
    header[4] = FrameKind.Message;
    client.write(header);
    await client.closedWithin();
    expect(node.logs.text()).toMatch(/Frame of 65537 bytes exceeds the maximum of 65536 bytes/);
    await stillServes(node, peer);
  });

  it('allows only small frames before the handshake', async () => {
    const client = await RawClient.connect(node.system.port);
    client.write(encodeFrame(FrameKind.Hello, Buffer.alloc(5000)));
    await client.closedWithin();
    expect(node.logs.text()).toMatch(/Frame of 5001 bytes exceeds the maximum of 4096 bytes/);
  });

  it('does not send a message larger than the peer accepts: a dead letter here, the connection stays', async () => {
    const dead = collect(peer, DeadLetter);
    const target = peer.system.remoteRef<unknown>(node.system.hostPort, '/user/echo');
    await stillServes(node, peer);
    target.tell({ blob: Buffer.alloc(70 * 1024) });
    await eventually(() => expect(dead.find(d => /exceeds the maximum of 65536 bytes/.test(d.reason))).toBeDefined());
    await stillServes(node, peer);
    expect(peer.system.remoteStats().peers.find(p => p.node === node.system.hostPort)?.connected).toBe(true);
  });

  it('closes a connection that never completes the handshake', async () => {
    const client = await RawClient.connect(node.system.port);
    await client.closedWithin(3000);
    expect(node.logs.text()).toMatch(/Handshake with 127\.0\.0\.1:\d+ did not complete within 300 ms/);
  });

  it('closes an authenticated connection that goes silent (half-open)', async () => {
    const client = await rawHandshake(node.system.port);
    // The raw client never answers heartbeats or sends anything.
    await client.closedWithin(3000);
    expect(node.logs.text()).toMatch(/nothing received for \d+ ms \(idle timeout 300 ms\): peer unresponsive or connection half-open/);
  });

  it('closes on garbage bytes, on a malformed message body and on a truncated stream, with reasons', async () => {
    const garbage = await RawClient.connect(node.system.port);
    garbage.write(Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n'));
    await garbage.closedWithin();

    const malformed = await rawHandshake(node.system.port);
    malformed.write(encodeFrame(FrameKind.Message, Buffer.from([0xc1, 0xc1, 0xc1])));
    await malformed.closedWithin();
    expect(node.logs.text()).toMatch(/closed: Malformed frame: byte 0xc1 does not start a value/);

    const truncated = await rawHandshake(node.system.port);
    truncated.write(encodeFrame(FrameKind.Message, Buffer.alloc(100)).subarray(0, 40));
    truncated.socket.end();
    await truncated.closedWithin();
    await eventually(() => expect(node.logs.text()).toMatch(/peer closed the connection in the middle of a frame \(truncated stream\)/));

    const unexpected = await rawHandshake(node.system.port);
    unexpected.write(encodeFrame(FrameKind.Welcome, Buffer.alloc(3)));
    await unexpected.closedWithin();
    expect(node.logs.text()).toMatch(/unexpected frame kind 2 on an open connection/);

    await stillServes(node, peer);
    expect(node.system.isTerminated).toBe(false);
  });
});
