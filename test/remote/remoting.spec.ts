import {
  ActorAddress,
  AskTimeoutError,
  Behaviors,
  DeadLetter,
  Find,
  Listing,
  PeerConnected,
  PeerDisconnected,
  Register,
  RemoteActorRef,
  Serializable,
  ServiceKey,
  type ActorRef,
} from '../../lib/index.js';
import { eventually, until } from '../support/eventually.js';
import { TestProbe } from '../support/probe.js';
import { addressOf, startNode, terminateAll, type TestNode } from './support/nodes.js';

@Serializable('remoting.Ping')
class Ping {
  constructor(
    readonly n: number,
    readonly replyTo: ActorRef<Pong>,
  ) {}
}

@Serializable('remoting.Pong')
class Pong {
  constructor(
    readonly n: number,
    readonly from: string,
  ) {}
}

/** Asks the receiver to send `message` to `target`: used to pass refs through a node. */
@Serializable('remoting.Relay')
class Relay {
  constructor(
    readonly target: ActorRef<Ping>,
    readonly message: Ping,
  ) {}
}

function echo(name: string) {
  return Behaviors.receiveMessage<Ping>(ping => {
    ping.replyTo.tell(new Pong(ping.n, name));
  });
}

function deadLetters(node: TestNode): DeadLetter[] {
  const seen: DeadLetter[] = [];
  node.system.eventStream.subscribe(DeadLetter, event => seen.push(event));
  return seen;
}

describe('Remoting between nodes in one process', () => {
  let a: TestNode;
  let b: TestNode;
  let c: TestNode;

  beforeAll(async () => {
    [a, b, c] = await Promise.all([startNode(), startNode(), startNode()]);
    b.system.spawn(echo('b'), 'echo');
    c.system.spawn(echo('c'), 'echo');
  });

  afterAll(() => terminateAll(a, b, c));

  it('listens on a free port and names it in every address', () => {
    expect(a.system.port).toBeGreaterThan(0);
    expect(a.system.port).not.toBe(b.system.port);
    const ref = a.system.spawn(Behaviors.ignore, 'named');
    expect(ref.address.toString()).toMatch(new RegExp(`^actor://test@127\\.0\\.0\\.1:${a.system.port}/user/named#\\d+$`));
    expect(a.logs.text()).toContain(`Listening on 127.0.0.1:${a.system.port}`);
  });

  it('delivers a tell to an actor on another node', async () => {
    const probe = new TestProbe<{ text: string; when: Date }>(b.system, 'tell-target');
    const remote = a.system.resolveRef<{ text: string; when: Date }>(probe.ref.address);
    expect(remote).toBeInstanceOf(RemoteActorRef);
    expect(remote.equals(probe.ref)).toBe(true);
    remote.tell({ text: 'hello', when: new Date(5) });
    expect(await probe.expectMessage()).toEqual({ text: 'hello', when: new Date(5) });
  });

  it('answers an ask across nodes through a temporary reply ref', async () => {
    const echoOnB = a.system.remoteRef<Ping>(b.system.hostPort, '/user/echo');
    const reply = await a.system.ask<Pong>(echoOnB, replyTo => new Ping(1, replyTo), 3000);
    expect(reply).toBeInstanceOf(Pong);
    expect(reply).toEqual(new Pong(1, 'b'));
  });

  it('revives reply-to refs nested deep inside a message', async () => {
    type Deep = { meta: { routes: Map<string, ActorRef<string>[]> } };
    b.system.spawn(
      Behaviors.receiveMessage<Deep>(message => {
        for (const ref of message.meta.routes.get('replies') ?? []) ref.tell('pong');
      }),
      'deep',
    );
    const first = new TestProbe<string>(a.system);
    const second = new TestProbe<string>(a.system);
    a.system.remoteRef<Deep>(b.system.hostPort, '/user/deep').tell({ meta: { routes: new Map([['replies', [first.ref, second.ref]]]) } });
    expect(await first.expectMessage()).toBe('pong');
    expect(await second.expectMessage()).toBe('pong');
  });

  it('passes a ref through a third node: A hands B a ref to C, B uses it, C replies to A', async () => {
    b.system.spawn(
      Behaviors.receiveMessage<Relay>(relay => {
        relay.target.tell(relay.message);
      }),
      'relay',
    );
    const probe = new TestProbe<Pong>(a.system);
    const echoOnC = a.system.remoteRef<Ping>(c.system.hostPort, '/user/echo');
    a.system.remoteRef<Relay>(b.system.hostPort, '/user/relay').tell(new Relay(echoOnC, new Ping(7, probe.ref)));
    expect(await probe.expectMessage()).toEqual(new Pong(7, 'c'));
  });

  it('keeps the order of 10,000 messages to one peer', async () => {
    const received: number[] = [];
    const sink = b.system.spawn(
      Behaviors.receiveMessage<number>(n => {
        received.push(n);
      }),
      'ordered',
    );
    const remote = a.system.resolveRef<number>(sink.address);
    for (let i = 0; i < 10_000; i++) remote.tell(i);
    await until(() => received.length === 10_000, '10,000 messages', 10_000);
    expect(received.every((n, i) => n === i)).toBe(true);
  });

  it('sends messages for unknown recipients to the receiving node\'s dead letters and keeps the connection', async () => {
    const dead = deadLetters(b);
    const before = b.system.deadLetterCount;
    const missing = a.system.resolveRef<string>(new ActorAddress('test', '/user/nobody', 12345, b.system.host, b.system.port));
    missing.tell('lost');
    await eventually(() => expect(dead.find(d => d.message === 'lost')).toBeDefined());
    const letter = dead.find(d => d.message === 'lost')!;
    expect(letter.recipient).toBe(addressOf(b.system, '/user/nobody', 12345));
    expect(letter.reason).toMatch(/no such actor on this node/);
    expect(b.system.deadLetterCount).toBeGreaterThan(before);
    // A stopped actor's old incarnation is just as unknown.
    const echoRef = a.system.remoteRef<Ping>(b.system.hostPort, '/user/echo');
    expect(await a.system.ask<Pong>(echoRef, r => new Ping(2, r), 3000)).toEqual(new Pong(2, 'b'));
  });

  it('turns an unknown class name into a dead letter on the receiver, with the name, and keeps serving', async () => {
    class OnlyOnA {
      constructor(readonly v: number) {}
    }
    a.system.serialization.register(OnlyOnA, 'remoting.OnlyOnA');
    const dead = deadLetters(b);
    const probe = new TestProbe<unknown>(b.system);
    const remote = a.system.resolveRef<unknown>(probe.ref.address);
    remote.tell({ wrapped: new OnlyOnA(1) });
    remote.tell('after');
    expect(await probe.expectMessage()).toBe('after');
    const letter = dead.find(d => /remoting\.OnlyOnA/.test(d.reason));
    expect(letter).toBeDefined();
    expect(letter!.reason).toMatch(/unknown class name "remoting\.OnlyOnA".*register/);
    expect(letter!.recipient).toBe(probe.ref.toString());
  });

  it('makes an unserializable message a dead letter at the sender, naming the class', async () => {
    class Unregistered {}
    const dead = deadLetters(a);
    const remote = a.system.remoteRef<unknown>(b.system.hostPort, '/user/echo');
    remote.tell(new Unregistered());
    expect(dead.find(d => d.message instanceof Unregistered)?.reason).toMatch(/Class Unregistered is not registered/);
    expect(a.logs.text()).toMatch(/error Could not send Unregistered/);
    expect(a.system.remoteStats().serializationFailures).toBeGreaterThan(0);
  });

  it('rejects an ask that gets no reply with AskTimeoutError and leaks no temporary ref', async () => {
    const silent = b.system.spawn(Behaviors.ignore as never, 'silent') as ActorRef<Ping>;
    const slow = b.system.spawn(
      Behaviors.receiveMessage<Ping>(ping => {
        setTimeout(() => ping.replyTo.tell(new Pong(ping.n, 'late')), 300);
      }),
      'slow',
    );
    const replyRefs: ActorRef<Pong>[] = [];
    const ask = (target: ActorRef<Ping>) =>
      a.system.ask<Pong>(
        a.system.resolveRef<Ping>(target.address),
        r => {
          replyRefs.push(r);
          return new Ping(3, r);
        },
        100,
      );
    await expect(ask(silent)).rejects.toBeInstanceOf(AskTimeoutError);
    const dead = deadLetters(a);
    await expect(ask(slow)).rejects.toThrow(/no reply within 100 ms/);
    for (const r of replyRefs) expect(a.system.resolveLocal(r.path)).toBeUndefined();
    // The late reply reaches a node where the temporary ref is gone: a dead letter there.
    await eventually(() => expect(dead.find(d => d.message instanceof Pong && d.recipient === replyRefs[1].toString())).toBeDefined(), 3000);
  });

  it('answers Find from a remote receptionist with refs that work from here', async () => {
    const key = ServiceKey.of<Ping>('remoting-echo');
    const registered = new TestProbe<unknown>(b.system);
    b.system.receptionist.tell(new Register(key, b.system.resolveRef<Ping>(addressOfEcho(b)), registered.ref as never));
    await registered.expectMessage();
    const receptionistOnB = a.system.remoteRef<Find<Ping>>(b.system.hostPort, '/system/receptionist');
    const listing = await a.system.ask<Listing<Ping>>(receptionistOnB, r => new Find(key, r), 3000);
    expect(listing).toBeInstanceOf(Listing);
    expect(listing.refs).toHaveLength(1);
    expect(await a.system.ask<Pong>(listing.refs[0], r => new Ping(9, r), 3000)).toEqual(new Pong(9, 'b'));
  });

  it('makes refs to another system name dead letters at once', () => {
    const dead = deadLetters(a);
    const other = a.system.resolveRef<string>(new ActorAddress('other', '/user/x', 1, b.system.host, b.system.port));
    other.tell('nope');
    expect(dead.find(d => d.message === 'nope')?.reason).toMatch(/actor system "other" is not "test"/);
  });
});

function addressOfEcho(node: TestNode): ActorAddress {
  return node.system.resolveLocal<Ping>('/user/echo')!.address;
}

describe('Remoting connections', () => {
  it('publishes PeerConnected and PeerDisconnected on both sides', async () => {
    const a = await startNode();
    const b = await startNode();
    const eventsA: unknown[] = [];
    const eventsB: unknown[] = [];
    a.system.eventStream.subscribe(PeerConnected, e => eventsA.push(e));
    b.system.eventStream.subscribe(PeerConnected, e => eventsB.push(e));
    b.system.eventStream.subscribe(PeerDisconnected, e => eventsB.push(e));
    const probe = new TestProbe<string>(b.system);
    a.system.resolveRef<string>(probe.ref.address).tell('hi');
    await probe.expectMessage();
    expect(eventsA).toEqual([expect.objectContaining({ direction: 'outbound', peer: b.system.identity })]);
    expect(eventsB).toEqual([expect.objectContaining({ direction: 'inbound', peer: a.system.identity })]);
    await a.system.terminate();
    await eventually(() => expect(eventsB).toContainEqual(expect.objectContaining({ reason: 'peer is shutting down' })));
    await b.system.terminate();
  });

  it('bounds the outbound queue of an unreachable peer: the excess becomes counted dead letters', async () => {
    const gone = await startNode();
    const port = gone.system.port;
    await gone.system.terminate();
    const a = await startNode({ outboundQueueSize: 100, minBackoffMs: 5000, maxBackoffMs: 5000 });
    const dead = deadLetters(a);
    const remote = a.system.remoteRef<number>(`127.0.0.1:${port}`, '/user/sink');
    for (let i = 0; i < 150; i++) remote.tell(i);
    const overflow = dead.filter(d => /outbound queue to 127\.0\.0\.1:\d+ is full/.test(d.reason));
    expect(overflow.map(d => d.message)).toEqual(Array.from({ length: 50 }, (_, i) => 100 + i));
    expect(a.system.remoteStats().overflowed).toBe(50);
    await eventually(() => expect(a.logs.text()).toMatch(/Cannot reach 127\.0\.0\.1:\d+: could not connect.*100 messages queued/));
    await a.system.terminate();
  });

  it('reconnects after the peer restarts on the same port, delivering what was queued meanwhile', async () => {
    const a = await startNode();
    const b1 = await startNode();
    const port = b1.system.port;
    const first = new TestProbe<string>(b1.system, 'sink');
    const sink = a.system.remoteRef<string>(`127.0.0.1:${port}`, '/user/sink');
    sink.tell('before');
    expect(await first.expectMessage()).toBe('before');
    const oldUid = b1.system.identity.uid;
    await b1.system.terminate();
    await eventually(() => expect(a.system.remoteStats().peers[0].connected).toBe(false));
    sink.tell('while-down');
    const b2 = await startNode({ port });
    const second = new TestProbe<string>(b2.system, 'sink');
    sink.tell('after');
    expect(await second.expectMessage(5000)).toBe('while-down');
    expect(await second.expectMessage(5000)).toBe('after');
    const peer = a.system.remoteStats().peers[0];
    expect(peer.uid).toBe(b2.system.identity.uid);
    expect(peer.uid).not.toBe(oldUid);
    await terminateAll(a, b2);
  });
});

describe('RemoteActorSystem.create', () => {
  it('points to start(), since a networked system must bind its port first', async () => {
    const { RemoteActorSystem, RemoteConfigurationError } = await import('../../lib/index.js');
    expect(() => RemoteActorSystem.create('shop')).toThrow(RemoteConfigurationError);
    expect(() => RemoteActorSystem.create('shop')).toThrow(/RemoteActorSystem\.start/);
  });
});
