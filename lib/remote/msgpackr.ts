/**
 * The library's own msgpackr: a separate module instance (`msgpackr/index-no-eval`), so the
 * extensions registered here never reach the `msgpackr` an application imports, and the
 * application's never reach ours. That build also reads records without `new Function`.
 */
import { createRequire } from 'node:module';
import type * as Msgpackr from 'msgpackr';

// A CommonJS build, loaded by Node's own require in ESM and CommonJS apps alike.
export const msgpackr = createRequire(import.meta.url)('msgpackr/index-no-eval') as typeof Msgpackr;
export type Packr = Msgpackr.Packr;
export type Unpackr = Msgpackr.Unpackr;
