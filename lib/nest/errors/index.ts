export { DiscoverableScopeError } from './discoverable-scope.error.js';
export { InvalidDiscoverableError } from './invalid-discoverable.error.js';
export { InvalidReceptionistOptionsError } from './invalid-receptionist-options.error.js';
export { MissingOptionsFactoryError } from './missing-options-factory.error.js';
