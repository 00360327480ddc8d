import { Test, type TestingModule } from '@nestjs/testing';
import {
  AskTimeoutError,
  Behaviors,
  ReceptionistModule,
  ReceptionistService,
  ServiceKey,
  type ActorRef,
  type Listing,
} from '../../lib/index.js';
import { until } from '../support/eventually.js';
import { TestProbe } from '../support/probe.js';
import { Ping, Pong } from './fixtures/messages.js';

const ECHO_KEY = ServiceKey.of<Ping>('echo');

describe('ReceptionistService', () => {
  let app: TestingModule;
  let receptionist: ReceptionistService;

  beforeEach(async () => {
    app = await Test.createTestingModule({ imports: [ReceptionistModule.forRoot({ askTimeoutMs: 200 })] }).compile();
    await app.init();
    receptionist = app.get(ReceptionistService);
  });

  afterEach(async () => {
    await app.close();
  });

  function spawnEcho(name: string): ActorRef<Ping> {
    return receptionist.system.spawn(
      Behaviors.receiveMessage<Ping>(msg => msg.replyTo.tell(new Pong(`echo:${msg.text}`))),
      name,
    );
  }

  it('register resolves once acknowledged, so find includes the ref right after', async () => {
    const echo = spawnEcho('echo');

    await receptionist.register(ECHO_KEY, echo);

    const listing = await receptionist.find(ECHO_KEY);
    expect(listing.refs).toHaveLength(1);
    expect(listing.refs[0].equals(echo)).toBe(true);
  });

  it('deregister resolves once acknowledged, and the actor keeps running', async () => {
    const echo = spawnEcho('echo');
    await receptionist.register(ECHO_KEY, echo);

    await receptionist.deregister(ECHO_KEY, echo);

    expect((await receptionist.find(ECHO_KEY)).isEmpty).toBe(true);
    expect((await receptionist.ask(echo, replyTo => new Ping('still here', replyTo))).text).toBe('echo:still here');
  });

  it('lookup is find under another name', async () => {
    await receptionist.register(ECHO_KEY, spawnEcho('echo'));

    expect((await receptionist.lookup(ECHO_KEY)).refs).toHaveLength(1);
  });

  it('subscribe emits the current listing, then every change', async () => {
    const first = spawnEcho('first');
    await receptionist.register(ECHO_KEY, first);
    const sizes: number[] = [];
    const subscription = receptionist.subscribe(ECHO_KEY).subscribe((l: Listing<Ping>) => sizes.push(l.refs.length));
    await until(() => sizes.length === 1, 'the current listing');

    const second = spawnEcho('second');
    await receptionist.register(ECHO_KEY, second);
    await receptionist.deregister(ECHO_KEY, first);
    receptionist.system.stop(second);
    await until(() => sizes.length === 4, 'three changes');
    subscription.unsubscribe();

    expect(sizes).toEqual([1, 2, 1, 0]);
  });

  it('ask resolves with the reply sent to replyTo', async () => {
    const echo = spawnEcho('echo');

    const reply = await receptionist.ask(echo, replyTo => new Ping('hello', replyTo));

    expect(reply).toBeInstanceOf(Pong);
    expect(reply.text).toBe('echo:hello');
  });

  it('ask rejects with AskTimeoutError after the module default or the given timeout', async () => {
    const probe = new TestProbe<Ping>(receptionist.system, 'mute');

    const byDefault = receptionist.ask(probe.ref, replyTo => new Ping('?', replyTo));
    const byArgument = receptionist.ask(probe.ref, replyTo => new Ping('?', replyTo), 20);

    await expect(byArgument).rejects.toMatchObject({ name: 'AskTimeoutError', timeoutMs: 20 });
    await expect(byDefault).rejects.toBeInstanceOf(AskTimeoutError);
    await expect(byDefault).rejects.toMatchObject({ timeoutMs: 200 });
  });

  it('exposes the actor system', () => {
    expect(receptionist.system.name).toBe('nest');
    expect(receptionist.system.isTerminated).toBe(false);
  });
});
