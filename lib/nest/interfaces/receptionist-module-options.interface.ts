/** What an application passes to `ReceptionistModule.forRoot` / `forRootAsync`. */
import type { FactoryProvider, ModuleMetadata, Type } from '@nestjs/common';
import type { LogLevel } from '../../actor/index.js';
import type { ClusteredActorSystemOptions } from '../../cluster/index.js';

/**
 * Where this node listens and whom it contacts to join a cluster: every option of
 * `ClusteredActorSystem.start` but those the module sets itself (the name is `systemName`,
 * logs go to Nest's Logger).
 */
export interface ReceptionistClusterOptions
  extends Omit<ClusteredActorSystemOptions, 'name' | 'logger' | 'logLevel' | 'defaultAskTimeoutMs' | 'receptionist'> {
  host: string;
  port: number;
  /** `host:port` of seed nodes; a node may list itself. */
  seeds?: readonly string[];
  /** Shared secret; peers without it are refused. */
  secret?: string;
}

export interface ReceptionistModuleOptions {
  /** Name of the actor system, part of every actor address. Default `nest`. */
  systemName?: string;
  /**
   * Drops actor-system log lines below this level before they reach Nest's Logger.
   * Default: none dropped, so the application's logger settings decide.
   */
  logLevel?: LogLevel;
  /** Default timeout of `find`, `lookup`, `register`, `deregister` and `ask`. Default 3000 ms. */
  askTimeoutMs?: number;
  /**
   * Join a cluster instead of running alone: the module starts a ClusteredActorSystem, and
   * `app.close()` (or SIGTERM with `enableShutdownHooks()`) leaves the cluster gracefully.
   */
  cluster?: ReceptionistClusterOptions;
}

/** `forRoot` options: the module options plus where the module is visible. */
export interface ReceptionistModuleRootOptions extends ReceptionistModuleOptions {
  /**
   * Makes ReceptionistService and ActorSystem injectable in every module. Default false:
   * they are visible where `forRoot` or `forFeature` is imported. Listings provided by
   * `forFeature` work in any module either way.
   */
  isGlobal?: boolean;
}

/** A class that produces the options, for `forRootAsync({ useClass })` / `({ useExisting })`. */
export interface ReceptionistOptionsFactory {
  createReceptionistOptions(): ReceptionistModuleOptions | Promise<ReceptionistModuleOptions>;
}

export interface ReceptionistModuleAsyncOptions extends Pick<ModuleMetadata, 'imports'> {
  /** See `ReceptionistModuleRootOptions.isGlobal`. */
  isGlobal?: boolean;
  /** Returns the options; receives the providers listed in `inject`. */
  useFactory?: (...args: never[]) => ReceptionistModuleOptions | Promise<ReceptionistModuleOptions>;
  inject?: FactoryProvider['inject'];
  /** A class instantiated by the module to produce the options. */
  useClass?: Type<ReceptionistOptionsFactory>;
  /** A provider already available (e.g. from `imports`) that produces the options. */
  useExisting?: Type<ReceptionistOptionsFactory>;
}
