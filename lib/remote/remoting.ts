/**
 * The network side of one RemoteActorSystem: the listener, one association per peer for
 * what we send, the connections peers opened to us for what we receive, the heartbeat
 * tick, remote refs, and delivery of incoming messages to local actors (or dead letters).
 *
 * Inbound connections are receive-only for actor messages: our messages to a peer always
 * go through our own outbound connection to the address the peer advertises, which keeps
 * one ordered path per direction. Both directions carry heartbeats and handshake frames.
 *
 * Remote watch lives here too: frames to `/system/remote-watcher` are handled as they
 * arrive (NodeWatches for what our actors watch elsewhere, PeerWatches for what peers watch
 * here), and `nodeGone` is the one place that ends watches because a node is gone.
 */
import type { Duplex } from 'node:stream';
import { ActorAddress, ActorSystemTerminatedError, describeValue, printable, type ActorLogger, type Cancellable, type InternalActorRef, type Scheduler } from '../actor/index.js';
import { Admission, type AdmissionSettings, type AdmissionStats } from './admission.js';
import { Association, type AssociationEvents, type AssociationSettings } from './association.js';
import { Connection, type CloseKind, type ConnectionDirection, type ConnectionHandler } from './connection.js';
import { AssociationEvictedError, MessageTooLargeError, PeerDisconnectedError, type PeerUnreachableError } from './errors.js';
import { FRAME_HEADER_BYTES } from './frame-codec.js';
import { InboundCredit, type CreditTotals } from './inbound-credit.js';
import { LogBudget } from './log-budget.js';
import { InboundNames } from './name-table.js';
import { formatHostPort, oldIncarnationReason, type NodeIdentity } from './node-identity.js';
import { NodeWatches, signalTerminated, type Watched } from './node-watch.js';
import { PeerWatches } from './peer-watches.js';
import { RemoteActorRef, type RemoteSender } from './remote-actor-ref.js';
import { REMOTE_WATCHER_PATH, Unwatch, Watch, WatchedTerminated, type WatchEnd } from './remote-watch-protocol.js';
import type { AskReplySender, RemoteAskRef } from './remote-ask-ref.js';
import type { DecodedMessage, EncodedFrame, Serialization } from './serialization.js';
import type { TransportListener } from './transport.js';

/** The frame's length field: frame limits count what follows it (kind byte and body). */
const LENGTH_FIELD_BYTES = FRAME_HEADER_BYTES - 1;

export interface RemotingSettings extends AssociationSettings {
  readonly heartbeatIntervalMs: number;
  readonly shutdownTimeoutMs: number;
  /** Remote refs kept for reuse (refs to `/temp` ask replies are never kept). */
  readonly refCacheSize: number;
  readonly admission: AdmissionSettings;
  /** Outbound associations at most; the least recently used one is closed to make room. */
  readonly maxAssociations: number;
  /** An association with nothing sent (and nothing queued) for this long is stopped and removed. */
  readonly associationIdleTimeoutMs: number;
  /** Undelivered messages per connection at which its socket stops being read (see InboundCredit). */
  readonly inboundCreditMessages: number;
  /** Watches of local actors one peer incarnation may hold here; beyond it a watch is refused (answered as ended). */
  readonly maxWatchesPerPeer: number;
}

/** What remoting needs from its system. */
export interface RemotingHost {
  readonly identity: NodeIdentity;
  readonly scheduler: Scheduler;
  deadLetter(message: unknown, recipient: string, reason: string | Error): void;
  resolveLocal<T>(path: string, uid?: number): InternalActorRef<T> | undefined;
  /** The pending ask `id` of this node if `uid` is its uid. */
  resolveAsk<T>(id: number, uid: number): InternalActorRef<T> | undefined;
  /** Which local paths remote peers may message. */
  readonly remoteDelivery: { allows(path: string): boolean };
  /** Fails at once every pending ask whose target is an actor on `host:port`, with `cause`; returns how many. */
  failAsksToNode(host: string, port: number, cause: Error): number;
}

/** Connection events, for the system (which publishes them) and the cluster layer above it. */
export interface RemotingListener {
  peerConnected(peer: NodeIdentity, direction: ConnectionDirection): void;
  peerDisconnected(peer: NodeIdentity, direction: ConnectionDirection, reason: string): void;
  handshakeFailed(remote: string, direction: ConnectionDirection, reason: string): void;
}

export interface PeerStats {
  /** `host:port` as dialled. */
  readonly node: string;
  /** Incarnation uid of the peer as last authenticated. */
  readonly uid?: number;
  readonly connected: boolean;
  readonly queued: number;
  /** Bytes of the queued frames (copies, so the memory they hold). */
  readonly queuedBytes: number;
  readonly messagesSent: number;
  readonly bytesSent: number;
  readonly overflowed: number;
}

export interface RemoteStats {
  readonly messagesSent: number;
  /** Bytes of Message frames written, framing included. */
  readonly bytesSent: number;
  readonly messagesReceived: number;
  /** Bytes of Message frames received, framing included. */
  readonly bytesReceived: number;
  /** Messages dropped to dead letters because a peer's outbound queue was full. */
  readonly overflowed: number;
  /** Messages that could not be serialized (dead letters at the sender). */
  readonly serializationFailures: number;
  /** Messages refused at the sender for a frame above this node's or the peer's limit. */
  readonly tooLarge: number;
  /** Connection attempts made by every association so far (including ones since removed). */
  readonly connectAttempts: number;
  /** Associations that gave up on their peer (PeerUnreachableError). */
  readonly associationsGivenUp: number;
  /** Associations closed to stay within `maxAssociations`. */
  readonly associationsEvicted: number;
  /** Associations stopped after `associationIdleTimeoutMs` without use. */
  readonly associationsIdleStopped: number;
  readonly inboundConnections: number;
  /** Messages of open connections handed to local actors and not yet taken out of their mailboxes. */
  readonly inboundUndelivered: number;
  /** Connections whose reading is paused now because their messages wait for slow actors. */
  readonly inboundPaused: number;
  /** Times any connection's reading was paused at `inboundCreditMessages` (closed ones included). */
  readonly inboundPauses: number;
  /** Local watches of remote actors in place: one per watcher and watched remote actor. */
  readonly remoteWatches: number;
  /** Remote actors watched over the wire: one each, however many local actors watch it. */
  readonly remoteWatchedActors: number;
  /** Watches of this node's actors held for peers. */
  readonly watchedForPeers: number;
  /** Peer incarnations holding at least one watch here. */
  readonly watchingPeers: number;
  /** Peers' watches refused here: beyond `maxWatchesPerPeer`, or of a path peers may not message. */
  readonly watchesRefused: number;
  /** Remote-watch messages from peers dropped as malformed. */
  readonly watchMessagesMalformed: number;
  readonly peers: readonly PeerStats[];
  /** Inbound sockets in the handshake, and what the admission limits closed or dropped. */
  readonly admission: AdmissionStats;
}

export interface InboundHealth {
  readonly peer: NodeIdentity;
  /** `ip:port` of the socket. */
  readonly remote: string;
  readonly lastReceivedAt: number;
  readonly lastHeartbeatRttMs?: number;
  readonly heartbeatAcks: number;
  /** Its messages handed to local actors and not yet taken out of their mailboxes. */
  readonly undelivered: number;
  /** Highest `undelivered` so far: `inboundCreditMessages` plus at most one socket read's worth. */
  readonly peakUndelivered: number;
  /**
   * Reading is paused until the mailboxes drain. `lastReceivedAt` then stands still because
   * this node does not listen, not because the peer went quiet.
   */
  readonly paused: boolean;
  /** Times reading was paused at `inboundCreditMessages`. */
  readonly pauses: number;
}

export class Remoting implements RemoteSender, AskReplySender, AssociationEvents {
  private readonly associations = new Map<string, Association>();
  private readonly inbound = new Set<Connection>();
  private readonly refCache = new Map<string, RemoteActorRef<unknown>>();
  private readonly watches = new NodeWatches();
  private readonly peerWatches: PeerWatches;
  private watchMessagesMalformed = 0;
  private readonly creditTotals: CreditTotals = { pauses: 0 };
  private lastAssociation?: Association;
  /** Peers whose connection failures were already logged as warnings (until they connect again). */
  private readonly quietFailures = new Set<string>();
  private readonly inboundHandler: ConnectionHandler;
  private readonly admission: Admission;
  private tickTimer?: Cancellable;
  private stopping = false;
  private received = 0;
  private receivedBytes = 0;
  private serializationFailures = 0;
  private readonly loggedSerializationFailures = new Set<string>();
  private useCounter = 0;
  /** Counters of associations already removed (live ones count their own), so totals never go down. */
  private readonly past = { messagesSent: 0, bytesSent: 0, overflowed: 0, tooLarge: 0, connectAttempts: 0 };
  private tooLarge = 0;
  private givenUp = 0;
  private evicted = 0;
  private idleStopped = 0;
  /** Refs from the wire may name any number of made-up nodes: warnings about them are budgeted. */
  private readonly reachLog: LogBudget;
  /** Peers decide how many malformed or refused watches they send. */
  private readonly watchLog: LogBudget;
  /** The names each connection's peer defined; the last one looked up is kept at hand. */
  private readonly inboundNames = new WeakMap<Connection, InboundNames>();
  private lastNamesConnection?: Connection;
  private lastNames?: InboundNames;

  constructor(
    private readonly host: RemotingHost,
    readonly serialization: Serialization,
    private readonly listener: TransportListener,
    readonly settings: RemotingSettings,
    private readonly events: RemotingListener,
    private readonly log: ActorLogger,
  ) {
    const self = this;
    this.reachLog = new LogBudget(log, host.scheduler, 'warnings about unreachable peers');
    this.watchLog = new LogBudget(log, host.scheduler, 'warnings about remote watches');
    this.peerWatches = new PeerWatches(
      {
        resolveLocal: (path, uid) => host.resolveLocal<unknown>(path, uid),
        allows: path => host.remoteDelivery.allows(path),
        answer: (peer, answer) => this.send(this.watcherOf(peer.host, peer.port, peer.uid), answer),
        refused: (peer, watch, end) =>
          this.watchLog.warn(
            end === 'refused-limit'
              ? `Refused a watch of ${printable(watch.path, 200)} by ${peer}: it holds ${settings.maxWatchesPerPeer} watches here (maxWatchesPerPeer)`
              : `Refused a watch of ${printable(watch.path, 200)} by ${peer}: remote peers may not message that path`,
          ),
      },
      settings.maxWatchesPerPeer,
    );
    this.admission = new Admission(settings.admission, host.scheduler, log, peer => {
      // Our outbound side may still hold a socket to the incarnation that just proved it is gone.
      const association = this.associations.get(peer.hostPort);
      if (association?.isConnected && association.peer && association.peer.uid !== peer.uid) {
        association.disconnect(`${peer.hostPort} restarted (now uid ${peer.uid}, connected to uid ${association.peer.uid}): reconnecting`);
      }
    });
    this.inboundHandler = {
      established(connection) {
        self.admission.authenticated(connection);
        if (connection.isClosed) return;
        self.events.peerConnected(connection.peer!, 'inbound');
        self.connectionOpened(connection.peer!.hostPort, connection.peer!, 'inbound');
      },
      message(connection, buffer, start, end, owned) {
        self.message(connection, buffer, start, end, owned);
      },
      names(connection, buffer, start, end) {
        self.names(connection, buffer, start, end);
      },
      greeted(connection) {
        self.admission.greeted(connection);
      },
      closed(connection, kind, reason) {
        self.inbound.delete(connection);
        self.admission.closed(connection);
        // Evictions are counted and summarised by the admission; one line per socket would let a flood fill the log.
        if (kind === 'busy') return;
        if (!connection.peer && kind !== 'normal') {
          self.admission.handshakeFailed(`Connection from ${connection.remote} closed: ${reason}`);
          self.events.handshakeFailed(connection.remote, 'inbound', reason);
          return;
        }
        self.connectionClosed(connection, kind, reason);
      },
      drained() {},
    };
    this.scheduleTick();
  }

  /** Takes a socket accepted by the transport through the handshake. */
  accept(socket: Duplex, remote: string): void {
    if (this.stopping) {
      socket.destroy();
      return;
    }
    const connection = new Connection(socket, 'inbound', remote, this.settings.connection, this.inboundHandler);
    this.inbound.add(connection);
    this.admission.admit(connection, remote);
    connection.start();
  }

  /** The transport could not accept a connection (counted, and logged at most once per 10 s). */
  acceptDropped(reason: string): void {
    this.admission.dropped(reason);
  }

  /**
   * Liveness of each authenticated inbound connection, for a failure detector: when its last
   * bytes arrived (`scheduler.now()`) and the round trip of its last answered heartbeat.
   */
  inboundHealth(): InboundHealth[] {
    const health: InboundHealth[] = [];
    for (const c of this.inbound) {
      if (!c.peer || !c.isOpen) continue;
      const credit = c.credit;
      health.push({
        peer: c.peer,
        remote: c.remote,
        lastReceivedAt: c.lastReceivedAt,
        lastHeartbeatRttMs: c.lastHeartbeatRttMs,
        heartbeatAcks: c.heartbeatAcks,
        undelivered: credit?.undelivered ?? 0,
        peakUndelivered: credit?.peak ?? 0,
        paused: c.isPaused,
        pauses: credit?.pauses ?? 0,
      });
    }
    return health;
  }

  /** Pending handshakes and what the admission limits closed or dropped; see AdmissionStats. */
  admissionStats(): AdmissionStats {
    return this.admission.stats();
  }

  /**
   * The ref for an actor on another node, of incarnation `nodeUid` of that node (0: any),
   * reused per address and incarnation (except ask replies, which are one-off).
   */
  remoteRef<T>(address: ActorAddress, nodeUid = 0): RemoteActorRef<T> {
    if (address.path.startsWith('/temp/')) return new RemoteActorRef<T>(address, this, nodeUid);
    const key = address.toString();
    const cached = this.refCache.get(key);
    // One entry per address: a ref of another incarnation replaces it (rarely are two alive at once).
    if (cached !== undefined && cached.nodeUid === nodeUid) return cached as RemoteActorRef<T>;
    if (cached !== undefined) this.refCache.delete(key);
    const ref = new RemoteActorRef<T>(address, this, nodeUid);
    if (this.refCache.size >= this.settings.refCacheSize) {
      // Oldest first: Map iteration order is insertion order.
      this.refCache.delete(this.refCache.keys().next().value as string);
    }
    this.refCache.set(key, ref as RemoteActorRef<unknown>);
    return ref;
  }

  /**
   * The association (outbound queue and connection) for `host:port`, created on first use;
   * at `maxAssociations` the least recently used one is closed first.
   */
  association(host: string, port: number): Association {
    // Every ask reply goes to a fresh (uncached) temp ref of the same peer: skip the key building then.
    const last = this.lastAssociation;
    if (last !== undefined && last.port === port && last.host === host && !last.isRetired) return last;
    const key = formatHostPort(host, port);
    let association = this.associations.get(key);
    if (association === undefined || association.isRetired) {
      if (association !== undefined) this.remove(association);
      if (this.associations.size >= this.settings.maxAssociations) this.evictLeastRecentlyUsed();
      association = new Association(host, port, key, this.settings, this);
      this.associations.set(key, association);
    }
    this.lastAssociation = association;
    return association;
  }

  send(ref: RemoteActorRef<unknown>, message: unknown): void {
    const address = ref.address;
    this.enqueue(ref, address.path, address.uid, address.host!, address.port!, message);
  }

  /** A reply to another node's ask: addressed by the ask's id, with no path. */
  sendReply(ref: RemoteAskRef<unknown>, message: unknown): void {
    const node = ref.node;
    this.enqueue(ref, ref.askId, ref.askUid, node.host!, node.port!, message);
  }

  /**
   * Encodes a Message frame to `to#uid` (a path, or an ask id) straight into the queue of
   * `host:port` and commits it there.
   */
  private enqueue(ref: RemoteActorRef<unknown> | RemoteAskRef<unknown>, to: string | number, uid: number, host: string, port: number, message: unknown): void {
    if (this.stopping) {
      this.host.deadLetter(message, ref.key, new ActorSystemTerminatedError(this.host.identity.system));
      return;
    }
    // Only this class sets `outbound`, always to an Association; a retired one is replaced.
    let association = ref.outbound as Association | undefined;
    if (association === undefined || association.isRetired) association = ref.outbound = this.association(host, port);
    association.lastUsed = ++this.useCounter;
    let frame: EncodedFrame;
    try {
      frame = this.serialization.encodeMessageInto(association.encodeBuffer(), association.encodeOffset, to, uid, ref.nodeUid, message, association.outboundNames);
    } catch (error) {
      this.serializationFailures++;
      const reason = error instanceof Error ? error.message : String(error);
      const name = describeValue(message);
      if (!this.loggedSerializationFailures.has(name) && this.loggedSerializationFailures.size < 100) {
        this.loggedSerializationFailures.add(name);
        this.log.error(`Could not send ${name} to ${ref.key}: ${reason}`);
      }
      this.host.deadLetter(message, ref.key, error instanceof Error ? error : reason);
      return;
    }
    const length = frame.end - frame.start;
    const maxFrameSize = this.settings.connection.maxFrameSize;
    if (length - LENGTH_FIELD_BYTES > maxFrameSize) {
      this.tooLarge++;
      const node = formatHostPort(host, port);
      this.host.deadLetter(message, ref.key, new MessageTooLargeError(describeValue(message), length - LENGTH_FIELD_BYTES, maxFrameSize, 'maxFrameSize', node));
      return;
    }
    association.queue(frame.buffer, frame.start, length, message, ref);
  }

  // ---- remote watch ------------------------------------------------------------------------

  /**
   * `watcher` gets `Terminated(ref)` when the actor stops, when it did not exist when the
   * watch arrived, when its node refuses the watch, or once its node (its incarnation) is
   * gone (see `nodeGone`). The first local watcher of a ref sends one Watch; later ones share
   * it. A watched node is kept connected, so a watch of a node that cannot be reached ends
   * when its association gives up.
   */
  watch(ref: RemoteActorRef<unknown>, watcher: InternalActorRef<never>): void {
    if (this.stopping) return;
    const { host, port } = ref.address;
    const association = this.association(host!, port!);
    const added = this.watches.watch(association.key, ref, watcher);
    if (added === 'gone') {
      signalTerminated([{ ref, watchers: [watcher] }]);
      return;
    }
    association.lastUsed = ++this.useCounter;
    association.hold();
    if (added !== 'added') this.sendWatch(added);
  }

  unwatch(ref: RemoteActorRef<unknown>, watcher: InternalActorRef<never>): void {
    const { host, port } = ref.address;
    const node = formatHostPort(host!, port!);
    const removed = this.watches.unwatch(node, ref, watcher);
    if (removed !== undefined && !this.stopping) this.send(this.watcherOf(host!, port!, removed.uid), new Unwatch(removed.id));
    this.releaseIfUnwatched(node);
  }

  /**
   * An incarnation of `peer` authenticated (its first connection, either direction): unbound
   * watches of its node are bound to it, and a previous incarnation still counted up is gone.
   */
  nodeUp(peer: NodeIdentity): void {
    this.incarnationUp(peer.hostPort, peer.uid);
  }

  /**
   * The one place where a node counts as gone for remote watch, on both sides: every watch
   * of incarnation `uid` of `node` (of every incarnation when `uid` is undefined) ends with
   * Terminated, and every watch that incarnation holds of this node's actors is dropped.
   * Called (through `RemoteActorSystem.nodeGone`) when the last connection of that
   * incarnation closed (PeerDisconnected), and here when a newer incarnation of the same
   * host:port authenticated and when the node's association gave up (PeerUnreachableError)
   * or was evicted before it ever connected. The cluster layer calls it on "node
   * downed/removed" instead of on a lost connection.
   */
  nodeGone(node: string, uid: number | undefined, reason: string): void {
    const fired = this.watches.nodeGone(node, uid);
    const dropped = this.peerWatches.peerGone(node, uid);
    this.releaseIfUnwatched(node);
    const which = `${node}${uid === undefined ? '' : ` (uid ${uid})`}`;
    if (dropped > 0) this.log.debug(`Dropped ${dropped} watches of local actors held for ${which}: ${reason}`);
    if (fired.length === 0) return;
    this.log.debug(`${fired.length} watched actors of ${which} terminated for their watchers: ${reason}`);
    signalTerminated(fired);
  }

  /** Handles one frame to the remote watcher, from the authenticated `peer`; nothing a peer sends here can throw. */
  private watchMessage(peer: NodeIdentity, decoded: DecodedMessage): void {
    const { payload, problem, nodeUid } = decoded;
    if (problem !== undefined || !(payload instanceof Watch || payload instanceof Unwatch || payload instanceof WatchedTerminated)) {
      this.watchMessagesMalformed++;
      const why = problem ?? `expected remote.Watch, remote.Unwatch or remote.WatchedTerminated, got ${describeValue(payload)}`;
      this.watchLog.warn(`Dropped a malformed remote-watch message from ${peer}: ${printable(why, 300)}`);
      return;
    }
    if (nodeUid !== 0 && nodeUid !== this.host.identity.uid) {
      // Meant for an earlier incarnation of this node: its actors are gone with it, and an
      // answer to its watches must not end ours (ids start again at each incarnation).
      if (payload instanceof Watch) this.peerWatches.answer(peer, payload.id, 'missing');
      return;
    }
    if (payload instanceof Watch) this.peerWatches.watch(peer, payload);
    else if (payload instanceof Unwatch) this.peerWatches.unwatch(peer, payload.id);
    else this.remoteActorTerminated(peer, payload);
  }

  /** `peer` ended one of our watches of its actors. */
  private remoteActorTerminated(peer: NodeIdentity, message: WatchedTerminated): void {
    const watched = this.watches.actorTerminated(message.id, peer);
    if (watched === undefined) {
      // Answers can cross an Unwatch, or repeat after a re-sent watch.
      this.log.debug(`${peer} ended watch ${message.id}, which is not (or no longer) in place here`);
      return;
    }
    this.releaseIfUnwatched(watched.node);
    if (message.end === 'refused-path' || message.end === 'refused-limit') {
      this.watchLog.warn(`${peer} refused the watch of ${printable(watched.ref.key, 300)}: ${refusalText(message.end)}; its watchers get Terminated`);
    }
    signalTerminated([{ ref: watched.ref, watchers: [...watched.watchers] }]);
  }

  private sendWatch(watched: Watched): void {
    const { host, port, path, uid } = watched.ref.address;
    this.send(this.watcherOf(host!, port!, watched.uid), new Watch(watched.id, path, uid));
  }

  /**
   * A connection with `peer` opened. After a reconnect, the watches of its actors are sent
   * again: a Watch, or the answer that ended one, may have been lost with the old connection
   * (delivery is at most once). The watched node ignores ids it holds and answers the rest.
   */
  private connectionOpened(node: string, peer: NodeIdentity, direction: 'inbound' | 'outbound'): void {
    if (!this.watches.isWatched(node) || !this.watches.connectionOpened(node, peer.uid, direction)) return;
    for (const watched of this.watches.entriesOf(node, peer.uid)) this.sendWatch(watched);
  }

  /** The remote watcher endpoint of `host:port`, of incarnation `nodeUid` (0: any). */
  private watcherOf(host: string, port: number, nodeUid: number): RemoteActorRef<unknown> {
    return this.remoteRef(new ActorAddress(this.host.identity.system, REMOTE_WATCHER_PATH, 0, host, port), nodeUid);
  }

  private incarnationUp(node: string, uid: number): void {
    const replaced = this.watches.nodeUp(node, uid);
    if (replaced !== undefined) this.nodeGone(node, replaced, `${node} restarted (uid ${replaced} replaced by ${uid})`);
  }

  private releaseIfUnwatched(node: string): void {
    if (this.watches.isWatched(node)) return;
    const association = this.associations.get(node);
    if (association !== undefined) association.held = false;
  }

  stats(): RemoteStats {
    const peers: PeerStats[] = [];
    let { messagesSent, bytesSent, overflowed, tooLarge, connectAttempts } = this.past;
    tooLarge += this.tooLarge;
    let inboundUndelivered = 0;
    let inboundPaused = 0;
    for (const c of this.inbound) {
      if (c.isClosed) continue;
      inboundUndelivered += c.credit?.undelivered ?? 0;
      if (c.isPaused) inboundPaused++;
    }
    for (const a of this.associations.values()) {
      messagesSent += a.messagesSent;
      bytesSent += a.bytesSent;
      overflowed += a.overflowed;
      connectAttempts += a.connectAttempts;
      tooLarge += a.tooLarge;
      peers.push({
        node: a.key,
        uid: a.peer?.uid,
        connected: a.isConnected,
        queued: a.queued,
        queuedBytes: a.bytesQueued,
        messagesSent: a.messagesSent,
        bytesSent: a.bytesSent,
        overflowed: a.overflowed,
      });
    }
    return {
      messagesSent,
      bytesSent,
      messagesReceived: this.received,
      bytesReceived: this.receivedBytes,
      overflowed,
      serializationFailures: this.serializationFailures,
      tooLarge,
      connectAttempts,
      associationsGivenUp: this.givenUp,
      associationsEvicted: this.evicted,
      associationsIdleStopped: this.idleStopped,
      inboundConnections: this.inbound.size,
      inboundUndelivered,
      inboundPaused,
      inboundPauses: this.creditTotals.pauses,
      remoteWatches: this.watches.size,
      remoteWatchedActors: this.watches.wireWatches,
      watchedForPeers: this.peerWatches.size,
      watchingPeers: this.peerWatches.peers,
      watchesRefused: this.peerWatches.refused,
      watchMessagesMalformed: this.watchMessagesMalformed,
      peers,
      admission: this.admission.stats(),
    };
  }

  /** A heartbeat to `hostPort` now, on our open connection to it (the cluster's monitored peers); false if there is none. */
  heartbeat(hostPort: string): boolean {
    const association = this.associations.get(hostPort);
    if (association === undefined || !association.isConnected) return false;
    association.heartbeat();
    return true;
  }

  /**
   * Closes every connection, both directions (queued messages stay and go out on the next
   * connection): after this node took a new incarnation uid, peers must handshake with it again.
   */
  reconnectAll(reason: string): void {
    for (const association of this.associations.values()) association.disconnect(reason);
    for (const connection of [...this.inbound]) connection.closeGracefully(reason);
  }

  /** Closes our connection to `host:port` (queued messages stay and reconnect later). For tests and the cluster layer. */
  disconnect(hostPort: string, reason = 'disconnected on request'): void {
    this.associations.get(hostPort)?.disconnect(reason);
  }

  /**
   * Stops accepting, flushes every outbound queue, says goodbye on every connection and
   * waits (bounded) for the sockets to close.
   */
  async shutdown(): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    this.tickTimer?.cancel();
    this.watches.clear();
    this.peerWatches.clear();
    const closing: Connection[] = [];
    for (const association of this.associations.values()) {
      const connection = association.stop();
      if (connection) closing.push(connection);
    }
    for (const connection of [...this.inbound]) {
      connection.closeGracefully('this node is shutting down');
      closing.push(connection);
    }
    let timer: Cancellable | undefined;
    const timeout = new Promise<void>(resolve => (timer = this.host.scheduler.schedule(this.settings.shutdownTimeoutMs, resolve)));
    await Promise.race([Promise.all(closing.map(c => c.whenSocketClosed)), timeout]);
    timer?.cancel();
    for (const connection of closing) connection.destroy();
    await this.listener.close();
  }

  // ---- AssociationEvents -----------------------------------------------------------------

  deadLetter(message: unknown, recipient: InternalActorRef<unknown>, reason: string | Error): void {
    this.host.deadLetter(message, recipient.key, reason);
  }

  connected(association: Association, connection: Connection): void {
    this.quietFailures.delete(association.key);
    this.events.peerConnected(connection.peer!, 'outbound');
    // Dialled by another name than the one the peer gives itself (`localhost`, a DNS name): watches use the dialled one.
    if (association.key !== connection.peer!.hostPort) this.incarnationUp(association.key, connection.peer!.uid);
    this.connectionOpened(association.key, connection.peer!, 'outbound');
  }

  disconnected(association: Association, connection: Connection, kind: CloseKind, reason: string): void {
    this.connectionClosed(connection, kind, reason);
    if (association.key !== connection.peer!.hostPort) this.nodeGone(association.key, connection.peer!.uid, reason);
    // A reply may still come over the peer's own connection to us, but a peer that dropped
    // ours has most likely gone: waiting for each ask's timeout only delays the caller.
    if (!this.stopping) this.host.failAsksToNode(association.host, association.port, new PeerDisconnectedError(association.key, reason));
  }

  gaveUp(association: Association, error: PeerUnreachableError): void {
    this.givenUp++;
    this.remove(association);
    if (this.stopping) return;
    this.warnUnreachable(`${error.message}; dropped what was queued for it`);
    this.host.failAsksToNode(association.host, association.port, error);
    this.nodeGone(association.key, undefined, error.message);
  }

  connectFailed(association: Association, reason: string): void {
    if (this.stopping) return;
    // The first failure is worth a warning; the retries that follow it are not.
    if (this.quietFailures.has(association.key)) {
      this.log.debug(`Still cannot reach ${association.key}: ${reason}`);
    } else {
      this.quietFailures.add(association.key);
      this.warnUnreachable(`Cannot reach ${association.key}: ${reason}${association.queued > 0 ? ` (${association.queued} messages queued; retrying with backoff)` : ''}`);
    }
    this.events.handshakeFailed(association.key, 'outbound', reason);
  }

  /** Names the peer defines on `connection` for the frames that follow (MalformedFrameError closes it). */
  names(connection: Connection, buffer: Buffer, start: number, end: number): void {
    let names = this.namesOf(connection);
    if (names === undefined) {
      this.inboundNames.set(connection, (names = new InboundNames()));
      this.lastNamesConnection = undefined;
    }
    names.define(buffer, start, end);
  }

  private namesOf(connection: Connection): InboundNames | undefined {
    if (connection === this.lastNamesConnection) return this.lastNames;
    const names = this.inboundNames.get(connection);
    this.lastNamesConnection = connection;
    this.lastNames = names;
    return names;
  }

  /** Delivers one incoming actor message to a local actor, or to this node's dead letters. */
  message(connection: Connection, buffer: Buffer, start: number, end: number, owned: boolean): void {
    const decoded = this.serialization.decodeMessage(buffer, start, end, connection.peer!, owned, this.namesOf(connection));
    this.received++;
    this.receivedBytes += end - start + FRAME_HEADER_BYTES;
    // The decoded object is reused by the next frame: take what it holds.
    const { to, uid, nodeUid, payload, problem } = decoded;
    if (to === REMOTE_WATCHER_PATH) {
      this.watchMessage(connection.peer!, decoded);
      decoded.payload = undefined;
      return;
    }
    decoded.payload = undefined;
    if (problem !== undefined) {
      this.host.deadLetter(payload, this.localAddress(to, uid), problem);
      return;
    }
    const self = this.host.identity.uid;
    if (nodeUid !== 0 && nodeUid !== self) {
      this.host.deadLetter(
        payload,
        this.localAddress(to, uid),
        oldIncarnationReason(nodeUid, self),
      );
      return;
    }
    if (typeof to === 'number') {
      // A reply to one of our asks, by id: the uid check stands in for the path's.
      const ask = this.host.resolveAsk<unknown>(to, uid);
      if (ask === undefined) this.host.deadLetter(payload, this.localAddress(to, uid), `no such actor on this node (sent by ${connection.peer})`);
      else ask.tell(payload);
      return;
    }
    const path = to;
    if (!this.host.remoteDelivery.allows(path)) {
      this.host.deadLetter(
        payload,
        this.localAddress(path, uid),
        `remote peers may not message ${printable(path)} (sent by ${connection.peer}; allow a path with the remoteDeliveryPaths option)`,
      );
      return;
    }
    const target = this.host.resolveLocal<unknown>(path, uid === 0 ? undefined : uid);
    if (target === undefined) {
      this.host.deadLetter(payload, this.localAddress(path, uid), `no such actor on this node (sent by ${connection.peer})`);
      return;
    }
    // Counted until the actor takes it out of its mailbox; at the credit the socket stops being read.
    const credit = (connection.credit ??= new InboundCredit(connection, this.settings.inboundCreditMessages, this.creditTotals));
    credit.handOver();
    try {
      target.tellWithReceipt(payload, credit);
    } catch (error) {
      // A local delivery problem is not the peer's fault: never close the connection for it.
      this.log.error(`Delivering a remote message to ${printable(path, 200)} failed: ${describeValue(error)}`);
    }
  }

  // ---- internals -------------------------------------------------------------------------

  private connectionClosed(connection: Connection, kind: CloseKind, reason: string): void {
    const who = connection.peer ? `${connection.peer} (${connection.remote})` : connection.remote;
    if (kind === 'normal') this.log.debug(`Connection ${connection.direction === 'inbound' ? 'from' : 'to'} ${who} closed: ${reason}`);
    else this.log.warn(`Connection ${connection.direction === 'inbound' ? 'from' : 'to'} ${who} closed: ${reason}`);
    if (connection.peer) this.events.peerDisconnected(connection.peer, connection.direction, reason);
    else if (connection.direction === 'inbound') this.events.handshakeFailed(connection.remote, 'inbound', reason);
  }

  /** At most 20 warnings a minute about unreachable peers; the rest go to debug. */
  private warnUnreachable(message: string): void {
    this.reachLog.warn(message);
  }

  private evictLeastRecentlyUsed(): void {
    let oldest: Association | undefined;
    for (const a of this.associations.values()) if (oldest === undefined || a.lastUsed < oldest.lastUsed) oldest = a;
    if (oldest === undefined) return;
    this.evicted++;
    this.remove(oldest);
    const error = new AssociationEvictedError(oldest.key, this.settings.maxAssociations);
    oldest.retire(error);
    // Nothing would ever tell how a node that never answered is doing.
    if (!this.watches.isUp(oldest.key)) this.nodeGone(oldest.key, undefined, error.message);
  }

  /** Forgets a retired (or retiring) association: later sends to its node start a new one. */
  private remove(association: Association): void {
    if (this.associations.get(association.key) !== association) return;
    this.associations.delete(association.key);
    this.past.messagesSent += association.messagesSent;
    this.past.bytesSent += association.bytesSent;
    this.past.overflowed += association.overflowed;
    this.past.tooLarge += association.tooLarge;
    this.past.connectAttempts += association.connectAttempts;
    this.quietFailures.delete(association.key);
    if (this.lastAssociation === association) this.lastAssociation = undefined;
  }

  /** A recipient as dead letters name it: an ask id reads as the ask's `/temp` path. */
  private localAddress(to: string | number, uid: number): string {
    const self = this.host.identity;
    const path = typeof to === 'number' ? `/temp/$${to.toString(36)}` : to;
    return `actor://${self.system}@${self.hostPort}${path}#${uid}`;
  }

  private scheduleTick(): void {
    const interval = this.settings.heartbeatIntervalMs;
    this.tickTimer = this.host.scheduler.schedule(interval, () => {
      if (this.stopping) return;
      // Re-armed whatever happens: heartbeats and idle checks of every connection depend on it.
      try {
        for (const connection of this.inbound) connection.tick(interval);
        this.admission.tick();
        const idleLimit = this.settings.associationIdleTimeoutMs;
        for (const association of this.associations.values()) {
          if (association.idleFor(interval) >= idleLimit) {
            this.idleStopped++;
            this.remove(association);
            association.retire(new Error(`nothing sent to ${association.key} for ${idleLimit} ms (associationIdleTimeoutMs)`));
          } else {
            association.tick(interval);
          }
        }
      } catch (error) {
        this.log.error(`Remoting tick failed: ${describeValue(error)}`, error instanceof Error ? error.stack : undefined);
      } finally {
        this.scheduleTick();
      }
    });
  }
}

function refusalText(end: WatchEnd): string {
  return end === 'refused-limit' ? 'it holds as many watches for this node as it allows (maxWatchesPerPeer)' : 'remote peers may not message that path there';
}
