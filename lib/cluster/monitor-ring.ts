/**
 * Who watches whom: members placed on a ring by a hash of their key, each watching the k
 * members after it, so each is watched by the k before it. Per-node cost (heartbeats sent
 * and scored) stays at k whatever the cluster size, and every member has k observers.
 * A hash rather than the sorted keys: nodes of one host sit next to each other when sorted,
 * and a machine failing would take a member and its observers at once.
 */
import type { NodeKey } from './node-id.js';

/** Observers per member. Five: three reports make a majority, and two can be lost or cut off. */
export const DEFAULT_MONITORS_PER_NODE = 5;

/** A 32-bit hash (FNV-1a over UTF-16 units, then a murmur3 finaliser to spread near-equal keys). */
export function ringHash(key: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) {
    h ^= key.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

export class MonitorRing {
  private readonly ring: NodeKey[];
  private readonly position = new Map<NodeKey, number>();
  /** Observers per member here: k, or every other member in a cluster smaller than k + 1. */
  readonly monitorsPerNode: number;

  constructor(members: Iterable<NodeKey>, monitorsPerNode = DEFAULT_MONITORS_PER_NODE) {
    const hashed = [...new Set(members)].map(key => ({ key, hash: ringHash(key) }));
    hashed.sort((a, b) => a.hash - b.hash || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    this.ring = hashed.map(x => x.key);
    this.ring.forEach((key, i) => this.position.set(key, i));
    this.monitorsPerNode = Math.max(0, Math.min(monitorsPerNode, this.ring.length - 1));
  }

  get size(): number {
    return this.ring.length;
  }

  /** The members `observer` sends heartbeats to and scores (empty if it is not on the ring). */
  watchedBy(observer: NodeKey): NodeKey[] {
    return this.walk(observer, +1);
  }

  /** The members that watch `subject`. */
  watchersOf(subject: NodeKey): NodeKey[] {
    return this.walk(subject, -1);
  }

  private walk(from: NodeKey, step: 1 | -1): NodeKey[] {
    const at = this.position.get(from);
    if (at === undefined) return [];
    const n = this.ring.length;
    const out: NodeKey[] = [];
    for (let i = 1; i <= this.monitorsPerNode; i++) out.push(this.ring[(((at + step * i) % n) + n) % n]!);
    return out;
  }
}
