/**
 * One process's actor system: the root of all actors, dead letters, the event stream,
 * `ask`, and the receptionist. Complete on its own (the embedded default); the remote and
 * cluster layers extend it with a network address and replicated state.
 */
import { ActorAddress, type NodeLocation } from './actor-address.js';
import { ActorCell } from './actor-cell.js';
import type { SpawnOptions } from './actor-context.js';
import { InternalActorRef, asInternal, type ActorRef } from './actor-ref.js';
import { DeadActorRef } from './dead-actor-ref.js';
import { Behavior, IgnoreBehavior } from './behavior.js';
import { describeValue, printable } from './describe.js';
import { ActorSystemError, ActorSystemTerminatedError, AskFailedError } from './errors.js';
import { Dispatcher, type SchedulingOptions } from './dispatcher.js';
import { DeadLetter } from './events.js';
import { EventStream } from './event-stream.js';
import { consoleLoggerFactory, type ActorLogger, type LoggerFactory, type LogLevel } from './logger.js';
import type { Listing } from './listing.js';
import { Find, type ReceptionistCommand } from './receptionist-protocol.js';
import { ServiceKey } from './service-key.js';
import { randomUid48 } from './random-uid.js';
import { ReplyEndpoint } from './reply-endpoint.js';
import { systemScheduler, type Scheduler } from './scheduler.js';

/**
 * The receptionist of a system, as a port: the behavior its `/system/receptionist` actor runs.
 * The receptionist layer provides the local one; the cluster layer one fed by the cluster.
 */
export type ReceptionistFactory = (system: ActorSystemCore) => Behavior<ReceptionistCommand>;

export interface ActorSystemOptions {
  /** Where actor logs go; Nest passes `context => new Logger(context)`. Default: console. */
  logger?: LoggerFactory;
  /** Level of the default console logger (ignored when `logger` is given). Default `log`. */
  logLevel?: LogLevel;
  /** Time source for timers, asks and backoff; tests may inject a manual one. */
  scheduler?: Scheduler;
  /** Timeout for `lookup` when none is given. Default 3000 ms. */
  defaultAskTimeoutMs?: number;
  /** How many dead letters are logged before they are only counted. Default 10. */
  deadLetterLogLimit?: number;
  /** How long `terminate()` waits for handlers in progress before giving up on them. Default 10000 ms. */
  terminateTimeoutMs?: number;
  /** How actors share the event loop: messages per actor visit, and the work per event-loop turn before timers and I/O run. */
  scheduling?: SchedulingOptions;
  /** The receptionist behavior. The package's `ActorSystem` and its subclasses supply the local one. */
  receptionist?: ReceptionistFactory;
  /**
   * Asks waiting for a reply at most; a new ask beyond it fails at once with
   * TooManyPendingAsksError. Default 100,000: a pending ask holds its message and about
   * 300 bytes, so the default bounds them to tens of MB, far above what a service answering
   * in time keeps in flight (10,000 asks/s answered within 100 ms keep 1,000 pending).
   */
  maxPendingAsks?: number;
}

/** Default of `maxPendingAsks`. */
export const DEFAULT_MAX_PENDING_ASKS = 100_000;

/** The reply type an `ask` expects, read from the message's `replyTo` field. */
export type ReplyOf<M> = M extends { readonly replyTo?: ActorRef<infer R> } ? R : unknown;

// The ref handed to an ask's message factory; its type is whatever the message's replyTo wants.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyReplyRef = ActorRef<any>;

function validateName(name: string): string {
  if (typeof name !== 'string' || !ActorAddress.isValidSystemName(name)) {
    throw new ActorSystemError(
      `Invalid actor system name ${JSON.stringify(name)}: use letters, digits, - and _, starting with a letter or digit`,
    );
  }
  return name;
}

/**
 * The runtime without a receptionist of its own: everything here but the registry, which
 * comes in as a port (`options.receptionist`). Users create `ActorSystem` (the receptionist
 * layer's subclass) or a networked subclass, which supply it.
 */
export class ActorSystemCore implements AsyncDisposable {
  readonly eventStream = new EventStream((error, event, failures, removed) => {
    const text = `An EventStream subscriber threw on ${describeValue(event)} (${failures} in a row): ${describeValue(error)}: ${printable(error instanceof Error ? String(error.message) : '', 300)}`;
    // The first failure and the removal are worth an error line; repeats in between are not.
    if (removed) this.log.error(`${text}; unsubscribed after ${failures} consecutive failures`);
    else if (failures === 1) this.log.error(text, error instanceof Error ? error.stack : undefined);
  });
  readonly scheduler: Scheduler;
  readonly location: NodeLocation;
  readonly log: ActorLogger;
  /** The run queue this system's actors are processed from. */
  readonly dispatcher: Dispatcher;

  protected readonly options: ActorSystemOptions;
  private readonly loggerFactory: LoggerFactory;
  private readonly cells = new Map<string, ActorCell<unknown>>();
  /** Pending asks by request id; replies to them arrive here. */
  protected readonly replies: ReplyEndpoint;
  private readonly userGuardian: ActorCell<never>;
  private readonly systemGuardian: ActorCell<never>;
  private receptionistRef?: ActorRef<ReceptionistCommand>;
  private deadLetters = 0;
  private terminating?: Promise<void>;
  /** Set once actors start stopping for good: no more spawns or asks. */
  private closed = false;
  private resolveTerminated!: () => void;
  /** Settles when `terminate()` has finished. */
  readonly whenTerminated = new Promise<void>(resolve => (this.resolveTerminated = resolve));

  protected constructor(location: NodeLocation, options: ActorSystemOptions) {
    validateName(location.system);
    this.location = location;
    this.options = options;
    this.scheduler = options.scheduler ?? systemScheduler;
    this.dispatcher = new Dispatcher(options.scheduling);
    this.loggerFactory = options.logger ?? consoleLoggerFactory(options.logLevel);
    this.log = this.loggerFor(`ActorSystem(${location.system})`);
    const maxPendingAsks = options.maxPendingAsks ?? DEFAULT_MAX_PENDING_ASKS;
    if (!(Number.isInteger(maxPendingAsks) && maxPendingAsks > 0)) {
      throw new ActorSystemError(`maxPendingAsks must be a positive integer, got ${String(maxPendingAsks)}`);
    }
    this.replies = new ReplyEndpoint(
      { location, scheduler: this.scheduler, deadLetter: (message, recipient, reason) => this.deadLetter(message, recipient, reason) },
      maxPendingAsks,
    );
    this.userGuardian = this.startGuardian('/user');
    this.systemGuardian = this.startGuardian('/system');
  }

  /**
   * The receptionist of this node: send it Register, Deregister, Find, Subscribe, Unsubscribe.
   * Started by the factory once the system is constructed (see `startSystemActors`).
   */
  get receptionist(): ActorRef<ReceptionistCommand> {
    return (this.receptionistRef ??= this.startReceptionist());
  }

  /**
   * Starts the system actors peers may address (the receptionist). The factories call it once
   * the whole object is constructed; a subclass's fields therefore exist when they run.
   */
  protected startSystemActors(): void {
    this.receptionistRef ??= this.startReceptionist();
  }

  get name(): string {
    return this.location.system;
  }

  /** Number of messages that could not be delivered since the system started. */
  get deadLetterCount(): number {
    return this.deadLetters;
  }

  /**
   * True once `terminate()` has been called: from then on nothing new is spawned or asked.
   * Await `whenTerminated` (or the promise `terminate()` returns) for the end of termination.
   */
  get isTerminated(): boolean {
    return this.terminating !== undefined;
  }

  /** Starts a top-level actor under `/user/<name>`; a name already in use is rejected. */
  spawn<T>(behavior: Behavior<T>, name?: string, options?: SpawnOptions): ActorRef<T> {
    return this.userGuardian.spawn(behavior, name, options);
  }

  /** Starts an actor under `/system/<name>`, for the library's own actors. */
  systemActorOf<T>(behavior: Behavior<T>, name: string, options?: SpawnOptions): ActorRef<T> {
    return this.systemGuardian.spawn(behavior, name, options);
  }

  /** Stops an actor of this system (children first, then its PostStop). */
  stop(ref: ActorRef<never>): void {
    const cell = this.cellOf(ref);
    if (cell) cell.requestStop();
  }

  /**
   * Sends the message built by `make` and resolves with the first reply sent to its `replyTo`.
   * Rejects with AskTimeoutError after `timeoutMs`.
   */
  ask<Req, M extends Req>(target: ActorRef<Req>, make: (replyTo: AnyReplyRef) => M, timeoutMs?: number): Promise<ReplyOf<M>>;
  ask<Res, Req = unknown>(target: ActorRef<Req>, make: (replyTo: ActorRef<Res>) => Req, timeoutMs?: number): Promise<Res>;
  ask<Res, Req>(target: ActorRef<Req>, make: (replyTo: ActorRef<Res>) => Req, timeoutMs?: number): Promise<Res> {
    if (this.closed) return Promise.reject(new ActorSystemTerminatedError(this.name));
    return this.askUnchecked(target, make, timeoutMs);
  }

  private askUnchecked<Res, Req>(target: ActorRef<Req>, make: (replyTo: ActorRef<Res>) => Req, timeoutMs?: number): Promise<Res> {
    const timeout = timeoutMs ?? this.options.defaultAskTimeoutMs ?? 3000;
    if (!(timeout > 0)) return Promise.reject(new RangeError(`ask timeout must be > 0 ms, got ${timeoutMs}`));
    return this.replies.ask(asInternal(target), make, timeout);
  }

  /**
   * Fails at once every pending ask whose target matches, e.g. when the target's node is
   * known to be gone. Returns how many failed.
   */
  protected failPendingAsks(matches: (target: InternalActorRef<unknown>) => boolean, reason: string, cause?: Error): number {
    return this.replies.failMatching(matches, ask => new AskFailedError(ask.target.path, ask.messageType, reason, { cause }));
  }

  /** One snapshot of the instances registered under `key` (Find + ask in one call). */
  lookup<T>(key: ServiceKey<T>, timeoutMs?: number): Promise<Listing<T>> {
    return this.ask(this.receptionist, replyTo => new Find(key, replyTo as ActorRef<Listing<T>>), timeoutMs) as Promise<Listing<T>>;
  }

  /**
   * Stops every actor (user actors first, depth-first, each running PostStop), then the
   * system actors. Safe to call more than once; all callers get the same promise.
   */
  terminate(): Promise<void> {
    this.terminating ??= this.runTermination();
    return this.terminating;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.terminate();
  }

  // ---- hooks for the layers above ---------------------------------------------------------

  /** Runs before any actor stops; the cluster layer leaves here so entries vanish first. */
  protected async beforeTerminate(): Promise<void> {}

  /** Runs after every actor stopped; the remote layer closes sockets here. */
  protected async afterTerminate(): Promise<void> {}

  /** How this node names itself in listings: `local` without a network, its address with one. */
  get selfNode(): string {
    return 'local';
  }

  // ---- runtime internals (used by cells, refs and the layers above) ---------------------------

  loggerFor(context: string): ActorLogger {
    return this.loggerFactory(context);
  }

  assertRunning(): void {
    if (this.closed) throw new ActorSystemTerminatedError(this.name);
  }

  registerCell(cell: ActorCell<unknown>): void {
    this.cells.set(cell.path, cell);
  }

  unregisterCell(cell: ActorCell<unknown>): void {
    if (this.cells.get(cell.path) === cell) this.cells.delete(cell.path);
  }

  /**
   * Records an undeliverable message: published as DeadLetter, counted, and logged up to a
   * limit. When it is the message of a pending ask to that recipient, the ask fails at once
   * (with `reason` as its cause when it is an error) instead of waiting for its timeout.
   */
  deadLetter(message: unknown, recipient: ActorRef<never> | string, reason: string | Error): void {
    this.deadLetters++;
    const to = typeof recipient === 'string' ? recipient : recipient.path;
    const text = typeof reason === 'string' ? reason : reason.message;
    const limit = this.options.deadLetterLogLimit ?? 10;
    if (this.deadLetters <= limit) {
      // The message may come from the network: describing it must run none of its code.
      this.log.log(`Dead letter to ${printable(to, 300)} (${printable(text, 500)}): ${describeValue(message)}`);
      if (this.deadLetters === limit) this.log.log(`Logged ${limit} dead letters; further ones are counted and published only`);
    }
    if (typeof message === 'object' && message !== null && this.replies.size > 0) {
      this.replies.deadLettered(message, typeof recipient === 'string' ? recipient : asInternal(recipient).key, text, typeof reason === 'string' ? undefined : reason);
    }
    this.eventStream.publish(new DeadLetter(message, to, text));
  }

  /** True when `address` names an actor of this very system. */
  isLocal(address: ActorAddress): boolean {
    return address.system === this.location.system && address.host === this.location.host && address.port === this.location.port;
  }

  /** Turns an address into a ref: the live actor if it is here, else a ref whose messages are dead letters. */
  resolveRef<T>(address: ActorAddress): ActorRef<T> {
    if (this.isLocal(address)) {
      const local = this.resolveLocal<T>(address.path, address.uid);
      if (local) return local;
    }
    return new DeadActorRef<T>(address, (message, ref) => this.deadLetter(message, ref.key, 'no such actor'));
  }

  /** The live local actor (or pending ask) at `path`, optionally checking its incarnation uid. */
  resolveLocal<T>(path: string, uid?: number): InternalActorRef<T> | undefined {
    const cell = this.cells.get(path);
    if (cell !== undefined) return uid === undefined || cell.self.address.uid === uid ? (cell.self as InternalActorRef<unknown> as InternalActorRef<T>) : undefined;
    // A pending ask answers only whoever knows its uid: naming `/temp/...` without one reaches nothing.
    return this.replies.byPath(path, uid) as InternalActorRef<unknown> as InternalActorRef<T> | undefined;
  }

  /** The pending ask `id` of this system if `uid` is its uid (a reply that names the ask by id). */
  resolveAsk<T>(id: number, uid: number): InternalActorRef<T> | undefined {
    return this.replies.byId(id, uid) as InternalActorRef<unknown> as InternalActorRef<T> | undefined;
  }

  private cellOf(ref: ActorRef<never>): ActorCell<unknown> | undefined {
    const internal = asInternal(ref);
    const cell = this.cells.get(internal.path);
    return cell && cell.self.key === internal.key ? cell : undefined;
  }

  private startReceptionist(): ActorRef<ReceptionistCommand> {
    const factory = this.options.receptionist;
    if (factory === undefined || this.closed) {
      const reason = factory === undefined ? 'this actor system has no receptionist (create it with ActorSystem.create, or pass options.receptionist)' : 'the actor system is terminating';
      const address = new ActorAddress(this.location.system, '/system/receptionist', 0, this.location.host, this.location.port);
      return new DeadActorRef<ReceptionistCommand>(address, message => this.deadLetter(message, address.toString(), reason));
    }
    return this.systemActorOf(factory(this), 'receptionist');
  }

  private startGuardian(path: string): ActorCell<never> {
    const cell = new ActorCell<never>(this, undefined, path);
    cell.start(new IgnoreBehavior());
    return cell;
  }

  private async runTermination(): Promise<void> {
    try {
      await this.beforeTerminate();
    } catch (error) {
      this.log.error(`Leaving before termination failed: ${String(error)}`);
    }
    this.closed = true;
    await this.stopGuardian(this.userGuardian);
    await this.settleReceptionist();
    await this.stopGuardian(this.systemGuardian);
    this.replies.close(new ActorSystemTerminatedError(this.name));
    try {
      await this.afterTerminate();
    } finally {
      this.resolveTerminated();
    }
  }

  /**
   * Lets the receptionist see the user actors' deaths before the system actors stop, so the
   * system-level subscribers (Nest's listing streams, for one) get the listings that drop them.
   * Two round trips: the first follows the Terminated signals, the second the notifications
   * those signals queued.
   */
  private async settleReceptionist(): Promise<void> {
    if (this.receptionistRef === undefined) return;
    const key = new ServiceKey<never>('$settle');
    try {
      for (let i = 0; i < 2; i++) await this.askUnchecked(this.receptionistRef, r => new Find(key, r), 1000);
    } catch {
      // A receptionist that cannot answer has nothing left to announce.
    }
  }

  private async stopGuardian(guardian: ActorCell<never>): Promise<void> {
    guardian.requestStop();
    const limit = this.options.terminateTimeoutMs ?? 10_000;
    let timer: { cancel(): void } | undefined;
    const timedOut = new Promise<boolean>(resolve => (timer = this.scheduler.schedule(limit, () => resolve(true))));
    const done = await Promise.race([guardian.whenStopped.then(() => false), timedOut]);
    timer?.cancel();
    if (done) {
      this.log.warn(`Actors under ${guardian.path} did not stop within ${limit} ms (a handler is still running); terminating anyway`);
    }
  }
}
