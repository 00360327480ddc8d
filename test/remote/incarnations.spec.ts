/**
 * Replies never cross incarnations and cannot be forged; remote peers reach only the paths
 * they are allowed to; peer events name proven incarnations only, once each.
 */
import {
  AskFailedError,
  AskTimeoutError,
  Behaviors,
  DeadLetter,
  Find,
  Listing,
  PeerConnected,
  PeerDisconnected,
  Register,
  ServiceKey,
  type ActorRef,
} from '../../lib/index.js';
import { eventually, until } from '../support/eventually.js';
import { TestProbe } from '../support/probe.js';
import { Ping, Pong } from './fixtures/messages.js';
import { fixturePath, forkNode, request, stopNode, type ChildNode } from './support/child-node.js';
import { FrameKind, rawHandshake, startNode, terminateAll, type TestNode } from './support/nodes.js';

const asker = fixturePath('asker-node.ts');

describe('Incarnations', () => {
  let local: TestNode;
  let first: ChildNode | undefined;
  let second: ChildNode | undefined;

  afterEach(async () => {
    await Promise.all([stopNode(first, 'SIGKILL'), stopNode(second, 'SIGKILL')]);
    await terminateAll(local);
  });

  it('lets no reply cross into a restarted process on the same host:port, with asks in flight on both sides', async () => {
    local = await startNode();
    // Holds every Ping it gets; the test answers them later, after the asker has restarted.
    const held: Ping[] = [];
    local.system.spawn(Behaviors.receiveMessage<Ping>(ping => void held.push(ping)), 'held');
    const node = () => `127.0.0.1:${first!.port}`;

    first = await forkNode({}, asker);
    const firstAsks = request<number[] | string[]>(first, { ask: { node: local.system.hostPort, path: '/user/held', count: 20, timeoutMs: 30_000 } }, 'asked');
    firstAsks.catch(() => {}); // the process is killed before it answers
    await until(() => held.length === 20, 'the first incarnation to ask 20 times');
    // Asks of this node to the first incarnation, which never answers them.
    const silent = local.system.remoteRef<Ping>(node(), '/user/silent');
    const ours = Array.from({ length: 20 }, (_, i) =>
      local.system.ask<Pong>(silent, r => new Ping(i, r), 20_000).then(
        () => 'reply',
        (error: Error) => error,
      ),
    );

    const port = first.port;
    await stopNode(first, 'SIGKILL');
    second = await forkNode({ NODE_PORT: String(port) }, asker);
    const secondAsks = request<(number | string)[]>(second, { ask: { node: local.system.hostPort, path: '/user/held', count: 20, timeoutMs: 10_000 } }, 'asked');
    await until(() => held.length === 40, 'the second incarnation to ask 20 times');

    // Replies to the first incarnation's asks first (n + 1000), then to the second's.
    for (const ping of held.slice(0, 20)) ping.replyTo.tell(new Pong(ping.n + 1000, process.pid));
    for (const ping of held.slice(20)) ping.replyTo.tell(new Pong(ping.n, process.pid));

    expect(await secondAsks).toEqual(Array.from({ length: 20 }, (_, i) => i));
    const reasons = await request<string[]>(second, { deadLetters: true }, 'deadLetterReasons');
    expect(reasons.length).toBeGreaterThanOrEqual(20);
    const outcomes = await Promise.all(ours);
    expect(outcomes.every(o => o instanceof Error)).toBe(true);
  }, 60_000);

  it('does not resolve a pending ask from a third node that guesses temporary refs', async () => {
    local = await startNode();
    const target = await startNode();
    const forger = await startNode();
    try {
      target.system.spawn(Behaviors.ignore as never, 'silent');
      const silent = local.system.remoteRef<Ping>(target.system.hostPort, '/user/silent');
      const pending = Array.from({ length: 5 }, (_, i) =>
        local.system.ask<Pong>(silent, r => new Ping(i, r), 1500).then(
          () => 'resolved',
          (error: Error) => error,
        ),
      );
      const dead: DeadLetter[] = [];
      local.system.eventStream.subscribe(DeadLetter, e => dead.push(e));
      // uid 0 ("any incarnation") and the small uids a counter would hand out.
      for (let i = 0; i < 5; i++) {
        for (const uid of [0, 1, 2, 3, 4, 5, 6]) {
          forger.system.remoteRef<Pong>(local.system.hostPort, `/temp/$${i.toString(36)}`, uid).tell(new Pong(666, 0));
        }
      }
      await until(() => dead.length >= 35, 'the forged replies to be dead letters');
      expect(dead.every(d => /no such actor/.test(d.reason))).toBe(true);
      const outcomes = await Promise.all(pending);
      expect(outcomes.every(o => o instanceof AskTimeoutError)).toBe(true);
    } finally {
      await terminateAll(target, forger);
    }
  });
});

describe('Trusted delivery paths', () => {
  let a: TestNode;
  let b: TestNode;

  afterEach(() => terminateAll(a, b));

  it('delivers remote messages to user actors, the receptionist and ask replies, and nowhere else', async () => {
    a = await startNode();
    b = await startNode({ remoteDeliveryPaths: ['/system/endpoint'] });
    const internal = new TestProbe<string>(b.system);
    const hidden = b.system.systemActorOf(Behaviors.receiveMessage<string>(m => void internal.ref.tell(m)), 'hidden');
    const endpoint = b.system.systemActorOf(Behaviors.receiveMessage<string>(m => void internal.ref.tell(m)), 'endpoint');
    const dead: DeadLetter[] = [];
    b.system.eventStream.subscribe(DeadLetter, e => dead.push(e));

    a.system.remoteRef<string>(b.system.hostPort, hidden.path, hidden.address.uid).tell('to hidden');
    a.system.remoteRef<string>(b.system.hostPort, endpoint.path).tell('to endpoint');
    expect(await internal.expectMessage()).toBe('to endpoint');
    await until(() => dead.length === 1, 'the message to a system actor to be a dead letter');
    expect(dead[0]).toMatchObject({ message: 'to hidden', reason: expect.stringMatching(/remote peers may not message \/system\/hidden/) });
    expect(internal.received).toEqual(['to endpoint']);

    // The receptionist and the ask reply both work across nodes.
    const key = ServiceKey.of<string>('k');
    const receptionist = a.system.remoteRef<Find<string>>(b.system.hostPort, '/system/receptionist');
    const listing = await a.system.ask<Listing<string>>(receptionist, r => new Find(key, r), 3000);
    expect(listing).toBeInstanceOf(Listing);
  });

  it('refuses an option that is not a list of actor paths', async () => {
    await expect(startNode({ remoteDeliveryPaths: ['system'] })).rejects.toThrow(/remoteDeliveryPaths must be actor paths/);
  });
});

describe('Peer events', () => {
  let a: TestNode;
  let b: TestNode;

  afterEach(() => terminateAll(a, b));

  it('publishes PeerConnected once per incarnation, whichever side dialled, and PeerDisconnected when the last connection closes', async () => {
    a = await startNode();
    b = await startNode();
    const events: (PeerConnected | PeerDisconnected)[] = [];
    a.system.eventStream.subscribe(PeerConnected, e => events.push(e));
    a.system.eventStream.subscribe(PeerDisconnected, e => events.push(e));
    const atA = new TestProbe<string>(a.system);
    const atB = new TestProbe<string>(b.system);
    a.system.resolveRef<string>(atB.ref.address).tell('a to b');
    b.system.resolveRef<string>(atA.ref.address).tell('b to a');
    await atA.expectMessage();
    await atB.expectMessage();
    await eventually(() => expect(a.system.remoteStats().inboundConnections).toBe(1));
    expect(events).toEqual([expect.objectContaining({ peer: b.system.identity })]);
    await b.system.terminate();
    await until(() => events.length === 2, 'PeerDisconnected');
    expect(events[1]).toBeInstanceOf(PeerDisconnected);
    expect(events[1].peer).toEqual(b.system.identity);
  });

  it('publishes nothing about a node whose identity a peer without the secret claims', async () => {
    a = await startNode({ secret: 'right' });
    b = await startNode({ secret: 'right' });
    const events: unknown[] = [];
    a.system.eventStream.subscribe(PeerConnected, e => events.push(e));
    a.system.eventStream.subscribe(PeerDisconnected, e => events.push(e));
    const atA = new TestProbe<string>(a.system);
    b.system.resolveRef<string>(atA.ref.address).tell('hello');
    await atA.expectMessage();
    expect(events).toHaveLength(1);
    for (let i = 0; i < 3; i++) {
      const spoof = await rawHandshake(a.system.port, { secret: 'wrong', port: b.system.port });
      expect(spoof.frames.some(f => f.kind === FrameKind.Accept)).toBe(false);
      await spoof.closedWithin();
    }
    const ask: ActorRef<string> = atA.ref;
    b.system.resolveRef<string>(ask.address).tell('still connected');
    expect(await atA.expectMessage()).toBe('still connected');
    expect(events).toHaveLength(1);
  });
});

describe('Asks that cannot be delivered', () => {
  it('fail at once, naming the reason, when the local recipient has stopped', async () => {
    const node = await startNode();
    try {
      const gone = node.system.spawn(Behaviors.stopped as never, 'gone');
      await eventually(() => expect((gone as unknown as { isTerminated: boolean }).isTerminated).toBe(true));
      const started = Date.now();
      const error = await node.system.ask(gone as ActorRef<Ping>, r => new Ping(1, r), 10_000).catch((e: Error) => e);
      expect(Date.now() - started).toBeLessThan(1000);
      expect(error).toBeInstanceOf(AskFailedError);
      expect((error as Error).message).toBe('Ask of Ping to /user/gone failed: recipient stopped');
    } finally {
      await terminateAll(node);
    }
  });

  it('time out with a message naming the target and the message type', async () => {
    const node = await startNode();
    try {
      const silent = node.system.spawn(Behaviors.ignore as never, 'quiet');
      const error = await node.system.ask(silent as ActorRef<Ping>, r => new Ping(1, r), 20).catch((e: Error) => e);
      expect(error).toBeInstanceOf(AskTimeoutError);
      expect((error as Error).message).toBe('Ask of Ping to /user/quiet got no reply within 20 ms');
    } finally {
      await terminateAll(node);
    }
  });
});

describe('The receptionist and refs of other nodes', () => {
  let a: TestNode;
  let b: TestNode;

  afterEach(() => terminateAll(a, b));

  it('refuses to register a ref that lives on another node, saying why, and keeps its registry clean', async () => {
    a = await startNode();
    b = await startNode();
    const key = ServiceKey.of<string>('elsewhere');
    const onA = new TestProbe<string>(a.system);
    const dead: DeadLetter[] = [];
    b.system.eventStream.subscribe(DeadLetter, e => dead.push(e));
    // From a peer: the Register becomes a dead letter on b with the reason.
    a.system.remoteRef<Register<string>>(b.system.hostPort, '/system/receptionist').tell(new Register(key, onA.ref));
    await until(() => dead.length === 1, 'the refused Register to be a dead letter on b');
    expect(dead[0].message).toBeInstanceOf(Register);
    expect(dead[0].reason).toMatch(/a receptionist registers only actors of its own node; actor:\/\/test@127\.0\.0\.1:\d+\/user\/\S+ lives elsewhere/);
    // Asked on b itself: the ask fails at once with that reason.
    const remoteRefOnB = b.system.resolveRef<string>(onA.ref.address);
    const error = await b.system.ask(b.system.receptionist, r => new Register(key, remoteRefOnB, r), 10_000).catch((e: Error) => e);
    expect(error).toBeInstanceOf(AskFailedError);
    expect((error as Error).message).toMatch(/a receptionist registers only actors of its own node/);
    expect((await b.system.lookup(key)).refs).toEqual([]);
  });
});
