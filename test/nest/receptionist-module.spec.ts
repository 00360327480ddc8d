import { Injectable, Module, type ModuleMetadata, type Provider } from '@nestjs/common';
import { Test, type TestingModule } from '@nestjs/testing';
import {
  ActorSystem,
  AskTimeoutError,
  Behaviors,
  ClusterConfigurationError,
  Discoverable,
  InvalidReceptionistOptionsError,
  MissingOptionsFactoryError,
  ReceptionistModule,
  ReceptionistService,
  ServiceKey,
  type Listing,
} from '../../lib/index.js';
import { until } from '../support/eventually.js';
import { CaptureLogger } from './fixtures/capture-logger.js';
import { ConfigModule, ConfigService, ReceptionistConfig, ReceptionistConfigModule } from './fixtures/config.module.js';
import { Greeting, PingHandler } from './fixtures/handlers.js';
import { PING_KEY } from './fixtures/messages.js';

const SLOW_KEY = ServiceKey.of<string>('slow');

describe('ReceptionistModule', () => {
  let app: TestingModule | undefined;

  afterEach(async () => {
    await app?.close();
    app = undefined;
  });

  async function boot(imports: ModuleMetadata['imports'], providers: Provider[] = [], logger?: CaptureLogger): Promise<TestingModule> {
    const builder = Test.createTestingModule({ imports, providers });
    if (logger) builder.setLogger(logger);
    app = await builder.compile();
    await app.init();
    return app;
  }

  describe('forRoot', () => {
    it('creates one actor system with defaults, injectable as ActorSystem and through ReceptionistService', async () => {
      await boot([ReceptionistModule.forRoot()]);

      const system = app!.get(ActorSystem);
      expect(system).toBeInstanceOf(ActorSystem);
      expect(system.name).toBe('nest');
      expect(app!.get(ReceptionistService).system).toBe(system);
    });

    it('applies systemName and askTimeoutMs', async () => {
      await boot([ReceptionistModule.forRoot({ systemName: 'shop', askTimeoutMs: 30 })]);
      const receptionist = app!.get(ReceptionistService);
      const silent = receptionist.system.spawn(Behaviors.ignore as never, 'silent');

      const started = Date.now();
      await expect(receptionist.ask(silent, replyTo => ({ replyTo }))).rejects.toBeInstanceOf(AskTimeoutError);

      expect(receptionist.system.name).toBe('shop');
      expect(Date.now() - started).toBeLessThan(2000);
    });

    it('rejects invalid cluster options with the field named', () => {
      expect(() => ReceptionistModule.forRoot({ cluster: { host: '127.0.0.1', port: -1 } })).toThrow(InvalidReceptionistOptionsError);
      expect(() => ReceptionistModule.forRoot({ cluster: { host: '127.0.0.1', port: -1 } })).toThrow(/cluster\.port/);
      expect(() => ReceptionistModule.forRoot({ cluster: { host: '127.0.0.1', port: 25520, seeds: ['nowhere'] } })).toThrow(ClusterConfigurationError);
      expect(() => ReceptionistModule.forRoot({ cluster: { host: '127.0.0.1', port: 25520, gossipIntervalMs: 0 } })).toThrow(/gossipIntervalMs/);
    });

    it('rejects invalid options with the field named', () => {
      expect(() => ReceptionistModule.forRoot({ systemName: 'no spaces' })).toThrow(/systemName/);
      expect(() => ReceptionistModule.forRoot({ askTimeoutMs: 0 })).toThrow(/askTimeoutMs/);
      expect(() => ReceptionistModule.forRoot({ logLevel: 'loud' as never })).toThrow(/logLevel/);
      expect(() => ReceptionistModule.forRoot({ sytemName: 'typo' } as never)).toThrow(InvalidReceptionistOptionsError);
    });
  });

  describe('forRootAsync', () => {
    it('builds the options with useFactory from injected providers of imported modules', async () => {
      await boot([
        ReceptionistModule.forRootAsync({
          imports: [ConfigModule],
          inject: [ConfigService],
          useFactory: async (config: ConfigService) => ({ systemName: config.get('RECEPTIONIST_SYSTEM') }),
        }),
      ]);

      expect(app!.get(ActorSystem).name).toBe('configured');
    });

    it('builds the options with useClass', async () => {
      await boot([ReceptionistModule.forRootAsync({ imports: [ConfigModule], useClass: ReceptionistConfig })]);

      expect(app!.get(ActorSystem).name).toBe('configured');
    });

    it('builds the options with useExisting', async () => {
      await boot([ReceptionistModule.forRootAsync({ imports: [ReceptionistConfigModule], useExisting: ReceptionistConfig })]);

      expect(app!.get(ActorSystem).name).toBe('configured');
    });

    it('fails clearly when no factory is given', () => {
      expect(() => ReceptionistModule.forRootAsync({ imports: [ConfigModule] })).toThrow(MissingOptionsFactoryError);
      expect(() => ReceptionistModule.forRootAsync({})).toThrow(/needs one of useFactory, useClass or useExisting/);
    });

    it('validates what the factory returns at startup', async () => {
      const compiling = Test.createTestingModule({
        imports: [ReceptionistModule.forRootAsync({ useFactory: () => ({ cluster: { host: 'localhost', port: 1, seeds: ['127.0.0.1:1'] } }) })],
      }).compile();

      await expect(compiling).rejects.toThrow(ClusterConfigurationError);
    });
  });

  describe('visibility', () => {
    @Injectable()
    class UsesReceptionist {
      constructor(readonly receptionist: ReceptionistService) {}
    }

    it('with isGlobal, makes ReceptionistService injectable in every module', async () => {
      @Module({ providers: [UsesReceptionist] })
      class FeatureModule {}

      await boot([ReceptionistModule.forRoot({ isGlobal: true }), FeatureModule]);

      expect(app!.get(UsesReceptionist).receptionist).toBeInstanceOf(ReceptionistService);
    });

    it('without isGlobal, makes it injectable where forFeature is imported', async () => {
      @Module({ imports: [ReceptionistModule.forFeature()], providers: [UsesReceptionist] })
      class FeatureModule {}

      await boot([ReceptionistModule.forRoot(), FeatureModule]);

      expect(app!.get(UsesReceptionist).receptionist.system).toBe(app!.get(ActorSystem));
    });

    it('tells a module using forFeature without forRoot what is missing', async () => {
      await expect(Test.createTestingModule({ imports: [ReceptionistModule.forFeature()] }).compile()).rejects.toThrow(
        /ReceptionistModule\.forRoot\(\)/,
      );
    });

    it('without isGlobal, does not leak ReceptionistService into other modules', async () => {
      @Module({ providers: [UsesReceptionist] })
      class FeatureModule {}

      await expect(
        Test.createTestingModule({ imports: [ReceptionistModule.forRoot(), FeatureModule] }).compile(),
      ).rejects.toThrow(/ReceptionistService/);
    });
  });

  describe('logging', () => {
    it("sends actor-system logs to Nest's Logger with the actor path as context", async () => {
      const logger = new CaptureLogger();
      await boot([ReceptionistModule.forRoot()], [Greeting, PingHandler], logger);
      const system = app!.get(ActorSystem);
      const failing = system.spawn(
        Behaviors.receiveMessage<string>(() => {
          throw new Error('bad message');
        }),
        'failing',
      );

      failing.tell('x');

      await until(() => logger.lines.some(l => l.level === 'error' && l.context === '/user/failing'), 'the failure to be logged');
      expect(logger.find(l => l.context === 'ReceptionistModule')?.message).toContain(
        'PingHandler.onPing is discoverable under "ping" as /user/PingHandler.onPing',
      );
    });

    it('drops actor-system lines below logLevel', async () => {
      const logger = new CaptureLogger();
      await boot([ReceptionistModule.forRoot({ logLevel: 'error' })], [], logger);
      const system = app!.get(ActorSystem);
      const stopped = system.spawn(Behaviors.stopped as never, 'gone');
      await until(() => system.resolveLocal(stopped.path) === undefined, 'the actor to stop');

      (stopped as { tell(m: string): void }).tell('lost');
      const failing = system.spawn(
        Behaviors.receiveMessage<string>(() => {
          throw new Error('still logged');
        }),
        'failing',
      );
      failing.tell('x');

      await until(() => logger.lines.some(l => l.message.includes('still logged')), 'the error line');
      expect(system.deadLetterCount).toBe(1);
      expect(logger.lines.some(l => l.message.includes('Dead letter'))).toBe(false);
    });
  });

  describe('shutdown', () => {
    it('withdraws the handlers, terminates the actor system and completes the listings', async () => {
      await boot([ReceptionistModule.forRoot()], [Greeting, PingHandler]);
      const receptionist = app!.get(ReceptionistService);
      const system = receptionist.system;
      const seen: Listing<unknown>[] = [];
      let completed = false;
      receptionist.subscribe(PING_KEY).subscribe({ next: l => seen.push(l), complete: () => (completed = true) });
      await until(() => seen.length === 1, 'the current listing');

      await app!.close();
      app = undefined;

      expect(system.isTerminated).toBe(true);
      expect(completed).toBe(true);
      expect(seen.map(l => l.refs.length)).toEqual([1, 0]);
    });

    it('shuts down promptly on a signal, waiting for a handler that is still running', async () => {
      let finished = false;
      @Injectable()
      class Slow {
        @Discoverable(SLOW_KEY)
        async handle(): Promise<void> {
          await new Promise(resolve => setTimeout(resolve, 50));
          finished = true;
        }
      }
      await boot([ReceptionistModule.forRoot()], [Slow]);
      (await app!.get(ReceptionistService).find(SLOW_KEY)).refs[0].tell('go');

      const started = Date.now();
      await app!.close('SIGTERM');
      app = undefined;

      expect(finished).toBe(true);
      expect(Date.now() - started).toBeLessThan(1000);
    });

    it('is idempotent: the system may already be terminated, and close may run twice', async () => {
      const module = await boot([ReceptionistModule.forRoot()], [Greeting, PingHandler]);
      const system = module.get(ActorSystem);
      await system.terminate();

      await module.close();
      await module.close();
      app = undefined;

      expect(system.isTerminated).toBe(true);
    });
  });
});
