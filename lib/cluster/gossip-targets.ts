/**
 * Whom to send to: every peer while the cluster is small, so a change arrives in one hop;
 * a random fanout that relays once a cluster is large, so no node sends to hundreds. The
 * random source is injected (tests replay it).
 *
 * Relaying is infect-and-die: a node relays a delta only the first time it applies it, so
 * each delta costs about members x fanout messages and the relaying stops by itself. With
 * fanout f a given node is missed by every relayer with probability about e^-f (0.25% for
 * f = 6); the digest exchange of the next gossip interval repairs those.
 */

/** A number in [0, 1), as Math.random. */
export type RandomSource = () => number;

export interface DisseminationOptions {
  /** Up to this many peers every change goes to all of them, and nobody relays. Default 32. */
  fullPushMaxPeers?: number;
  /** Peers a change goes to, and is relayed to, beyond that. Default 6. */
  fanout?: number;
}

export const DEFAULT_FULL_PUSH_MAX_PEERS = 32;
export const DEFAULT_FANOUT = 6;

/** `count` distinct items chosen uniformly (all of them if there are fewer); `items` is left as is. */
export function pickRandom<T>(items: readonly T[], count: number, random: RandomSource): T[] {
  const pool = items.slice();
  const n = Math.min(Math.max(0, Math.floor(count)), pool.length);
  for (let i = 0; i < n; i++) {
    const j = i + Math.min(pool.length - i - 1, Math.floor(random() * (pool.length - i)));
    [pool[i], pool[j]] = [pool[j]!, pool[i]!];
  }
  pool.length = n;
  return pool;
}

/** Where a change made on this node goes: `peers` excludes this node. */
export function pushTargets<T>(peers: readonly T[], options: DisseminationOptions, random: RandomSource): T[] {
  const full = options.fullPushMaxPeers ?? DEFAULT_FULL_PUSH_MAX_PEERS;
  return peers.length <= full ? peers.slice() : pickRandom(peers, options.fanout ?? DEFAULT_FANOUT, random);
}

/**
 * Where a change received from a peer goes next: nowhere in a small cluster (its origin sent
 * it to everyone), else a fanout that excludes those known to have it.
 */
export function relayTargets<T>(
  peers: readonly T[],
  alreadyHave: readonly T[],
  options: DisseminationOptions,
  random: RandomSource,
): T[] {
  const full = options.fullPushMaxPeers ?? DEFAULT_FULL_PUSH_MAX_PEERS;
  if (peers.length <= full) return [];
  const skip = new Set(alreadyHave);
  return pickRandom(peers.filter(p => !skip.has(p)), options.fanout ?? DEFAULT_FANOUT, random);
}

/** The peer of this gossip interval's digest exchange, or undefined when there is none. */
export function gossipPeer<T>(peers: readonly T[], random: RandomSource): T | undefined {
  return pickRandom(peers, 1, random)[0];
}
