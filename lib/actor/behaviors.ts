/**
 * The factory for every behavior users write. Behaviors are values: compose them freely,
 * return them from handlers to change state, and spawn the same one many times.
 */
import type { ActorContext } from './actor-context.js';
import type { ActorCell } from './actor-cell.js';
import {
  Behavior,
  EmptyBehavior,
  IgnoreBehavior,
  ReceiveBehavior,
  SameBehavior,
  SetupBehavior,
  StoppedBehavior,
  SuperviseBehavior,
  type BehaviorResult,
  type MessageHandler,
  type SignalHandler,
} from './behavior.js';
import { Register } from './receptionist-protocol.js';
import type { ServiceKey } from './service-key.js';
import type { SupervisorStrategy } from './supervisor-strategy.js';
import type { TimerScheduler } from './timer-scheduler.js';

const same = new SameBehavior();
const empty = new EmptyBehavior();
const ignore = new IgnoreBehavior();
const stopped = new StoppedBehavior<never>();

export const Behaviors = {
  /** Handles each message with the context; return the next behavior or nothing to keep this one. */
  receive<T>(handler: MessageHandler<T>): ReceiveBehavior<T> {
    return new ReceiveBehavior(handler, undefined);
  },

  /** Like `receive` for handlers that do not need the context. */
  receiveMessage<T>(handler: (message: T) => BehaviorResult<T>): ReceiveBehavior<T> {
    return new ReceiveBehavior<T>((_ctx, message) => handler(message), undefined);
  },

  /** Handles only signals (PostStop, PreRestart, Terminated); messages are dead letters. */
  receiveSignal<T>(handler: SignalHandler<T>): ReceiveBehavior<T> {
    return new ReceiveBehavior<T>(undefined, handler);
  },

  /** Runs `factory` when the actor starts (and again on each restart) and continues with its result. */
  setup<T>(factory: (ctx: ActorContext<T>) => Behavior<T>): Behavior<T> {
    return new SetupBehavior(factory);
  },

  /** Gives the behavior keyed timers that send messages to self; all are cancelled on stop and restart. */
  withTimers<T>(factory: (timers: TimerScheduler<T>) => Behavior<T>): Behavior<T> {
    return new SetupBehavior<T>(ctx => factory((ctx as ActorCell<T>).timers));
  },

  /** Applies `strategy` when a handler of `behavior` throws or rejects. */
  supervise<T>(behavior: Behavior<T>, strategy: SupervisorStrategy): Behavior<T> {
    return new SuperviseBehavior(behavior, strategy);
  },

  /**
   * Registers the actor under `key` with the receptionist as it starts. The entry goes away
   * by itself when the actor stops; subscribers are told either way.
   */
  discoverable<T>(behavior: Behavior<T>, key: ServiceKey<T>): Behavior<T> {
    return new SetupBehavior<T>(ctx => {
      ctx.system.receptionist.tell(new Register(key, ctx.self));
      return behavior;
    });
  },

  /** Keep the current behavior. */
  same: same as Behavior<never>,
  /** Stop this actor after the current message. */
  stopped: stopped as Behavior<never>,
  /** Stop, running `postStop` once the actor and its children have stopped. */
  stoppedWith(postStop: () => void | PromiseLike<void>): Behavior<never> {
    return new StoppedBehavior(postStop);
  },
  /** Accepts no messages: each becomes a dead letter. */
  empty: empty as Behavior<never>,
  /** Accepts every message and drops it. */
  ignore: ignore as Behavior<never>,
} as const;
