import { ActorSystem, Behaviors, PreRestart, SupervisorStrategy, type ActorLogger, type Behavior } from '../../lib/index.js';
import { until } from '../support/eventually.js';
import { ManualScheduler } from '../support/manual-scheduler.js';
import { TestProbe } from '../support/probe.js';

type Cmd = { kind: 'fail' } | { kind: 'inc' } | { kind: 'get' } | { kind: 'fail-async' };

describe('Supervision', () => {
  let system: ActorSystem;
  let errors: string[];
  let scheduler: ManualScheduler | undefined;

  function start(withScheduler = false) {
    errors = [];
    scheduler = withScheduler ? new ManualScheduler() : undefined;
    const logger: ActorLogger = { log() {}, debug() {}, warn() {}, error: m => void errors.push(m) };
    system = ActorSystem.create('supervision', { logger: () => logger, scheduler });
  }
  afterEach(() => system.terminate());

  /** A counter that reports its state to the probe; its state lives in setup, so a restart resets it. */
  function counter(probe: TestProbe<number | string>): Behavior<Cmd> {
    return Behaviors.setup<Cmd>(() => {
      let n = 0;
      probe.ref.tell('started');
      return Behaviors.receiveMessage<Cmd>(async msg => {
        if (msg.kind === 'fail') throw new Error('boom');
        if (msg.kind === 'fail-async') {
          await Promise.resolve();
          throw new Error('async boom');
        }
        if (msg.kind === 'inc') n++;
        else probe.ref.tell(n);
      }).receiveSignal((_ctx, s) => {
        if (s instanceof PreRestart) probe.ref.tell('pre-restart');
      });
    });
  }

  it('stops the actor by default and logs the error with its path', async () => {
    start();
    const probe = new TestProbe<number | string>(system);
    const ref = system.spawn(counter(probe), 'fragile');
    expect(await probe.expectMessage()).toBe('started');
    ref.tell({ kind: 'fail' });
    await until(() => system.resolveLocal('/user/fragile') === undefined, 'the actor to stop');
    expect(errors.some(e => e.includes('/user/fragile') && e.includes('boom'))).toBe(true);
  });

  it('resume keeps the state and drops only the failing message', async () => {
    start();
    const probe = new TestProbe<number | string>(system);
    const ref = system.spawn(Behaviors.supervise(counter(probe), SupervisorStrategy.resume()), 'resume');
    ref.tell({ kind: 'inc' });
    ref.tell({ kind: 'fail' });
    ref.tell({ kind: 'fail-async' });
    ref.tell({ kind: 'inc' });
    ref.tell({ kind: 'get' });
    expect(await probe.fishFor(m => typeof m === 'number')).toBe(2);
    expect(probe.received.filter(m => m === 'started')).toHaveLength(1);
  });

  it('restart runs setup again, resets the state, and signals PreRestart', async () => {
    start();
    const probe = new TestProbe<number | string>(system);
    const ref = system.spawn(Behaviors.supervise(counter(probe), SupervisorStrategy.restart()), 'restart');
    ref.tell({ kind: 'inc' });
    ref.tell({ kind: 'inc' });
    ref.tell({ kind: 'fail-async' });
    ref.tell({ kind: 'inc' });
    ref.tell({ kind: 'get' });
    expect(await probe.fishFor(m => typeof m === 'number')).toBe(1);
    expect(probe.received).toEqual(['started', 'pre-restart', 'started', 1]);
  });

  it('restart with a limit stops the actor once the limit is reached', async () => {
    start();
    const probe = new TestProbe<number | string>(system);
    const ref = system.spawn(Behaviors.supervise(counter(probe), SupervisorStrategy.restart().withLimit(2, 60_000)), 'limited');
    for (let i = 0; i < 3; i++) ref.tell({ kind: 'fail' });
    await until(() => system.resolveLocal('/user/limited') === undefined, 'the actor to stop');
    expect(probe.received.filter(m => m === 'started')).toHaveLength(3);
    expect(errors.some(e => e.includes('restart limit of 2'))).toBe(true);
  });

  it('restart stops the children of the failed incarnation', async () => {
    start();
    const stopped: string[] = [];
    const parent = system.spawn(
      Behaviors.supervise(
        Behaviors.setup<'fail'>(ctx => {
          ctx.spawn(Behaviors.receiveSignal<never>(c => void stopped.push(c.self.path)), 'child');
          return Behaviors.receiveMessage<'fail'>(() => {
            throw new Error('parent failed');
          });
        }),
        SupervisorStrategy.restart().withLogging(false),
      ),
      'parent',
    );
    parent.tell('fail');
    await until(() => stopped.includes('/user/parent/child'), 'the old child to stop');
    await until(() => system.resolveLocal('/user/parent/child') !== undefined, 'a new child');
  });

  it('restartWithBackoff waits a doubling delay before each restart and keeps queued messages', async () => {
    start(true);
    const probe = new TestProbe<number | string>(system);
    const ref = system.spawn(
      Behaviors.supervise(counter(probe), SupervisorStrategy.restartWithBackoff(100, 1000, 0)),
      'backoff',
    );
    expect(await probe.expectMessage()).toBe('started');
    ref.tell({ kind: 'fail' });
    ref.tell({ kind: 'inc' });
    ref.tell({ kind: 'get' });
    await until(() => errors.some(e => e.includes('restarting in 100 ms')), 'the first failure');
    scheduler!.advance(99);
    expect(probe.received).toEqual(['started']);
    scheduler!.advance(1);
    // After the restart the queued messages are processed by the fresh instance.
    expect(await probe.fishFor(m => typeof m === 'number')).toBe(1);
    ref.tell({ kind: 'fail' });
    await until(() => errors.some(e => e.includes('restarting in 200 ms')), 'the second, longer backoff');
    scheduler!.advance(200);
    await probe.fishFor(m => m === 'started');
  });

  it('rejects an invalid backoff range', () => {
    expect(() => SupervisorStrategy.restartWithBackoff(100, 10)).toThrow(RangeError);
  });

  it('discoverable composes with supervise: the restarted actor stays registered once', async () => {
    start();
    const { ServiceKey } = await import('../../lib/index.js');
    const KEY = ServiceKey.of<Cmd>('supervised');
    const probe = new TestProbe<number | string>(system);
    const ref = system.spawn(Behaviors.discoverable(Behaviors.supervise(counter(probe), SupervisorStrategy.restart().withLogging(false)), KEY), 'svc');
    ref.tell({ kind: 'fail' });
    ref.tell({ kind: 'get' });
    await probe.fishFor(m => m === 0);
    const listing = await system.lookup(KEY);
    expect(listing.refs).toHaveLength(1);
    expect(listing.refs[0].equals(ref)).toBe(true);
  });
});
