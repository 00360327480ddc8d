/**
 * The running actor: mailbox, current behavior, children, watchers and supervision.
 * One cell processes one message at a time in arrival order; an async handler holds the
 * mailbox until its promise settles, so handlers never overlap.
 */
import { ActorAddress, isValidPathSegment } from './actor-address.js';
import type { ActorContext, SpawnOptions } from './actor-context.js';
import { InternalActorRef, asInternal, type ActorRef, type DeliveryReceipt } from './actor-ref.js';
import type { ActorSystemCore } from './actor-system.js';
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
} from './behavior.js';
import { ActorNameTakenError, ActorSystemError, InvalidActorNameError } from './errors.js';
import { ActorStopped } from './events.js';
import type { ActorLogger } from './logger.js';
import { Queue } from './queue.js';
import type { Runnable } from './dispatcher.js';
import type { Cancellable } from './scheduler.js';
import { PostStop, PreRestart, Terminated, type Signal } from './signals.js';
import type { SupervisorStrategy } from './supervisor-strategy.js';
import { ActorTimers } from './timer-scheduler.js';

const RUNNING = 0;
const STOPPING = 1;
const STOPPED = 2;


interface Supervision<T> {
  readonly strategy: SupervisorStrategy;
  readonly initial: Behavior<T>;
  restartTimes: number[];
  backoffCount: number;
  lastFailureAt: number;
}

export class LocalActorRef<T> extends InternalActorRef<T> {
  constructor(
    readonly cell: ActorCell<T>,
    readonly address: ActorAddress,
  ) {
    super();
  }

  tell(message: T): void {
    this.cell.enqueue(message);
  }

  override tellWithReceipt(message: T, receipt: DeliveryReceipt): void {
    this.cell.enqueue(message, receipt);
  }

  sendSignal(signal: Signal): void {
    this.cell.enqueueSignal(signal);
  }

  override sendSignalAfterMessages(signal: Signal): void {
    this.cell.enqueueSignalAfterMessages(signal);
  }

  addWatcher(watcher: InternalActorRef<never>): void {
    this.cell.addWatcher(watcher);
  }

  removeWatcher(watcher: InternalActorRef<never>): void {
    this.cell.removeWatcher(watcher);
  }

  get isTerminated(): boolean {
    return this.cell.isStopped;
  }
}

let anonymousCounter = 0;
const EMPTY_CHILDREN: ReadonlyMap<string, ActorCell<unknown>> = new Map();

function randomUid(): number {
  // 48 random bits: unique per incarnation in practice, and a safe integer on the wire.
  return Math.floor(Math.random() * 0x1000000) * 0x1000000 + Math.floor(Math.random() * 0x1000000) + 1;
}

export class ActorCell<T> implements ActorContext<T>, Runnable {
  readonly self: LocalActorRef<T>;
  // Collections most actors never use are created on first use: an idle actor stays small.
  private childMap?: Map<string, ActorCell<unknown>>;
  private watchers?: Set<InternalActorRef<never>>;
  private watching?: Map<string, InternalActorRef<never>>;
  private signals?: Queue<Signal>;
  private readonly mailbox = new Queue<T>(4);
  /**
   * Receipts of messages still in the mailbox, with the enqueue count each one waits for:
   * messages are counted in and out, so untracked messages cost two increments and nothing else.
   */
  private receipts?: Queue<DeliveryReceipt>;
  private receiptAt?: Queue<number>;
  private enqueued = 0;
  private dequeued = 0;
  /** Set at spawn for a bounded mailbox. */
  private mailboxCapacity = Infinity;
  private behavior: Behavior<T> = new EmptyBehavior();
  private supervision?: Supervision<T>;
  private status = RUNNING;
  private scheduled = false;
  private busy = false;
  private suspended = false;
  private pendingRestart?: Cancellable;
  private postStopHook?: () => void | PromiseLike<void>;
  private timersImpl?: ActorTimers<T>;
  private logImpl?: ActorLogger;
  private stoppedPromise?: Promise<void>;
  private resolveStopped?: () => void;

  constructor(
    readonly system: ActorSystemCore,
    readonly parent: ActorCell<unknown> | undefined,
    path: string,
  ) {
    const loc = system.location;
    this.self = new LocalActorRef(this, new ActorAddress(loc.system, path, randomUid(), loc.host, loc.port));
  }

  get path(): string {
    return this.self.address.path;
  }

  /** Settles once the actor has fully stopped (children stopped, PostStop ran). */
  get whenStopped(): Promise<void> {
    this.stoppedPromise ??=
      this.status === STOPPED ? Promise.resolve() : new Promise<void>(resolve => (this.resolveStopped = resolve));
    return this.stoppedPromise;
  }

  get childCells(): ReadonlyMap<string, ActorCell<unknown>> {
    return this.childMap ?? EMPTY_CHILDREN;
  }

  get isStopped(): boolean {
    return this.status === STOPPED;
  }

  get log(): ActorLogger {
    return (this.logImpl ??= this.system.loggerFor(this.path));
  }

  get timers(): ActorTimers<T> {
    return (this.timersImpl ??= new ActorTimers(this.system.scheduler, m => this.self.tell(m)));
  }

  get children(): ReadonlyMap<string, ActorRef<never>> {
    const view = new Map<string, ActorRef<never>>();
    for (const [name, cell] of this.childCells) view.set(name, cell.self as ActorRef<never>);
    return view;
  }

  // ---- lifecycle -------------------------------------------------------------------------

  /** Runs the initial behavior's setup. A failure here stops the actor: there is no state to restart to. */
  start(initial: Behavior<T>): void {
    this.system.registerCell(this as ActorCell<unknown>);
    try {
      this.become(initial);
    } catch (error) {
      this.logFailure(error, 'during setup');
      this.requestStop();
    }
  }

  spawn<U>(behavior: Behavior<U>, name?: string, options?: SpawnOptions): ActorRef<U> {
    this.system.assertRunning();
    const capacity = options?.mailboxCapacity;
    if (capacity !== undefined && !(Number.isInteger(capacity) && capacity > 0)) {
      throw new RangeError(`mailboxCapacity must be a positive integer, got ${String(capacity)}`);
    }
    if (name === undefined) {
      name = `$${(anonymousCounter++).toString(36)}`;
    } else if (typeof name !== 'string' || name.startsWith('$') || !isValidPathSegment(name)) {
      throw new InvalidActorNameError(String(name));
    }
    const path = this.path === '/' ? `/${name}` : `${this.path}/${name}`;
    if (this.status !== RUNNING) {
      throw new ActorSystemError(`Cannot start ${path}: its parent ${this.path} is stopping; spawn from a running actor`);
    }
    if (this.childCells.has(name)) throw new ActorNameTakenError(path);
    const child = new ActorCell<U>(this.system, this as ActorCell<unknown>, path);
    if (capacity !== undefined) child.mailboxCapacity = capacity;
    (this.childMap ??= new Map()).set(name, child as ActorCell<unknown>);
    child.start(behavior);
    return child.self;
  }

  stop(ref: ActorRef<never>): void {
    const target = asInternal(ref);
    if (target === (this.self as InternalActorRef<unknown>)) {
      this.requestStop();
      return;
    }
    const child = target instanceof LocalActorRef ? target.cell : undefined;
    if (!child || child.parent !== (this as ActorCell<unknown>)) {
      throw new Error(`ctx.stop(${ref.path}) from ${this.path}: only children and self can be stopped this way; use system.stop() or a message`);
    }
    child.requestStop();
  }

  watch(ref: ActorRef<never>): void {
    const target = asInternal(ref);
    this.watching ??= new Map();
    if (target === (this.self as InternalActorRef<unknown>) || this.watching.has(target.key)) return;
    this.watching.set(target.key, target);
    target.addWatcher(this.self as InternalActorRef<never>);
  }

  unwatch(ref: ActorRef<never>): void {
    const target = asInternal(ref);
    if (this.watching?.delete(target.key)) target.removeWatcher(this.self as InternalActorRef<never>);
  }

  addWatcher(watcher: InternalActorRef<never>): void {
    if (this.status === STOPPED) watcher.sendSignal(new Terminated(this.self as ActorRef<never>));
    else (this.watchers ??= new Set()).add(watcher);
  }

  removeWatcher(watcher: InternalActorRef<never>): void {
    this.watchers?.delete(watcher);
  }

  /** Stops after the message in progress (if any); children stop first, then PostStop runs. */
  requestStop(): void {
    if (this.status !== RUNNING) return;
    this.status = STOPPING;
    this.pendingRestart?.cancel();
    this.timersImpl?.cancelAll();
    for (const child of [...this.childCells.values()]) child.requestStop();
    this.tryCompleteStop();
  }

  private childStopped(child: ActorCell<unknown>): void {
    const name = child.self.address.name;
    if (this.childMap?.get(name) === child) this.childMap.delete(name);
    this.tryCompleteStop();
  }

  private tryCompleteStop(): void {
    if (this.status !== STOPPING || this.busy || this.childCells.size > 0) return;
    this.busy = true;
    let result: unknown;
    try {
      result = this.invokeSignal(PostStop.instance);
      const hook = this.postStopHook;
      if (hook) result = isThenable(result) ? Promise.resolve(result).then(() => hook()) : hook();
    } catch (error) {
      this.logFailure(error, 'in PostStop');
    }
    if (isThenable(result)) {
      Promise.resolve(result).then(
        () => this.finishStop(),
        error => {
          this.logFailure(error, 'in PostStop');
          this.finishStop();
        },
      );
    } else {
      this.finishStop();
    }
  }

  private finishStop(): void {
    this.status = STOPPED;
    this.busy = false;
    this.system.unregisterCell(this as ActorCell<unknown>);
    const self = this.self as ActorRef<never>;
    this.mailbox.drainTo(m => this.system.deadLetter(m, this.self, 'recipient stopped'));
    this.releaseReceipts(Infinity);
    if (this.watching) {
      for (const target of this.watching.values()) target.removeWatcher(this.self as InternalActorRef<never>);
      this.watching = undefined;
    }
    if (this.watchers) {
      for (const watcher of this.watchers) watcher.sendSignal(new Terminated(self));
      this.watchers = undefined;
    }
    this.system.eventStream.publish(new ActorStopped(self));
    this.parent?.childStopped(this as ActorCell<unknown>);
    this.resolveStopped?.();
  }

  // ---- message processing ----------------------------------------------------------------

  enqueue(message: T, receipt?: DeliveryReceipt): void {
    if (this.status === STOPPED) {
      try {
        this.system.deadLetter(message, this.self, 'recipient stopped');
      } finally {
        receipt?.delivered();
      }
      return;
    }
    if (this.mailbox.length >= this.mailboxCapacity) {
      try {
        this.system.deadLetter(message, this.self, `mailbox full (capacity ${this.mailboxCapacity})`);
      } finally {
        receipt?.delivered();
      }
      return;
    }
    this.mailbox.push(message);
    this.enqueued++;
    if (receipt !== undefined) {
      (this.receipts ??= new Queue<DeliveryReceipt>(4)).push(receipt);
      (this.receiptAt ??= new Queue<number>(4)).push(this.enqueued);
    }
    this.wake();
  }

  enqueueSignal(signal: Signal): void {
    if (this.status === STOPPED) return;
    (this.signals ??= new Queue<Signal>(4)).push(signal);
    this.wake();
  }

  /**
   * Like `enqueueSignal`, but behind the messages now in the mailbox: it rides the receipt
   * queue, released as a signal when the last of them is taken out (so it is handled right
   * after that one, and the message loop pays nothing for it).
   */
  enqueueSignalAfterMessages(signal: Signal): void {
    if (this.status === STOPPED) return;
    if (this.mailbox.length === 0) {
      this.enqueueSignal(signal);
      return;
    }
    (this.receipts ??= new Queue<DeliveryReceipt>(4)).push({ delivered: () => this.enqueueSignal(signal) });
    (this.receiptAt ??= new Queue<number>(4)).push(this.enqueued);
  }

  /** Queues this actor on the system's run queue unless it is queued already or mid-handler. */
  private wake(): void {
    if (this.scheduled || this.busy) return;
    this.scheduled = true;
    this.system.dispatcher.schedule(this);
  }

  /** The dispatcher's visit: up to `limit` messages, then back to the end of the run queue if more wait. */
  run(limit: number): number {
    this.scheduled = false;
    const handled = this.drain(limit);
    if (this.status === RUNNING && !this.busy && !this.suspended && this.hasWork()) this.wake();
    return handled;
  }

  private hasWork(): boolean {
    return this.mailbox.length > 0 || (this.signals !== undefined && this.signals.length > 0);
  }

  /** Handles messages until `limit`, an async handler, an empty mailbox or a stop; returns how many. */
  private drain(limit: number): number {
    let handled = 0;
    while (handled < limit && this.status === RUNNING && !this.busy && !this.suspended) {
      handled++;
      let result: BehaviorResult<T>;
      // `busy` also covers a synchronous handler, so a stop it requests waits until it returns.
      this.busy = true;
      try {
        if (this.signals !== undefined && this.signals.length > 0) {
          const signal = this.signals.shift();
          if (signal instanceof Terminated && !this.watching?.delete(asInternal(signal.ref).key)) {
            this.busy = false;
            continue;
          }
          result = this.invokeSignal(signal);
        } else if (this.mailbox.length > 0) {
          const message = this.mailbox.shift();
          this.dequeued++;
          if (this.receiptAt !== undefined && this.receiptAt.length > 0) this.releaseReceipts(this.dequeued);
          result = this.invokeMessage(message);
        } else {
          this.busy = false;
          return handled - 1;
        }
        if (isThenable(result)) {
          Promise.resolve(result).then(
            next => this.onAsyncResult(next),
            error => this.onAsyncFailure(error),
          );
          return handled;
        }
        this.busy = false;
        this.applyResult(result as Behavior<T> | undefined);
      } catch (error) {
        this.busy = false;
        this.handleFailure(error);
      }
    }
    if (this.status === STOPPING) this.tryCompleteStop();
    return handled;
  }

  /** Tells the receipts of every message taken out so far (up to `upTo` in enqueue count). */
  private releaseReceipts(upTo: number): void {
    const at = this.receiptAt;
    const receipts = this.receipts;
    if (at === undefined || receipts === undefined) return;
    while (at.length > 0 && at.peek() <= upTo) {
      at.shift();
      const receipt = receipts.shift();
      try {
        receipt.delivered();
      } catch (error) {
        this.log.error(`A delivery receipt for ${this.path} threw: ${String(error)}`);
      }
    }
  }

  private onAsyncResult(result: Behavior<T> | void | undefined): void {
    this.busy = false;
    if (this.status === RUNNING) {
      try {
        this.applyResult(result);
      } catch (error) {
        this.handleFailure(error);
      }
    }
    this.afterAsync();
  }

  private onAsyncFailure(error: unknown): void {
    this.busy = false;
    if (this.status === RUNNING) this.handleFailure(error);
    this.afterAsync();
  }

  private afterAsync(): void {
    if (this.status === STOPPING) this.tryCompleteStop();
    else if (this.status === RUNNING && !this.suspended && this.hasWork() && !this.scheduled) {
      this.scheduled = true;
      this.system.dispatcher.resume(this);
    }
  }

  private invokeMessage(message: T): BehaviorResult<T> {
    const behavior = this.behavior;
    if (behavior instanceof ReceiveBehavior) {
      if (behavior.onMessage) return behavior.onMessage(this, message);
      this.system.deadLetter(message, this.self, 'not handled by the current behavior');
      return undefined;
    }
    if (!(behavior instanceof IgnoreBehavior)) {
      this.system.deadLetter(message, this.self, 'behavior accepts no messages');
    }
    return undefined;
  }

  private invokeSignal(signal: Signal): BehaviorResult<T> {
    const behavior = this.behavior;
    if (behavior instanceof ReceiveBehavior && behavior.onSignal) return behavior.onSignal(this, signal);
    return undefined;
  }

  private applyResult(next: Behavior<T> | void | undefined): void {
    if (next === undefined || next instanceof SameBehavior || this.status !== RUNNING) return;
    this.become(next);
  }

  /** Interprets setup/supervise wrappers down to a behavior that can receive. */
  private become(next: Behavior<T>): void {
    for (;;) {
      if (next instanceof SetupBehavior) {
        const produced = next.factory(this);
        if (isThenable(produced)) {
          throw new TypeError(`Behaviors.setup for ${this.path} returned a promise; setup must return a behavior synchronously`);
        }
        next = produced ?? this.behavior;
      } else if (next instanceof SuperviseBehavior) {
        this.supervision = { strategy: next.strategy, initial: next.inner, restartTimes: [], backoffCount: 0, lastFailureAt: 0 };
        next = next.inner;
      } else if (next instanceof SameBehavior) {
        return;
      } else if (next instanceof StoppedBehavior) {
        this.postStopHook = next.postStop;
        this.requestStop();
        return;
      } else if (next instanceof Behavior) {
        this.behavior = next;
        return;
      } else {
        throw new TypeError(`Handler of ${this.path} returned ${String(next)}, which is not a Behavior`);
      }
    }
  }

  // ---- supervision -----------------------------------------------------------------------

  private handleFailure(error: unknown): void {
    const supervision = this.supervision;
    const strategy = supervision?.strategy;
    if (!strategy || strategy.kind === 'stop') {
      this.logFailure(error, 'stopping');
      this.requestStop();
      return;
    }
    if (strategy.kind === 'resume') {
      if (strategy.logErrors) this.logFailure(error, 'resuming');
      return;
    }
    const now = this.system.scheduler.now();
    if (strategy.kind === 'restart') {
      supervision.restartTimes = supervision.restartTimes.filter(t => now - t <= strategy.withinMs);
      if (supervision.restartTimes.length >= strategy.maxRestarts) {
        this.logFailure(error, `restart limit of ${strategy.maxRestarts} reached, stopping`);
        this.requestStop();
        return;
      }
      supervision.restartTimes.push(now);
      if (strategy.logErrors) this.logFailure(error, 'restarting');
      this.restart();
      return;
    }
    // Backoff: the mailbox is held while the delay runs, so no message is lost to the failure loop.
    if (now - supervision.lastFailureAt > strategy.maxBackoffMs * 2) supervision.backoffCount = 0;
    supervision.lastFailureAt = now;
    const delay = strategy.backoffDelay(supervision.backoffCount++);
    if (strategy.logErrors) this.logFailure(error, `restarting in ${Math.round(delay)} ms`);
    this.suspended = true;
    this.pendingRestart = this.system.scheduler.schedule(delay, () => {
      this.pendingRestart = undefined;
      this.suspended = false;
      if (this.status !== RUNNING) return;
      this.restart();
      if (this.hasWork()) this.wake();
    });
  }

  private restart(): void {
    try {
      this.invokeSignal(PreRestart.instance);
    } catch (error) {
      this.logFailure(error, 'in PreRestart');
    }
    this.timersImpl?.cancelAll();
    for (const child of [...this.childCells.values()]) child.requestStop();
    try {
      this.become(this.supervision!.initial);
    } catch (error) {
      this.logFailure(error, 'during setup after restart, stopping');
      this.requestStop();
    }
  }

  private logFailure(error: unknown, what: string): void {
    const err = error instanceof Error ? error : new Error(String(error));
    this.log.error(`Actor ${this.path} failed (${what}): ${err.message}`, err.stack);
  }
}

function isThenable(value: unknown): value is PromiseLike<never> {
  return value !== null && typeof value === 'object' && typeof (value as { then?: unknown }).then === 'function';
}
