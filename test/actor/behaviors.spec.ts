import {
  ActorSystem,
  Behaviors,
  PostStop,
  Terminated,
  type ActorRef,
  type Behavior,
  type Signal,
} from '../../lib/index.js';
import { eventually, until } from '../support/eventually.js';
import { TestProbe } from '../support/probe.js';

describe('Behaviors', () => {
  let system: ActorSystem;
  beforeEach(() => {
    system = ActorSystem.create('behaviors', { logLevel: 'silent' });
  });
  afterEach(() => system.terminate());

  it('receive passes the context and the message, and keeps the behavior when the handler returns nothing', async () => {
    const probe = new TestProbe<string>(system);
    const ref = system.spawn(
      Behaviors.receive<string>((ctx, msg) => {
        probe.ref.tell(`${ctx.self.path}:${msg}`);
      }),
      'echo',
    );
    ref.tell('a');
    ref.tell('b');
    expect(await probe.expectMessage()).toBe('/user/echo:a');
    expect(await probe.expectMessage()).toBe('/user/echo:b');
  });

  it('switches state by returning a new behavior', async () => {
    const probe = new TestProbe<number>(system);
    const counter = (n: number): Behavior<'inc' | 'get'> =>
      Behaviors.receiveMessage(msg => {
        if (msg === 'inc') return counter(n + 1);
        probe.ref.tell(n);
        return Behaviors.same;
      });
    const ref = system.spawn(counter(0), 'counter');
    ref.tell('inc');
    ref.tell('inc');
    ref.tell('get');
    expect(await probe.expectMessage()).toBe(2);
  });

  it('setup runs once at start with the context', async () => {
    let setups = 0;
    const probe = new TestProbe<string>(system);
    const ref = system.spawn(
      Behaviors.setup<string>(ctx => {
        setups++;
        probe.ref.tell(`started ${ctx.self.path}`);
        return Behaviors.receiveMessage(m => probe.ref.tell(m));
      }),
      'setup',
    );
    expect(await probe.expectMessage()).toBe('started /user/setup');
    ref.tell('x');
    ref.tell('y');
    expect(await probe.expectMessage()).toBe('x');
    expect(await probe.expectMessage()).toBe('y');
    expect(setups).toBe(1);
  });

  it('stopped stops the actor, runs PostStop, and later messages become dead letters', async () => {
    const signals: string[] = [];
    const ref = system.spawn(
      Behaviors.receive<string>(() => Behaviors.stopped).receiveSignal((_ctx, signal) => {
        signals.push(String(signal));
      }),
      'stopper',
    );
    ref.tell('stop');
    await until(() => signals.includes('PostStop'), 'PostStop');
    const before = system.deadLetterCount;
    ref.tell('late');
    expect(system.deadLetterCount).toBe(before + 1);
  });

  it('ctx.stop(self) inside a handler takes effect after the handler returns', async () => {
    const log: string[] = [];
    const ref = system.spawn(
      Behaviors.receive<string>((ctx, msg) => {
        ctx.stop(ctx.self as ActorRef<never>);
        log.push(`handled ${msg}`);
      }).receiveSignal((_ctx, signal) => {
        if (signal instanceof PostStop) log.push('post stop');
      }),
      'self-stop',
    );
    ref.tell('a');
    ref.tell('b');
    await until(() => log.includes('post stop'), 'PostStop');
    expect(log).toEqual(['handled a', 'post stop']);
    await until(() => system.deadLetterCount === 1, 'b as a dead letter');
  });

  it('stoppedWith runs its callback after the actor stopped', async () => {
    let ran = false;
    const ref = system.spawn(Behaviors.receiveMessage<string>(() => Behaviors.stoppedWith(() => void (ran = true))), 's');
    ref.tell('go');
    await until(() => ran, 'the postStop callback');
  });

  it('empty turns every message into a dead letter and ignore drops them silently', async () => {
    const empty = system.spawn(Behaviors.empty, 'empty');
    const ignore = system.spawn(Behaviors.ignore, 'ignore');
    (ignore as ActorRef<string>).tell('x');
    (empty as ActorRef<string>).tell('x');
    await until(() => system.deadLetterCount === 1, 'one dead letter');
  });

  it('receiveSignal alone handles signals; messages to it are dead letters', async () => {
    const seen: Signal[] = [];
    const ref = system.spawn(Behaviors.receiveSignal<string>((_ctx, s) => void seen.push(s)), 'signals');
    ref.tell('unhandled');
    await until(() => system.deadLetterCount === 1, 'a dead letter');
    system.stop(ref as ActorRef<never>);
    await until(() => seen.some(s => s instanceof PostStop), 'PostStop');
  });

  it('watch delivers Terminated when the watched actor stops, and unwatch cancels it', async () => {
    const probe = new TestProbe<string>(system);
    const a = system.spawn(Behaviors.ignore, 'a');
    const b = system.spawn(Behaviors.ignore, 'b');
    system.spawn(
      Behaviors.setup<string>(ctx => {
        ctx.watch(a);
        ctx.watch(b);
        ctx.unwatch(b);
        return Behaviors.receiveSignal((_c, s) => {
          if (s instanceof Terminated) probe.ref.tell(`terminated ${s.ref.path}`);
        });
      }),
      'watcher',
    );
    system.stop(b);
    system.stop(a);
    expect(await probe.expectMessage()).toBe('terminated /user/a');
    // b was unwatched: only a's Terminated may ever arrive.
    expect(probe.received).toEqual(['terminated /user/a']);
  });

  it('watching an actor that already stopped delivers Terminated at once', async () => {
    const probe = new TestProbe<string>(system);
    const gone = system.spawn(Behaviors.ignore, 'gone');
    system.stop(gone);
    await eventually(() => expect(system.resolveLocal('/user/gone')).toBeUndefined());
    system.spawn(
      Behaviors.setup<never>(ctx => {
        ctx.watch(gone);
        return Behaviors.receiveSignal((_c, s) => {
          if (s instanceof Terminated) probe.ref.tell('terminated');
        });
      }),
      'late-watcher',
    );
    expect(await probe.expectMessage()).toBe('terminated');
  });

  it('children are stopped before their parent, and PostStop runs depth-first', async () => {
    const order: string[] = [];
    const node = (depth: number): Behavior<never> =>
      Behaviors.setup<never>(ctx => {
        if (depth > 0) {
          ctx.spawn(node(depth - 1), `c${depth}a`);
          ctx.spawn(node(depth - 1), `c${depth}b`);
        }
        return Behaviors.receiveSignal((c, s) => {
          if (s instanceof PostStop) order.push(c.self.path);
        });
      });
    const root = system.spawn(node(2), 'root');
    system.stop(root);
    await until(() => order.includes('/user/root'), 'root PostStop');
    expect(order).toHaveLength(7);
    expect(order[order.length - 1]).toBe('/user/root');
    for (const path of order) {
      const parent = path.slice(0, path.lastIndexOf('/'));
      if (parent !== '/user') expect(order.indexOf(parent)).toBeGreaterThan(order.indexOf(path));
    }
  });

  it('ctx.spawn names children under the parent path and lists them in ctx.children', async () => {
    const probe = new TestProbe<string[]>(system);
    system.spawn(
      Behaviors.setup<never>(ctx => {
        ctx.spawn(Behaviors.ignore, 'x');
        ctx.spawn(Behaviors.ignore, 'y');
        probe.ref.tell([...ctx.children.values()].map(r => r.path));
        return Behaviors.ignore;
      }),
      'parent',
    );
    expect(await probe.expectMessage()).toEqual(['/user/parent/x', '/user/parent/y']);
  });

  it('refuses to start a child under a parent that is stopping', async () => {
    let error: unknown;
    const ref = system.spawn(
      Behaviors.receive<string>(ctx => {
        ctx.stop(ctx.self as ActorRef<never>);
        try {
          ctx.spawn(Behaviors.ignore, 'late-child');
        } catch (e) {
          error = e;
        }
      }),
      'stopping-parent',
    );
    ref.tell('go');
    await until(() => error !== undefined, 'the spawn to be refused');
    expect(String(error)).toMatch(/parent \/user\/stopping-parent is stopping/);
  });
});
