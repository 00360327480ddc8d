/**
 * The effectful shell around the replicated state: it applies what peers send, pushes this
 * node's own changes (coalesced per event-loop turn), runs anti-entropy and the join, turns
 * heartbeats into suspicions and suspicions into downing, and drives the local registry and
 * the membership events from what changed. One instance per clustered system; its inputs are
 * the cluster actor's messages, remoting's connection events and its own timers, all on the
 * one event loop, so no two of them interleave.
 */
import {
  ActorAddress,
  Deregister,
  Register,
  ServiceKey,
  describeValue,
  printable,
  type ActorLogger,
  type ActorRef,
  type Cancellable,
  type Scheduler,
} from '../actor/index.js';
import type { NodeIdentity } from '../remote/index.js';
import { ClusterEvent, MemberDown, MemberJoined, MemberLeft, MemberRemoved, MemberUp, ReachableMember, UnreachableMember, type ClusterMember } from './cluster-events.js';
import { RegistryUpdate, type RemoteEntry } from './cluster-receptionist.js';
import type { ClusterSettings } from './cluster-settings.js';
import { ClusterState, composeDeltas, isGoneStatus, type Changes, type Delta, type EntryChange, type MemberChange, type MemberStatus, type NodeRecord } from './cluster-state.js';
import type { ProbeResult } from './death-probe.js';
import { NotAMemberError } from './errors.js';
import {
  GossipAck,
  GossipDigest,
  GossipPull,
  GossipPush,
  GossipRecords,
  GossipWelcome,
  InvalidGossip,
  LeaveRequest,
  type ClusterMessage,
  type GossipPeer,
} from './gossip-messages.js';
import { GossipSender, type GossipLink } from './gossip-sender.js';
import { gossipPeer, pushTargets, relayTargets } from './gossip-targets.js';
import { HeartbeatMonitor } from './heartbeat-monitor.js';
import { downingDecisions, isLive, liveMembers, members as membersOf, reachabilityChanges, unreachableSubjects } from './membership.js';
import { MonitorRing } from './monitor-ring.js';
import { hostPortOf, nodeKey, parseNodeKey, type NodeId, type NodeKey } from './node-id.js';
import { RecordAssembler } from './record-chunks.js';
import { SeedJoiner } from './seed-joiner.js';

/** What the daemon needs from its system; the clustered system implements it. */
export interface ClusterHost {
  readonly systemName: string;
  readonly identity: NodeIdentity;
  readonly scheduler: Scheduler;
  readonly log: ActorLogger;
  publish(event: ClusterEvent): void;
  /** The cluster actor of the node at `hostPort`. */
  clusterActorAt(hostPort: string): GossipPeer;
  /** The receptionist of the node at `hostPort`. */
  receptionistAt(hostPort: string): ActorRef<unknown>;
  /** Bytes of plain data one message to `hostPort` may carry (the smaller frame limit, less the envelope). */
  frameBudget(hostPort: string): number;
  /** Messages waiting to be sent to `hostPort`. */
  queued(hostPort: string): number;
  /** Keeps a connection to `hostPort` open (and redialled) while `keep`. */
  hold(hostPort: string, keep: boolean): void;
  /** A heartbeat to `hostPort` on the open connection (its answer comes back through the read path). */
  heartbeat(hostPort: string): void;
  /** Remote watches of that incarnation end (the single trigger of remoting). */
  nodeGone(hostPort: string, uid: number, reason: string): void;
  resolveRef(address: ActorAddress, nodeUid: number): ActorRef<unknown>;
  /** Takes a new incarnation uid (and reconnects); returns the new identity. */
  renewIncarnation(): NodeIdentity;
  probe(host: string, port: number): Promise<ProbeResult>;
}

type Phase = 'joining' | 'up' | 'leaving' | 'left';

interface AckWait {
  readonly pending: Set<string>;
  resolve(): void;
}

/** Warnings about one kind of bad peer input, at most this many a minute. */
const WARNINGS_PER_MINUTE = 10;
/** Probes of a member whose connections closed: at once, then twice more a little later (a dying process may close its listener last). */
const PROBE_DELAYS_MS = [0, 100, 400];

export class ClusterDaemon {
  readonly state: ClusterState;
  private readonly assembler: RecordAssembler;
  private readonly monitor: HeartbeatMonitor;
  private readonly joiner: SeedJoiner;
  private readonly sender: GossipSender;
  private phase: Phase = 'joining';
  private started = false;
  private selfRef?: GossipPeer;
  private receptionist?: ActorRef<RegistryUpdate>;
  private pendingOwn?: Delta;
  private flushScheduled = false;
  /** Subjects some live observer suspects, as last applied to the registry and announced. */
  private suspected = new Set<NodeKey>();
  /** Incarnations whose every connection is closed, and who have not connected since. */
  private readonly disconnected = new Set<NodeKey>();
  private readonly acks = new Map<number, AckWait>();
  private ackCounter = 0;
  private gossipTimer?: Cancellable;
  private checkTimer?: Cancellable;
  private heartbeatTimer?: Cancellable;
  private checkScheduled = false;
  private leaving?: Promise<void>;
  private upWaiter?: { promise: Promise<void>; resolve(): void; reject(error: Error): void };
  private reincarnationScheduled = false;
  private applyingDowning = false;
  private readonly warnings = new Map<string, number>();
  private warningWindowStart = 0;

  constructor(
    private readonly host: ClusterHost,
    private readonly settings: ClusterSettings,
  ) {
    const clock = () => host.scheduler.now();
    const self = host.identity;
    // Whole milliseconds: tombstone ages travel as integers.
    const stateClock = () => Math.floor(host.scheduler.now());
    this.state = new ClusterState({ self: { host: self.host, port: self.port, uid: self.uid }, clock: stateClock, tombstoneTtlMs: settings.tombstoneTtlMs });
    this.assembler = new RecordAssembler({ clock });
    this.monitor = new HeartbeatMonitor(clock, settings.failureDetector, settings.monitorHeartbeatIntervalMs);
    this.sender = new GossipSender(this.state, () => this.selfRef!);
    this.joiner = new SeedJoiner(settings, self.hostPort, host.scheduler, {
      requestJoin: hostPort => this.sendDigest(hostPort, true),
      form: () => {
        this.host.log.log(`No other seed answered: ${this.state.selfKey} forms a new cluster`);
        this.synced();
      },
    });
  }

  // ---- lifecycle ---------------------------------------------------------------------------

  /** The cluster actor started: messages from this node are sent from it. */
  bindActor(ref: GossipPeer): void {
    this.selfRef = ref;
  }

  /** Starts joining through the seeds, and the gossip and failure-detection timers. */
  start(): void {
    if (this.started) return;
    this.started = true;
    this.publish(MemberJoined, this.ownMember());
    this.joiner.start();
    this.scheduleGossip();
    this.scheduleCheck();
    this.scheduleHeartbeats();
  }

  get isUp(): boolean {
    return this.phase === 'up';
  }

  /** Resolves once this node is up; rejects if it leaves before that. */
  whenUp(): Promise<void> {
    if (this.phase === 'up') return Promise.resolve();
    if (this.phase === 'leaving' || this.phase === 'left') return Promise.reject(new NotAMemberError(this.state.selfKey));
    if (!this.upWaiter) {
      let resolve!: () => void;
      let reject!: (error: Error) => void;
      const promise = new Promise<void>((res, rej) => {
        resolve = res;
        reject = rej;
      });
      // Nobody may be waiting: a rejection must not surface as unhandled.
      promise.catch(() => {});
      this.upWaiter = { promise, resolve, reject };
    }
    return this.upWaiter.promise;
  }

  /**
   * Graceful leave: this node's entries and its status `leaving` go to every member, which
   * acknowledge; then its status `removed`, acknowledged as well (both within
   * `leaveTimeoutMs`). Afterwards this node takes no part in the cluster.
   */
  leave(): Promise<void> {
    this.leaving ??= this.runLeave();
    return this.leaving;
  }

  /** Stops every timer (the system is terminating, after its leave). */
  stop(): void {
    this.joiner.stop();
    this.gossipTimer?.cancel();
    this.checkTimer?.cancel();
    this.heartbeatTimer?.cancel();
    this.gossipTimer = this.checkTimer = this.heartbeatTimer = undefined;
    for (const wait of this.acks.values()) wait.resolve();
    this.acks.clear();
    if (this.phase !== 'left') this.phase = 'left';
    this.upWaiter?.reject(new NotAMemberError(this.state.selfKey));
  }

  // ---- what the system and the receptionist report -----------------------------------------

  /** The receptionist started; it is sent every entry known so far. */
  attachReceptionist(receptionist: ActorRef<RegistryUpdate>): void {
    this.receptionist = receptionist;
    const added: RemoteEntry[] = [];
    for (const record of this.state.records()) {
      if (record.key === this.state.selfKey) continue;
      for (const entry of record.entries.values()) {
        const resolved = this.resolveEntry(record.node, record.key, entry);
        if (resolved) added.push(resolved);
      }
    }
    const reachability = [...this.suspected].filter(k => k !== this.state.selfKey).map(k => [k, false] as const);
    if (added.length > 0 || reachability.length > 0) receptionist.tell(new RegistryUpdate([], [], added, reachability));
  }

  ownRegistered(key: ServiceKey<unknown>, ref: ActorRef<unknown>): void {
    this.queueOwn(this.state.register(key.id, ref.address.toString()));
  }

  ownDeregistered(key: ServiceKey<unknown>, ref: ActorRef<unknown>): void {
    this.queueOwn(this.state.deregister(key.id, ref.address.toString()));
  }

  ownStopped(ref: ActorRef<unknown>): void {
    this.queueOwn(this.state.deregisterRef(ref.address.toString()));
  }

  /**
   * A Register or Deregister of a ref on another node: handed to that node's receptionist
   * when the node is a live member, so that every record stays written by its owner.
   */
  forward(message: Register<unknown> | Deregister<unknown>): boolean {
    const hostPort = message.ref.address.hostPort;
    if (hostPort === undefined || hostPort === this.host.identity.hostPort || message.ref.address.system !== this.host.systemName) return false;
    if (!this.liveByHostPort(hostPort)) return false;
    this.host.receptionistAt(hostPort).tell(message);
    return true;
  }

  /** An incarnation of `peer` authenticated: every other incarnation of its host:port is gone. */
  peerConnected(peer: NodeIdentity): void {
    const key = keyOf(peer);
    this.disconnected.delete(key);
    if (this.phase === 'left') return;
    this.apply(this.state.supersede({ host: peer.host, port: peer.port, uid: peer.uid }), undefined);
  }

  /**
   * A connection to `hostPort` could not be made, or the last one with one of its incarnations
   * closed: while this node leaves, that member will not acknowledge in time, so its answer is
   * not awaited.
   */
  peerLost(hostPort: string): void {
    if (this.phase !== 'leaving') return;
    for (const ack of [...this.acks.keys()]) this.onAck(ack, hostPort);
  }

  /** The last connection with `peer` closed: if its port now refuses connections, its process is gone. */
  peerDisconnected(peer: NodeIdentity): void {
    this.peerLost(peer.hostPort);
    const key = keyOf(peer);
    if ((this.phase !== 'up' && this.phase !== 'joining') || !this.isLiveMember(key)) return;
    this.disconnected.add(key);
    this.probe(peer, key, 0);
  }

  /** A heartbeat or heartbeat answer from `peer`, read where its frame was decoded. */
  heartbeat(peer: NodeIdentity): void {
    this.monitor.heartbeat(keyOf(peer));
  }

  // ---- operator actions --------------------------------------------------------------------

  /**
   * Marks the members at `address` (`host:port`, or `host:port#uid` for one incarnation) down,
   * on this node and, through gossip, everywhere. This node's own address: it leaves instead.
   * Returns whether a member was found.
   */
  down(address: string): boolean {
    const found = this.membersAt(address);
    if (found.length === 0) return false;
    for (const record of found) {
      if (record.key === this.state.selfKey) {
        void this.leave();
        continue;
      }
      this.host.log.warn(`${record.key} is marked down by an operator`);
      this.apply(this.state.markDown(record.key), undefined);
    }
    return true;
  }

  /** Asks the member at `address` to leave gracefully (this node's own address: leaves itself). */
  requestLeave(address: string): boolean {
    const found = this.membersAt(address);
    for (const record of found) {
      if (record.key === this.state.selfKey) void this.leave();
      else this.host.clusterActorAt(hostPortOf(record.node)).tell(new LeaveRequest(this.selfRef!));
    }
    return found.length > 0;
  }

  members(): ClusterMember[] {
    return membersOf(this.state).map(m => this.memberOf(m.node, m.status));
  }

  ownMember(): ClusterMember {
    return this.memberOf(this.state.self, this.state.selfRecord.status);
  }

  // ---- messages from peers -----------------------------------------------------------------

  receive(message: ClusterMessage): void {
    if (message instanceof InvalidGossip) {
      this.warn('invalid', `Dropped a malformed ${message.name} message: ${message.reason}`);
      return;
    }
    if (!isClusterMessage(message)) {
      // Anything else a peer may send here (allowed path, registered class of another kind).
      this.warn('invalid', `Dropped a message that is no cluster message: ${describeValue(message)}`);
      return;
    }
    const from = message.from;
    const fromHostPort = from.address.hostPort;
    if (fromHostPort === undefined || fromHostPort === this.host.identity.hostPort) return;
    if (this.phase === 'left') {
      // Out of the cluster, but a member leaving at the same time still waits for this answer.
      if (message instanceof GossipPush && message.ack > 0) from.tell(new GossipAck(this.selfRef!, message.ack));
      return;
    }
    try {
      if (message instanceof GossipPush) this.onPush(message, fromHostPort);
      else if (message instanceof GossipRecords) this.onRecords(message, fromHostPort);
      else if (message instanceof GossipDigest) this.onDigest(message, fromHostPort);
      else if (message instanceof GossipPull) this.sender.catchUp(this.linkTo(fromHostPort, from), message.requests);
      else if (message instanceof GossipWelcome) this.onWelcome(fromHostPort);
      else if (message instanceof GossipAck) this.onAck(message.ack, fromHostPort);
      else if (message instanceof LeaveRequest) {
        this.host.log.warn(`${fromHostPort} asked this node to leave the cluster`);
        void this.leave();
      }
    } catch (error) {
      // The readers checked the shapes; what remains (a node key that fails to parse deep in a merge) is the peer's fault too.
      this.warn('apply', `Could not apply a cluster message from ${fromHostPort}: ${error instanceof Error ? printable(error.message, 300) : describeValue(error)}`);
    }
  }

  private onPush(message: GossipPush, fromHostPort: string): void {
    const link = this.linkTo(fromHostPort, message.from);
    const relay: Delta[] = [];
    const pulls = [];
    for (const delta of message.deltas) {
      const result = this.state.applyDelta(delta);
      if (result.outcome === 'gap') pulls.push(result.gap!);
      else if (result.outcome === 'applied') {
        relay.push(delta);
        this.apply(result.changes, fromHostPort);
      } else if (result.outcome === 'superseded') this.apply(result.changes, undefined);
    }
    if (pulls.length > 0) link.ref.tell(new GossipPull(this.selfRef!, pulls));
    if (message.gone.length > 0) this.apply(this.state.applyGone(message.gone), fromHostPort);
    if (relay.length > 0) this.relay(relay, fromHostPort);
    if (message.ack > 0) link.ref.tell(new GossipAck(this.selfRef!, message.ack));
  }

  private onRecords(message: GossipRecords, fromHostPort: string): void {
    for (const chunk of message.chunks) {
      if (this.state.isTombstoned(chunk.node) || chunk.node === this.state.selfKey) continue;
      const snapshot = this.assembler.accept(chunk, this.state.record(chunk.node)?.version ?? 0);
      if (!snapshot) continue;
      const result = this.state.mergeRecord(snapshot);
      this.apply(result.changes, result.outcome === 'superseded' ? undefined : fromHostPort);
    }
  }

  private onDigest(message: GossipDigest, fromHostPort: string): void {
    const link = this.linkTo(fromHostPort, message.from);
    const comparison = this.state.compareDigest(message.digest);
    if (comparison.learn.length > 0) this.apply(this.state.applyGone(comparison.learn), fromHostPort);
    if (comparison.pull.length > 0) link.ref.tell(new GossipPull(this.selfRef!, comparison.pull));
    this.sender.catchUp(link, comparison.push);
    if (comparison.teach.length > 0) this.sender.push(link, [], comparison.teach);
    // Only a member holding the cluster's state may tell a joiner it holds it too.
    if (message.join && this.phase === 'up') link.ref.tell(new GossipWelcome(this.selfRef!));
  }

  private onWelcome(fromHostPort: string): void {
    if (this.phase !== 'joining') return;
    this.host.log.log(`Joined the cluster through ${fromHostPort}`);
    this.joiner.welcomed();
    this.synced();
  }

  private onAck(ack: number, fromHostPort: string): void {
    const wait = this.acks.get(ack);
    if (!wait) return;
    wait.pending.delete(fromHostPort);
    if (wait.pending.size === 0) {
      this.acks.delete(ack);
      wait.resolve();
    }
  }

  // ---- applying changes ----------------------------------------------------------------------

  /**
   * Everything that follows a change of the state: the registry, events, remote watches, the
   * monitor ring, reachability and downing, and spreading new tombstones. `from` is the peer
   * the change came from (undefined: decided here, so it is pushed to everyone).
   */
  private apply(changes: Changes, from: string | undefined): void {
    const gone = changes.members.filter(m => isGoneStatus(m.to) && m.key !== this.state.selfKey);
    this.updateRegistry(changes.removed, changes.added, gone.map(m => m.key));
    for (const change of changes.members) this.announce(change);
    for (const change of gone) {
      const hostPort = hostPortOf(change.node);
      this.disconnected.delete(change.key);
      this.assembler.forget(change.key);
      this.host.nodeGone(hostPort, change.node.uid, `${change.key} is ${change.to === 'down' ? 'down' : 'removed from the cluster'}`);
      if (!this.liveByHostPort(hostPort)) {
        this.host.hold(hostPort, false);
        // A member that is gone acknowledges nothing more.
        for (const ack of [...this.acks.keys()]) this.onAck(ack, hostPort);
      }
    }
    if (changes.gone.length > 0) this.spreadGone(changes.gone, from);
    // A member seen for the first time may lack what this node holds (its join raced with
    // changes here, or it joined through another seed): one digest exchange catches both up.
    for (const change of changes.members) {
      if (change.from === undefined && isLive(change.to) && change.key !== this.state.selfKey) this.sendDigest(hostPortOf(change.node), false, true);
    }
    if (changes.members.length > 0) this.retarget();
    if (changes.reachabilityChanged || changes.members.length > 0) this.updateReachability();
    if (changes.selfGone) this.scheduleReincarnation();
  }

  private updateRegistry(removed: readonly EntryChange[], added: readonly EntryChange[], removedNodes: readonly string[]): void {
    const self = this.state.selfKey;
    const out: RemoteEntry[] = [];
    for (const change of added) {
      if (change.node === self) continue;
      const record = this.state.record(change.node);
      if (!record) continue;
      const entry = this.resolveEntry(record.node, change.node, change.entry);
      if (entry) out.push(entry);
    }
    const gone = removed.filter(c => c.node !== self).map(c => ({ node: c.node, id: c.entry.id }));
    if (out.length === 0 && gone.length === 0 && removedNodes.length === 0) return;
    this.receptionist?.tell(new RegistryUpdate(gone, removedNodes, out));
  }

  /** A peer's entry as a ref of its node and incarnation; undefined (and a warning) when it names an actor elsewhere. */
  private resolveEntry(owner: NodeId, ownerKey: NodeKey, entry: { id: number; key: string; ref: string }): RemoteEntry | undefined {
    let address: ActorAddress;
    try {
      address = ActorAddress.parse(entry.ref);
    } catch {
      this.warn('entry', `${ownerKey} published an entry whose ref is not an actor address; ignored`);
      return undefined;
    }
    // An owner writes only its own actors: anything else would be an entry nobody can remove.
    if (address.system !== this.host.systemName || address.host !== owner.host || address.port !== owner.port) {
      this.warn('entry', `${ownerKey} published an entry for ${printable(entry.ref, 200)}, which is not its own actor; ignored`);
      return undefined;
    }
    return { node: ownerKey, id: entry.id, key: new ServiceKey(entry.key), ref: this.host.resolveRef(address, owner.uid) };
  }

  private announce(change: MemberChange): void {
    const { from, to } = change;
    if (change.key === this.state.selfKey) return;
    const member = (status: MemberStatus) => this.memberOf(change.node, status);
    if (from === undefined) {
      if (!isLive(to)) return;
      this.publish(MemberJoined, member(to));
      if (to === 'up' || to === 'leaving') this.publish(MemberUp, member(to));
      if (to === 'leaving') this.publish(MemberLeft, member(to));
      return;
    }
    if (to === 'up') this.publish(MemberUp, member(to));
    else if (to === 'leaving') this.publish(MemberLeft, member(to));
    else if (to === 'down') {
      this.publish(MemberDown, member(to));
      this.publish(MemberRemoved, member(to));
    } else if (to === 'removed') {
      if (from !== 'leaving') this.publish(MemberLeft, member('leaving'));
      this.publish(MemberRemoved, member(to));
    }
  }

  /** Recomputes who watches whom after a membership change, and keeps those connections open. */
  private retarget(): void {
    if (this.phase !== 'joining' && this.phase !== 'up') return;
    const ring = new MonitorRing(liveMembers(this.state), this.settings.monitorsPerNode);
    const targets = ring.watchedBy(this.state.selfKey);
    this.monitor.setTargets(targets);
    for (const key of targets) this.host.hold(hostPortOf(parseNodeKey(key)), true);
  }

  /** Applies reachability from every owner's published suspicions, then downs whom a majority of observers suspects. */
  private updateReachability(): void {
    const now = unreachableSubjects(this.state);
    const { unreachable, reachable } = reachabilityChanges(this.suspected, now);
    // A subject that left the set because it is gone is not reachable again: it is removed.
    const back = reachable.filter(key => this.isLiveMember(key));
    this.suspected = new Set(now.keys());
    const self = this.state.selfKey;
    const updates = [...unreachable.map(k => [k, false] as const), ...back.map(k => [k, true] as const)].filter(([k]) => k !== self);
    if (updates.length > 0) this.receptionist?.tell(new RegistryUpdate([], [], [], updates));
    for (const key of unreachable) {
      const record = this.state.record(key);
      if (record) this.publish(UnreachableMember, this.memberOf(record.node, record.status));
    }
    for (const key of back) {
      const record = this.state.record(key);
      if (record) this.publish(ReachableMember, this.memberOf(record.node, record.status));
    }
    if (this.applyingDowning || this.phase === 'left' || this.phase === 'leaving') return;
    this.applyingDowning = true;
    try {
      for (let round = 0; round < 16; round++) {
        const decisions = downingDecisions(this.state, this.settings.monitorsPerNode);
        if (decisions.length === 0) break;
        for (const subject of decisions) {
          const observers = unreachableSubjects(this.state).get(subject) ?? [];
          this.host.log.warn(`${subject} is marked down: unreachable from ${observers.join(', ')}`);
          this.apply(this.state.markDown(subject), undefined);
        }
      }
    } finally {
      this.applyingDowning = false;
    }
  }

  /**
   * New tombstones: decided here, they go to every member and to the gone node itself (so a
   * live node learns at once that it was downed); learned from a peer, they are relayed only
   * in a large cluster, where the origin reached a fanout rather than everyone.
   */
  private spreadGone(marks: Changes['gone'], from: string | undefined): void {
    const peers = this.livePeerHostPorts();
    const self = this.host.identity.hostPort;
    if (from === undefined) {
      const targets = new Set(pushTargets(peers, this.settings, this.settings.random));
      for (const [key] of marks) {
        const hostPort = hostPortOf(parseNodeKey(key));
        if (hostPort !== self) targets.add(hostPort);
      }
      for (const target of targets) this.sender.push(this.link(target), [], marks);
      return;
    }
    for (const target of relayTargets(peers, [from], this.settings, this.settings.random)) this.sender.push(this.link(target), [], marks);
  }

  private relay(deltas: Delta[], from: string): void {
    const peers = this.livePeerHostPorts();
    if (peers.length <= this.settings.fullPushMaxPeers) return;
    const origins = new Set(deltas.map(d => hostPortOf(parseNodeKey(d.node))));
    for (const target of relayTargets(peers, [from, ...origins], this.settings, this.settings.random)) this.sender.push(this.link(target), deltas);
  }

  // ---- this node's own changes ---------------------------------------------------------------

  /** Queues an own delta; the turn's deltas go out composed as one, once the turn ends. */
  private queueOwn(delta: Delta | undefined): void {
    if (!delta) return;
    this.pendingOwn = this.pendingOwn ? composeDeltas(this.pendingOwn, delta) : delta;
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    setImmediate(() => {
      this.flushScheduled = false;
      this.flushOwn(0, false);
    });
  }

  /** Sends the pending own delta to the push targets (every member when `all`); returns who got it. */
  private flushOwn(ack: number, all: boolean): string[] {
    const delta = this.pendingOwn;
    this.pendingOwn = undefined;
    const peers = this.livePeerHostPorts();
    const targets = all ? peers : pushTargets(peers, this.settings, this.settings.random);
    if (!delta && ack === 0) return [];
    for (const target of targets) this.sender.push(this.link(target), delta ? [delta] : [], [], ack);
    return targets;
  }

  /** This node holds the cluster's state (welcomed, or formed a new cluster): it is up. */
  private synced(): void {
    if (this.phase !== 'joining') return;
    this.phase = 'up';
    this.queueOwn(this.state.setStatus('up'));
    this.flushOwn(0, false);
    this.publish(MemberUp, this.ownMember());
    this.retarget();
    this.upWaiter?.resolve();
  }

  private async runLeave(): Promise<void> {
    this.joiner.stop();
    if (this.phase === 'left') return;
    this.phase = 'leaving';
    const deadline = this.host.scheduler.now() + this.settings.leaveTimeoutMs;
    this.queueOwn(this.state.leave());
    this.publish(MemberLeft, this.ownMember());
    await this.flushAndAwaitAcks(deadline);
    this.queueOwn(this.state.setStatus('removed'));
    await this.flushAndAwaitAcks(deadline);
    this.phase = 'left';
    this.publish(MemberRemoved, this.memberOf(this.state.self, 'removed'));
    this.gossipTimer?.cancel();
    this.checkTimer?.cancel();
    this.heartbeatTimer?.cancel();
    this.monitor.reset();
    for (const hostPort of this.livePeerHostPorts()) this.host.hold(hostPort, false);
    this.receptionist?.tell(new RegistryUpdate([], [], [], [], undefined, true));
    this.upWaiter?.reject(new NotAMemberError(this.state.selfKey));
    this.host.log.log(`${this.state.selfKey} left the cluster`);
  }

  /** Sends what is pending to every member and waits until each acknowledged it, or until `deadline`. */
  private flushAndAwaitAcks(deadline: number): Promise<void> {
    const ack = ++this.ackCounter;
    const targets = this.flushOwn(ack, true);
    const remaining = deadline - this.host.scheduler.now();
    if (targets.length === 0 || remaining <= 0) return Promise.resolve();
    return new Promise<void>(resolve => {
      const timer = this.host.scheduler.schedule(remaining, () => {
        if (this.acks.delete(ack)) {
          this.host.log.warn(`Leaving without acknowledgements from ${[...wait.pending].join(', ')} (leaveTimeoutMs ${this.settings.leaveTimeoutMs})`);
        }
        resolve();
      });
      const wait: AckWait = {
        pending: new Set(targets),
        resolve: () => {
          timer.cancel();
          resolve();
        },
      };
      this.acks.set(ack, wait);
    });
  }

  private scheduleReincarnation(): void {
    if (this.reincarnationScheduled || this.phase === 'leaving' || this.phase === 'left') return;
    this.reincarnationScheduled = true;
    // Not inside the apply that found out: the state and the registry update of that step come first.
    setImmediate(() => {
      this.reincarnationScheduled = false;
      this.reincarnate();
    });
  }

  /**
   * This node learned that it was marked down while it is alive: it rejoins at once as a new
   * incarnation (a new uid, on the wire too), with its entries, and announces its new record
   * to every member. Nobody restarts a process; the old incarnation stays down everywhere.
   */
  private reincarnate(): void {
    if (!this.state.isSelfGone || this.phase === 'leaving' || this.phase === 'left') return;
    const old = this.ownMember();
    const identity = this.host.renewIncarnation();
    const snapshot = this.state.reincarnate(identity.uid, this.phase === 'up' ? 'up' : 'joining');
    this.host.log.warn(`${old.node} was marked down while running; rejoining as ${this.state.selfKey} with ${snapshot.entries.length} entries`);
    this.publish(MemberDown, { ...old, status: 'down' });
    this.publish(MemberRemoved, { ...old, status: 'down' });
    this.publish(MemberJoined, this.ownMember());
    if (this.phase === 'up') this.publish(MemberUp, this.ownMember());
    this.receptionist?.tell(new RegistryUpdate([], [], [], [], this.state.selfKey));
    this.monitor.reset();
    this.pendingOwn = undefined;
    for (const hostPort of this.livePeerHostPorts()) this.sender.record(this.link(hostPort), snapshot);
    this.retarget();
    this.updateReachability();
  }

  // ---- timers --------------------------------------------------------------------------------

  private scheduleGossip(): void {
    const interval = this.settings.gossipIntervalMs * (0.9 + this.settings.random() * 0.2);
    this.gossipTimer = this.host.scheduler.schedule(interval, () => {
      if (this.phase === 'left') return;
      try {
        this.gossipTick();
      } catch (error) {
        this.host.log.error(`Cluster gossip tick failed: ${describeValue(error)}`, error instanceof Error ? error.stack : undefined);
      } finally {
        this.scheduleGossip();
      }
    });
  }

  /** Anti-entropy with one random member, and a digest to every seed that is not a member (islands merge). */
  private gossipTick(): void {
    this.state.prune();
    this.assembler.expire();
    const peers = this.livePeerHostPorts();
    const peer = gossipPeer(peers, this.settings.random);
    if (peer !== undefined) this.sendDigest(peer, false);
    if (this.phase !== 'up') return;
    for (const seed of this.joiner.otherSeeds) if (!this.liveByHostPort(seed)) this.sendDigest(seed, false);
  }

  /** A digest (a join request when `join`); skipped while an earlier message to that node still waits, unless `always`. */
  private sendDigest(hostPort: string, join: boolean, always = false): boolean {
    if (!this.selfRef || (!always && this.host.queued(hostPort) > 0)) return false;
    this.host.clusterActorAt(hostPort).tell(new GossipDigest(this.selfRef, this.state.digest(), join));
    return true;
  }

  /** Heartbeats to the monitored members only: the cost per node stays at `monitorsPerNode`, whatever the cluster's size. */
  private scheduleHeartbeats(): void {
    this.heartbeatTimer = this.host.scheduler.schedule(this.settings.monitorHeartbeatIntervalMs, () => {
      if (this.phase === 'left') return;
      this.scheduleHeartbeats();
      if (this.phase !== 'joining' && this.phase !== 'up') return;
      for (const key of this.monitor.monitored) this.host.heartbeat(hostPortOf(parseNodeKey(key)));
    });
  }

  private scheduleCheck(): void {
    const interval = Math.max(10, this.settings.monitorHeartbeatIntervalMs / 2);
    this.checkTimer = this.host.scheduler.schedule(interval, () => {
      if (this.phase === 'left') return;
      this.scheduleCheck();
      if (this.checkScheduled) return;
      this.checkScheduled = true;
      // After this turn's poll phase: heartbeats that arrived while this node's own loop was
      // stalled are read before their absence is scored.
      setImmediate(() => {
        this.checkScheduled = false;
        try {
          this.checkFailures();
        } catch (error) {
          this.host.log.error(`Cluster failure check failed: ${describeValue(error)}`, error instanceof Error ? error.stack : undefined);
        }
      });
    });
  }

  private checkFailures(): void {
    if (this.phase !== 'joining' && this.phase !== 'up') return;
    // Remoting lets go of connections nothing else holds; the monitored ones must stay open.
    for (const key of this.monitor.monitored) this.host.hold(hostPortOf(parseNodeKey(key)), true);
    const delta = this.state.setUnreachable(this.monitor.suspects());
    if (!delta) return;
    this.queueOwn(delta);
    this.flushOwn(0, false);
    this.updateReachability();
  }

  private probe(peer: NodeIdentity, key: NodeKey, attempt: number): void {
    const delay = PROBE_DELAYS_MS[attempt];
    if (delay === undefined) return;
    const run = () => {
      const wanted = () => this.disconnected.has(key) && this.isLiveMember(key) && (this.phase === 'up' || this.phase === 'joining');
      if (!wanted()) return;
      this.host.probe(peer.host, peer.port).then(
        result => {
          if (!wanted()) return;
          if (result === 'refused') {
            this.host.log.warn(`${key} is marked down: its connections closed and its port refuses connections (the process is gone)`);
            this.apply(this.state.markDown(key), undefined);
          } else {
            this.probe(peer, key, attempt + 1);
          }
        },
        () => this.probe(peer, key, attempt + 1),
      );
    };
    if (delay === 0) run();
    else this.host.scheduler.schedule(delay, run);
  }

  // ---- helpers -------------------------------------------------------------------------------

  private link(hostPort: string): GossipLink {
    return { ref: this.host.clusterActorAt(hostPort), budgetBytes: this.host.frameBudget(hostPort) };
  }

  /** The sender's own ref answers it: it came in over the sender's authenticated connection. */
  private linkTo(hostPort: string, ref: GossipPeer): GossipLink {
    return { ref, budgetBytes: this.host.frameBudget(hostPort) };
  }

  /** `host:port` of every live member but this node, each once. */
  private livePeerHostPorts(): string[] {
    const self = this.host.identity.hostPort;
    const out = new Set<string>();
    for (const record of this.state.records()) {
      if (!isLive(record.status)) continue;
      const hostPort = hostPortOf(record.node);
      if (hostPort !== self) out.add(hostPort);
    }
    return [...out];
  }

  private liveByHostPort(hostPort: string): boolean {
    for (const record of this.state.records()) if (isLive(record.status) && hostPortOf(record.node) === hostPort) return true;
    return false;
  }

  private isLiveMember(key: NodeKey): boolean {
    const record = this.state.record(key);
    return record !== undefined && isLive(record.status);
  }

  private membersAt(address: string): NodeRecord[] {
    const out: NodeRecord[] = [];
    for (const record of this.state.records()) {
      if (!isLive(record.status)) continue;
      if (record.key === address || hostPortOf(record.node) === address) out.push(record);
    }
    return out;
  }

  private memberOf(node: NodeId, status: MemberStatus): ClusterMember {
    const key = nodeKey(node);
    return Object.freeze({ address: hostPortOf(node), uid: node.uid, node: key, status, reachable: !this.suspected.has(key) });
  }

  private publish(kind: new (member: ClusterMember) => ClusterEvent, member: ClusterMember): void {
    this.host.publish(new kind(member));
  }

  /** At most WARNINGS_PER_MINUTE warnings a minute per kind: peers decide how often these happen. */
  private warn(kind: string, message: string): void {
    const now = this.host.scheduler.now();
    if (now - this.warningWindowStart >= 60_000) {
      this.warningWindowStart = now;
      this.warnings.clear();
    }
    const count = (this.warnings.get(kind) ?? 0) + 1;
    this.warnings.set(kind, count);
    if (count <= WARNINGS_PER_MINUTE) this.host.log.warn(message);
    else this.host.log.debug(message);
  }
}

function isClusterMessage(message: unknown): message is Exclude<ClusterMessage, InvalidGossip> {
  return (
    message instanceof GossipPush ||
    message instanceof GossipRecords ||
    message instanceof GossipDigest ||
    message instanceof GossipPull ||
    message instanceof GossipWelcome ||
    message instanceof GossipAck ||
    message instanceof LeaveRequest
  );
}

function keyOf(peer: NodeIdentity): NodeKey {
  return nodeKey({ host: peer.host, port: peer.port, uid: peer.uid });
}
