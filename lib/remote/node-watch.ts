/**
 * Watch of remote actors at node level: a local actor watching a ref on another node gets
 * `Terminated(ref)` once that node's incarnation is gone. Each watch is bound to one
 * incarnation (the ref's own, else the one connected when it was made, else the next to
 * authenticate), and the watches of one node live in one map that empties as they fire.
 *
 * What counts as "gone" is decided by the caller of `nodeGone` (Remoting), in one place; an
 * actor stopping on a live node is not seen here (actor-level remote watch is the cluster
 * layer's, with its failure detector).
 */
import { Terminated, type ActorRef, type InternalActorRef } from '../actor/index.js';
import type { RemoteActorRef } from './remote-actor-ref.js';

interface Watched {
  readonly ref: RemoteActorRef<unknown>;
  /** The incarnation this watch ends with; 0 until one is known. */
  uid: number;
  readonly watchers: Set<InternalActorRef<never>>;
}

export class NodeWatches {
  /** `host:port` -> watched refs of that node, by incarnation and address. */
  private readonly byNode = new Map<string, Map<string, Watched>>();
  /** `host:port` -> the incarnation last authenticated there and not yet gone. */
  private readonly incarnations = new Map<string, number>();
  private count = 0;

  /** Watches in place (one per watched ref and watcher). */
  get size(): number {
    return this.count;
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
   * Adds a watch; returns false when the ref's incarnation is already known to be gone (a
   * newer one is up), in which case the caller answers `Terminated` at once.
   */
  watch(node: string, ref: RemoteActorRef<unknown>, watcher: InternalActorRef<never>): boolean {
    const current = this.incarnations.get(node);
    if (ref.nodeUid !== 0 && current !== undefined && current !== ref.nodeUid) return false;
    let refs = this.byNode.get(node);
    if (refs === undefined) this.byNode.set(node, (refs = new Map()));
    const id = watchId(ref);
    let watched = refs.get(id);
    if (watched === undefined) refs.set(id, (watched = { ref, uid: ref.nodeUid || current || 0, watchers: new Set() }));
    if (!watched.watchers.has(watcher)) {
      watched.watchers.add(watcher);
      this.count++;
    }
    return true;
  }

  unwatch(node: string, ref: RemoteActorRef<unknown>, watcher: InternalActorRef<never>): void {
    const refs = this.byNode.get(node);
    const id = watchId(ref);
    const watched = refs?.get(id);
    if (watched === undefined || !watched.watchers.delete(watcher)) return;
    this.count--;
    if (watched.watchers.size > 0) return;
    refs!.delete(id);
    if (refs!.size === 0) this.byNode.delete(node);
  }

  /**
   * Incarnation `uid` of `node` authenticated. Watches not yet bound are bound to it; returns
   * the incarnation it replaces, if any (the caller then reports that one gone).
   */
  nodeUp(node: string, uid: number): number | undefined {
    const previous = this.incarnations.get(node);
    this.incarnations.set(node, uid);
    const refs = this.byNode.get(node);
    if (refs !== undefined) for (const watched of refs.values()) if (watched.uid === 0) watched.uid = uid;
    return previous !== undefined && previous !== uid ? previous : undefined;
  }

  /**
   * Removes the watches that end with incarnation `uid` of `node` (every watch of it when
   * `uid` is undefined: the node could not be reached at all) and returns what to signal.
   */
  nodeGone(node: string, uid: number | undefined): { ref: RemoteActorRef<unknown>; watchers: InternalActorRef<never>[] }[] {
    if (uid === undefined || this.incarnations.get(node) === uid) this.incarnations.delete(node);
    const refs = this.byNode.get(node);
    if (refs === undefined) return [];
    const fired: { ref: RemoteActorRef<unknown>; watchers: InternalActorRef<never>[] }[] = [];
    for (const [id, watched] of refs) {
      // Unbound watches wait for the next incarnation, unless the node could not be reached at all.
      if (uid !== undefined && watched.uid !== uid) continue;
      refs.delete(id);
      this.count -= watched.watchers.size;
      fired.push({ ref: watched.ref, watchers: [...watched.watchers] });
    }
    if (refs.size === 0) this.byNode.delete(node);
    return fired;
  }

  /** Forgets everything (the system is stopping; its actors are stopping too). */
  clear(): void {
    this.byNode.clear();
    this.incarnations.clear();
    this.count = 0;
  }
}

/** Signals `Terminated(ref)` to each watcher. */
export function signalTerminated(fired: readonly { ref: RemoteActorRef<unknown>; watchers: readonly InternalActorRef<never>[] }[]): void {
  for (const { ref, watchers } of fired) {
    const signal = new Terminated(ref as ActorRef<never>);
    for (const watcher of watchers) watcher.sendSignal(signal);
  }
}

function watchId(ref: RemoteActorRef<unknown>): string {
  return `${ref.nodeUid} ${ref.key}`;
}
