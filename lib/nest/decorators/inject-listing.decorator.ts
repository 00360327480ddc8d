/** `@InjectListing(KEY)`: injects the `Observable<Listing<T>>` that `forFeature([KEY])` provides. */
import { Inject } from '@nestjs/common';
import type { ServiceKey } from '../../actor/index.js';
import { getListingToken } from '../listing-token.js';

export function InjectListing<T>(key: ServiceKey<T>): PropertyDecorator & ParameterDecorator {
  return Inject(getListingToken(key as ServiceKey<unknown>));
}
