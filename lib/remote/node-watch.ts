/**
 * The watching side of remote watch: local actors watching refs on other nodes. Local
 * watchers of one remote actor share one entry, and one entry is one watch on the wire (its
 * id goes to the watched node, which answers with it when the actor stops). Every entry is
 * also bound to one incarnation of its node (the ref's own, else the one connected when it
 * was made, else the next to authenticate) and ends with Terminated when that incarnation
 * is gone, whether or not the watched node ever answered.
 *
 * What counts as "gone" is decided by the caller of `nodeGone` (Remoting), in one place.
 */
import { Terminated, type ActorRef, type InternalActorRef } from '../actor/index.js';
import type { ConnectionDirection } from './connection.js';
import type { NodeIdentity } from './node-identity.js';
import type { RemoteActorRef } from './remote-actor-ref.js';

export interface Watched {
  /** Names this watch on the wire. */
  readonly id: number;
  /** `host:port` of the watched actor's node, as its ref names it. */
  readonly node: string;
  readonly ref: RemoteActorRef<unknown>;
  /** The incarnation this watch ends with; 0 until one is known. */
  uid: number;
  readonly watchers: Set<InternalActorRef<never>>;
}

/** Watchers to signal for one watched ref. */
export interface Fired {
  readonly ref: RemoteActorRef<unknown>;
  readonly watchers: readonly InternalActorRef<never>[];
}

interface Incarnation {
  readonly uid: number;
  /** Directions in which a connection with this incarnation has opened (bit 1 outbound, 2 inbound). */
  opened: number;
}

export class NodeWatches {
  /** `host:port` -> watched refs of that node, by incarnation and address. */
  private readonly byNode = new Map<string, Map<string, Watched>>();
  private readonly byId = new Map<number, Watched>();
  /** `host:port` -> the incarnation last authenticated there and not yet gone. */
  private readonly incarnations = new Map<string, Incarnation>();
  private nextId = 1;
  private count = 0;

  /** Watches in place (one per watched ref and watcher). */
  get size(): number {
    return this.count;
  }

  /** Watched refs, each one watch on the wire however many local watchers it has. */
  get wireWatches(): number {
    return this.byId.size;
  }

  /** Nodes with at least one watch. */
  get nodes(): number {
    return this.byNode.size;
  }

  isWatched(node: string): boolean {
    return this.byNode.has(node);
  }

  /** Whether an incarnation of `node` is known to be up. */
  isUp(node: string): boolean {
    return this.incarnations.has(node);
  }

  /**
   * Adds a watch. Returns 'gone' when the ref's incarnation is already known to be gone (a
   * newer one is up; the caller answers Terminated at once), the new entry when `watcher` is
   * the ref's first (the caller sends it over the wire), else 'added'.
   */
  watch(node: string, ref: RemoteActorRef<unknown>, watcher: InternalActorRef<never>): 'gone' | 'added' | Watched {
    const current = this.incarnations.get(node)?.uid;
    if (ref.nodeUid !== 0 && current !== undefined && current !== ref.nodeUid) return 'gone';
    let refs = this.byNode.get(node);
    if (refs === undefined) this.byNode.set(node, (refs = new Map()));
    const key = watchKey(ref);
    let watched = refs.get(key);
    let created = false;
    if (watched === undefined) {
      watched = { id: this.nextId++, node, ref, uid: ref.nodeUid || current || 0, watchers: new Set() };
      refs.set(key, watched);
      this.byId.set(watched.id, watched);
      created = true;
    }
    if (!watched.watchers.has(watcher)) {
      watched.watchers.add(watcher);
      this.count++;
    }
    return created ? watched : 'added';
  }

  /** Removes a watch; returns the entry when its last watcher left (the caller unwatches it over the wire). */
  unwatch(node: string, ref: RemoteActorRef<unknown>, watcher: InternalActorRef<never>): Watched | undefined {
    const refs = this.byNode.get(node);
    const key = watchKey(ref);
    const watched = refs?.get(key);
    if (watched === undefined || !watched.watchers.delete(watcher)) return undefined;
    this.count--;
    if (watched.watchers.size > 0) return undefined;
    this.remove(watched, key);
    return watched;
  }

  /**
   * The watched node `from` ended watch `id` (its actor stopped, never existed, or the watch
   * was refused): removes it and returns what to signal. An answer from any other
   * incarnation than the one the watch is bound to ends nothing, so no peer can end
   * watches of another node's actors.
   */
  actorTerminated(id: number, from: NodeIdentity): Watched | undefined {
    const watched = this.byId.get(id);
    if (watched === undefined) return undefined;
    // The host may be spelt differently (`localhost`); the port and the incarnation cannot.
    if (watched.uid === 0 ? watched.node !== from.hostPort : watched.uid !== from.uid || watched.ref.address.port !== from.port) return undefined;
    this.count -= watched.watchers.size;
    this.remove(watched, watchKey(watched.ref));
    return watched;
  }

  /** Entries of `node` that end with incarnation `uid` or are not bound yet: what to watch again after a reconnect. */
  entriesOf(node: string, uid: number): Watched[] {
    const refs = this.byNode.get(node);
    if (refs === undefined) return [];
    const entries: Watched[] = [];
    for (const watched of refs.values()) if (watched.uid === uid || watched.uid === 0) entries.push(watched);
    return entries;
  }

  /**
   * Incarnation `uid` of `node` authenticated. Watches not yet bound are bound to it; returns
   * the incarnation it replaces, if any (the caller then reports that one gone).
   */
  nodeUp(node: string, uid: number): number | undefined {
    const previous = this.incarnations.get(node);
    if (previous?.uid !== uid) this.incarnations.set(node, { uid, opened: 0 });
    const refs = this.byNode.get(node);
    if (refs !== undefined) for (const watched of refs.values()) if (watched.uid === 0) watched.uid = uid;
    return previous !== undefined && previous.uid !== uid ? previous.uid : undefined;
  }

  /**
   * A connection with incarnation `uid` of `node` opened in `direction`. True when one had
   * opened that way before: a reconnect, after which frames written to the closed connection
   * may have been lost.
   */
  connectionOpened(node: string, uid: number, direction: ConnectionDirection): boolean {
    const incarnation = this.incarnations.get(node);
    if (incarnation === undefined || incarnation.uid !== uid) return false;
    const bit = direction === 'outbound' ? 1 : 2;
    const before = (incarnation.opened & bit) !== 0;
    incarnation.opened |= bit;
    return before;
  }

  /**
   * Removes the watches that end with incarnation `uid` of `node` (every watch of it when
   * `uid` is undefined: the node could not be reached at all) and returns what to signal.
   */
  nodeGone(node: string, uid: number | undefined): Fired[] {
    if (uid === undefined || this.incarnations.get(node)?.uid === uid) this.incarnations.delete(node);
    const refs = this.byNode.get(node);
    if (refs === undefined) return [];
    const fired: Fired[] = [];
    for (const [key, watched] of refs) {
      // Unbound watches wait for the next incarnation, unless the node could not be reached at all.
      if (uid !== undefined && watched.uid !== uid) continue;
      refs.delete(key);
      this.byId.delete(watched.id);
      this.count -= watched.watchers.size;
      fired.push({ ref: watched.ref, watchers: [...watched.watchers] });
    }
    if (refs.size === 0) this.byNode.delete(node);
    return fired;
  }

  /** Forgets everything (the system is stopping; its actors are stopping too). */
  clear(): void {
    this.byNode.clear();
    this.byId.clear();
    this.incarnations.clear();
    this.count = 0;
  }

  private remove(watched: Watched, key: string): void {
    this.byId.delete(watched.id);
    const refs = this.byNode.get(watched.node)!;
    refs.delete(key);
    if (refs.size === 0) this.byNode.delete(watched.node);
  }
}

/**
 * Signals `Terminated(ref)` to each watcher, behind the messages already in its mailbox:
 * what the watched actor sent before it stopped arrived first and is handled first.
 */
export function signalTerminated(fired: readonly Fired[]): void {
  for (const { ref, watchers } of fired) {
    const signal = new Terminated(ref as ActorRef<never>);
    for (const watcher of watchers) watcher.sendSignalAfterMessages(signal);
  }
}

function watchKey(ref: RemoteActorRef<unknown>): string {
  return `${ref.nodeUid} ${ref.key}`;
}
