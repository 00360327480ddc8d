/**
 * Finds every `@Discoverable` handler among the application's providers and controllers at
 * module init, binds it to its provider instance and hands it to the orchestrator. Handlers in
 * request-scoped or transient providers are refused, all named in one error.
 */
import { Injectable, Scope, type OnModuleInit } from '@nestjs/common';
import { DiscoveryService, MetadataScanner } from '@nestjs/core';
import type { ActorContext } from '../actor/index.js';
import { DiscoverableMetadataAccessor } from './discoverable-metadata.accessor.js';
import { DiscoverableOrchestrator, type DiscoverableHandler } from './discoverable.orchestrator.js';
import { DiscoverableScopeError, InvalidDiscoverableError } from './errors/index.js';
import type { DiscoverableMetadata } from './interfaces/index.js';

type Wrapper = ReturnType<DiscoveryService['getProviders']>[number];
type Method = (this: object, message: unknown, ctx: ActorContext<unknown>) => unknown;

/** A `@Discoverable` found on a class: the class itself (`method` undefined) or one of its methods. */
interface Found {
  readonly metadata: DiscoverableMetadata;
  readonly method: string | undefined;
  readonly label: string;
}

@Injectable()
export class DiscoverableExplorer implements OnModuleInit {
  constructor(
    private readonly discovery: DiscoveryService,
    private readonly scanner: MetadataScanner,
    private readonly accessor: DiscoverableMetadataAccessor,
    private readonly orchestrator: DiscoverableOrchestrator,
  ) {}

  onModuleInit(): void {
    this.explore();
  }

  explore(): void {
    const notSingletons: string[] = [];
    const seen = new Set<object>();
    for (const wrapper of [...this.discovery.getProviders(), ...this.discovery.getControllers()]) {
      if (wrapper.isAlias) continue;
      const cls = classOf(wrapper);
      if (!cls) continue;
      const found = this.find(cls);
      if (found.length === 0) continue;
      if (wrapper.isTransient || !wrapper.isDependencyTreeStatic()) {
        const why = wrapper.isTransient ? 'transient' : wrapper.scope === Scope.REQUEST ? 'request-scoped' : 'depends on a request-scoped provider';
        for (const f of found) notSingletons.push(`${f.label} (${why})`);
        continue;
      }
      const instance: unknown = wrapper.instance;
      // The same instance can sit behind several tokens (e.g. useValue of an existing object).
      if (!instance || typeof instance !== 'object' || seen.has(instance)) continue;
      seen.add(instance);
      for (const f of found) this.orchestrator.add(bind(instance, f));
    }
    if (notSingletons.length > 0) throw new DiscoverableScopeError(notSingletons);
  }

  /** Every `@Discoverable` on `cls` and on the methods of its prototype chain. */
  private find(cls: Function): Found[] {
    const found: Found[] = [];
    const name = cls.name || 'anonymous';
    const prototype = cls.prototype as Record<string, unknown> | undefined;
    const classEntries = this.accessor.classEntries(cls);
    if (classEntries.length > 0 && typeof prototype?.receive !== 'function') {
      throw new InvalidDiscoverableError(
        `${name} is marked @Discoverable(${classEntries[0].key.id}) but has no receive(message, ctx) method; ` +
          'implement ActorHandler<T>, or put @Discoverable on the method that handles the messages',
      );
    }
    for (const metadata of classEntries) found.push({ metadata, method: undefined, label: name });
    if (!prototype) return found;
    for (const method of this.scanner.getAllMethodNames(prototype)) {
      for (const metadata of this.accessor.methodEntries(prototype[method] as Function)) {
        found.push({ metadata, method, label: `${name}.${method}` });
      }
    }
    return found;
  }
}

/**
 * The class to read metadata from: the provider's class, or for `useValue` / `useFactory`
 * providers (no class, or the factory as metatype) the class of the instance they produced.
 */
function classOf(wrapper: Wrapper): Function | undefined {
  const cls: unknown = !wrapper.metatype || wrapper.inject ? (wrapper.instance as object | undefined)?.constructor : wrapper.metatype;
  return typeof cls === 'function' ? cls : undefined;
}

function bind(instance: object, found: Found): DiscoverableHandler {
  const { key, options } = found.metadata;
  let handle: DiscoverableHandler['handle'];
  if (found.method === undefined) {
    handle = (message, ctx) => (instance as { receive: Method }).receive(message, ctx);
  } else {
    const method = (instance as Record<string, Method>)[found.method];
    handle = (message, ctx) => method.call(instance, message, ctx);
  }
  return { key, label: found.label, options, handle };
}
