/**
 * The temporary ref behind `ask`: it lives under `/temp`, resolves the promise with the
 * first reply and unregisters itself on reply or timeout, so a timed-out ask leaks nothing
 * (its timeout is kept by AskDeadlines).
 * Being addressable, it also works as a `replyTo` that crosses the network.
 */
import { ActorAddress } from './actor-address.js';
import { InternalActorRef } from './actor-ref.js';
import { describeValue } from './describe.js';
import { Terminated, type Signal } from './signals.js';

export class PromiseActorRef<R> extends InternalActorRef<R> {
  private settled = false;
  /** Watchers waiting for the ask to settle (a peer's remote watch of this reply endpoint). */
  private watchers?: Set<InternalActorRef<never>>;
  /** What was asked (set once built); only described when an error needs to name it. */
  message: unknown = undefined;

  constructor(
    readonly address: ActorAddress,
    /** The actor asked: its dead letters and its node's disconnect fail this ask early. */
    readonly target: InternalActorRef<unknown>,
    private readonly resolve: (reply: R) => void,
    private readonly reject: (error: Error) => void,
    private readonly release: (ref: PromiseActorRef<R>) => void,
    private readonly onLateReply: (message: R) => void,
  ) {
    super();
  }

  tell(message: R): void {
    if (this.settled) {
      this.onLateReply(message);
      return;
    }
    this.settle();
    this.resolve(message);
  }

  /** The asked message's class or type, for error messages. */
  get messageType(): string {
    return this.message === undefined ? 'message' : describeValue(this.message);
  }

  fail(error: Error): void {
    if (this.settled) return;
    this.settle();
    this.reject(error);
  }

  private settle(): void {
    this.settled = true;
    this.release(this);
    // A settled ask may wait in the deadline lanes until its timeout: it must not pin the message.
    this.message = undefined;
    const watchers = this.watchers;
    if (watchers !== undefined) {
      this.watchers = undefined;
      const signal = new Terminated(this as InternalActorRef<never>);
      for (const watcher of watchers) watcher.sendSignal(signal);
    }
  }

  sendSignal(_signal: Signal): void {}

  /** A temporary ref is "terminated" once its ask has settled (replied, failed or timed out). */
  addWatcher(watcher: InternalActorRef<never>): void {
    if (this.settled) watcher.sendSignal(new Terminated(this as InternalActorRef<never>));
    else (this.watchers ??= new Set()).add(watcher);
  }

  removeWatcher(watcher: InternalActorRef<never>): void {
    this.watchers?.delete(watcher);
  }

  get isTerminated(): boolean {
    return this.settled;
  }
}
