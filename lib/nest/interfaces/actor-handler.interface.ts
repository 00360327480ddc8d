/** The contract of a provider class marked `@Discoverable(KEY)`. */
import type { ActorContext } from '../../actor/index.js';

/**
 * A provider whose `receive` handles each message sent to its actor. Messages arrive one at a
 * time: a returned promise is awaited before the next message; any other return value is ignored.
 */
export interface ActorHandler<T> {
  receive(message: T, ctx: ActorContext<T>): unknown;
}
