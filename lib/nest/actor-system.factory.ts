/**
 * Creates the application's ActorSystem from resolved options. The only place a system is
 * made: ClusteredActorSystem.start when `cluster` is set, a local ActorSystem otherwise.
 */
import { Logger } from '@nestjs/common';
import type { ActorLogger, LoggerFactory, LogLevel } from '../actor/index.js';
import { ClusteredActorSystem } from '../cluster/index.js';
import { ActorSystem } from '../receptionist/index.js';
import type { ResolvedReceptionistOptions } from './receptionist-module-options.js';

const RANK: Record<LogLevel, number> = { debug: 0, log: 1, warn: 2, error: 3, silent: 4 };

/**
 * Actor logs go to Nest's Logger with the actor path as context, so they follow the
 * application's logger (levels, format, a custom LoggerService). `level` only drops lines.
 */
export function nestLoggerFactory(level?: LogLevel): LoggerFactory {
  if (level === undefined) return context => new Logger(context);
  const min = RANK[level];
  return context => {
    const logger = new Logger(context);
    const filtered: ActorLogger = {
      debug: message => {
        if (min <= RANK.debug) logger.debug(message);
      },
      log: message => {
        if (min <= RANK.log) logger.log(message);
      },
      warn: message => {
        if (min <= RANK.warn) logger.warn(message);
      },
      error: (message, stack) => {
        if (min <= RANK.error) logger.error(message, stack);
      },
    };
    return filtered;
  };
}

/** A cluster member when `cluster` is set (its terminate, at application shutdown, leaves first); else a local system. */
export async function createActorSystem(options: ResolvedReceptionistOptions): Promise<ActorSystem> {
  const common = { logger: nestLoggerFactory(options.logLevel), defaultAskTimeoutMs: options.askTimeoutMs };
  if (options.cluster) return ClusteredActorSystem.start({ ...options.cluster, ...common, name: options.systemName });
  return ActorSystem.create(options.systemName, common);
}
