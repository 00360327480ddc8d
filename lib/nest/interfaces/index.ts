export type { ActorHandler } from './actor-handler.interface.js';
export type { DiscoverableMetadata, DiscoverableOptions } from './discoverable-options.interface.js';
export type {
  ReceptionistClusterOptions,
  ReceptionistModuleAsyncOptions,
  ReceptionistModuleOptions,
  ReceptionistModuleRootOptions,
  ReceptionistOptionsFactory,
} from './receptionist-module-options.interface.js';
