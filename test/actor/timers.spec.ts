import { ActorSystem, Behaviors, type TimerScheduler } from '../../lib/index.js';
import { until } from '../support/eventually.js';
import { ManualScheduler } from '../support/manual-scheduler.js';

type Msg = 'tick' | 'once' | 'cancel' | 'stop' | 'fail';

describe('Timers', () => {
  let system: ActorSystem;
  let scheduler: ManualScheduler;
  let seen: Msg[];
  beforeEach(() => {
    scheduler = new ManualScheduler();
    system = ActorSystem.create('timers', { scheduler, logLevel: 'silent' });
    seen = [];
  });
  afterEach(() => system.terminate());

  const timed = (start: (timers: TimerScheduler<Msg>) => void) =>
    Behaviors.withTimers<Msg>(timers => {
      start(timers);
      return Behaviors.receiveMessage<Msg>(m => {
        seen.push(m);
        if (m === 'cancel') timers.cancel('periodic');
        if (m === 'stop') return Behaviors.stopped;
        if (m === 'fail') throw new Error('fail');
      });
    });

  it('a single timer fires once after its delay', async () => {
    system.spawn(timed(t => t.startSingleTimer('k', 'once', 50)), 'single');
    scheduler.advance(49);
    await Promise.resolve();
    expect(seen).toEqual([]);
    scheduler.advance(1);
    await until(() => seen.length === 1, 'the timer message');
    scheduler.advance(1000);
    expect(seen).toEqual(['once']);
  });

  it('a periodic timer fires every interval until cancelled', async () => {
    const ref = system.spawn(timed(t => t.startPeriodicTimer('periodic', 'tick', 10)), 'periodic');
    for (let i = 0; i < 3; i++) scheduler.advance(10);
    await until(() => seen.length === 3, 'three ticks');
    ref.tell('cancel');
    await until(() => seen.includes('cancel'), 'cancel handled');
    scheduler.advance(100);
    expect(seen).toEqual(['tick', 'tick', 'tick', 'cancel']);
    expect(scheduler.pending).toBe(0);
  });

  it('starting a timer under a used key replaces the previous one', async () => {
    system.spawn(
      timed(t => {
        t.startSingleTimer('k', 'once', 10);
        t.startSingleTimer('k', 'tick', 20);
      }),
      'replace',
    );
    scheduler.advance(100);
    await until(() => seen.length === 1, 'one timer message');
    expect(seen).toEqual(['tick']);
  });

  it('cancels every timer when the actor stops', async () => {
    const ref = system.spawn(
      timed(t => {
        t.startPeriodicTimer('periodic', 'tick', 10);
        t.startSingleTimer('single', 'once', 500);
      }),
      'stopping',
    );
    expect(scheduler.pending).toBe(2);
    ref.tell('stop');
    await until(() => system.resolveLocal('/user/stopping') === undefined, 'the actor to stop');
    expect(scheduler.pending).toBe(0);
    scheduler.advance(1000);
    expect(seen).toEqual(['stop']);
  });

  it('reports whether a timer is active', () => {
    let timers!: TimerScheduler<Msg>;
    system.spawn(timed(t => (timers = t) && t.startSingleTimer('k', 'once', 10)), 'active');
    expect(timers.isTimerActive('k')).toBe(true);
    scheduler.advance(10);
    expect(timers.isTimerActive('k')).toBe(false);
    expect(() => timers.startPeriodicTimer('p', 'tick', 0)).toThrow(RangeError);
  });
});
