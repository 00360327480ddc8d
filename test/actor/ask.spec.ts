import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { until } from '../support/eventually.js';
import { ManualScheduler } from '../support/manual-scheduler.js';
import {
  ActorSystem,
  ActorSystemError,
  ActorSystemTerminatedError,
  AskFailedError,
  AskTimeoutError,
  Behaviors,
  DEFAULT_MAX_PENDING_ASKS,
  DeadLetter,
  TooManyPendingAsksError,
  Terminated,
  type ActorRef,
} from '../../lib/index.js';

class Ping {
  constructor(
    readonly text: string,
    readonly replyTo: ActorRef<Pong>,
  ) {}
}
class Pong {
  constructor(readonly text: string) {}
}

describe('ask', () => {
  let system: ActorSystem;
  beforeEach(() => {
    system = ActorSystem.create('ask', { logLevel: 'silent' });
  });
  afterEach(() => system.terminate());

  const pinger = () => Behaviors.receiveMessage<Ping>(m => m.replyTo.tell(new Pong(`pong ${m.text}`)));

  it('resolves with the reply, typed from the replyTo field', async () => {
    const ref = system.spawn(pinger(), 'pinger');
    const reply: Pong = await system.ask(ref, r => new Ping('1', r), 1000);
    expect(reply.text).toBe('pong 1');
  });

  it('rejects with AskTimeoutError naming the target when nobody replies, and releases the temporary ref', async () => {
    const silent = system.spawn(Behaviors.ignore as never as ReturnType<typeof pinger>, 'silent');
    let tempPath = '';
    const error = await system
      .ask(silent, r => {
        tempPath = r.path;
        return new Ping('x', r);
      }, 30)
      .catch(e => e);
    expect(error).toBeInstanceOf(AskTimeoutError);
    expect(error.message).toContain('/user/silent');
    expect(error.message).toContain('30 ms');
    expect(tempPath).toMatch(/^\/temp\//);
    expect(system.resolveLocal(tempPath)).toBeUndefined();
  });

  it('signals Terminated of its temporary ref to a watcher once the ask settles', async () => {
    const silent = system.spawn(Behaviors.ignore as never as ReturnType<typeof pinger>, 'silent-watched');
    const events: string[] = [];
    let replyTo: ActorRef<Pong> | undefined;
    const pending = system.ask(silent, r => ((replyTo = r), new Ping('x', r)), 5000);
    system.spawn(
      Behaviors.setup<string>(ctx => {
        ctx.watch(replyTo as ActorRef<never>);
        return Behaviors.receive<string>((_ctx, m) => void events.push(m)).receiveSignal((_ctx, signal) => {
          if (signal instanceof Terminated) events.push(`terminated ${signal.ref.path === replyTo!.path}`);
        });
      }),
      'temp-watcher',
    );
    // Watched (setup ran at spawn) while the ask is still pending.
    expect(system.resolveLocal(replyTo!.path, replyTo!.address.uid)).toBeDefined();
    replyTo!.tell(new Pong('done'));
    await expect(pending).resolves.toEqual(new Pong('done'));
    await until(() => events.length === 1, 'Terminated of the temporary ref');
    expect(events).toEqual(['terminated true']);
  });

  it('sends a reply that arrives after the timeout to dead letters', async () => {
    let late: ActorRef<Pong> | undefined;
    const slow = system.spawn(
      Behaviors.receiveMessage<Ping>(m => {
        late = m.replyTo;
      }),
      'slow',
    );
    await expect(system.ask(slow, r => new Ping('x', r), 20)).rejects.toBeInstanceOf(AskTimeoutError);
    const before = system.deadLetterCount;
    late!.tell(new Pong('too late'));
    expect(system.deadLetterCount).toBe(before + 1);
  });

  it('answers many concurrent asks each with its own reply', async () => {
    const ref = system.spawn(pinger(), 'pinger');
    const replies = await Promise.all(Array.from({ length: 500 }, (_, i) => system.ask(ref, r => new Ping(String(i), r), 2000)));
    expect(replies.map(r => r.text)).toEqual(Array.from({ length: 500 }, (_, i) => `pong ${i}`));
  });

  it('accepts an explicit reply type for messages without a replyTo field', async () => {
    const ref = system.spawn(Behaviors.receiveMessage<{ respondTo: ActorRef<number> }>(m => m.respondTo.tell(42)), 'answer');
    const n = await system.ask<number, { respondTo: ActorRef<number> }>(ref, r => ({ respondTo: r }), 1000);
    expect(n).toBe(42);
  });

  it('rejects an invalid timeout and asks after terminate', async () => {
    const ref = system.spawn(pinger(), 'pinger');
    await expect(system.ask(ref, r => new Ping('x', r), 0)).rejects.toBeInstanceOf(RangeError);
    await system.terminate();
    await expect(system.ask(ref, r => new Ping('x', r), 100)).rejects.toBeInstanceOf(ActorSystemTerminatedError);
  });

  it('rejects pending asks when the system terminates', async () => {
    const silent = system.spawn(Behaviors.receiveMessage<Ping>(() => undefined), 'silent');
    const pending = system.ask(silent, r => new Ping('x', r), 10_000);
    await system.terminate();
    await expect(pending).rejects.toBeInstanceOf(ActorSystemTerminatedError);
  });

  it('expires each ask at its own deadline, whatever the mix of timeouts', async () => {
    const scheduler = new ManualScheduler();
    await using timed = ActorSystem.create('deadlines', { scheduler, logLevel: 'silent' });
    const silent = timed.spawn(Behaviors.receiveMessage<Ping>(() => undefined), 'silent');
    const outcome: Record<string, string> = {};
    const track = (name: string, timeout: number) =>
      timed.ask(silent, r => new Ping(name, r), timeout).then(
        () => (outcome[name] = 'replied'),
        e => (outcome[name] = e instanceof AskTimeoutError ? `timeout@${scheduler.now()}` : 'other'),
      );
    const all = [track('a', 100), track('b', 50), track('c', 100), track('d', 200)];
    scheduler.advance(49);
    await Promise.resolve();
    expect(outcome).toEqual({});
    // Let the rejections run after each step, so each outcome records the clock of its expiry.
    const step = async (ms: number) => {
      scheduler.advance(ms);
      await new Promise(resolve => setImmediate(resolve));
    };
    await step(1);
    await step(50);
    await step(100);
    await Promise.all(all);
    expect(outcome).toEqual({ a: 'timeout@100', b: 'timeout@50', c: 'timeout@100', d: 'timeout@200' });
  });

  it('keeps expiring a slow ask while thousands of quicker ones complete behind it', async () => {
    const scheduler = new ManualScheduler();
    await using timed = ActorSystem.create('deadlines', { scheduler, logLevel: 'silent' });
    const silent = timed.spawn(Behaviors.receiveMessage<Ping>(() => undefined), 'silent');
    const ref = timed.spawn(pinger(), 'pinger');
    const slow = timed.ask(silent, r => new Ping('slow', r), 1000).catch(e => e);
    for (let i = 0; i < 3000; i++) await timed.ask(ref, r => new Ping(String(i), r), 1000);
    const stuck = timed.ask(silent, r => new Ping('stuck', r), 1000).catch(e => e);
    scheduler.advance(1000);
    expect(await slow).toBeInstanceOf(AskTimeoutError);
    expect(await stuck).toBeInstanceOf(AskTimeoutError);
  });
});

describe('the reply endpoint', () => {
  let system: ActorSystem;
  beforeEach(() => {
    system = ActorSystem.create('replies', { logLevel: 'silent' });
  });
  afterEach(() => system.terminate());

  it('names each pending ask under /temp, and answers its path only with its uid, only while it is pending', async () => {
    let replyTo!: ActorRef<string>;
    const silent = system.spawn(
      Behaviors.receiveMessage<{ replyTo: ActorRef<string> }>(m => {
        replyTo = m.replyTo;
      }),
      'holder',
    );
    const pending = system.ask<string>(silent, r => ({ replyTo: r }), 1000);
    await until(() => replyTo !== undefined, 'the ask to arrive');
    const { path, uid } = replyTo.address;
    expect(path).toMatch(/^\/temp\/\$[0-9a-z]+$/);
    expect(uid).toBeGreaterThan(0);
    expect(system.resolveLocal(path)).toBeUndefined();
    expect(system.resolveLocal(path, uid + 1)).toBeUndefined();
    expect(system.resolveLocal(path, 0)).toBeUndefined();
    // Only the canonical spelling names it.
    expect(system.resolveLocal(path.replace('$', '$0'), uid)).toBeUndefined();
    const found = system.resolveLocal<string>(path, uid);
    expect(found?.equals(replyTo)).toBe(true);
    found!.tell('via the path');
    expect(await pending).toBe('via the path');
    expect(system.resolveLocal(path, uid)).toBeUndefined();
  });

  it('tells a reply from the ask that reuses a settled one\'s slot by its uid', async () => {
    const holder: ActorRef<string>[] = [];
    const keeper = system.spawn(
      Behaviors.receiveMessage<{ replyTo: ActorRef<string> }>(m => {
        holder.push(m.replyTo);
      }),
      'keeper',
    );
    const first = system.ask<string>(keeper, r => ({ replyTo: r }), 1000);
    await until(() => holder.length === 1, 'the first ask to arrive');
    holder[0].tell('first');
    expect(await first).toBe('first');
    const second = system.ask<string>(keeper, r => ({ replyTo: r }), 1000);
    await until(() => holder.length === 2, 'the second ask to arrive');
    expect(holder[1].path).toBe(holder[0].path);
    expect(holder[1].equals(holder[0])).toBe(false);
    const dead: DeadLetter[] = [];
    system.eventStream.subscribe(DeadLetter, d => dead.push(d));
    holder[0].tell('late, for the first');
    expect(dead.map(d => d.reason)).toEqual(['reply arrived after the ask completed']);
    holder[1].tell('second');
    expect(await second).toBe('second');
  });

  it('fails an ask at once when its message is dead-lettered on the way to its target', async () => {
    const gone = system.spawn(Behaviors.ignore as never, 'gone') as ActorRef<{ replyTo: ActorRef<string> }>;
    system.stop(gone as ActorRef<never>);
    await until(() => system.resolveLocal('/user/gone') === undefined, 'the actor to stop');
    const started = Date.now();
    const error = await system.ask<string>(gone, r => ({ replyTo: r }), 10_000).catch((e: Error) => e);
    expect(error).toBeInstanceOf(AskFailedError);
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('refuses an ask beyond maxPendingAsks at once with TooManyPendingAsksError, and takes asks again once one settled', async () => {
    await using bounded = ActorSystem.create('bounded', { logLevel: 'silent', maxPendingAsks: 3 });
    const held: ActorRef<string>[] = [];
    const holder = bounded.spawn(Behaviors.receiveMessage<{ replyTo: ActorRef<string> }>(m => void held.push(m.replyTo)), 'holder');
    const asks = [1, 2, 3].map(() => bounded.ask<string>(holder, r => ({ replyTo: r }), 10_000));
    let built = false;
    const refused = await bounded
      .ask<string>(holder, r => {
        built = true;
        return { replyTo: r };
      }, 10_000)
      .catch((e: Error) => e);
    expect(refused).toBeInstanceOf(TooManyPendingAsksError);
    expect(refused).toBeInstanceOf(ActorSystemError);
    expect((refused as TooManyPendingAsksError).message).toBe(
      'Ask to /user/holder refused: 3 asks are already waiting for replies (maxPendingAsks); wait for replies before asking more, use shorter ask timeouts, or raise maxPendingAsks',
    );
    expect(built).toBe(false);
    await until(() => held.length === 3, 'the asks to arrive');
    held[0].tell('one');
    expect(await asks[0]).toBe('one');
    const fourth = bounded.ask<string>(holder, r => ({ replyTo: r }), 10_000);
    await until(() => held.length === 4, 'the fourth ask to arrive');
    held[3].tell('four');
    expect(await fourth).toBe('four');
    held[1].tell('two');
    held[2].tell('three');
    expect(await Promise.all(asks.slice(1))).toEqual(['two', 'three']);
  });

  it('defaults maxPendingAsks to 100,000 and refuses a value that is not a positive integer', () => {
    expect(DEFAULT_MAX_PENDING_ASKS).toBe(100_000);
    for (const bad of [0, -1, 1.5, NaN]) {
      expect(() => ActorSystem.create('bad', { maxPendingAsks: bad })).toThrow(/maxPendingAsks must be a positive integer/);
    }
  });

  it('fails the pending asks to a target when failPendingAsks matches it (node loss), with the reason', async () => {
    class Probing extends ActorSystem {
      static make(): Probing {
        return new Probing({ system: 'probing' }, { logLevel: 'silent' });
      }
      fail(reason: string): number {
        return this.failPendingAsks(target => target.path === '/user/far', reason);
      }
    }
    await using probing = Probing.make();
    const far = probing.spawn(Behaviors.ignore as never, 'far') as ActorRef<{ replyTo: ActorRef<string> }>;
    const near = probing.spawn(Behaviors.ignore as never, 'near') as ActorRef<{ replyTo: ActorRef<string> }>;
    const toFar = probing.ask<string>(far, r => ({ replyTo: r }), 10_000).catch((e: Error) => e);
    const toNear = probing.ask<string>(near, r => ({ replyTo: r }), 50).catch((e: Error) => e);
    expect(probing.fail('node gone')).toBe(1);
    const error = await toFar;
    expect(error).toBeInstanceOf(AskFailedError);
    expect((error as Error).message).toMatch(/to \/user\/far failed: node gone$/);
    expect(await toNear).toBeInstanceOf(AskTimeoutError);
  });
});

describe('ask deadlines and the process', () => {
  const script = fileURLToPath(new URL('./fixtures/one-ask.ts', import.meta.url));
  const run = (...args: string[]) =>
    new Promise<{ code: number | null; out: string }>((resolve, reject) => {
      let out = '';
      const child = spawn(process.execPath, ['--import', 'tsx', script, ...args], { env: { ...process.env, NODE_OPTIONS: '' }, stdio: ['ignore', 'pipe', 'inherit'] });
      child.stdout.on('data', chunk => (out += String(chunk)));
      child.once('error', reject);
      child.once('exit', code => resolve({ code, out }));
    });

  it('lets the process exit once its last ask has settled, long before that ask\'s timeout', async () => {
    // The ask's timeout is 60 s: a test timeout of 20 s fails if the deadline timer kept the process.
    expect(await run()).toEqual({ code: 0, out: 'ok' });
  }, 20_000);

  it('keeps the process alive while an ask is pending, so it times out instead of vanishing', async () => {
    expect(await run('pending')).toEqual({ code: 0, out: 'ok,AskTimeoutError' });
  }, 20_000);
});
