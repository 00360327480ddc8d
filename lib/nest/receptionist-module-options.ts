/**
 * The one place where module options get their defaults and are checked, for `forRoot`
 * and `forRootAsync` alike, so a mistake fails at startup with a message naming the field.
 */
import { ActorAddress, type LogLevel } from '../actor/index.js';
import { resolveClusterSettings } from '../cluster/index.js';
import { InvalidReceptionistOptionsError } from './errors/index.js';
import type { ReceptionistClusterOptions, ReceptionistModuleOptions } from './interfaces/index.js';

export const DEFAULT_SYSTEM_NAME = 'nest';
export const DEFAULT_ASK_TIMEOUT_MS = 3000;

const LOG_LEVELS: readonly LogLevel[] = ['debug', 'log', 'warn', 'error', 'silent'];
const KNOWN_OPTIONS = new Set(['systemName', 'logLevel', 'askTimeoutMs', 'cluster']);

/** Options with every default applied; what the rest of the module reads. */
export interface ResolvedReceptionistOptions {
  readonly systemName: string;
  readonly logLevel: LogLevel | undefined;
  readonly askTimeoutMs: number;
  /** Set: the system is a cluster member (ClusteredActorSystem.start gets these options). */
  readonly cluster: Readonly<ReceptionistClusterOptions> | undefined;
}

export function resolveReceptionistOptions(options: ReceptionistModuleOptions | undefined | null): ResolvedReceptionistOptions {
  if (options === undefined || options === null) options = {};
  if (typeof options !== 'object') {
    throw new InvalidReceptionistOptionsError(`expected an object, got ${typeof options}`);
  }
  const unknown = Object.keys(options).filter(name => !KNOWN_OPTIONS.has(name));
  if (unknown.length > 0) {
    throw new InvalidReceptionistOptionsError(
      `unknown option(s) ${unknown.map(n => JSON.stringify(n)).join(', ')}; known are ${[...KNOWN_OPTIONS].join(', ')}`,
    );
  }

  const systemName = options.systemName ?? DEFAULT_SYSTEM_NAME;
  if (typeof systemName !== 'string' || !ActorAddress.isValidSystemName(systemName)) {
    throw new InvalidReceptionistOptionsError(
      `systemName ${JSON.stringify(systemName)} is not a valid actor system name: use letters, digits, - and _, starting with a letter or digit`,
    );
  }
  const askTimeoutMs = options.askTimeoutMs ?? DEFAULT_ASK_TIMEOUT_MS;
  if (typeof askTimeoutMs !== 'number' || !Number.isFinite(askTimeoutMs) || askTimeoutMs <= 0) {
    throw new InvalidReceptionistOptionsError(`askTimeoutMs must be a positive number of milliseconds, got ${String(askTimeoutMs)}`);
  }
  const logLevel = options.logLevel;
  if (logLevel !== undefined && !LOG_LEVELS.includes(logLevel)) {
    throw new InvalidReceptionistOptionsError(`logLevel must be one of ${LOG_LEVELS.join(', ')}, got ${JSON.stringify(logLevel)}`);
  }
  return Object.freeze({ systemName, logLevel, askTimeoutMs, cluster: resolveCluster(options.cluster) });
}

/** The cluster options as given, checked now (ClusterConfigurationError names the field) so a mistake fails at startup. */
function resolveCluster(cluster: ReceptionistClusterOptions | undefined | null): Readonly<ReceptionistClusterOptions> | undefined {
  if (cluster === undefined || cluster === null) return undefined;
  if (typeof cluster !== 'object') throw new InvalidReceptionistOptionsError(`cluster must be an object such as { host, port, seeds }, got ${typeof cluster}`);
  if (typeof cluster.host !== 'string' || cluster.host.length === 0) {
    throw new InvalidReceptionistOptionsError('cluster.host must name the host this node is reachable at, e.g. "127.0.0.1"');
  }
  if (!Number.isInteger(cluster.port) || cluster.port < 0 || cluster.port > 65535) {
    throw new InvalidReceptionistOptionsError(`cluster.port must be a port number (0-65535), got ${String(cluster.port)}`);
  }
  resolveClusterSettings({ name: 'check', ...cluster });
  return Object.freeze({ ...cluster });
}
