/**
 * The actor runtime: behaviors, refs, the system, supervision, timers and events, and the
 * receptionist's protocol as plain types (the receptionist itself is a port of the system).
 */
export { ActorAddress, InvalidActorAddressError, parseHostPort, type NodeLocation } from './actor-address.js';
export type { ActorContext, SpawnOptions } from './actor-context.js';
export { InternalActorRef, asInternal, type ActorRef, type DeliveryReceipt } from './actor-ref.js';
export { ActorSystemCore, DEFAULT_MAX_PENDING_ASKS, type ActorSystemOptions, type ReceptionistFactory, type ReplyOf } from './actor-system.js';
export { PendingAsk } from './ask.js';
export { describeValue, printable } from './describe.js';
export { DeadActorRef } from './dead-actor-ref.js';
export type { SchedulingOptions } from './dispatcher.js';
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
export { ServiceKey } from './service-key.js';
export { Listing, type ServiceInstance } from './listing.js';
export {
  Register,
  Registered,
  Deregister,
  Deregistered,
  Find,
  Subscribe,
  Unsubscribe,
  type ReceptionistCommand,
} from './receptionist-protocol.js';
