/**
 * The receptionist's index: key -> instances, each tagged with the node it runs on, so
 * the cluster layer can add and prune other nodes' entries beside this node's own.
 * Listings are built once per change and cached, so a Find on an unchanged key is a map read.
 *
 * Guarantees: a ref appears at most once per key; a key with no instances disappears;
 * every mutator returns the keys whose listing changed, so callers notify exactly those.
 */
import { Listing, ServiceKey, type ActorRef, type ServiceInstance } from '../actor/index.js';

/** Node name for entries of a system that is not on the network. */
export const LOCAL_NODE = 'local';

/** The frozen instance is made once per registration and shared by every listing that shows it. */
interface Entry {
  instance: ServiceInstance<unknown>;
}

function instanceOf(ref: ActorRef<unknown>, node: string, reachable: boolean): ServiceInstance<unknown> {
  return Object.freeze({ ref, node, reachable });
}

function refKey(ref: ActorRef<unknown>): string {
  return ref.toString();
}

export class ServiceRegistry {
  private readonly byKey = new Map<string, Map<string, Entry>>();
  private readonly keyObjects = new Map<string, ServiceKey<unknown>>();
  /** ref -> ids of the keys it is registered under, for removal when the actor stops. */
  private readonly keysByRef = new Map<string, Set<string>>();
  private readonly unreachable = new Set<string>();
  private readonly cache = new Map<string, Listing<unknown>>();

  /** Adds `ref` under `key`; returns whether the listing changed. */
  add<T>(key: ServiceKey<T>, ref: ActorRef<T>, node: string = LOCAL_NODE): boolean {
    let entries = this.byKey.get(key.id);
    if (!entries) {
      entries = new Map();
      this.byKey.set(key.id, entries);
      this.keyObjects.set(key.id, key as ServiceKey<unknown>);
    }
    const id = refKey(ref);
    if (entries.has(id)) return false;
    entries.set(id, { instance: instanceOf(ref as ActorRef<unknown>, node, !this.unreachable.has(node)) });
    let keys = this.keysByRef.get(id);
    if (!keys) this.keysByRef.set(id, (keys = new Set()));
    keys.add(key.id);
    this.cache.delete(key.id);
    return true;
  }

  /** Removes `ref` from `key`; returns whether the listing changed. */
  remove<T>(key: ServiceKey<T>, ref: ActorRef<T>): boolean {
    return this.removeById(key.id, refKey(ref));
  }

  /** Removes `ref` from every key; returns the ids of the keys that changed. */
  removeRef(ref: ActorRef<unknown>): string[] {
    const id = refKey(ref);
    const keys = this.keysByRef.get(id);
    if (!keys) return [];
    const changed = [...keys];
    for (const keyId of changed) this.removeById(keyId, id);
    return changed;
  }

  /** Removes every entry of `node` (a node that left or was marked down); returns changed key ids. */
  removeNode(node: string): string[] {
    const changed: string[] = [];
    for (const [keyId, entries] of [...this.byKey]) {
      let hit = false;
      for (const [id, entry] of [...entries]) {
        if (entry.instance.node === node) {
          this.removeById(keyId, id);
          hit = true;
        }
      }
      if (hit) changed.push(keyId);
    }
    this.unreachable.delete(node);
    return changed;
  }

  /** Marks a node (un)reachable; returns the ids of the keys whose `instances` changed. */
  setReachable(node: string, reachable: boolean): string[] {
    const was = !this.unreachable.has(node);
    if (was === reachable) return [];
    if (reachable) this.unreachable.delete(node);
    else this.unreachable.add(node);
    const changed: string[] = [];
    for (const [keyId, entries] of this.byKey) {
      let hit = false;
      for (const entry of entries.values()) {
        if (entry.instance.node === node) {
          entry.instance = instanceOf(entry.instance.ref, node, reachable);
          hit = true;
        }
      }
      if (hit) {
        changed.push(keyId);
        this.cache.delete(keyId);
      }
    }
    return changed;
  }

  /** Gives `from`'s entries the label `to` (a node's new incarnation); returns the ids of the keys that changed. */
  relabelNode(from: string, to: string): string[] {
    if (from === to) return [];
    const reachable = !this.unreachable.has(to);
    this.unreachable.delete(from);
    const changed: string[] = [];
    for (const [keyId, entries] of this.byKey) {
      let hit = false;
      for (const entry of entries.values()) {
        if (entry.instance.node === from) {
          entry.instance = instanceOf(entry.instance.ref, to, reachable);
          hit = true;
        }
      }
      if (hit) {
        changed.push(keyId);
        this.cache.delete(keyId);
      }
    }
    return changed;
  }

  /** The node label `ref` is listed with under `key`, if it is listed there. */
  nodeOf<T>(key: ServiceKey<T>, ref: ActorRef<T>): string | undefined {
    return this.byKey.get(key.id)?.get(refKey(ref))?.instance.node;
  }

  isRegistered(ref: ActorRef<unknown>): boolean {
    return this.keysByRef.has(refKey(ref));
  }

  /** The entries a node has under every key, e.g. to publish this node's own registrations. */
  entriesOf(node: string): { key: ServiceKey<unknown>; ref: ActorRef<unknown> }[] {
    const out: { key: ServiceKey<unknown>; ref: ActorRef<unknown> }[] = [];
    for (const [keyId, entries] of this.byKey) {
      for (const { instance } of entries.values()) {
        if (instance.node === node) out.push({ key: this.keyObjects.get(keyId)!, ref: instance.ref });
      }
    }
    return out;
  }

  get keyCount(): number {
    return this.byKey.size;
  }

  /** The current listing of `key`, built at most once per change. */
  listing<T>(key: ServiceKey<T>): Listing<T> {
    const cached = this.cache.get(key.id);
    if (cached) return cached as Listing<T>;
    return this.build(key.id, key) as Listing<T>;
  }

  /** The listing for a key id this registry has seen (or an empty one for `fallback`). */
  listingById(keyId: string, fallback?: ServiceKey<unknown>): Listing<unknown> {
    return this.cache.get(keyId) ?? this.build(keyId, fallback ?? this.keyObjects.get(keyId) ?? new ServiceKey(keyId));
  }

  private build(keyId: string, key: ServiceKey<unknown>): Listing<unknown> {
    const entries = this.byKey.get(keyId);
    // One pass fills both views; a listing after a change costs a few ns per instance.
    const all = new Array<ServiceInstance<unknown>>(entries?.size ?? 0);
    const reachableRefs: ActorRef<unknown>[] = [];
    let i = 0;
    if (entries) {
      for (const { instance } of entries.values()) {
        all[i++] = instance;
        if (instance.reachable) reachableRefs.push(instance.ref);
      }
    }
    const instances = reachableRefs.length === all.length ? all : all.filter(x => x.reachable);
    const listing = new Listing(this.keyObjects.get(keyId) ?? key, all, instances, reachableRefs);
    // Only keys that have entries are cached, so lookups of unknown keys cannot grow memory.
    if (entries) this.cache.set(keyId, listing);
    return listing;
  }

  private removeById(keyId: string, id: string): boolean {
    const entries = this.byKey.get(keyId);
    if (!entries?.delete(id)) return false;
    if (entries.size === 0) {
      this.byKey.delete(keyId);
      this.keyObjects.delete(keyId);
    }
    const keys = this.keysByRef.get(id);
    keys?.delete(keyId);
    if (keys?.size === 0) this.keysByRef.delete(id);
    this.cache.delete(keyId);
    return true;
  }
}
