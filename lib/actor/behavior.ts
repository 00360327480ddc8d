/**
 * A Behavior<T> is an immutable description of how an actor handles messages of type T.
 * The runtime interprets these few node kinds; users build them through `Behaviors`.
 */
import type { ActorContext } from './actor-context.js';
import type { Signal } from './signals.js';
import type { SupervisorStrategy } from './supervisor-strategy.js';

/** What a handler may return: the next behavior, or nothing (same as `Behaviors.same`), possibly async. */
export type BehaviorResult<T> = Behavior<T> | void | undefined | PromiseLike<Behavior<T> | void | undefined>;

export type MessageHandler<T> = (ctx: ActorContext<T>, message: T) => BehaviorResult<T>;
export type SignalHandler<T> = (ctx: ActorContext<T>, signal: Signal) => BehaviorResult<T>;

export abstract class Behavior<T> {
  /** Phantom field that carries the message type; never set. */
  declare readonly __messageType?: T;
}

export class ReceiveBehavior<T> extends Behavior<T> {
  constructor(
    readonly onMessage: MessageHandler<T> | undefined,
    readonly onSignal: SignalHandler<T> | undefined,
  ) {
    super();
  }

  /** Adds (or replaces) the signal handler: `Behaviors.receive(...).receiveSignal(...)`. */
  receiveSignal(handler: SignalHandler<T>): ReceiveBehavior<T> {
    return new ReceiveBehavior(this.onMessage, handler);
  }
}

export class SetupBehavior<T> extends Behavior<T> {
  constructor(readonly factory: (ctx: ActorContext<T>) => Behavior<T>) {
    super();
  }
}

export class SuperviseBehavior<T> extends Behavior<T> {
  constructor(
    readonly inner: Behavior<T>,
    readonly strategy: SupervisorStrategy,
  ) {
    super();
  }
}

export class SameBehavior extends Behavior<never> {}

export class StoppedBehavior<T> extends Behavior<T> {
  constructor(readonly postStop?: () => void | PromiseLike<void>) {
    super();
  }
}

/** Accepts nothing: every message is a dead letter. */
export class EmptyBehavior extends Behavior<never> {}

/** Accepts every message and drops it silently. */
export class IgnoreBehavior extends Behavior<never> {}
