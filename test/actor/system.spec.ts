import {
  ActorAddress,
  ActorNameTakenError,
  ActorStopped,
  ActorSystem,
  ActorSystemError,
  ActorSystemTerminatedError,
  Behaviors,
  DeadLetter,
  InvalidActorAddressError,
  InvalidActorNameError,
  PostStop,
  type ActorRef,
} from '../../lib/index.js';
import { until } from '../support/eventually.js';
import { TestProbe } from '../support/probe.js';

describe('ActorSystem', () => {
  it('rejects a duplicate top-level name with ActorNameTakenError, and frees the name once stopped', async () => {
    await using system = ActorSystem.create('names', { logLevel: 'silent' });
    const first = system.spawn(Behaviors.ignore, 'worker');
    expect(() => system.spawn(Behaviors.ignore, 'worker')).toThrow(ActorNameTakenError);
    expect(() => system.spawn(Behaviors.ignore, 'worker')).toThrow(/\/user\/worker is already running/);
    system.stop(first);
    await until(() => system.resolveLocal('/user/worker') === undefined, 'the first worker to stop');
    const second = system.spawn(Behaviors.ignore, 'worker');
    expect(second.equals(first)).toBe(false);
  });

  it('rejects invalid actor and system names', async () => {
    await using system = ActorSystem.create('names', { logLevel: 'silent' });
    for (const bad of ['', 'a/b', '$reserved', 'sp ace']) {
      expect(() => system.spawn(Behaviors.ignore, bad)).toThrow(InvalidActorNameError);
    }
    expect(() => ActorSystem.create('bad name')).toThrow(ActorSystemError);
  });

  it('gives anonymous actors generated unique names', async () => {
    await using system = ActorSystem.create('anon', { logLevel: 'silent' });
    const a = system.spawn(Behaviors.ignore);
    const b = system.spawn(Behaviors.ignore);
    expect(a.path).not.toBe(b.path);
    expect(a.path).toMatch(/^\/user\/\$/);
  });

  it('refs are equal by address and their address round-trips through parse', async () => {
    await using system = ActorSystem.create('refs', { logLevel: 'silent' });
    const ref = system.spawn(Behaviors.ignore, 'x');
    const parsed = ActorAddress.parse(ref.address.toString());
    expect(parsed.path).toBe('/user/x');
    expect(parsed.uid).toBe(ref.address.uid);
    expect(system.resolveRef(parsed).equals(ref)).toBe(true);
    expect(ref.equals(system.spawn(Behaviors.ignore, 'y'))).toBe(false);
    expect(ref.toString()).toMatch(/^actor:\/\/refs\/user\/x#\d+$/);
  });

  it('parses network addresses and rejects malformed ones with a clear error', () => {
    const a = ActorAddress.parse('actor://shop@127.0.0.1:25520/user/payment#42');
    expect([a.system, a.host, a.port, a.path, a.uid]).toEqual(['shop', '127.0.0.1', 25520, '/user/payment', 42]);
    const v6 = ActorAddress.parse('actor://shop@[::1]:1/user/a#1');
    expect(v6.host).toBe('::1');
    expect(v6.toString()).toBe('actor://shop@[::1]:1/user/a#1');
    for (const bad of [
      'http://shop/user/a#1',
      'actor://shop',
      'actor://shop/user/a',
      'actor://shop/user/a#x',
      'actor://sh op/user/a#1',
      'actor://shop@host/user/a#1',
      'actor://shop@host:99999/user/a#1',
      'actor://shop/user//a#1',
    ]) {
      expect(() => ActorAddress.parse(bad)).toThrow(InvalidActorAddressError);
    }
  });

  it('a message to a stopped actor becomes a published, counted dead letter, never an exception', async () => {
    await using system = ActorSystem.create('dead', { logLevel: 'silent' });
    const probe = new TestProbe<DeadLetter>(system);
    system.eventStream.subscribe(DeadLetter, probe.ref);
    const ref = system.spawn(Behaviors.ignore, 'gone') as ActorRef<string>;
    system.stop(ref as ActorRef<never>);
    await until(() => system.resolveLocal('/user/gone') === undefined, 'the actor to stop');
    expect(() => ref.tell('hello')).not.toThrow();
    const letter = await probe.expectMessage();
    expect(letter.message).toBe('hello');
    expect(letter.recipient).toBe('/user/gone');
    expect(letter.reason).toBe('recipient stopped');
    expect(system.deadLetterCount).toBe(1);
  });

  it('messages left in the mailbox of a stopping actor become dead letters', async () => {
    await using system = ActorSystem.create('dead', { logLevel: 'silent' });
    const ref = system.spawn(Behaviors.receiveMessage<number>(n => (n === 0 ? Behaviors.stopped : undefined)), 'drop');
    for (let i = 0; i < 5; i++) ref.tell(i);
    await until(() => system.deadLetterCount === 4, 'four dead letters');
  });

  it('publishes ActorStopped on the event stream, to actors and callbacks', async () => {
    await using system = ActorSystem.create('events', { logLevel: 'silent' });
    const probe = new TestProbe<ActorStopped>(system);
    const seen: string[] = [];
    system.eventStream.subscribe(ActorStopped, probe.ref);
    const unsubscribe = system.eventStream.subscribe(ActorStopped, e => seen.push(e.ref.path));
    const ref = system.spawn(Behaviors.ignore, 'short-lived');
    system.stop(ref);
    expect((await probe.expectMessage()).ref.equals(ref)).toBe(true);
    expect(seen).toEqual(['/user/short-lived']);
    unsubscribe();
    system.stop(system.spawn(Behaviors.ignore, 'second'));
    await probe.fishFor(e => e.ref.path === '/user/second');
    expect(seen).toEqual(['/user/short-lived']);
  });

  it('terminate stops every actor, runs PostStop, and is idempotent', async () => {
    const system = ActorSystem.create('term', { logLevel: 'silent' });
    const stopped: string[] = [];
    const withPostStop = Behaviors.receiveSignal<never>((ctx, s) => {
      if (s instanceof PostStop) stopped.push(ctx.self.path);
    });
    system.spawn(
      Behaviors.setup<never>(ctx => {
        ctx.spawn(withPostStop, 'child');
        return withPostStop;
      }),
      'parent',
    );
    system.spawn(withPostStop, 'other');
    const first = system.terminate();
    expect(system.terminate()).toBe(first);
    await first;
    expect([...stopped].sort()).toEqual(['/user/other', '/user/parent', '/user/parent/child']);
    expect(stopped.indexOf('/user/parent/child')).toBeLessThan(stopped.indexOf('/user/parent'));
    expect(() => system.spawn(Behaviors.ignore, 'late')).toThrow(ActorSystemTerminatedError);
    await system.whenTerminated;
  });

  it('terminate waits for an async handler in progress before PostStop', async () => {
    const system = ActorSystem.create('term', { logLevel: 'silent' });
    const log: string[] = [];
    let release!: () => void;
    const gate = new Promise<void>(r => (release = r));
    const ref = system.spawn(
      Behaviors.receive<string>(async () => {
        log.push('handler start');
        await gate;
        log.push('handler end');
      }).receiveSignal((_c, s) => {
        if (s instanceof PostStop) log.push('post stop');
      }),
      'busy',
    );
    ref.tell('work');
    await until(() => log.length === 1, 'the handler to start');
    const done = system.terminate();
    release();
    await done;
    expect(log).toEqual(['handler start', 'handler end', 'post stop']);
  });

  it('await using terminates the system at the end of the scope', async () => {
    let escaped: ActorSystem;
    {
      await using system = ActorSystem.create('scoped', { logLevel: 'silent' });
      escaped = system;
      system.spawn(Behaviors.ignore, 'a');
    }
    expect(escaped.isTerminated).toBe(true);
    await escaped.whenTerminated;
  });
});
