/** One `Observable<Listing<T>>` provider per key, under `getListingToken(key)`. */
import type { Provider } from '@nestjs/common';
import type { ServiceKey } from '../actor/index.js';
import { ListingStreams } from './listing-streams.js';
import { getListingToken } from './listing-token.js';

export function createListingProviders(keys: readonly ServiceKey<unknown>[]): Provider[] {
  const byId = new Map<string, ServiceKey<unknown>>();
  for (const key of keys) byId.set(getListingToken(key), key);
  return [...byId].map(([token, key]) => ({
    provide: token,
    useFactory: (streams: ListingStreams) => streams.listing(key),
    inject: [ListingStreams],
  }));
}
