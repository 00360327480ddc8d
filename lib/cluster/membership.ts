/**
 * The membership rules, as pure functions over the replicated records: who is a member,
 * when a node moves its own status, who is unreachable, and when a suspected node is
 * downed. Reachability is data in the state: each owner publishes the peers its failure
 * detector suspects, so every node sees the same (observer, subject) marks and reaches the
 * same decision without a leader.
 *
 * Downing needs a majority of a subject's observers to suspect it. One bad link, or a cut
 * in one direction, is seen by one observer only and downs nobody; a crashed or frozen
 * node is suspected by all its observers at about the same moment. In a partition the
 * side holding a majority of a node's observers downs it, the other side cannot. Two
 * nodes alone cannot tell a dead peer from a cut link: each observer is the whole majority.
 */
import { canMoveOwnStatus, type MemberStatus, type NodeRecord } from './cluster-state.js';
import type { NodeId, NodeKey } from './node-id.js';

/** What membership reads: the live records, and which one is this node's. */
export interface StateView {
  readonly selfKey: NodeKey;
  records(): Iterable<NodeRecord>;
}

/** A member: an incarnation that has not been downed or removed. */
export function isLive(status: MemberStatus): boolean {
  return status === 'joining' || status === 'up' || status === 'leaving';
}

/** Things that happen to this node that move its own status. */
export type OwnEvent =
  /** It merged a seed's or a member's whole state (or, as the first seed, formed a new cluster). */
  | 'synced'
  /** `leave()`, `terminate()` or an operator's leave. */
  | 'leave'
  /** Its leave was announced and acknowledged (or the wait ran out): its sockets may close. */
  | 'left';

/**
 * The status to move to, or undefined when the event changes nothing. A node goes `up` by
 * itself once it holds the cluster's state: the registry is available rather than agreed,
 * so no leader or convergence round is awaited, and a registration made while joining is
 * announced with its record at once.
 */
export function nextOwnStatus(current: MemberStatus, event: OwnEvent): MemberStatus | undefined {
  const next: MemberStatus | undefined =
    event === 'synced' ? (current === 'joining' ? 'up' : undefined) : event === 'leave' ? 'leaving' : 'removed';
  return next !== undefined && canMoveOwnStatus(current, next) ? next : undefined;
}

/** Keys of the live members, this node included: the input of the monitor ring. */
export function liveMembers(state: StateView): NodeKey[] {
  const out: NodeKey[] = [];
  for (const record of state.records()) if (isLive(record.status)) out.push(record.key);
  return out.sort();
}

/**
 * subject -> the live observers that suspect it, for every live subject suspected by at
 * least one. Marks about incarnations that are gone, or by them, are not counted.
 */
export function unreachableSubjects(state: StateView): Map<NodeKey, NodeKey[]> {
  const live = new Map<NodeKey, NodeRecord>();
  for (const record of state.records()) if (isLive(record.status)) live.set(record.key, record);
  const out = new Map<NodeKey, NodeKey[]>();
  for (const observer of live.values()) {
    for (const subject of observer.unreachable) {
      if (subject === observer.key || !live.has(subject)) continue;
      let observers = out.get(subject);
      if (!observers) out.set(subject, (observers = []));
      observers.push(observer.key);
    }
  }
  for (const observers of out.values()) observers.sort();
  return out;
}

export interface Member {
  readonly node: NodeId;
  readonly key: NodeKey;
  readonly status: MemberStatus;
  /** No live member suspects it. */
  readonly reachable: boolean;
  readonly unreachableFrom: readonly NodeKey[];
}

/** Every live member, sorted by key. */
export function members(state: StateView): Member[] {
  const suspected = unreachableSubjects(state);
  const out: Member[] = [];
  for (const record of state.records()) {
    if (!isLive(record.status)) continue;
    const from = suspected.get(record.key) ?? [];
    out.push({ node: record.node, key: record.key, status: record.status, reachable: from.length === 0, unreachableFrom: from });
  }
  return out.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

/**
 * Reports needed to down a subject: a majority of the observers it has, which is
 * min(k, members - 1) on the monitor ring.
 */
export function reportsNeeded(liveMemberCount: number, monitorsPerNode: number): number {
  const observers = Math.max(0, Math.min(monitorsPerNode, liveMemberCount - 1));
  return Math.floor(observers / 2) + 1;
}

/**
 * The members to mark down now: suspected by at least `reportsNeeded` live observers. This
 * node is never in it (it cannot down itself; it will learn the others' decision).
 * Every node computes the same set from the same state, so whoever sees it first downs.
 */
export function downingDecisions(state: StateView, monitorsPerNode: number): NodeKey[] {
  const suspected = unreachableSubjects(state);
  const need = reportsNeeded(liveMembers(state).length, monitorsPerNode);
  const out: NodeKey[] = [];
  for (const [subject, observers] of suspected) {
    if (subject !== state.selfKey && observers.length >= need) out.push(subject);
  }
  return out.sort();
}

/**
 * What changed between two sets of unreachable subjects, for UnreachableMember /
 * ReachableMember events. A subject that left the set because it was downed is in
 * `reachable` too: announce ReachableMember only for those the state still holds.
 */
export function reachabilityChanges(
  before: ReadonlySet<NodeKey> | ReadonlyMap<NodeKey, unknown>,
  after: ReadonlySet<NodeKey> | ReadonlyMap<NodeKey, unknown>,
): { unreachable: NodeKey[]; reachable: NodeKey[] } {
  const unreachable = [...after.keys()].filter(k => !before.has(k)).sort();
  const reachable = [...before.keys()].filter(k => !after.has(k)).sort();
  return { unreachable, reachable };
}
