/**
 * A RemoteActorSystem that is a member of a cluster: it joins through seeds, replicates its
 * receptionist's entries to every member and theirs into its own registry, detects failures
 * and leaves gracefully before it terminates. `system.cluster` is the membership face.
 */
import { parseHostPort, type ActorAddress, type ActorRef, type ActorSystemOptions } from '../actor/index.js';
import { RemoteActorSystem, type BoundNode, type HandshakeFailed, type NodeIdentity, type PeerConnected, type PeerDisconnected } from '../remote/index.js';
import type { ActorSystem } from '../receptionist/index.js';
import { Cluster } from './cluster.js';
import { CLUSTER_ACTOR_NAME, CLUSTER_ACTOR_PATH, clusterActor } from './cluster-actor.js';
import { ClusterDaemon, type ClusterHost } from './cluster-daemon.js';
import type { ClusterEvent } from './cluster-events.js';
import { clusterReceptionist, type ClusterRegistryPort } from './cluster-receptionist.js';
import { resolveClusterSettings, type ClusterSettings, type ClusteredActorSystemOptions } from './cluster-settings.js';
import { probeListener } from './death-probe.js';
import { ClusterConfigurationError } from './errors.js';
import { registerClusterMessages, type GossipPeer } from './gossip-messages.js';

/** What a message's envelope (path, uids, class header, the sender's ref) may take beyond its plain data. */
const ENVELOPE_BYTES = 1024;

export class ClusteredActorSystem extends RemoteActorSystem {
  /** Membership, events, and the operator's down and leave. */
  readonly cluster: Cluster;
  private readonly daemon: ClusterDaemon;
  private readonly clusterSettings: ClusterSettings;
  private readonly maxFrameSize: number;
  /** Connections this node keeps open for its failure detector (`host:port`). */
  private readonly held = new Set<string>();

  /** A cluster member needs its port bound first: use `await ClusteredActorSystem.start(options)`. */
  static override create(name: string, _options?: ActorSystemOptions): ActorSystem {
    throw new ClusterConfigurationError(
      `ClusteredActorSystem.create(${JSON.stringify(name)}) cannot join a cluster; use await ClusteredActorSystem.start({ name, host, port, seeds })`,
    );
  }

  /**
   * Binds the port, starts the system and begins joining (through `seeds`; await
   * `system.cluster.whenUp()` for the end of it). Rejects with ClusterConfigurationError (or
   * RemoteConfigurationError) for invalid options, and if the port is taken.
   */
  static override async start(options: ClusteredActorSystemOptions): Promise<ClusteredActorSystem> {
    const settings = resolveClusterSettings(options);
    const remoteOptions: ClusteredActorSystemOptions = {
      ...options,
      remoteDeliveryPaths: [...(options.remoteDeliveryPaths ?? []), CLUSTER_ACTOR_PATH],
    };
    const bound = await this.bindNode(remoteOptions);
    try {
      const system = new ClusteredActorSystem(bound, remoteOptions, settings);
      system.startSystemActors();
      system.daemon.start();
      return system;
    } catch (error) {
      await bound.listener.close();
      throw error;
    }
  }

  protected constructor(bound: BoundNode, options: ClusteredActorSystemOptions, settings: ClusterSettings) {
    // The receptionist port is read once the whole object exists (startSystemActors).
    super(bound, { ...options, receptionist: system => clusterReceptionist((system as ClusteredActorSystem).registryPort()) });
    this.clusterSettings = settings;
    this.maxFrameSize = bound.settings.maxFrameSize;
    registerClusterMessages(this.serialization);
    this.daemon = new ClusterDaemon(this.clusterHost(), settings);
    this.cluster = new Cluster(this.daemon, this.eventStream);
  }

  /** Leaves the cluster gracefully: entries gone on every member, then removed. The system keeps running alone. */
  leave(): Promise<void> {
    return this.cluster.leave();
  }

  protected override startSystemActors(): void {
    this.daemon.bindActor(this.systemActorOf(clusterActor(this.daemon), CLUSTER_ACTOR_NAME));
    super.startSystemActors();
  }

  protected override onPeerConnected(event: PeerConnected): void {
    super.onPeerConnected(event);
    this.daemon.peerConnected(event.peer);
  }

  protected override onPeerDisconnected(event: PeerDisconnected): void {
    super.onPeerDisconnected(event);
    this.daemon.peerDisconnected(event.peer);
  }

  protected override onHandshakeFailed(event: HandshakeFailed): void {
    super.onHandshakeFailed(event);
    if (event.direction === 'outbound') this.daemon.peerLost(event.remote);
  }

  protected override onPeerHeartbeat(peer: NodeIdentity): void {
    this.daemon.heartbeat(peer);
  }

  /** Terminating leaves first: this node's entries are gone on the other members before its sockets close. */
  protected override async beforeTerminate(): Promise<void> {
    await super.beforeTerminate();
    try {
      await this.daemon.leave();
    } finally {
      this.daemon.stop();
    }
  }

  private registryPort(): ClusterRegistryPort {
    const daemon = this.daemon;
    return {
      listener: {
        registered: (key, ref) => daemon.ownRegistered(key, ref),
        deregistered: (key, ref) => daemon.ownDeregistered(key, ref),
        stopped: ref => daemon.ownStopped(ref),
        foreign: message => daemon.forward(message),
      },
      attach: receptionist => daemon.attachReceptionist(receptionist),
    };
  }

  private clusterHost(): ClusterHost {
    const system = this;
    const association = (hostPort: string) => {
      const { host, port } = parseHostPort(hostPort);
      return this.remoting.association(host, port);
    };
    return {
      systemName: this.name,
      get identity() {
        return system.identity;
      },
      scheduler: this.scheduler,
      log: this.loggerFor(`Cluster(${this.identity.hostPort})`),
      publish: (event: ClusterEvent) => this.eventStream.publish(event),
      clusterActorAt: hostPort => this.remoteRef(hostPort, CLUSTER_ACTOR_PATH) as GossipPeer,
      receptionistAt: hostPort => this.remoteRef(hostPort, '/system/receptionist'),
      frameBudget: hostPort => {
        const peer = association(hostPort).peerMaxFrameSize;
        return Math.min(this.maxFrameSize, peer > 0 ? peer : this.maxFrameSize) - ENVELOPE_BYTES;
      },
      queued: hostPort => association(hostPort).queued,
      hold: (hostPort, keep) => {
        if (keep) {
          this.held.add(hostPort);
          association(hostPort).hold();
        } else if (this.held.delete(hostPort)) {
          association(hostPort).held = false;
        }
      },
      heartbeat: hostPort => this.remoting.heartbeat(hostPort),
      nodeGone: (hostPort, uid, reason) => this.remoting.nodeGone(hostPort, uid, reason),
      resolveRef: (address: ActorAddress, nodeUid: number) => this.resolveRef(address, nodeUid) as ActorRef<unknown>,
      renewIncarnation: () => this.renewIncarnation(),
      probe: (host, port) => probeListener(this.transport, host, port, this.clusterSettings.deathProbeTimeoutMs),
    };
  }
}
