/**
 * The `replyTo` of an ask made by another node, as this node revives it from the wire: the
 * asking node, the ask's id in that node's request-id table and its random uid. A reply to
 * it travels addressed by the id (no path), and its address (`/temp/$<id>`) is only built
 * when something asks for it, so a request costs the receiver one small object.
 */
import { ActorAddress, InternalActorRef, type Signal } from '../actor/index.js';
import type { OutboundQueue, RemoteActorRef, RemoteSender } from './remote-actor-ref.js';
import type { MessageOrigin } from './serialization.js';

/** What a remote ask ref needs from its system's remoting. */
export interface AskReplySender extends Pick<RemoteSender, 'watch' | 'unwatch'> {
  /** Serializes `message` and queues it for the asking node; failures become dead letters. */
  sendReply(ref: RemoteAskRef<unknown>, message: unknown): void;
}

export class RemoteAskRef<T> extends InternalActorRef<T> {
  /** The asking node's outbound queue, attached by the remoting on first send. */
  outbound?: OutboundQueue;
  private cachedAddress?: ActorAddress;

  constructor(
    /** The asking node (its incarnation included: a restarted node never gets this reply). */
    readonly node: MessageOrigin,
    readonly askId: number,
    readonly askUid: number,
    private readonly sender: AskReplySender,
  ) {
    super();
  }

  get address(): ActorAddress {
    return (this.cachedAddress ??= new ActorAddress(this.node.system, `/temp/$${this.askId.toString(36)}`, this.askUid, this.node.host, this.node.port));
  }

  /** The incarnation of the asking node, as RemoteActorRef names it. */
  get nodeUid(): number {
    return this.node.uid;
  }

  tell(message: T): void {
    this.sender.sendReply(this as RemoteAskRef<unknown>, message);
  }

  sendSignal(_signal: Signal): void {}

  // Watched like any remote actor (by address, path and uid, and the node's incarnation): the
  // asking node answers once the ask has settled, so a peer's subscription made with an ask's
  // reply ref ends with the ask.
  addWatcher(watcher: InternalActorRef<never>): void {
    this.sender.watch(this as unknown as RemoteActorRef<unknown>, watcher);
  }

  removeWatcher(watcher: InternalActorRef<never>): void {
    this.sender.unwatch(this as unknown as RemoteActorRef<unknown>, watcher);
  }

  get isTerminated(): boolean {
    return false;
  }
}
