/**
 * What a node learns about membership, published on the system's EventStream (subscribe to
 * `ClusterEvent` for all of them, or to one class) and to `system.cluster.subscribe`. Each
 * event carries the member as this node saw it at that moment.
 */
import type { MemberStatus } from './cluster-state.js';

/** A member as this node sees it. */
export interface ClusterMember {
  /** `host:port` it listens on (and is addressed by). */
  readonly address: string;
  /** Its incarnation uid: a restarted (or rejoined) node is a new member. */
  readonly uid: number;
  /** `host:port#uid`, as listings name the node of an instance. */
  readonly node: string;
  readonly status: MemberStatus;
  /** No member's failure detector suspects it. */
  readonly reachable: boolean;
}

export abstract class ClusterEvent {
  constructor(readonly member: ClusterMember) {}

  toString(): string {
    return `${this.constructor.name}(${this.member.node})`;
  }
}

/** A new incarnation appeared (status joining, or already up when first seen). */
export class MemberJoined extends ClusterEvent {}
/** It holds the cluster's state and takes part fully. */
export class MemberUp extends ClusterEvent {}
/** It announced a graceful leave: its entries are gone; it will be removed. */
export class MemberLeft extends ClusterEvent {}
/** The failure detectors (a majority of its observers), a proof of death, or an operator marked it down. */
export class MemberDown extends ClusterEvent {}
/** It is no longer a member here (after leaving or being downed); its uid is kept as a tombstone. */
export class MemberRemoved extends ClusterEvent {}
/** Some member's failure detector suspects it: its instances leave `Listing.instances`. */
export class UnreachableMember extends ClusterEvent {}
/** No member suspects it any more: its instances are back in `Listing.instances`. */
export class ReachableMember extends ClusterEvent {}
