/**
 * The module applications import: `forRoot` / `forRootAsync` once, in the root module, to
 * create the actor system; `forFeature([KEY])` wherever a listing is injected.
 */
import { Module, type DynamicModule, type Provider } from '@nestjs/common';
import type { ServiceKey } from '../actor/index.js';
import { ActorSystem } from '../receptionist/index.js';
import { MissingOptionsFactoryError } from './errors/index.js';
import type {
  ReceptionistModuleAsyncOptions,
  ReceptionistModuleOptions,
  ReceptionistModuleRootOptions,
  ReceptionistOptionsFactory,
} from './interfaces/index.js';
import { createListingProviders } from './listing.providers.js';
import { ReceptionistCoreModule } from './receptionist-core.module.js';
import { resolveReceptionistOptions } from './receptionist-module-options.js';
import { RECEPTIONIST_ACTOR_SYSTEM, RECEPTIONIST_MODULE_OPTIONS } from './receptionist.constants.js';
import { ReceptionistService } from './receptionist.service.js';

/** What a module importing forRoot or forFeature can inject besides listings. */
function publicProviders(): Provider[] {
  return [ReceptionistService, { provide: ActorSystem, useExisting: RECEPTIONIST_ACTOR_SYSTEM }];
}
const PUBLIC_EXPORTS = [ReceptionistService, ActorSystem] as const;

@Module({})
export class ReceptionistModule {
  /** Creates the application's actor system with static options. */
  static forRoot(options: ReceptionistModuleRootOptions = {}): DynamicModule {
    const { isGlobal, ...moduleOptions } = options ?? {};
    // Resolved at import time, so a mistake is reported with a stack pointing at the importing module.
    const resolved = resolveReceptionistOptions(moduleOptions);
    return {
      module: ReceptionistModule,
      global: isGlobal ?? false,
      imports: [ReceptionistCoreModule.register([{ provide: RECEPTIONIST_MODULE_OPTIONS, useValue: resolved }])],
      providers: publicProviders(),
      exports: [...PUBLIC_EXPORTS],
    };
  }

  /** Creates the application's actor system with options produced by a factory, a class, or an existing provider. */
  static forRootAsync(options: ReceptionistModuleAsyncOptions): DynamicModule {
    if (!options || (!options.useFactory && !options.useClass && !options.useExisting)) throw new MissingOptionsFactoryError();
    return {
      module: ReceptionistModule,
      global: options.isGlobal ?? false,
      imports: [ReceptionistCoreModule.register(createAsyncOptionsProviders(options), options.imports ?? [])],
      providers: publicProviders(),
      exports: [...PUBLIC_EXPORTS],
    };
  }

  /**
   * Provides `Observable<Listing<T>>` for each key, injected with `@InjectListing(KEY)`: the
   * current listing first, then each change. Also makes ReceptionistService and ActorSystem
   * injectable in the importing module. Needs `forRoot` / `forRootAsync` somewhere in the app.
   */
  static forFeature(keys: readonly ServiceKey<unknown>[] = []): DynamicModule {
    const listingProviders = createListingProviders(keys);
    return {
      module: ReceptionistModule,
      providers: [...publicProviders(), ...listingProviders],
      exports: [...PUBLIC_EXPORTS, ...listingProviders.map(p => (p as { provide: string }).provide)],
    };
  }
}

function createAsyncOptionsProviders(options: ReceptionistModuleAsyncOptions): Provider[] {
  if (options.useFactory) {
    const factory = options.useFactory as (...args: unknown[]) => ReceptionistModuleOptions | Promise<ReceptionistModuleOptions>;
    return [
      {
        provide: RECEPTIONIST_MODULE_OPTIONS,
        useFactory: async (...args: unknown[]) => resolveReceptionistOptions(await factory(...args)),
        inject: options.inject ?? [],
      },
    ];
  }
  const factoryClass = (options.useClass ?? options.useExisting)!;
  const providers: Provider[] = [
    {
      provide: RECEPTIONIST_MODULE_OPTIONS,
      useFactory: async (factory: ReceptionistOptionsFactory) => resolveReceptionistOptions(await factory.createReceptionistOptions()),
      inject: [factoryClass],
    },
  ];
  if (options.useClass) providers.push({ provide: options.useClass, useClass: options.useClass });
  return providers;
}
