/**
 * `system.cluster`: membership as this node sees it, its events, and the operator's actions
 * (down and leave, on this node or another member). A thin face over the daemon.
 */
import type { ActorRef, EventStream } from '../actor/index.js';
import { ClusterEvent, type ClusterMember } from './cluster-events.js';
import type { ClusterDaemon } from './cluster-daemon.js';

export type ClusterEventSubscriber = ((event: ClusterEvent) => void) | ActorRef<ClusterEvent>;

/** Membership events: MemberJoined, MemberUp, MemberLeft, MemberDown, MemberRemoved, UnreachableMember, ReachableMember. */
export interface ClusterEvents {
  /** Every ClusterEvent from now on, to a callback or an actor; returns the unsubscribe function. */
  subscribe(subscriber: ClusterEventSubscriber): () => void;
}

export class Cluster {
  readonly events: ClusterEvents;

  constructor(
    private readonly daemon: ClusterDaemon,
    eventStream: EventStream,
  ) {
    this.events = { subscribe: subscriber => eventStream.subscribe(ClusterEvent, subscriber as (event: ClusterEvent) => void) };
  }

  /** The live members (joining, up, leaving), this node included, sorted by node. */
  get members(): readonly ClusterMember[] {
    return this.daemon.members();
  }

  /** This node as a member. */
  get self(): ClusterMember {
    return this.daemon.ownMember();
  }

  get isUp(): boolean {
    return this.daemon.isUp;
  }

  /** Same as `events.subscribe`. */
  subscribe(subscriber: ClusterEventSubscriber): () => void {
    return this.events.subscribe(subscriber);
  }

  /** Resolves once this node has joined (holds the cluster's state); rejects with NotAMemberError if it leaves first. */
  whenUp(): Promise<void> {
    return this.daemon.whenUp();
  }

  /**
   * Marks the member at `address` (`host:port`, or `host:port#uid`) down, as Akka's Down:
   * its entries leave every listing, and if it is alive after all it rejoins as a new
   * incarnation. Returns whether such a member was known.
   */
  down(address: string): boolean {
    return this.daemon.down(address);
  }

  /**
   * Graceful leave, as Akka's Leave: without an address (or with this node's) this node
   * leaves; otherwise the member at `address` is asked to. Resolves when this node's own
   * leave is complete, or at once for another member.
   */
  leave(address?: string): Promise<void> {
    if (address === undefined || address === this.self.address || address === this.self.node) return this.daemon.leave();
    this.daemon.requestLeave(address);
    return Promise.resolve();
  }
}
