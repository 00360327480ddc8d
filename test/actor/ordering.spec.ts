import { ActorSystem, Behaviors, Terminated, type ActorRef } from '../../lib/index.js';
import { asInternal } from '../../lib/actor/index.js';
import { until } from '../support/eventually.js';

describe('Message processing', () => {
  let system: ActorSystem;
  beforeEach(() => {
    system = ActorSystem.create('ordering', { logLevel: 'silent' });
  });
  afterEach(() => system.terminate());

  it('processes messages from one sender in the order they were sent', async () => {
    const seen: number[] = [];
    const ref = system.spawn(Behaviors.receiveMessage<number>(n => void seen.push(n)), 'fifo');
    for (let i = 0; i < 10_000; i++) ref.tell(i);
    await until(() => seen.length === 10_000, 'all messages');
    expect(seen).toEqual(Array.from({ length: 10_000 }, (_, i) => i));
  });

  it('never runs two async handlers at once and keeps arrival order', async () => {
    let active = 0;
    let maxActive = 0;
    const seen: number[] = [];
    const ref = system.spawn(
      Behaviors.receiveMessage<number>(async n => {
        active++;
        maxActive = Math.max(maxActive, active);
        // Later messages finish faster: any overlap would reorder them.
        await new Promise(resolve => setTimeout(resolve, n % 3 === 0 ? 3 : 0));
        seen.push(n);
        active--;
      }),
      'async',
    );
    for (let i = 0; i < 50; i++) ref.tell(i);
    await until(() => seen.length === 50, 'all async messages');
    expect(maxActive).toBe(1);
    expect(seen).toEqual(Array.from({ length: 50 }, (_, i) => i));
  });

  it('applies the behavior returned by an async handler before the next message', async () => {
    const seen: string[] = [];
    const second = Behaviors.receiveMessage<string>(m => void seen.push(`second:${m}`));
    const ref = system.spawn(
      Behaviors.receiveMessage<string>(async m => {
        await Promise.resolve();
        seen.push(`first:${m}`);
        return second;
      }),
      'switch',
    );
    ref.tell('a');
    ref.tell('b');
    await until(() => seen.length === 2, 'two messages');
    expect(seen).toEqual(['first:a', 'second:b']);
  });

  it('interleaves many busy actors fairly instead of running one to completion', async () => {
    const log: string[] = [];
    const a = system.spawn(Behaviors.receiveMessage<number>(() => void log.push('a')), 'a');
    const b = system.spawn(Behaviors.receiveMessage<number>(() => void log.push('b')), 'b');
    for (let i = 0; i < 20_000; i++) a.tell(i);
    b.tell(0);
    await until(() => log.length === 20_001, 'all messages');
    // b's single message is handled before a has drained its whole backlog.
    expect(log.indexOf('b')).toBeLessThan(20_000);
  });

  it('handles a signal sent behind the messages after them, and a plain signal ahead of them', async () => {
    const seen: string[] = [];
    const watched = system.spawn(Behaviors.ignore, 'watched');
    const spawnWatcher = (name: string) =>
      system.spawn(
        Behaviors.setup<number>(ctx => {
          ctx.watch(watched);
          return Behaviors.receive<number>((_ctx, n) => void seen.push(`${name}:${n}`)).receiveSignal((_ctx, signal) => {
            if (signal instanceof Terminated) seen.push(`${name}:terminated`);
          });
        }),
        name,
      );
    const ordered = spawnWatcher('ordered');
    const plain = spawnWatcher('plain');
    const send = (ref: ActorRef<number>, after: boolean) => {
      for (let i = 0; i < 3; i++) ref.tell(i);
      const signal = new Terminated(watched as ActorRef<never>);
      if (after) asInternal(ref).sendSignalAfterMessages(signal);
      else asInternal(ref).sendSignal(signal);
    };
    send(ordered, true);
    send(plain, false);
    await until(() => seen.length === 8, 'every message and signal');
    expect(seen.filter(s => s.startsWith('ordered'))).toEqual(['ordered:0', 'ordered:1', 'ordered:2', 'ordered:terminated']);
    expect(seen.filter(s => s.startsWith('plain'))).toEqual(['plain:terminated', 'plain:0', 'plain:1', 'plain:2']);
  });
});
