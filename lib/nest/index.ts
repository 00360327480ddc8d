/** The Nest face of the library: the module, the service, the decorators and their errors. */
import 'reflect-metadata';

export { Discoverable, InjectListing, type DiscoverableDecorator } from './decorators/index.js';
export {
  DiscoverableScopeError,
  InvalidDiscoverableError,
  InvalidReceptionistOptionsError,
  MissingOptionsFactoryError,
} from './errors/index.js';
export type {
  ActorHandler,
  DiscoverableOptions,
  ReceptionistClusterOptions,
  ReceptionistModuleAsyncOptions,
  ReceptionistModuleOptions,
  ReceptionistModuleRootOptions,
  ReceptionistOptionsFactory,
} from './interfaces/index.js';
export { getListingToken } from './listing-token.js';
export { ReceptionistModule } from './receptionist.module.js';
export { ReceptionistService } from './receptionist.service.js';
