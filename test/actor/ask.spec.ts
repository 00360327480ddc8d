import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { ManualScheduler } from '../support/manual-scheduler.js';
import {
  ActorSystem,
  ActorSystemTerminatedError,
  AskTimeoutError,
  Behaviors,
  Terminated,
  type ActorRef,
} from '../../lib/index.js';
import { until } from '../support/eventually.js';

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
