/** The injection token of the `Observable<Listing<T>>` that `forFeature([key])` provides. */
import { ServiceKey } from '../actor/index.js';

/**
 * A readable string, so Nest's "can't resolve dependencies" message names the missing key
 * (and the fix: add the key to `ReceptionistModule.forFeature([...])`).
 */
export function getListingToken(key: ServiceKey<unknown>): string {
  if (!(key instanceof ServiceKey)) {
    throw new TypeError(`getListingToken() needs a ServiceKey, got ${String(key)}`);
  }
  return `ReceptionistListing(${key.id})`;
}
