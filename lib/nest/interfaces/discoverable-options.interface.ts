/** Per-handler options of `@Discoverable(KEY, options)`. */
import type { ServiceKey, SupervisorStrategy } from '../../actor/index.js';

export interface DiscoverableOptions {
  /**
   * Name of the handler's actor under `/user`. Default: `Class.method` for a method,
   * `Class` for a class, with `-2`, `-3`… appended when that name is already used.
   */
  name?: string;
  /**
   * What happens when the handler throws or rejects. Default `SupervisorStrategy.resume()`:
   * the error is logged with the actor's path and the next message is handled as usual, so
   * one bad message does not take a service out of the registry for the application's lifetime.
   */
  supervisor?: SupervisorStrategy;
}

/** What `@Discoverable` records on a class or method; read back by the explorer. */
export interface DiscoverableMetadata {
  readonly key: ServiceKey<unknown>;
  readonly options: Readonly<DiscoverableOptions>;
}
