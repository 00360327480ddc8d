/**
 * Admission under attack: floods of sockets from another OS process, per-peer connection
 * caps, a restarted peer replacing its old connections, the per-frame deadline, and
 * heartbeats answered where frames are read.
 */
import net from 'node:net';
import { Behaviors, HandshakeFailed, TcpTransport, type RemoteActorSystem } from '../../lib/index.js';
import { FrameKind, encodeFrame } from '../../lib/remote/index.js';
import { FrameDecoder } from '../../lib/remote/frame-codec.js';
import {
  PROTOCOL_VERSION,
  computeProof,
  decodeHelloFields,
  encodeAccept,
  encodeAuth,
  encodeHello,
  encodeWelcome,
  newNonce,
  parseHello,
} from '../../lib/remote/handshake.js';
import { NodeIdentity } from '../../lib/remote/node-identity.js';
import { DEFAULT_LISTEN_BACKLOG } from '../../lib/remote/transport.js';
import { eventually, until } from '../support/eventually.js';
import { Ping, Pong } from './fixtures/messages.js';
import { Attacker, NodeProcess } from './support/attacker.js';
import { RawClient, startNode, terminateAll, type TestNode } from './support/nodes.js';

function collect<E>(node: TestNode, type: abstract new (...args: never[]) => E): E[] {
  const seen: E[] = [];
  node.system.eventStream.subscribe(type as never, (event: E) => seen.push(event));
  return seen;
}

function spawnEcho(system: RemoteActorSystem): void {
  system.spawn(
    Behaviors.receiveMessage<Ping>(ping => {
      ping.replyTo.tell(new Pong(ping.n, process.pid));
    }),
    'echo',
  );
}

/** The connecting half of the handshake as `identity`; resolves once Accept (or a close) arrived. */
async function handshakeAs(port: number, identity: NodeIdentity): Promise<RawClient> {
  const client = await RawClient.connect(port);
  const nonce = newNonce();
  client.write(encodeHello({ version: PROTOCOL_VERSION, system: identity.system, node: identity, nonce, maxFrameSize: 1024 * 1024 }));
  await client.waitForFrame(FrameKind.Welcome);
  client.write(encodeAuth({}));
  await until(() => client.frames.some(f => f.kind === FrameKind.Accept) || client.closed, 'Accept');
  return client;
}

/** Connects and sends a Hello as `uid`; resolves once the bytes are in the kernel (the node's, on loopback). */
async function greet(port: number, uid: number): Promise<RawClient> {
  const client = await RawClient.connect(port);
  const node = new NodeIdentity('test', '127.0.0.1', 1, uid);
  const hello = encodeHello({ version: PROTOCOL_VERSION, system: 'test', node, nonce: newNonce(), maxFrameSize: 1024 * 1024 });
  await new Promise<void>((resolve, reject) => client.socket.write(hello, error => (error ? reject(error) : resolve())));
  return client;
}

/** Milliseconds from connecting a raw socket (and sending a Hello) to the node's Welcome. */
async function timeToWelcome(port: number): Promise<number> {
  const started = performance.now();
  const client = await RawClient.connect(port);
  try {
    const node = new NodeIdentity('test', '127.0.0.1', 1, 99);
    client.write(encodeHello({ version: PROTOCOL_VERSION, system: 'test', node, nonce: newNonce(), maxFrameSize: 1024 * 1024 }));
    await client.waitForFrame(FrameKind.Welcome, 5000);
    return performance.now() - started;
  } finally {
    client.destroy();
  }
}

describe('Admission during a flood of sockets from another process', () => {
  let victim: NodeProcess | undefined;
  let good: TestNode | undefined;
  let attacker: Attacker | undefined;
  const clients: RawClient[] = [];
  const track = (client: RawClient): RawClient => (clients.push(client), client);

  afterEach(async () => {
    for (const client of clients.splice(0)) client.destroy();
    await attacker?.stop();
    attacker = undefined;
    await victim?.stop();
    victim = undefined;
    await terminateAll(good);
    good = undefined;
  });

  it.each(['silent', 'slow-hello'] as const)(
    'answers a good peer within 1 s and completes its ask while 5,000 %s sockets are held',
    async mode => {
      victim = await NodeProcess.start();
      attacker = await Attacker.start(victim.port, 5000, mode);
      // The flood is on: the node is closing the attacker's pending sockets to keep within its caps.
      await eventually(async () => expect((await victim!.stats()).admission.evicted).toBeGreaterThan(1000), 20_000, 50);
      const welcomeMs = await timeToWelcome(victim.port);
      expect(welcomeMs).toBeLessThan(1000);

      good = await startNode();
      const echo = good.system.remoteRef<Ping>(victim.hostPort, '/user/echo');
      const pong = await good.system.ask<Pong>(echo, replyTo => new Ping(1, replyTo), 3000);
      expect(pong.n).toBe(1);
      const { admission, lines } = await victim.stats();
      // Bounded by the cap plus what two accept bursts can bring (see admission.ts).
      expect(admission.pendingHandshakes).toBeLessThanOrEqual(64 + 2 * DEFAULT_LISTEN_BACKLOG);
      // The attacker's sockets were the ones closed, and it kept reopening them.
      expect((await attacker.stats()).closedByNode).toBeGreaterThan(1000);
      // One summary line per 10 s, not one per socket.
      expect(lines.summaries).toBeGreaterThanOrEqual(1);
      expect(lines.warn).toBeLessThan(50);
    },
    60_000,
  );

  it('tells a greeted socket it evicts to retry, and a node dialling during the flood connects promptly once it stops', async () => {
    // A long handshake timeout: only evictions may close the greeted sockets here.
    victim = await NodeProcess.start({ secret: 's3cret', maxPendingHandshakes: 8, maxPendingPerAddress: 4, handshakeTimeoutMs: 30_000 });
    // Sent its Hello but stalls before Auth: from here on the oldest greeted socket.
    const stalled = track(await greet(victim.port, 5));
    await stalled.waitForFrame(FrameKind.Welcome);

    attacker = await Attacker.start(victim.port, 2000, 'hello');
    await eventually(async () => expect((await victim!.stats()).admission.evicted).toBeGreaterThan(100), 20_000, 50);
    // The flood alone evicts the stalled socket only once more than 4 of its Hellos are read
    // before an eviction pass, and the attacker writes each one only when its own loop sees
    // the connect: mostly after the pass has closed the socket. A newcomer whose Hello is
    // there when the node accepts it is read in time, so each one greets while the node is
    // frozen (as a descheduled node would be) and adds a greeted socket: within 4 of them the
    // oldest greeted socket has to go. The flood pauses meanwhile, and the node settles: its
    // accept queue empty, within its cap, and two more turns for an eviction pass under way.
    await attacker.freeze();
    await eventually(async () => {
      expect(victim!.acceptQueue()).toBe(0);
      expect((await victim!.stats()).admission.pendingHandshakes).toBeLessThanOrEqual(4);
    }, 5000, 10);
    await victim.stats();
    await victim.stats();
    const newcomers: RawClient[] = [];
    for (let uid = 6; uid < 10 && !stalled.closed; uid++) {
      await victim.freeze();
      const newcomer = track(await greet(victim.port, uid));
      newcomers.push(newcomer);
      victim.thaw();
      await newcomer.waitForFrame(FrameKind.Welcome);
    }
    await stalled.closedWithin(5000);
    const reject = stalled.frames.find(f => f.kind === FrameKind.Reject);
    expect(reject).toBeDefined();
    const fields = decodeHelloFields(reject!.body, 0, reject!.body.length, 'Reject');
    expect(fields.busy).toBe(true);
    expect(fields.reason).toMatch(/the node is busy, retry/);
    // Newer greeted sockets are kept; silent ones would have gone first.
    expect(newcomers.map(c => c.closed)).toEqual(newcomers.map(() => false));
    for (const newcomer of newcomers) newcomer.destroy();
    attacker.thaw();

    good = await startNode({ secret: 's3cret' });
    const failures = collect(good, HandshakeFailed);
    const echo = good.system.remoteRef<Ping>(victim.hostPort, '/user/echo');
    echo.tell(new Ping(0, good.system.spawn(Behaviors.ignore, 'sink')));
    await until(() => failures.length > 0 || good!.system.remoteStats().peers.some(p => p.connected), 'a first attempt', 10_000);
    await attacker.stop();
    attacker = undefined;
    const stoppedAt = performance.now();
    const pong = await good.system.ask<Pong>(echo, replyTo => new Ping(1, replyTo), 3000);
    expect(pong.n).toBe(1);
    expect(performance.now() - stoppedAt).toBeLessThan(1000);
  }, 60_000);
});

describe('Pending handshakes', () => {
  let node: TestNode;
  const clients: RawClient[] = [];

  afterEach(async () => {
    for (const client of clients.splice(0)) client.destroy();
    await terminateAll(node);
  });

  it('evicts the oldest silent socket of an address before one that sent its Hello, and admits every newcomer', async () => {
    node = await startNode({ secret: 's', maxPendingHandshakes: 10, maxPendingPerAddress: 2, handshakeTimeoutMs: 30_000 });
    const greeted = await RawClient.connect(node.system.port);
    clients.push(greeted);
    greeted.write(encodeHello({ version: PROTOCOL_VERSION, system: 'test', node: new NodeIdentity('test', '127.0.0.1', 1, 61), nonce: newNonce(), maxFrameSize: 1024 * 1024 }));
    await greeted.waitForFrame(FrameKind.Welcome);
    const silent: RawClient[] = [];
    for (let i = 0; i < 3; i++) {
      const client = await RawClient.connect(node.system.port);
      clients.push(client);
      silent.push(client);
      // Each newcomer pushes the address over its cap: the oldest silent one goes, not the greeted one.
      if (i > 0) await silent[i - 1].closedWithin(2000);
    }
    expect(greeted.closed).toBe(false);
    expect(silent[2].closed).toBe(false);
    expect(greeted.frames.some(f => f.kind === FrameKind.Reject)).toBe(false);
    expect(node.system.remoting.admissionStats()).toMatchObject({ pendingHandshakes: 2, evicted: 2 });
  });

  it('keeps within maxPendingHandshakes across addresses by closing the oldest pending socket', async () => {
    node = await startNode({ maxPendingHandshakes: 3, maxPendingPerAddress: 2, handshakeTimeoutMs: 30_000 });
    const sockets: { socket: net.Socket; closed: boolean }[] = [];
    try {
      for (let i = 2; i <= 5; i++) {
        const socket = net.connect({ host: '127.0.0.1', port: node.system.port, localAddress: `127.0.0.${i}` });
        const entry = { socket, closed: false };
        socket.on('error', () => {});
        socket.on('close', () => (entry.closed = true));
        await new Promise(resolve => socket.once('connect', resolve));
        sockets.push(entry);
      }
      await until(() => sockets[0].closed, 'the oldest pending socket to close');
      expect(sockets.slice(1).map(s => s.closed)).toEqual([false, false, false]);
      expect(node.system.remoting.admissionStats()).toMatchObject({ pendingHandshakes: 3, evicted: 1 });
    } finally {
      for (const { socket } of sockets) socket.destroy();
    }
  });

  it('counts and logs (once per 10 s) the connections the transport drops', async () => {
    node = await startNode({ transport: new TcpTransport({ maxConnections: 2 }) });
    for (let i = 0; i < 5; i++) clients.push(await RawClient.connect(node.system.port));
    await until(() => clients.filter(c => c.closed).length === 3, 'three connections dropped');
    expect(node.system.remoting.admissionStats().droppedAccepts).toBe(3);
    const summaries = node.logs.lines.filter(l => l.message.startsWith('Inbound admission'));
    expect(summaries.map(l => l.message)).toEqual([
      "Inbound admission: dropped 1 accepts: over the transport's maxConnections (2) (totals: 0 evicted, 1 dropped)",
    ]);
  });
});

describe('Inbound connections per peer', () => {
  let node: TestNode;
  const clients: RawClient[] = [];

  beforeEach(async () => {
    node = await startNode({ maxInboundPerPeer: 2 });
  });

  afterEach(async () => {
    for (const client of clients.splice(0)) client.destroy();
    await terminateAll(node);
  });

  it('closes the oldest connections of an identity beyond maxInboundPerPeer, never the newest', async () => {
    const identity = new NodeIdentity('test', '127.0.0.1', 7001, 11);
    for (let i = 0; i < 4; i++) clients.push(await handshakeAs(node.system.port, identity));
    await until(() => clients[0].closed && clients[1].closed, 'the two oldest to close');
    expect(clients.map(c => c.frames.some(f => f.kind === FrameKind.Accept))).toEqual([true, true, true, true]);
    expect(clients[2].closed || clients[3].closed).toBe(false);
    expect(node.system.remoting.admissionStats().superseded).toBe(2);
    // Another identity has its own allowance.
    clients.push(await handshakeAs(node.system.port, new NodeIdentity('test', '127.0.0.1', 7002, 12)));
    expect(clients[4].closed).toBe(false);
    expect(clients[2].closed || clients[3].closed).toBe(false);
  });

  it('closes the inbound connections of an old incarnation as soon as the new one authenticates', async () => {
    const old = await handshakeAs(node.system.port, new NodeIdentity('test', '127.0.0.1', 7003, 21));
    clients.push(old);
    const restarted = await handshakeAs(node.system.port, new NodeIdentity('test', '127.0.0.1', 7003, 22));
    clients.push(restarted);
    await old.closedWithin(1000);
    expect(restarted.closed).toBe(false);
    expect(node.logs.text()).toContain('replaced by a new incarnation of 127.0.0.1:7003 (uid 22)');
  });
});

/**
 * A peer played by hand on the accepting side: answers every Hello as `identity()` and counts
 * the connections it accepted, so a test can restart "it" without giving up the port.
 */
class FakePeer {
  readonly sockets: net.Socket[] = [];
  private constructor(
    private readonly server: net.Server,
    readonly port: number,
    readonly identity: () => NodeIdentity,
  ) {}

  static async listen(uid: { current: number }): Promise<FakePeer> {
    let peer!: FakePeer;
    const server = net.createServer(socket => peer.serve(socket));
    await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as net.AddressInfo).port;
    peer = new FakePeer(server, port, () => new NodeIdentity('test', '127.0.0.1', port, uid.current));
    return peer;
  }

  private serve(socket: net.Socket): void {
    this.sockets.push(socket);
    socket.on('error', () => {});
    const identity = this.identity();
    const nonce = newNonce();
    let stage = 0;
    const decoder = new FrameDecoder(1024 * 1024, (kind, buffer, start, end) => {
      if (stage === 0 && kind === FrameKind.Hello) {
        parseHello(decodeHelloFields(buffer, start, end));
        stage = 1;
        socket.write(encodeWelcome({ version: PROTOCOL_VERSION, system: 'test', node: identity, nonce, maxFrameSize: 1024 * 1024 }));
      } else if (stage === 1 && kind === FrameKind.Auth) {
        stage = 2;
        socket.write(encodeAccept());
      }
    });
    socket.on('data', chunk => decoder.push(chunk));
  }

  get open(): net.Socket[] {
    return this.sockets.filter(s => !s.destroyed && !s.readableEnded);
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>(resolve => this.server.close(() => resolve()));
  }
}

describe('A restarted peer', () => {
  let node: TestNode;
  let peer: FakePeer;
  const clients: RawClient[] = [];

  afterEach(async () => {
    for (const client of clients.splice(0)) client.destroy();
    await terminateAll(node);
    await peer.close();
  });

  it('makes the outbound association reconnect when the new incarnation proves itself inbound', async () => {
    node = await startNode();
    const uid = { current: 31 };
    peer = await FakePeer.listen(uid);
    // Our association to the peer connects to incarnation 31 (a message is queued to make it dial).
    node.system.remoteRef<string>(`127.0.0.1:${peer.port}`, '/user/x').tell('hello');
    await until(() => node.system.remoteStats().peers.some(p => p.connected && p.uid === 31), 'the association to uid 31');
    const oldSocket = peer.sockets[0];
    // The peer restarts as 32 (its old socket looks alive to us) and dials in.
    uid.current = 32;
    clients.push(await handshakeAs(node.system.port, peer.identity()));
    await until(() => oldSocket.readableEnded || oldSocket.destroyed, 'the old outbound socket to close', 2000);
    expect(node.logs.text()).toContain(`127.0.0.1:${peer.port} restarted (now uid 32, connected to uid 31): reconnecting`);
    node.system.remoteRef<string>(`127.0.0.1:${peer.port}`, '/user/x').tell('again');
    await until(() => node.system.remoteStats().peers.some(p => p.connected && p.uid === 32), 'the association to uid 32');
  });
});

describe('Per-frame deadline', () => {
  let node: TestNode;
  let good: TestNode;
  const clients: RawClient[] = [];

  afterEach(async () => {
    for (const client of clients.splice(0)) client.destroy();
    await terminateAll(node, good);
  });

  it('closes a connection whose frame trickles in past frameTimeoutMs, and leaves fast peers alone', async () => {
    node = await startNode({ heartbeatIntervalMs: 50, idleTimeoutMs: 2000, frameTimeoutMs: 300 });
    spawnEcho(node.system);
    good = await startNode({ heartbeatIntervalMs: 50, idleTimeoutMs: 2000 });
    const slow = await handshakeAs(node.system.port, new NodeIdentity('test', '127.0.0.1', 7010, 41));
    clients.push(slow);
    const header = Buffer.alloc(5);
    header.writeUInt32BE(1001);
    header[4] = FrameKind.Message;
    slow.write(header);
    const echo = good.system.remoteRef<Ping>(node.system.hostPort, '/user/echo');
    // One byte every 20 ms keeps the connection from looking idle; the frame still never completes.
    const started = performance.now();
    let n = 0;
    while (!slow.closed && performance.now() - started < 3000) {
      slow.write(Buffer.from([0]));
      if (n % 5 === 0) expect((await good.system.ask<Pong>(echo, replyTo => new Ping(n, replyTo), 2000)).n).toBe(n);
      n++;
      await new Promise(resolve => setTimeout(resolve, 20));
    }
    expect(slow.closed).toBe(true);
    expect(performance.now() - started).toBeGreaterThanOrEqual(300);
    await eventually(() => expect(node.logs.text()).toMatch(/A frame from [\d.:]+ started \d+ ms ago is still incomplete \(\d+ bytes so far; frameTimeoutMs 300\)/));
    expect(good.system.remoteStats().peers[0].connected).toBe(true);
    expect((await good.system.ask<Pong>(echo, replyTo => new Ping(-1, replyTo), 2000)).n).toBe(-1);
  });
});

describe('Heartbeats', () => {
  let a: TestNode;
  let b: TestNode;
  const clients: RawClient[] = [];

  afterEach(async () => {
    for (const client of clients.splice(0)) client.destroy();
    await terminateAll(a, b);
  });

  it('answers a numbered heartbeat at once with an ack of the same number', async () => {
    a = await startNode();
    const raw = await handshakeAs(a.system.port, new NodeIdentity('test', '127.0.0.1', 7020, 51));
    clients.push(raw);
    const body = Buffer.alloc(4);
    body.writeUInt32BE(0xdeadbeef);
    raw.write(encodeFrame(FrameKind.Heartbeat, body));
    await until(() => raw.frames.some(f => f.kind === FrameKind.HeartbeatAck), 'the ack', 1000);
    expect(raw.frames.find(f => f.kind === FrameKind.HeartbeatAck)!.body.readUInt32BE(0)).toBe(0xdeadbeef);
    // A heartbeat without a number (older nodes) is not answered, and does not close the connection.
    raw.write(encodeFrame(FrameKind.Heartbeat));
    raw.write(encodeFrame(FrameKind.Heartbeat, body));
    await until(() => raw.frames.filter(f => f.kind === FrameKind.HeartbeatAck).length === 2, 'the second ack', 1000);
    expect(raw.closed).toBe(false);
  });

  it('records the round trip of answered heartbeats and the time of the last received frame per connection', async () => {
    a = await startNode({ heartbeatIntervalMs: 50, idleTimeoutMs: 500 });
    b = await startNode({ heartbeatIntervalMs: 50, idleTimeoutMs: 500 });
    spawnEcho(b.system);
    const echo = a.system.remoteRef<Ping>(b.system.hostPort, '/user/echo');
    await a.system.ask<Pong>(echo, replyTo => new Ping(1, replyTo), 3000);
    await until(() => b.system.remoting.inboundHealth().some(h => h.heartbeatAcks >= 3), 'answered heartbeats on the inbound side');
    const [health] = b.system.remoting.inboundHealth();
    expect(health.peer.uid).toBe(a.system.identity.uid);
    expect(health.lastHeartbeatRttMs).toBeGreaterThanOrEqual(0);
    expect(health.lastHeartbeatRttMs).toBeLessThan(500);
    expect(b.system.scheduler.now() - health.lastReceivedAt).toBeLessThan(500);
    // Idle detection still works: nothing was sent but heartbeats, and the connection stays.
    await until(() => b.system.remoting.inboundHealth()[0]?.heartbeatAcks >= 12, 'more heartbeats', 3000);
    expect(a.system.remoteStats().peers[0].connected).toBe(true);
  });
});
