/** The actor runtime: behaviors, refs, the system, supervision, timers and events. */
export { ActorAddress, InvalidActorAddressError, parseHostPort, type NodeLocation } from './actor-address.js';
export type { ActorContext } from './actor-context.js';
export { InternalActorRef, asInternal, type ActorRef, type DeliveryReceipt } from './actor-ref.js';
export { ActorSystem, DEFAULT_MAX_PENDING_ASKS, type ActorSystemOptions, type ReplyOf } from './actor-system.js';
export { PendingAsk } from './ask.js';
export { describeValue, printable } from './describe.js';
export { DeadActorRef } from './dead-actor-ref.js';
export { Behavior, ReceiveBehavior, type BehaviorResult, type MessageHandler, type SignalHandler } from './behavior.js';
export { Behaviors } from './behaviors.js';
export {
  ActorSystemError,
  AskTimeoutError,
  AskFailedError,
  TooManyPendingAsksError,
  ActorNameTakenError,
  InvalidActorNameError,
  ActorSystemTerminatedError,
} from './errors.js';
export { ActorStopped, DeadLetter } from './events.js';
export { EventStream, type EventClass } from './event-stream.js';
export { consoleLoggerFactory, silentLogger, type ActorLogger, type LoggerFactory, type LogLevel } from './logger.js';
export { systemScheduler, type Scheduler, type Cancellable } from './scheduler.js';
export { PostStop, PreRestart, Terminated, type Signal } from './signals.js';
export { SupervisorStrategy, type SupervisorKind } from './supervisor-strategy.js';
export type { TimerScheduler } from './timer-scheduler.js';
