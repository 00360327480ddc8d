/**
 * What exists once per application: the options, the ActorSystem, the listing streams and
 * the discovery of handlers. Always global, but it exports only internals; ReceptionistModule
 * decides where the public providers are visible (`isGlobal`).
 */
import { Inject, Module, type DynamicModule, type ModuleMetadata, type OnApplicationShutdown, type Provider } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { ActorSystem } from '../receptionist/index.js';
import { createActorSystem } from './actor-system.factory.js';
import { DiscoverableMetadataAccessor } from './discoverable-metadata.accessor.js';
import { DiscoverableExplorer } from './discoverable.explorer.js';
import { DiscoverableOrchestrator } from './discoverable.orchestrator.js';
import { ListingStreams } from './listing-streams.js';
import { RECEPTIONIST_ACTOR_SYSTEM, RECEPTIONIST_MODULE_OPTIONS } from './receptionist.constants.js';

@Module({})
export class ReceptionistCoreModule implements OnApplicationShutdown {
  constructor(@Inject(RECEPTIONIST_ACTOR_SYSTEM) private readonly system: ActorSystem) {}

  /** `optionsProviders` must provide RECEPTIONIST_MODULE_OPTIONS as resolved options. */
  static register(optionsProviders: Provider[], imports: ModuleMetadata['imports'] = []): DynamicModule {
    return {
      module: ReceptionistCoreModule,
      global: true,
      imports: [DiscoveryModule, ...imports],
      providers: [
        ...optionsProviders,
        { provide: RECEPTIONIST_ACTOR_SYSTEM, useFactory: createActorSystem, inject: [RECEPTIONIST_MODULE_OPTIONS] },
        ListingStreams,
        DiscoverableMetadataAccessor,
        DiscoverableOrchestrator,
        DiscoverableExplorer,
      ],
      exports: [RECEPTIONIST_ACTOR_SYSTEM, ListingStreams],
    };
  }

  /**
   * Runs after every provider's shutdown hooks in this module (the orchestrator has withdrawn
   * the handlers by then) and, the module being global, after the application's own modules.
   * Stops all actors, completes the listing streams; idempotent.
   */
  async onApplicationShutdown(): Promise<void> {
    await this.system.terminate();
  }
}
