import {
  ActorSystem,
  Behaviors,
  Deregister,
  Deregistered,
  Find,
  Listing,
  Register,
  Registered,
  ServiceKey,
  Subscribe,
  Unsubscribe,
  type ActorRef,
} from '../../lib/index.js';
import { eventually, until } from '../support/eventually.js';
import { TestProbe } from '../support/probe.js';

type PingMsg = { replyTo: ActorRef<string> };
const PING_KEY = ServiceKey.of<PingMsg>('ping');
const CHAT_KEY = new ServiceKey<string>('chat');

const paths = (listing: Listing<unknown>) => listing.refs.map(r => r.path).sort();

describe('Receptionist', () => {
  let system: ActorSystem;
  beforeEach(() => {
    system = ActorSystem.create('reception', { logLevel: 'silent' });
  });
  afterEach(() => system.terminate());

  const pinger = () => Behaviors.receiveMessage<PingMsg>(m => m.replyTo.tell('pong'));

  it('Register with replyTo is acknowledged, and Find then lists the ref', async () => {
    const ref = system.spawn(pinger(), 'ping');
    const ack = await system.ask(system.receptionist, r => new Register(PING_KEY, ref, r), 1000);
    expect(ack).toBeInstanceOf(Registered);
    expect(ack.ref.equals(ref)).toBe(true);
    const listing: Listing<PingMsg> = await system.ask(system.receptionist, r => new Find(PING_KEY, r), 1000);
    expect(listing.key.id).toBe('ping');
    expect(listing.instances).toHaveLength(1);
    expect(listing.instances[0].ref.equals(ref)).toBe(true);
    expect(listing.instances[0].node).toBe('local');
    expect(await system.ask(listing.refs[0], r => ({ replyTo: r }), 1000)).toBe('pong');
  });

  it('a Find on a key nobody registered answers an empty listing', async () => {
    const listing = await system.lookup(ServiceKey.of<string>('nobody'));
    expect(listing.isEmpty).toBe(true);
    expect(listing.refs).toEqual([]);
  });

  it('Behaviors.discoverable registers on spawn and deregisters when the actor stops', async () => {
    const ref = system.spawn(Behaviors.discoverable(pinger(), PING_KEY), 'payment');
    expect(paths(await system.lookup(PING_KEY))).toEqual(['/user/payment']);
    system.stop(ref as ActorRef<never>);
    await eventually(async () => expect((await system.lookup(PING_KEY)).isEmpty).toBe(true));
  });

  it('registering the same ref twice is idempotent; several refs under one key all appear', async () => {
    const a = system.spawn(pinger(), 'a');
    const b = system.spawn(pinger(), 'b');
    system.receptionist.tell(new Register(PING_KEY, a));
    system.receptionist.tell(new Register(PING_KEY, a));
    system.receptionist.tell(new Register(PING_KEY, b));
    expect(paths(await system.lookup(PING_KEY))).toEqual(['/user/a', '/user/b']);
  });

  it('a ref may be registered under several keys, and stopping it removes it from all of them', async () => {
    const KEY_A = ServiceKey.of<string>('a');
    const KEY_B = ServiceKey.of<string>('b');
    const ref = system.spawn(Behaviors.ignore as never as ReturnType<typeof Behaviors.receiveMessage<string>>, 'multi');
    system.receptionist.tell(new Register(KEY_A, ref));
    system.receptionist.tell(new Register(KEY_B, ref));
    expect((await system.lookup(KEY_A)).refs).toHaveLength(1);
    expect((await system.lookup(KEY_B)).refs).toHaveLength(1);
    system.stop(ref as ActorRef<never>);
    await eventually(async () => {
      expect((await system.lookup(KEY_A)).isEmpty).toBe(true);
      expect((await system.lookup(KEY_B)).isEmpty).toBe(true);
    });
  });

  it('Deregister removes the entry while the actor keeps running, and is acknowledged', async () => {
    const ref = system.spawn(pinger(), 'ping');
    await system.ask(system.receptionist, r => new Register(PING_KEY, ref, r), 1000);
    const ack = await system.ask(system.receptionist, r => new Deregister(PING_KEY, ref, r), 1000);
    expect(ack).toBeInstanceOf(Deregistered);
    expect((await system.lookup(PING_KEY)).isEmpty).toBe(true);
    expect(await system.ask(ref, r => ({ replyTo: r }), 1000)).toBe('pong');
  });

  it('Subscribe sends the current listing at once, then one listing per change', async () => {
    const monitor = new TestProbe<Listing<string>>(system, 'monitor');
    const first = system.spawn(Behaviors.discoverable(Behaviors.ignore as never, CHAT_KEY), 'chat-1');
    expect((await system.lookup(CHAT_KEY)).refs).toHaveLength(1);
    system.receptionist.tell(new Subscribe(CHAT_KEY, monitor.ref));
    expect(paths(await monitor.expectMessage())).toEqual(['/user/chat-1']);
    const second = system.spawn(Behaviors.discoverable(Behaviors.ignore as never, CHAT_KEY), 'chat-2');
    expect(paths(await monitor.expectMessage())).toEqual(['/user/chat-1', '/user/chat-2']);
    system.stop(first as ActorRef<never>);
    expect(paths(await monitor.expectMessage())).toEqual(['/user/chat-2']);
    system.stop(second as ActorRef<never>);
    expect((await monitor.expectMessage()).isEmpty).toBe(true);
  });

  it('announces a burst of registrations as one listing that holds them all', async () => {
    const monitor = new TestProbe<Listing<string>>(system, 'monitor');
    system.receptionist.tell(new Subscribe(CHAT_KEY, monitor.ref));
    expect((await monitor.expectMessage()).isEmpty).toBe(true);
    for (let i = 0; i < 1000; i++) system.spawn(Behaviors.discoverable(Behaviors.ignore as never, CHAT_KEY), `chat-${i}`);
    const last = await monitor.fishFor(l => l.refs.length === 1000);
    expect(last.refs).toHaveLength(1000);
    // Registrations queued together are announced together: one listing for the burst.
    expect(monitor.received).toHaveLength(2);
  });

  it('Unsubscribe stops the notifications', async () => {
    const monitor = new TestProbe<Listing<string>>(system, 'monitor');
    const control = new TestProbe<Listing<string>>(system, 'control');
    system.receptionist.tell(new Subscribe(CHAT_KEY, monitor.ref));
    system.receptionist.tell(new Subscribe(CHAT_KEY, control.ref));
    await monitor.expectMessage();
    await control.expectMessage();
    system.receptionist.tell(new Unsubscribe(CHAT_KEY, monitor.ref));
    system.spawn(Behaviors.discoverable(Behaviors.ignore as never, CHAT_KEY), 'chat');
    // The control subscriber registered at the same time proves the change was announced.
    expect((await control.expectMessage()).refs).toHaveLength(1);
    expect(monitor.received).toHaveLength(1);
  });

  it('drops a subscriber that stopped', async () => {
    const monitor = system.spawn(Behaviors.receiveMessage<Listing<string>>(() => Behaviors.stopped), 'once');
    system.receptionist.tell(new Subscribe(CHAT_KEY, monitor));
    await until(() => system.resolveLocal('/user/once') === undefined, 'the subscriber to stop');
    const before = system.deadLetterCount;
    system.spawn(Behaviors.discoverable(Behaviors.ignore as never, CHAT_KEY), 'chat');
    await eventually(async () => expect((await system.lookup(CHAT_KEY)).refs).toHaveLength(1));
    expect(system.deadLetterCount).toBe(before);
  });

  it('drops a stopped subscriber from every key it followed, and keeps the others', async () => {
    const OTHER_KEY = ServiceKey.of<string>('other');
    const watcher = system.spawn(Behaviors.receiveMessage<Listing<string>>(() => undefined), 'two-keys');
    const control = new TestProbe<Listing<string>>(system, 'control');
    system.receptionist.tell(new Subscribe(CHAT_KEY, watcher));
    system.receptionist.tell(new Subscribe(OTHER_KEY, watcher));
    system.receptionist.tell(new Subscribe(OTHER_KEY, control.ref));
    await control.expectMessage();
    system.stop(watcher as ActorRef<never>);
    await until(() => system.resolveLocal('/user/two-keys') === undefined, 'the subscriber to stop');
    const before = system.deadLetterCount;
    system.spawn(Behaviors.discoverable(Behaviors.ignore as never, CHAT_KEY), 'chat');
    system.spawn(Behaviors.discoverable(Behaviors.ignore as never, OTHER_KEY), 'other');
    expect((await control.expectMessage()).refs).toHaveLength(1);
    await eventually(async () => expect((await system.lookup(CHAT_KEY)).refs).toHaveLength(1));
    expect(system.deadLetterCount).toBe(before);
  });

  it('listings are immutable snapshots', async () => {
    system.spawn(Behaviors.discoverable(Behaviors.ignore as never, CHAT_KEY), 'chat');
    const listing = await eventually(async () => {
      const l = await system.lookup(CHAT_KEY);
      expect(l.refs).toHaveLength(1);
      return l;
    });
    expect(Object.isFrozen(listing)).toBe(true);
    expect(Object.isFrozen(listing.instances)).toBe(true);
    expect(Object.isFrozen(listing.refs)).toBe(true);
    expect(() => (listing.refs as ActorRef<string>[]).push(listing.refs[0])).toThrow(TypeError);
    system.spawn(Behaviors.discoverable(Behaviors.ignore as never, CHAT_KEY), 'chat-2');
    await eventually(async () => expect((await system.lookup(CHAT_KEY)).refs).toHaveLength(2));
    expect(listing.refs).toHaveLength(1);
  });

  it('keys with the same id are the same key; isForKey narrows a listing', async () => {
    system.spawn(Behaviors.discoverable(Behaviors.ignore as never, CHAT_KEY), 'chat');
    const listing = await eventually(async () => {
      const l = await system.lookup(ServiceKey.of<string>('chat'));
      expect(l.refs).toHaveLength(1);
      return l;
    });
    expect(listing.isForKey(CHAT_KEY)).toBe(true);
    expect(listing.isForKey(PING_KEY)).toBe(false);
    expect(() => ServiceKey.of('')).toThrow(TypeError);
  });

  it('survives an unknown message without losing its registry', async () => {
    system.spawn(Behaviors.discoverable(Behaviors.ignore as never, CHAT_KEY), 'chat');
    (system.receptionist as ActorRef<unknown>).tell({ bogus: true });
    await eventually(async () => expect((await system.lookup(CHAT_KEY)).refs).toHaveLength(1));
  });
});
