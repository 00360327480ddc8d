import { ActorSystemError } from '../../actor/index.js';

/**
 * A `@Discoverable` handler lives in a provider that is request-scoped or transient (itself or
 * through a dependency). Its actor lives as long as the application, so there is no single
 * instance whose method it could call.
 */
export class DiscoverableScopeError extends ActorSystemError {
  /** Each offending handler with the reason, e.g. `PaymentHandler.onPayment (request-scoped)`. */
  constructor(readonly handlers: readonly string[]) {
    super(
      `@Discoverable handlers must live in singleton providers, but these do not: ${handlers.join(', ')}. ` +
        'Their actors live as long as the application, so there is no one instance to call. ' +
        'Use the default scope for the provider and everything it injects, and carry per-request data inside the message',
    );
  }
}
