/**
 * Options of a clustered system, with every default and every check in one place. Times are
 * in milliseconds. The remote options (host, port, secret, limits, the connections' own
 * `heartbeatIntervalMs`) are those of RemoteActorSystem; the failure detector sends its own,
 * faster heartbeats to the few members each node monitors.
 */
import { parseHostPort } from '../actor/index.js';
import type { RemoteActorSystemOptions } from '../remote/index.js';
import { ClusterConfigurationError } from './errors.js';
import { DEFAULT_FANOUT, DEFAULT_FULL_PUSH_MAX_PEERS, type RandomSource } from './gossip-targets.js';
import { DEFAULT_MONITORS_PER_NODE } from './monitor-ring.js';
import { DEFAULT_PHI_ACCRUAL, type PhiAccrualOptions } from './phi-accrual.js';

export interface ClusteredActorSystemOptions extends RemoteActorSystemOptions {
  /**
   * `host:port` of the nodes to join through; a node may list itself. Tried until one
   * answers, forever, with backoff. Only the first seed of the list forms a new cluster, after
   * no other seed answered within `seedTimeoutMs`; an empty list forms one at once. Default [].
   */
  seeds?: readonly string[];
  /**
   * Heartbeats to each monitored member (`monitorsPerNode` of them), answered where frames
   * are decoded and scored by the failure detector. Default 200: the detector's defaults are
   * set for it. Other connections keep remoting's `heartbeatIntervalMs` (default 1000).
   */
  monitorHeartbeatIntervalMs?: number;
  /** How often a digest of versions is exchanged with one random member (anti-entropy). Default 1000. */
  gossipIntervalMs?: number;
  /** The first seed forms a new cluster when no other seed answered within this time. Default 5000. */
  seedTimeoutMs?: number;
  /** First delay between join attempts; doubles up to `joinRetryMaxMs`. Default 200. */
  joinRetryMinMs?: number;
  /** Longest delay between join attempts. Default 5000. */
  joinRetryMaxMs?: number;
  /**
   * How long a graceful leave waits for the members to acknowledge that its entries are gone
   * (and then that it is removed) before the node goes anyway. Default 2000.
   */
  leaveTimeoutMs?: number;
  /** Members that watch each member (heartbeats scored by each); a majority of them downs it. Default 5. */
  monitorsPerNode?: number;
  /** The phi-accrual detector: threshold, tolerated pause, spread. Defaults in DEFAULT_PHI_ACCRUAL. */
  failureDetector?: PhiAccrualOptions;
  /**
   * A member whose connections all closed is probed with one TCP connect; a refusal (nothing
   * listens on its port any more) proves the process is gone and downs it at once. The probe
   * gives up after this time (then the failure detector decides). Default 1000.
   */
  deathProbeTimeoutMs?: number;
  /** How long a downed or removed incarnation is remembered so late gossip cannot bring it back. Default 600000. */
  tombstoneTtlMs?: number;
  /** Up to this many peers, every change is pushed to all of them. Default 32. */
  fullPushMaxPeers?: number;
  /** Beyond that, a change goes to this many random peers, which relay it once. Default 6. */
  fanout?: number;
  /** Random numbers for peer selection (tests replay them). Default Math.random. */
  random?: RandomSource;
}

export interface ClusterSettings {
  readonly seeds: readonly { readonly host: string; readonly port: number; readonly hostPort: string }[];
  readonly monitorHeartbeatIntervalMs: number;
  readonly gossipIntervalMs: number;
  readonly seedTimeoutMs: number;
  readonly joinRetryMinMs: number;
  readonly joinRetryMaxMs: number;
  readonly leaveTimeoutMs: number;
  readonly monitorsPerNode: number;
  readonly failureDetector: Readonly<Required<PhiAccrualOptions>>;
  readonly deathProbeTimeoutMs: number;
  readonly tombstoneTtlMs: number;
  readonly fullPushMaxPeers: number;
  readonly fanout: number;
  readonly random: RandomSource;
}

export const DEFAULT_MONITOR_HEARTBEAT_INTERVAL_MS = 200;

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1']);

/**
 * Checks and completes the cluster options. The seeds are checked against this node's
 * host so that a self-listing spelled another way (`localhost` for `127.0.0.1`) is caught
 * here rather than making the node dial itself; `port` 0 is checked again once bound.
 */
export function resolveClusterSettings(options: ClusteredActorSystemOptions): ClusterSettings {
  if (!options || typeof options !== 'object') throw new ClusterConfigurationError('ClusteredActorSystem.start needs an options object with at least a name');
  const seedsOption = options.seeds ?? [];
  if (!Array.isArray(seedsOption)) throw new ClusterConfigurationError(`seeds must be a list of "host:port" strings, got ${typeof seedsOption}`);
  const host = options.host ?? '127.0.0.1';
  const seen = new Set<string>();
  const seeds: { host: string; port: number; hostPort: string }[] = [];
  for (const seed of seedsOption as unknown[]) {
    if (typeof seed !== 'string') throw new ClusterConfigurationError(`seeds must be "host:port" strings, got ${typeof seed}`);
    let parsed: { host: string; port: number };
    try {
      parsed = parseHostPort(seed);
    } catch {
      throw new ClusterConfigurationError(`seed ${JSON.stringify(seed)} is not "host:port" (e.g. "127.0.0.1:25520")`);
    }
    if (parsed.port === 0) throw new ClusterConfigurationError(`seed ${JSON.stringify(seed)} has port 0; a seed names a port a node listens on`);
    if (parsed.host !== host && LOOPBACK.has(parsed.host) && LOOPBACK.has(host) && parsed.port === options.port) {
      throw new ClusterConfigurationError(
        `seed ${JSON.stringify(seed)} names this node's port with another spelling of its host; write it as ${formatHostPort(host, parsed.port)}, ` +
          'the host this node announces (members are known by the host they announce)',
      );
    }
    const hostPort = formatHostPort(parsed.host, parsed.port);
    if (seen.has(hostPort)) continue;
    seen.add(hostPort);
    seeds.push({ ...parsed, hostPort });
  }
  const monitorHeartbeatIntervalMs = positive('monitorHeartbeatIntervalMs', options.monitorHeartbeatIntervalMs, DEFAULT_MONITOR_HEARTBEAT_INTERVAL_MS);
  const joinRetryMinMs = positive('joinRetryMinMs', options.joinRetryMinMs, 200);
  const joinRetryMaxMs = positive('joinRetryMaxMs', options.joinRetryMaxMs, 5000);
  if (joinRetryMaxMs < joinRetryMinMs) throw new ClusterConfigurationError(`joinRetryMaxMs (${joinRetryMaxMs}) must be at least joinRetryMinMs (${joinRetryMinMs})`);
  const fd = options.failureDetector ?? {};
  if (typeof fd !== 'object' || fd === null) throw new ClusterConfigurationError('failureDetector must be an object of phi-accrual options');
  const failureDetector = Object.freeze({
    thresholdPhi: positive('failureDetector.thresholdPhi', fd.thresholdPhi, DEFAULT_PHI_ACCRUAL.thresholdPhi),
    maxSampleSize: whole('failureDetector.maxSampleSize', fd.maxSampleSize, DEFAULT_PHI_ACCRUAL.maxSampleSize, 2),
    minStdDeviationMs: positive('failureDetector.minStdDeviationMs', fd.minStdDeviationMs, DEFAULT_PHI_ACCRUAL.minStdDeviationMs),
    acceptableHeartbeatPauseMs: nonNegative('failureDetector.acceptableHeartbeatPauseMs', fd.acceptableHeartbeatPauseMs, DEFAULT_PHI_ACCRUAL.acceptableHeartbeatPauseMs),
    // The detector starts from the interval it is fed at, unless told otherwise.
    firstHeartbeatEstimateMs: positive('failureDetector.firstHeartbeatEstimateMs', fd.firstHeartbeatEstimateMs, monitorHeartbeatIntervalMs),
  });
  const random = options.random ?? Math.random;
  if (typeof random !== 'function') throw new ClusterConfigurationError('random must be a function returning numbers in [0, 1)');
  return Object.freeze({
    seeds,
    monitorHeartbeatIntervalMs,
    gossipIntervalMs: positive('gossipIntervalMs', options.gossipIntervalMs, 1000),
    seedTimeoutMs: positive('seedTimeoutMs', options.seedTimeoutMs, 5000),
    joinRetryMinMs,
    joinRetryMaxMs,
    leaveTimeoutMs: positive('leaveTimeoutMs', options.leaveTimeoutMs, 2000),
    monitorsPerNode: whole('monitorsPerNode', options.monitorsPerNode, DEFAULT_MONITORS_PER_NODE, 1),
    failureDetector,
    deathProbeTimeoutMs: positive('deathProbeTimeoutMs', options.deathProbeTimeoutMs, 1000),
    tombstoneTtlMs: positive('tombstoneTtlMs', options.tombstoneTtlMs, 600_000),
    fullPushMaxPeers: whole('fullPushMaxPeers', options.fullPushMaxPeers, DEFAULT_FULL_PUSH_MAX_PEERS, 1),
    fanout: whole('fanout', options.fanout, DEFAULT_FANOUT, 1),
    random,
  });
}

function formatHostPort(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

function positive(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) throw new ClusterConfigurationError(`${name} must be a positive number, got ${String(value)}`);
  return value;
}

function nonNegative(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) throw new ClusterConfigurationError(`${name} must be a number of at least 0, got ${String(value)}`);
  return value;
}

function whole(name: string, value: number | undefined, fallback: number, min: number): number {
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || value < min) throw new ClusterConfigurationError(`${name} must be a whole number of at least ${min}, got ${String(value)}`);
  return value;
}
