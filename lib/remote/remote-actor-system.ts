/**
 * An actor system that listens on TCP and whose refs work across processes. It binds first
 * (so port 0 resolves to a real port), then builds the system with that host and port, so
 * every actor address names this node. `ClusteredActorSystem` extends it.
 */
import type { Duplex } from 'node:stream';
import { ActorAddress, DeadActorRef, type ActorRef, type ActorSystemOptions } from '../actor/index.js';
import { ActorSystem } from '../receptionist/index.js';
import { DEFAULT_REMOTE_DELIVERY_PATHS, RemoteDeliveryPolicy } from './delivery-policy.js';
import { RemoteConfigurationError } from './errors.js';
import { dnsHostResolver } from './host-resolver.js';
import { NodeIdentity, newIncarnationUid, oldIncarnationReason, parseNodeAddress } from './node-identity.js';
import { RemoteActorRef } from './remote-actor-ref.js';
import { RemoteAskRef } from './remote-ask-ref.js';
import { HandshakeFailed, PeerConnected, PeerDisconnected } from './remote-events.js';
import { resolveRemoteOptions, type RemoteActorSystemOptions, type ResolvedRemoteOptions } from './remote-settings.js';
import { Remoting, type RemoteStats, type RemotingListener } from './remoting.js';
import { Serialization, type MessageOrigin } from './serialization.js';
import { TcpTransport, type Transport, type TransportListener } from './transport.js';
import './builtin-serializers.js';

/** A node whose listener is bound but whose system is not built yet (see `RemoteActorSystem.bindNode`). */
export interface BoundNode {
  readonly identity: NodeIdentity;
  readonly settings: ResolvedRemoteOptions;
  readonly transport: Transport;
  readonly listener: TransportListener;
  /** Where accepted sockets go; refuses them until the system is constructed. */
  accept: (socket: Duplex, remote: string) => void;
  /** Where the transport reports connections it could not accept. */
  dropped: (reason: string) => void;
}

export class RemoteActorSystem extends ActorSystem {
  private currentIdentity: NodeIdentity;
  /** Registry of message classes: `system.serialization.register(MyMessage, 'MyMessage')`. */
  readonly serialization: Serialization;
  /** Connections, queues and statistics. */
  readonly remoting: Remoting;
  /** The local paths remote peers may message; layers above `allow` their own endpoints. */
  readonly remoteDelivery: RemoteDeliveryPolicy;

  /** A networked system needs its port bound first: use `await RemoteActorSystem.start(options)`. */
  static override create(name: string, _options?: ActorSystemOptions): ActorSystem {
    throw new RemoteConfigurationError(
      `RemoteActorSystem.create(${JSON.stringify(name)}) would not listen on the network; use await RemoteActorSystem.start({ name, host, port })`,
    );
  }

  /** Binds the listener, then starts the system. Rejects if the port is taken or an option is invalid. */
  static async start(options: RemoteActorSystemOptions): Promise<RemoteActorSystem> {
    const bound = await RemoteActorSystem.bindNode(options);
    try {
      const system = new RemoteActorSystem(bound, options);
      system.startSystemActors();
      return system;
    } catch (error) {
      await bound.listener.close();
      throw error;
    }
  }

  /** First half of `start`, for subclasses: validates options and binds the listener. */
  protected static async bindNode(options: RemoteActorSystemOptions): Promise<BoundNode> {
    const settings = resolveRemoteOptions(options);
    const transport = options.transport ?? new TcpTransport();
    const bound: Pick<BoundNode, 'accept' | 'dropped'> = { accept: socket => socket.destroy(), dropped: () => {} };
    const listener = await transport.listen(
      settings.bindHost,
      settings.port,
      (socket, remote) => bound.accept(socket, remote),
      reason => bound.dropped(reason),
    );
    const identity = new NodeIdentity(settings.name, settings.host, listener.port, newIncarnationUid());
    return Object.assign(bound, { identity, settings, transport, listener });
  }

  /** The transport connections are made with (the cluster layer probes peers with it). */
  protected readonly transport: Transport;

  protected constructor(bound: BoundNode, options: RemoteActorSystemOptions) {
    super(bound.identity.location, options);
    this.currentIdentity = bound.identity;
    this.transport = bound.transport;
    const system = this;
    this.serialization = new Serialization(this, { structuredClone: options.structuredClone });
    this.remoteDelivery = new RemoteDeliveryPolicy([...DEFAULT_REMOTE_DELIVERY_PATHS, ...(options.remoteDeliveryPaths ?? [])]);
    const s = bound.settings;
    // Authenticated connections per peer incarnation: PeerConnected when the first opens,
    // PeerDisconnected when the last closes, whichever direction each one runs.
    const open = new Map<string, number>();
    const listener: RemotingListener = {
      peerConnected: (peer, direction) => {
        const key = peer.toString();
        const count = (open.get(key) ?? 0) + 1;
        open.set(key, count);
        if (count === 1) {
          this.remoting.nodeUp(peer);
          this.onPeerConnected(new PeerConnected(peer, direction));
        }
      },
      peerDisconnected: (peer, direction, reason) => {
        const key = peer.toString();
        const current = open.get(key);
        // A connection closed before it was announced (superseded at once) ends nothing.
        if (current === undefined) return;
        const count = current - 1;
        if (count > 0) {
          open.set(key, count);
          return;
        }
        open.delete(key);
        this.onIncarnationDisconnected(peer, reason);
        this.onPeerDisconnected(new PeerDisconnected(peer, direction, reason));
      },
      handshakeFailed: (remote, direction, reason) => this.onHandshakeFailed(new HandshakeFailed(remote, direction, reason)),
    };
    this.remoting = new Remoting(
      this,
      this.serialization,
      bound.listener,
      {
        connection: {
          // Read at each handshake: a node that takes a new incarnation introduces itself by it.
          get self() {
            return system.identity;
          },
          onPeerHeartbeat: peer => this.onPeerHeartbeat(peer),
          secret: s.secret,
          maxFrameSize: s.maxFrameSize,
          handshakeTimeoutMs: s.handshakeTimeoutMs,
          idleTimeoutMs: s.idleTimeoutMs,
          frameTimeoutMs: s.frameTimeoutMs,
          scheduler: this.scheduler,
        },
        transport: bound.transport,
        connectTimeoutMs: s.connectTimeoutMs,
        minBackoffMs: s.minBackoffMs,
        maxBackoffMs: s.maxBackoffMs,
        outboundQueueSize: s.outboundQueueSize,
        outboundQueueBytes: s.outboundQueueBytes,
        maxConnectAttempts: s.maxConnectAttempts,
        giveUpAfterMs: s.giveUpAfterMs,
        stableConnectionMs: s.stableConnectionMs,
        // Another transport may not speak IP at all: it gets the names as they are.
        resolveHost: bound.transport instanceof TcpTransport ? dnsHostResolver(() => this.scheduler.now()) : undefined,
        heartbeatIntervalMs: s.heartbeatIntervalMs,
        shutdownTimeoutMs: s.shutdownTimeoutMs,
        inboundCreditMessages: s.inboundCreditMessages,
        refCacheSize: 10_000,
        admission: { maxPendingHandshakes: s.maxPendingHandshakes, maxPendingPerAddress: s.maxPendingPerAddress, maxInboundPerPeer: s.maxInboundPerPeer },
        maxAssociations: s.maxAssociations,
        associationIdleTimeoutMs: s.associationIdleTimeoutMs,
        maxWatchesPerPeer: s.maxWatchesPerPeer,
      },
      listener,
      this.loggerFor(`Remoting(${bound.identity.hostPort})`),
    );
    bound.accept = (socket, remote) => this.remoting.accept(socket, remote);
    bound.dropped = reason => this.remoting.acceptDropped(reason);
    this.log.log(`Listening on ${bound.identity.hostPort} as ${bound.identity}${s.secret ? ' (secret required)' : ''}`);
  }

  /** This node: system name, host, port and its incarnation uid (chosen at start; the cluster layer may renew it). */
  get identity(): NodeIdentity {
    return this.currentIdentity;
  }

  get host(): string {
    return this.identity.host;
  }

  /** The port actually bound (useful with `port: 0`). */
  get port(): number {
    return this.identity.port;
  }

  /** `host:port` of this node, as peers and seeds name it. */
  /** `host:port#uid`: listings name the incarnation, so a restarted node's entries are never confused with its predecessor's. */
  override get selfNode(): string {
    return `${this.identity.hostPort}#${this.identity.uid}`;
  }

  get hostPort(): string {
    return this.identity.hostPort;
  }

  /**
   * A ref to the actor at `path` on the node `host:port`, e.g. a well-known system actor.
   * Without `uid` it reaches whichever incarnation of that path is running there.
   */
  remoteRef<T>(node: string, path: string, uid = 0): ActorRef<T> {
    const { host, port } = parseNodeAddress(node);
    if (typeof path !== 'string' || !path.startsWith('/')) throw new RemoteConfigurationError(`An actor path starts with /, got ${JSON.stringify(path)}`);
    return this.resolveRef<T>(new ActorAddress(this.name, path, uid, host, port));
  }

  /** Counters of messages and bytes sent and received, per peer and in total. */
  remoteStats(): RemoteStats {
    return this.remoting.stats();
  }

  /**
   * Local actors as the base system resolves them; other nodes' actors as remote refs (one
   * per address and incarnation). `nodeUid`: the incarnation of the ref's node when known
   * (0: any); a ref to an actor of a previous incarnation of this node is dead.
   */
  override resolveRef<T>(address: ActorAddress, nodeUid = 0): ActorRef<T> {
    if (this.isLocal(address)) {
      const self = this.identity.uid;
      if (nodeUid !== 0 && nodeUid !== self) {
        return new DeadActorRef<T>(address, (message, ref) =>
          this.deadLetter(message, ref.key, oldIncarnationReason(nodeUid, self)),
        );
      }
      if (address.uid === 0) return this.resolveLocal<T>(address.path) ?? super.resolveRef<T>(address);
      return super.resolveRef<T>(address);
    }
    if (address.host === undefined || address.port === undefined) {
      return new DeadActorRef<T>(address, (message, ref) =>
        this.deadLetter(message, ref.key, 'the address names no host:port (an actor of a system without remoting)'),
      );
    }
    if (address.system !== this.name) {
      return new DeadActorRef<T>(address, (message, ref) =>
        this.deadLetter(message, ref.key, `actor system "${address.system}" is not "${this.name}": only nodes of one system connect`),
      );
    }
    return this.remoting.remoteRef<T>(address, nodeUid);
  }

  /**
   * The replyTo of another node's ask, as it arrives inside a message (a path-less ref that
   * replies by the ask's id); an ask of this very node resolves to the ask itself.
   * @internal
   */
  resolveAskRef<T>(origin: MessageOrigin, askId: number, askUid: number): ActorRef<T> {
    if (origin.system === this.name && origin.port === this.port && origin.host === this.host) {
      return this.resolveAsk<T>(askId, askUid) ?? this.resolveRef<T>(new ActorAddress(this.name, `/temp/$${askId.toString(36)}`, askUid, this.host, this.port));
    }
    return new RemoteAskRef<T>(origin, askId, askUid, this.remoting);
  }

  /**
   * Fails every pending ask to an actor on `host:port` at once (its node disconnected or was
   * given up), with AskFailedError whose cause is `cause`. Called by Remoting.
   * @internal
   */
  failAsksToNode(host: string, port: number, cause: Error): number {
    return this.failPendingAsks(
      target => (target instanceof RemoteActorRef || target instanceof RemoteAskRef) && target.address.port === port && target.address.host === host,
      cause.message,
      cause,
    );
  }

  /**
   * Incarnation `uid` of `node` (`host:port`; every incarnation when undefined) is gone, for
   * remote watch on both sides: local watchers of its actors get Terminated, and the watches
   * it held of this node's actors are dropped. The single trigger of "node gone": remoting
   * calls it for a newer incarnation on the same host:port and for an association that gave
   * up; `onIncarnationDisconnected` for a lost last connection; the cluster layer for a
   * member downed or removed.
   */
  nodeGone(node: string, uid: number | undefined, reason: string): void {
    this.remoting.nodeGone(node, uid, reason);
  }

  // ---- hooks for the cluster layer (call super to keep the events published) ---------------

  /**
   * The last connection with incarnation `peer` closed (in either direction). Without a
   * failure detector that is the end of it (`nodeGone`); the cluster layer overrides this to
   * wait for its verdict (watches ride out the gap: they are sent again on reconnect).
   */
  protected onIncarnationDisconnected(peer: NodeIdentity, reason: string): void {
    this.nodeGone(peer.hostPort, peer.uid, reason);
  }

  protected onPeerConnected(event: PeerConnected): void {
    this.eventStream.publish(event);
  }

  protected onPeerDisconnected(event: PeerDisconnected): void {
    this.eventStream.publish(event);
  }

  protected onHandshakeFailed(event: HandshakeFailed): void {
    this.eventStream.publish(event);
  }

  /** A heartbeat (or an answer to one) arrived from `peer`, read where frames are decoded. */
  protected onPeerHeartbeat(_peer: NodeIdentity): void {}

  /**
   * Takes a new incarnation uid while running (a cluster member that learned it was marked
   * down): messages addressed to the old uid become dead letters, and every connection closes
   * so that peers handshake with the new identity. Returns the new identity.
   */
  protected renewIncarnation(uid: number = newIncarnationUid()): NodeIdentity {
    const previous = this.currentIdentity;
    this.currentIdentity = new NodeIdentity(previous.system, previous.host, previous.port, uid);
    this.remoting.reconnectAll(`${previous.hostPort} is now incarnation ${uid} (was ${previous.uid})`);
    return this.currentIdentity;
  }

  /** Flushes outbound queues, says goodbye to peers and closes the listener once actors have stopped. */
  protected override async afterTerminate(): Promise<void> {
    await super.afterTerminate();
    await this.remoting.shutdown();
  }
}
