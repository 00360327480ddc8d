import { Controller, Injectable, Scope, type Provider } from '@nestjs/common';
import { Test, type TestingModule } from '@nestjs/testing';
import {
  ActorSystem,
  Discoverable,
  DiscoverableScopeError,
  InvalidDiscoverableError,
  ReceptionistModule,
  ReceptionistService,
  ServiceKey,
  SupervisorStrategy,
  type ActorContext,
  type ActorHandler,
} from '../../lib/index.js';
import { until } from '../support/eventually.js';
import { CaptureLogger } from './fixtures/capture-logger.js';
import { AuditHandler, Greeting, PingHandler } from './fixtures/handlers.js';
import { AUDIT_KEY, PING_KEY, Ping, type Pong } from './fixtures/messages.js';

describe('@Discoverable', () => {
  let app: TestingModule | undefined;

  afterEach(async () => {
    await app?.close();
    app = undefined;
  });

  async function boot(providers: Provider[], logger?: CaptureLogger) {
    const builder = Test.createTestingModule({ imports: [ReceptionistModule.forRoot()], providers });
    if (logger) builder.setLogger(logger);
    app = await builder.compile();
    await app.init();
    return app.get(ReceptionistService);
  }

  it('registers a method handler under its key at bootstrap, so find() returns it', async () => {
    const receptionist = await boot([Greeting, PingHandler]);

    const listing = await receptionist.find(PING_KEY);

    expect(listing.refs).toHaveLength(1);
    expect(listing.refs[0].path).toBe('/user/PingHandler.onPing');
  });

  it('calls the method with `this` bound to the provider instance and its injected dependencies', async () => {
    const receptionist = await boot([Greeting, PingHandler]);
    const [ref] = (await receptionist.find(PING_KEY)).refs;

    const reply: Pong = await receptionist.ask(ref, replyTo => new Ping('hi', replyTo));

    expect(reply.text).toBe('pong:hi from /user/PingHandler.onPing');
    expect(app!.get(PingHandler).handled).toEqual(['hi']);
  });

  it('registers a provider class through its receive() method', async () => {
    const receptionist = await boot([Greeting, AuditHandler]);
    const listing = await receptionist.find(AUDIT_KEY);

    expect(listing.refs.map(r => r.path)).toEqual(['/user/AuditHandler']);
    const reply = await receptionist.ask(listing.refs[0], replyTo => new Ping('x', replyTo));
    expect(reply.text).toBe('audited:x:pong');
  });

  it('finds handlers on useValue and useFactory providers through the class of their instance', async () => {
    const receptionist = await boot([
      Greeting,
      { provide: 'AUDIT_BY_VALUE', useValue: new AuditHandler(new Greeting()) },
      { provide: 'PING_BY_FACTORY', useFactory: (greeting: Greeting) => new PingHandler(greeting), inject: [Greeting] },
    ]);

    expect((await receptionist.find(AUDIT_KEY)).refs).toHaveLength(1);
    expect((await receptionist.find(PING_KEY)).refs).toHaveLength(1);
  });

  it('finds handlers on controllers', async () => {
    const KEY = ServiceKey.of<Ping>('from-controller');
    @Controller()
    class PingController {
      @Discoverable(KEY)
      ping(msg: Ping) {
        msg.replyTo.tell({ text: 'controller' });
      }
    }
    const builder = Test.createTestingModule({ imports: [ReceptionistModule.forRoot()], controllers: [PingController] });
    app = await builder.compile();
    await app.init();
    const receptionist = app.get(ReceptionistService);

    const [ref] = (await receptionist.find(KEY)).refs;
    expect((await receptionist.ask(ref, r => new Ping('?', r))).text).toBe('controller');
  });

  it('starts one actor per @Discoverable, named after class and method and unique', async () => {
    const ROOMS = ServiceKey.of<string>('rooms');
    const ALSO = ServiceKey.of<string>('also');
    @Injectable()
    class Rooms {
      @Discoverable(ROOMS)
      lobby(_msg: string) {}

      @Discoverable(ROOMS)
      @Discoverable(ALSO)
      support(_msg: string) {}
    }
    @Injectable()
    class Named {
      @Discoverable(ROOMS, { name: 'custom-room' })
      named(_msg: string) {}
    }
    const receptionist = await boot([Rooms, { provide: 'SECOND_ROOMS', useValue: new Rooms() }, Named]);

    const rooms = (await receptionist.find(ROOMS)).refs.map(r => r.path).sort();
    const also = (await receptionist.find(ALSO)).refs.map(r => r.path).sort();

    expect(rooms).toHaveLength(5);
    expect(rooms).toEqual(
      expect.arrayContaining(['/user/Rooms.lobby', '/user/Rooms.lobby-2', '/user/Rooms.support', '/user/custom-room']),
    );
    expect(new Set(rooms).size).toBe(5);
    expect(also).toHaveLength(2);
    expect(also.every(path => !rooms.includes(path))).toBe(true);
  });

  it('handles one message at a time, in order, awaiting an async handler before the next', async () => {
    const SLOW = ServiceKey.of<number>('slow');
    @Injectable()
    class Slow {
      readonly events: string[] = [];
      @Discoverable(SLOW)
      async handle(n: number) {
        this.events.push(`start ${n}`);
        await new Promise(resolve => setImmediate(resolve));
        this.events.push(`end ${n}`);
      }
    }
    const receptionist = await boot([Slow]);
    const [ref] = (await receptionist.find(SLOW)).refs;

    for (let n = 1; n <= 3; n++) ref.tell(n);

    const slow = app!.get(Slow);
    await until(() => slow.events.length === 6, 'three messages handled');
    expect(slow.events).toEqual(['start 1', 'end 1', 'start 2', 'end 2', 'start 3', 'end 3']);
  });

  it('logs a failing handler with its actor path and keeps handling the next messages', async () => {
    const FLAKY = ServiceKey.of<string>('flaky');
    @Injectable()
    class Flaky {
      readonly ok: string[] = [];
      @Discoverable(FLAKY)
      async handle(msg: string) {
        if (msg === 'boom') throw new Error('card declined');
        this.ok.push(msg);
      }
    }
    const logger = new CaptureLogger();
    const receptionist = await boot([Flaky], logger);
    const [ref] = (await receptionist.find(FLAKY)).refs;

    ref.tell('a');
    ref.tell('boom');
    ref.tell('b');

    await until(() => app!.get(Flaky).ok.length === 2, 'the message after the failure');
    const line = logger.find(l => l.level === 'error' && l.message.includes('card declined'));
    expect(line?.message).toContain('/user/Flaky.handle');
    expect(line?.context).toBe('/user/Flaky.handle');
    expect((await receptionist.find(FLAKY)).refs).toHaveLength(1);
  });

  it('applies a supervisor strategy given in the options', async () => {
    const FRAGILE = ServiceKey.of<string>('fragile');
    @Injectable()
    class Fragile {
      @Discoverable(FRAGILE, { supervisor: SupervisorStrategy.stop() })
      handle() {
        throw new Error('fatal');
      }
    }
    const receptionist = await boot([Fragile], new CaptureLogger());
    const [ref] = (await receptionist.find(FRAGILE)).refs;

    ref.tell('x');

    await until(() => (receptionist.system.resolveLocal(ref.path) ?? null) === null, 'the handler to stop');
    expect((await receptionist.find(FRAGILE)).refs).toHaveLength(0);
  });

  it('rejects a request-scoped provider with DiscoverableScopeError at init', async () => {
    @Injectable({ scope: Scope.REQUEST })
    class PerRequest {
      @Discoverable(PING_KEY)
      onPing(_msg: Ping) {}
    }
    app = await Test.createTestingModule({ imports: [ReceptionistModule.forRoot()], providers: [PerRequest] }).compile();

    const init = app.init();

    await expect(init).rejects.toThrow(DiscoverableScopeError);
    await expect(init).rejects.toThrow(/singleton.*PerRequest\.onPing \(request-scoped\)/s);
  });

  it('rejects a transient provider and one that depends on a request-scoped provider', async () => {
    @Injectable({ scope: Scope.TRANSIENT })
    class Transient implements ActorHandler<Ping> {
      receive() {}
    }
    @Injectable({ scope: Scope.REQUEST })
    class RequestData {}
    @Discoverable(AUDIT_KEY)
    @Injectable()
    class NeedsRequest implements ActorHandler<Ping> {
      constructor(readonly data: RequestData) {}
      receive() {}
    }
    Discoverable(AUDIT_KEY)(Transient);
    app = await Test.createTestingModule({
      imports: [ReceptionistModule.forRoot()],
      providers: [Transient, RequestData, NeedsRequest],
    }).compile();

    const error = await app.init().then(
      () => undefined,
      (e: unknown) => e,
    );

    expect(error).toBeInstanceOf(DiscoverableScopeError);
    expect((error as DiscoverableScopeError).handlers).toEqual(
      expect.arrayContaining(['Transient (transient)', 'NeedsRequest (depends on a request-scoped provider)']),
    );
  });

  it('rejects a class-level @Discoverable without a receive method', async () => {
    @Injectable()
    class NoReceive {
      handle(_msg: Ping) {}
    }
    (Discoverable(PING_KEY) as (target: Function) => void)(NoReceive);
    app = await Test.createTestingModule({ imports: [ReceptionistModule.forRoot()], providers: [NoReceive] }).compile();

    await expect(app.init()).rejects.toThrow(InvalidDiscoverableError);
  });

  it('rejects misuse at decoration time: no ServiceKey, a static method', () => {
    expect(() => Discoverable('ping' as unknown as ServiceKey<string>)).toThrow(InvalidDiscoverableError);
    expect(() => {
      class Static {
        @Discoverable(PING_KEY)
        static onPing(_msg: Ping, _ctx: ActorContext<Ping>) {}
      }
      return Static;
    }).toThrow(/static method Static\.onPing/);
  });

  it('stops the handlers and the actor system when the application closes', async () => {
    const receptionist = await boot([Greeting, PingHandler, AuditHandler]);
    const system = app!.get(ActorSystem);
    const [ref] = (await receptionist.find(PING_KEY)).refs;

    await app!.close();
    app = undefined;

    expect(system.isTerminated).toBe(true);
    await system.whenTerminated;
    expect(system.resolveLocal(ref.path)).toBeUndefined();
  });
});
