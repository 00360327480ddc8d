/**
 * A ref to an actor on another node. `tell` serializes at once (so later mutations of the
 * message do not travel, and an unserializable message is a dead letter right here) and
 * hands the frame to the peer's association, which batches and orders it.
 *
 * Remote death watch is not part of this layer: `watch` on a remote ref never delivers
 * `Terminated` (the cluster layer adds it with node failure detection), and `isTerminated`
 * stays false. Equality is by address, like every ref.
 */
import { InternalActorRef, type ActorAddress, type Signal } from '../actor/index.js';

/** What a remote ref needs from its system's remoting. */
export interface RemoteSender {
  /** Serializes `message` and queues it for the node of `ref`; failures become dead letters. */
  send(ref: RemoteActorRef<unknown>, message: unknown): void;
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

  addWatcher(_watcher: InternalActorRef<never>): void {}

  removeWatcher(_watcher: InternalActorRef<never>): void {}

  get isTerminated(): boolean {
    return false;
  }
}
