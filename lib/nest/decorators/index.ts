export { Discoverable, type DiscoverableDecorator } from './discoverable.decorator.js';
export { InjectListing } from './inject-listing.decorator.js';
