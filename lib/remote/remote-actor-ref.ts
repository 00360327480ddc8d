/**
 * A ref to an actor on another node. `tell` serializes at once (so later mutations of the
 * message do not travel, and an unserializable message is a dead letter right here) and
 * hands the frame to the peer's association, which batches and orders it.
 *
 * Watching a remote ref is remoting's: `Terminated` arrives when the actor stops on its
 * node, when it did not exist when the watch arrived, when that node refuses the watch, or
 * when the node (its incarnation) is gone (see `Remoting.nodeGone`). `isTerminated` stays
 * false. Equality is by address, like every ref.
 */
import { InternalActorRef, type ActorAddress, type Signal } from '../actor/index.js';

/** What a remote ref needs from its system's remoting. */
export interface RemoteSender {
  /** Serializes `message` and queues it for the node of `ref`; failures become dead letters. */
  send(ref: RemoteActorRef<unknown>, message: unknown): void;
  /** `watcher` gets `Terminated(ref)` when the actor of `ref` stops or its node is gone. */
  watch(ref: RemoteActorRef<unknown>, watcher: InternalActorRef<never>): void;
  unwatch(ref: RemoteActorRef<unknown>, watcher: InternalActorRef<never>): void;
}

/** The ordered, bounded queue of encoded frames to one peer (an Association). */
export interface OutboundQueue {
  send(frame: Buffer, message: unknown, recipient: InternalActorRef<unknown>): void;
}

export class RemoteActorRef<T> extends InternalActorRef<T> {
  /** The peer's outbound queue, attached by the remoting on first send (so refs that are never used cost no peer state). */
  outbound?: OutboundQueue;

  /**
   * @param nodeUid the incarnation of the actor's node, when known (0: whichever incarnation
   *   runs there). Every message names it, and a restarted node dead-letters messages meant
   *   for its previous incarnation's actors.
   */
  constructor(
    readonly address: ActorAddress,
    private readonly sender: RemoteSender,
    readonly nodeUid = 0,
  ) {
    super();
  }

  tell(message: T): void {
    this.sender.send(this as RemoteActorRef<unknown>, message);
  }

  sendSignal(_signal: Signal): void {}

  addWatcher(watcher: InternalActorRef<never>): void {
    this.sender.watch(this as RemoteActorRef<unknown>, watcher);
  }

  removeWatcher(watcher: InternalActorRef<never>): void {
    this.sender.unwatch(this as RemoteActorRef<unknown>, watcher);
  }

  get isTerminated(): boolean {
    return false;
  }
}
