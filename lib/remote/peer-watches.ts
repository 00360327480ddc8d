/**
 * The watched side of remote watch: which local actors each peer incarnation watches. Each
 * watch is a small watcher object added to the local actor, which answers the peer when the
 * actor stops; a peer holds at most `maxWatchesPerPeer` of them, and all of a peer's watches
 * go when that incarnation is gone (`peerGone`), so a peer cannot make this node hold
 * unbounded or orphaned watch state.
 */
import { ActorAddress, InternalActorRef, Terminated, type Signal } from '../actor/index.js';
import type { NodeIdentity } from './node-identity.js';
import { REMOTE_WATCHER_PATH, WatchedTerminated, type Watch, type WatchEnd } from './remote-watch-protocol.js';

/** What the watched side needs from remoting. */
export interface PeerWatchesHost {
  /** The live local actor (or pending ask reply endpoint) at `path`, of incarnation `uid` when given. */
  resolveLocal(path: string, uid?: number): InternalActorRef<unknown> | undefined;
  /** Whether remote peers may message `path` (a peer may watch only what it may message). */
  allows(path: string): boolean;
  /** Sends `answer` to the remote watcher of `peer`. */
  answer(peer: NodeIdentity, answer: WatchedTerminated): void;
  /** A watch was refused (logged by the host, within its log budget). */
  refused(peer: NodeIdentity, watch: Watch, end: WatchEnd): void;
}

/**
 * One peer's watch of one local actor, registered as a watcher of that actor: the actor's
 * stop (or an ask's settling) signals it like any watcher, synchronously, and the answer is
 * queued on the peer's association behind whatever that actor sent before it stopped.
 */
class PeerWatch extends InternalActorRef<never> {
  constructor(
    private readonly owner: PeerWatches,
    readonly peer: NodeIdentity,
    readonly id: number,
    readonly target: InternalActorRef<unknown>,
  ) {
    super();
  }

  /** The peer's remote watcher: who is watching. */
  get address(): ActorAddress {
    return new ActorAddress(this.peer.system, REMOTE_WATCHER_PATH, 0, this.peer.host, this.peer.port);
  }

  tell(): void {}

  sendSignal(signal: Signal): void {
    if (signal instanceof Terminated) this.owner.targetStopped(this);
  }

  addWatcher(): void {}

  removeWatcher(): void {}

  get isTerminated(): boolean {
    return false;
  }
}

export class PeerWatches {
  /** `host:port` of a peer -> its incarnations -> their watches by id. */
  private readonly byNode = new Map<string, Map<number, Map<number, PeerWatch>>>();
  private count = 0;
  private refusedCount = 0;

  constructor(
    private readonly host: PeerWatchesHost,
    private readonly maxPerPeer: number,
  ) {}

  /** Watches held for peers. */
  get size(): number {
    return this.count;
  }

  /** Peer incarnations holding at least one watch here. */
  get peers(): number {
    let n = 0;
    for (const incarnations of this.byNode.values()) n += incarnations.size;
    return n;
  }

  /** Watches refused so far (over the limit, or of a path peers may not message). */
  get refused(): number {
    return this.refusedCount;
  }

  /** Watches held for incarnation `peer`. */
  heldFor(peer: NodeIdentity): number {
    return this.byNode.get(peer.hostPort)?.get(peer.uid)?.size ?? 0;
  }

  /**
   * `peer` watches the actor at `watch.path#uid`. Answered at once when that actor does not
   * exist, may not be messaged by peers, or the peer is at its limit; a repeated id (a peer
   * re-sending its watches after a reconnect) changes nothing.
   */
  watch(peer: NodeIdentity, watch: Watch): void {
    const held = this.byNode.get(peer.hostPort)?.get(peer.uid);
    if (held?.has(watch.id)) return;
    if (!this.host.allows(watch.path)) {
      this.refuse(peer, watch, 'refused-path');
      return;
    }
    const target = this.host.resolveLocal(watch.path, watch.uid === 0 ? undefined : watch.uid);
    if (target === undefined) {
      this.host.answer(peer, new WatchedTerminated(watch.id, 'missing'));
      return;
    }
    if ((held?.size ?? 0) >= this.maxPerPeer) {
      this.refuse(peer, watch, 'refused-limit');
      return;
    }
    const entry = new PeerWatch(this, peer, watch.id, target);
    // Added before the actor learns of it: an actor that stopped meanwhile signals at once.
    this.entriesOf(peer).set(watch.id, entry);
    this.count++;
    target.addWatcher(entry);
  }

  /** Answers watch `id` of `peer` as ended without holding it (e.g. it named an earlier incarnation of this node). */
  answer(peer: NodeIdentity, id: number, end: WatchEnd): void {
    this.host.answer(peer, new WatchedTerminated(id, end));
  }

  unwatch(peer: NodeIdentity, id: number): void {
    const entry = this.byNode.get(peer.hostPort)?.get(peer.uid)?.get(id);
    if (entry === undefined) return;
    this.remove(entry);
    entry.target.removeWatcher(entry);
  }

  /** Drops every watch of incarnation `uid` of `node` (of every incarnation when undefined); returns how many. */
  peerGone(node: string, uid: number | undefined): number {
    const incarnations = this.byNode.get(node);
    if (incarnations === undefined) return 0;
    let dropped = 0;
    for (const [incarnation, held] of [...incarnations]) {
      if (uid !== undefined && incarnation !== uid) continue;
      incarnations.delete(incarnation);
      for (const entry of held.values()) entry.target.removeWatcher(entry);
      dropped += held.size;
    }
    if (incarnations.size === 0) this.byNode.delete(node);
    this.count -= dropped;
    return dropped;
  }

  /** Forgets everything without telling the actors (the system is stopping and so are they). */
  clear(): void {
    this.byNode.clear();
    this.count = 0;
  }

  /** @internal Called by a PeerWatch when its actor stopped. */
  targetStopped(entry: PeerWatch): void {
    // A watch already removed (unwatched, its peer gone) answers nothing.
    if (this.byNode.get(entry.peer.hostPort)?.get(entry.peer.uid)?.get(entry.id) !== entry) return;
    this.remove(entry);
    this.host.answer(entry.peer, new WatchedTerminated(entry.id, 'stopped'));
  }

  private refuse(peer: NodeIdentity, watch: Watch, end: WatchEnd): void {
    this.refusedCount++;
    this.host.refused(peer, watch, end);
    this.host.answer(peer, new WatchedTerminated(watch.id, end));
  }

  private entriesOf(peer: NodeIdentity): Map<number, PeerWatch> {
    let incarnations = this.byNode.get(peer.hostPort);
    if (incarnations === undefined) this.byNode.set(peer.hostPort, (incarnations = new Map()));
    let held = incarnations.get(peer.uid);
    if (held === undefined) incarnations.set(peer.uid, (held = new Map()));
    return held;
  }

  private remove(entry: PeerWatch): void {
    const incarnations = this.byNode.get(entry.peer.hostPort)!;
    const held = incarnations.get(entry.peer.uid)!;
    held.delete(entry.id);
    this.count--;
    if (held.size > 0) return;
    incarnations.delete(entry.peer.uid);
    if (incarnations.size === 0) this.byNode.delete(entry.peer.hostPort);
  }
}
