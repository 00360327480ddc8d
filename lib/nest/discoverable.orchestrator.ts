/**
 * Runs the handlers the explorer found: at bootstrap each becomes an actor registered under its
 * key; before shutdown the registrations are withdrawn (acknowledged) so observers see the
 * application's entries go before the actor system terminates.
 */
import { Inject, Injectable, Logger, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import { Behaviors, Deregister, SupervisorStrategy, type ActorContext, type ActorRef, type Behavior, type Deregistered, type ServiceKey } from '../actor/index.js';
import { ActorSystem } from '../receptionist/index.js';
import type { DiscoverableOptions } from './interfaces/index.js';
import { RECEPTIONIST_ACTOR_SYSTEM, RECEPTIONIST_LOGGER_CONTEXT } from './receptionist.constants.js';

/** One `@Discoverable` use, bound to its provider instance. */
export interface DiscoverableHandler {
  readonly key: ServiceKey<unknown>;
  /** `Class.method` or `Class`: the default actor name and what logs call it. */
  readonly label: string;
  readonly options: Readonly<DiscoverableOptions>;
  readonly handle: (message: unknown, ctx: ActorContext<unknown>) => unknown;
}

interface RunningHandler {
  readonly key: ServiceKey<unknown>;
  readonly ref: ActorRef<unknown>;
  readonly label: string;
}

@Injectable()
export class DiscoverableOrchestrator implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(RECEPTIONIST_LOGGER_CONTEXT);
  private readonly pending: DiscoverableHandler[] = [];
  private readonly running: RunningHandler[] = [];
  private readonly usedNames = new Set<string>();

  constructor(@Inject(RECEPTIONIST_ACTOR_SYSTEM) private readonly system: ActorSystem) {}

  add(handler: DiscoverableHandler): void {
    this.pending.push(handler);
  }

  onApplicationBootstrap(): void {
    for (const handler of this.pending.splice(0)) this.start(handler);
  }

  async beforeApplicationShutdown(): Promise<void> {
    const running = this.running.splice(0);
    if (running.length === 0 || this.system.isTerminated) return;
    const results = await Promise.allSettled(
      running.map(({ key, ref }) =>
        this.system.ask<Deregistered<unknown>>(this.system.receptionist, replyTo => new Deregister(key, ref, replyTo)),
      ),
    );
    results.forEach((result, i) => {
      if (result.status === 'rejected') {
        this.logger.warn(`Could not withdraw ${running[i].label} from "${running[i].key.id}" before shutdown: ${String(result.reason)}`);
      }
    });
  }

  private start(handler: DiscoverableHandler): void {
    const name = handler.options.name ?? this.uniqueName(handler.label);
    this.usedNames.add(name);
    const supervisor = handler.options.supervisor ?? SupervisorStrategy.resume();
    // discoverable outside supervise: the entry is made once, and a restart does not repeat it.
    const behavior = Behaviors.discoverable(Behaviors.supervise(handlerBehavior(handler.handle), supervisor), handler.key);
    // The Register is in the receptionist's mailbox once spawn returns, so any later find sees it.
    const ref = this.system.spawn(behavior, name);
    this.running.push({ key: handler.key, ref, label: handler.label });
    this.logger.log(`${handler.label} is discoverable under "${handler.key.id}" as ${ref.path}`);
  }

  private uniqueName(label: string): string {
    const base = label.replace(/[^A-Za-z0-9_\-.:@+!~*'()=,;]/g, '_').replace(/^\$+/, '') || 'handler';
    let name = base;
    for (let n = 2; this.usedNames.has(name); n++) name = `${base}-${n}`;
    return name;
  }
}

/** Calls the handler once per message; an async handler holds the mailbox until it settles. */
function handlerBehavior(handle: DiscoverableHandler['handle']): Behavior<unknown> {
  return Behaviors.receive<unknown>((ctx, message) => {
    const result = handle(message, ctx);
    if (isThenable(result)) return Promise.resolve(result).then(() => undefined);
    return undefined;
  });
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return value !== null && typeof value === 'object' && typeof (value as { then?: unknown }).then === 'function';
}
