/**
 * Options of a remote-capable system, with every default and every validation in one
 * place. Times are in milliseconds, sizes in bytes.
 */
import { ActorAddress, type ActorSystemOptions } from '../actor/index.js';
import { RemoteConfigurationError } from './errors.js';
import { DEFAULT_MAX_FRAME_SIZE, HANDSHAKE_MAX_FRAME_SIZE } from './frame-codec.js';
import type { Transport } from './transport.js';

export interface RemoteActorSystemOptions extends ActorSystemOptions {
  /** The actor system name; only nodes with the same name connect to each other. */
  name: string;
  /** Host this node is reachable at; it appears in every actor address. Default `127.0.0.1`. */
  host?: string;
  /** Port to listen on; 0 (the default) picks a free one, read it back from `system.port`. */
  port?: number;
  /** Interface to bind, when it differs from `host` (e.g. `0.0.0.0` behind a published `host`). Default: `host`. */
  bindHost?: string;
  /** Shared secret; when set, only peers proving the same secret can connect (it never crosses the wire). */
  secret?: string | Uint8Array;
  /** Largest frame (one serialized message) accepted and sent. Default 4 MiB. */
  maxFrameSize?: number;
  /**
   * A connection must complete its handshake within this time. Default 2000: the handshake is
   * two round trips (under a second even between continents), and every inbound socket that
   * has not finished it holds one of the few `maxPendingHandshakes` slots for as long as this.
   */
  handshakeTimeoutMs?: number;
  /**
   * Inbound sockets allowed to be in the handshake at once, across all addresses. Beyond it
   * the oldest is closed, those that have not sent a valid Hello first; authenticated
   * connections never count. Default 64.
   */
  maxPendingHandshakes?: number;
  /**
   * Inbound sockets from one IP address allowed in the handshake at once; beyond it that
   * address's oldest pending socket is closed (never the newcomer: peers behind one NAT, or
   * on one host, share an address with whoever floods it). Default 32, and at most
   * `maxPendingHandshakes`.
   */
  maxPendingPerAddress?: number;
  /**
   * Authenticated inbound connections one peer node (host:port) may hold; a new one beyond it
   * closes that peer's oldest, so a reconnecting peer is never locked out by its own half-open
   * predecessor. Default 3.
   */
  maxInboundPerPeer?: number;
  /**
   * A frame whose first bytes arrived must be complete within this time, else the connection
   * closes (a peer trickling a large frame to hold its buffer). Checked every heartbeat
   * interval. Default 10000.
   */
  frameTimeoutMs?: number;
  /** Giving up on a TCP connect after this time. Default 5000. */
  connectTimeoutMs?: number;
  /** A quiet connection sends a heartbeat this often. Default 1000. */
  heartbeatIntervalMs?: number;
  /** A connection on which nothing arrived for this long is closed (half-open or hung peer). Default 10000. */
  idleTimeoutMs?: number;
  /** First reconnect delay after a failure; doubles up to `maxBackoffMs`. Default 100. */
  minBackoffMs?: number;
  /** Longest reconnect delay. Default 5000. */
  maxBackoffMs?: number;
  /** Messages waiting for one peer beyond this count become dead letters. Default 100000. */
  outboundQueueSize?: number;
  /** Bytes waiting for one peer beyond this size become dead letters. Default 64 MiB. */
  outboundQueueBytes?: number;
  /** How long `terminate()` waits for outbound queues to flush and peers to close. Default 2000. */
  shutdownTimeoutMs?: number;
  /**
   * Messages one connection may have handed to local actors that they have not yet taken out
   * of their mailboxes; at this count the node stops reading that socket, and reads again once
   * half have been taken. The sender is then slowed by TCP: its writes push back, its outbound
   * queue fills, and past `outboundQueueSize` its messages become dead letters there
   * (OutboundQueueFullError), instead of this node's memory growing. Heartbeats keep flowing
   * both ways, so a paused connection is never closed as idle. Default 4096: more than one
   * socket read of small messages (64 KiB of 20-byte frames is about 3,000), so actors that
   * keep up never pause their senders, and about 1 MB per connection for messages of ~200
   * bytes. It counts messages, not bytes: with large messages, lower it.
   */
  inboundCreditMessages?: number;
  /**
   * Peers this node sends to at once (one outbound association and socket each). Beyond it
   * the least recently used association is closed and what it had queued becomes dead
   * letters (AssociationEvictedError). Default 512: sockets are what runs out first, and
   * the common 1024-descriptor limit must also hold inbound connections; that still covers
   * a cluster of a few hundred nodes plus the clients it replies to. Refs that arrive in
   * messages may name any node, so without a cap every made-up address would cost a socket.
   */
  maxAssociations?: number;
  /**
   * An association with nothing sent and nothing queued for this long is stopped and
   * removed (its connection closed with a goodbye); the next message starts a new one.
   * Checked every `heartbeatIntervalMs`. Default 300000 (5 min): a reconnect costs one
   * handshake, so only peers that really went quiet (a client replied to once) let go.
   */
  associationIdleTimeoutMs?: number;
  /**
   * Failed connection attempts after which an association gives up: its queue becomes dead
   * letters (PeerUnreachableError naming host:port, the attempts and the last reason) and
   * it is removed; the next message to that node starts afresh. A connection that closes
   * within `stableConnectionMs` counts as a failed attempt. Default 60: with the default
   * backoff `giveUpAfterMs` decides first (about 11 attempts in 30 s); the count bounds the
   * dials when the backoff is configured short.
   */
  maxConnectAttempts?: number;
  /**
   * Time without a lasting connection after which an association gives up, as for
   * `maxConnectAttempts` (checked after each failed attempt, so the actual time can exceed it
   * by one backoff plus `connectTimeoutMs`). Default 30000: long enough to ride out a process
   * restart or a short network cut, short enough that messages for a node that is gone free
   * their memory and asks to it fail within half a minute.
   */
  giveUpAfterMs?: number;
  /**
   * A connection that closes sooner than this after its handshake counts as a failed attempt
   * and is redialled with backoff (a peer that accepts and drops at once is not hammered); a
   * longer one resets the backoff and is redialled at once. Default 5000.
   */
  stableConnectionMs?: number;
  /**
   * Watches of this node's actors that one peer incarnation may hold here (`ctx.watch` of a
   * ref to them on that peer). Beyond it a watch is refused: the peer's watchers get
   * Terminated at once, and a warning on both nodes says why. Each held watch costs about
   * 250 bytes here, so the default 10000 bounds a peer to about 2.5 MB; all of a peer's
   * watches are dropped when its incarnation is gone.
   */
  maxWatchesPerPeer?: number;
  /** Encode object identity (cycles, shared sub-objects); costs ~50% more encoding time. Default false. */
  structuredClone?: boolean;
  /**
   * Replaces TCP (tests, benchmarks). Default: a TcpTransport.
   *
   * Host names in actor addresses: with a TcpTransport (the default) each association resolves its
   * peer's name once (dns.lookup, at most 2 lookups at a time and 64 waiting) and dials the
   * address it got until a lasting connection ends; a name that does not resolve makes the
   * association give up at once (PeerUnreachableError), and a name that just failed fails
   * again for 5 s without a lookup. So refs from the wire naming made-up hosts cost at most
   * one lookup per association. IP literals are used as they are. Any other transport gets
   * the host name unresolved.
   */
  transport?: Transport;
  /**
   * Local actor paths remote peers may message besides the defaults (`/user`,
   * `/system/receptionist`, `/temp` ask replies); each covers the path and everything below
   * it. Messages to any other path are dead letters saying so.
   */
  remoteDeliveryPaths?: readonly string[];
}

export interface ResolvedRemoteOptions {
  readonly name: string;
  readonly host: string;
  readonly port: number;
  readonly bindHost: string;
  readonly secret?: Uint8Array;
  readonly maxFrameSize: number;
  readonly handshakeTimeoutMs: number;
  readonly maxPendingHandshakes: number;
  readonly maxPendingPerAddress: number;
  readonly maxInboundPerPeer: number;
  readonly frameTimeoutMs: number;
  readonly connectTimeoutMs: number;
  readonly heartbeatIntervalMs: number;
  readonly idleTimeoutMs: number;
  readonly minBackoffMs: number;
  readonly maxBackoffMs: number;
  readonly outboundQueueSize: number;
  readonly outboundQueueBytes: number;
  readonly shutdownTimeoutMs: number;
  readonly inboundCreditMessages: number;
  readonly maxAssociations: number;
  readonly associationIdleTimeoutMs: number;
  readonly maxConnectAttempts: number;
  readonly giveUpAfterMs: number;
  readonly stableConnectionMs: number;
  readonly maxWatchesPerPeer: number;
}

const HOST = /^[A-Za-z0-9.\-:%]{1,255}$/;

export function resolveRemoteOptions(options: RemoteActorSystemOptions): ResolvedRemoteOptions {
  if (!options || typeof options !== 'object') throw new RemoteConfigurationError('RemoteActorSystem.start needs an options object with at least a name');
  const { name } = options;
  if (typeof name !== 'string' || !ActorAddress.isValidSystemName(name)) {
    throw new RemoteConfigurationError(`Invalid actor system name ${JSON.stringify(name)}: use letters, digits, - and _, starting with a letter or digit`);
  }
  const host = options.host ?? '127.0.0.1';
  if (typeof host !== 'string' || !HOST.test(host)) throw new RemoteConfigurationError(`Invalid host ${JSON.stringify(host)}`);
  const bindHost = options.bindHost ?? host;
  if (typeof bindHost !== 'string' || !HOST.test(bindHost)) throw new RemoteConfigurationError(`Invalid bindHost ${JSON.stringify(bindHost)}`);
  const port = options.port ?? 0;
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new RemoteConfigurationError(`Invalid port ${port}: use 0-65535 (0 picks a free port)`);
  let secret: Uint8Array | undefined;
  if (options.secret !== undefined) {
    secret = typeof options.secret === 'string' ? Buffer.from(options.secret, 'utf8') : options.secret;
    if (!(secret instanceof Uint8Array) || secret.length === 0) {
      throw new RemoteConfigurationError('secret must be a non-empty string or byte array (leave it undefined for no secret)');
    }
  }
  const paths = options.remoteDeliveryPaths;
  if (paths !== undefined && (!Array.isArray(paths) || paths.some(p => typeof p !== 'string' || !/^\/[^\s]+$/.test(p)))) {
    throw new RemoteConfigurationError(`remoteDeliveryPaths must be actor paths such as ['/system/my-endpoint'], got ${JSON.stringify(paths)}`);
  }
  const heartbeatIntervalMs = positive('heartbeatIntervalMs', options.heartbeatIntervalMs, 1000);
  const idleTimeoutMs = positive('idleTimeoutMs', options.idleTimeoutMs, 10_000);
  if (idleTimeoutMs < 2 * heartbeatIntervalMs) {
    throw new RemoteConfigurationError(`idleTimeoutMs (${idleTimeoutMs}) must be at least twice heartbeatIntervalMs (${heartbeatIntervalMs}), or quiet peers would be dropped`);
  }
  const minBackoffMs = positive('minBackoffMs', options.minBackoffMs, 100);
  const maxBackoffMs = positive('maxBackoffMs', options.maxBackoffMs, 5000);
  if (maxBackoffMs < minBackoffMs) throw new RemoteConfigurationError('maxBackoffMs must be at least minBackoffMs');
  const maxFrameSize = positive('maxFrameSize', options.maxFrameSize, DEFAULT_MAX_FRAME_SIZE);
  if (maxFrameSize < HANDSHAKE_MAX_FRAME_SIZE || maxFrameSize > 0x7fffffff) {
    throw new RemoteConfigurationError(`maxFrameSize must be between ${HANDSHAKE_MAX_FRAME_SIZE} and ${0x7fffffff} bytes`);
  }
  const maxPendingHandshakes = count('maxPendingHandshakes', options.maxPendingHandshakes, 64);
  const maxPendingPerAddress = count('maxPendingPerAddress', options.maxPendingPerAddress, 32);
  const frameTimeoutMs = positive('frameTimeoutMs', options.frameTimeoutMs, 10_000);
  if (frameTimeoutMs < heartbeatIntervalMs) {
    throw new RemoteConfigurationError(`frameTimeoutMs (${frameTimeoutMs}) must be at least heartbeatIntervalMs (${heartbeatIntervalMs}), which is how often it is checked`);
  }
  return {
    name,
    host,
    port,
    bindHost,
    secret,
    maxFrameSize,
    handshakeTimeoutMs: positive('handshakeTimeoutMs', options.handshakeTimeoutMs, 2000),
    maxPendingHandshakes,
    maxPendingPerAddress: Math.min(maxPendingPerAddress, maxPendingHandshakes),
    maxInboundPerPeer: count('maxInboundPerPeer', options.maxInboundPerPeer, 3),
    frameTimeoutMs,
    connectTimeoutMs: positive('connectTimeoutMs', options.connectTimeoutMs, 5000),
    heartbeatIntervalMs,
    idleTimeoutMs,
    minBackoffMs,
    maxBackoffMs,
    outboundQueueSize: positive('outboundQueueSize', options.outboundQueueSize, 100_000),
    outboundQueueBytes: positive('outboundQueueBytes', options.outboundQueueBytes, 64 * 1024 * 1024),
    shutdownTimeoutMs: positive('shutdownTimeoutMs', options.shutdownTimeoutMs, 2000),
    inboundCreditMessages: count('inboundCreditMessages', options.inboundCreditMessages, 4096),
    maxAssociations: count('maxAssociations', options.maxAssociations, 512),
    associationIdleTimeoutMs: positive('associationIdleTimeoutMs', options.associationIdleTimeoutMs, 300_000),
    maxConnectAttempts: count('maxConnectAttempts', options.maxConnectAttempts, 60),
    giveUpAfterMs: positive('giveUpAfterMs', options.giveUpAfterMs, 30_000),
    stableConnectionMs: positive('stableConnectionMs', options.stableConnectionMs, 5000),
    maxWatchesPerPeer: count('maxWatchesPerPeer', options.maxWatchesPerPeer, 10_000),
  };
}

function count(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || value < 1) throw new RemoteConfigurationError(`${name} must be a whole number of at least 1, got ${String(value)}`);
  return value;
}

function positive(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new RemoteConfigurationError(`${name} must be a positive number, got ${String(value)}`);
  }
  return value;
}
