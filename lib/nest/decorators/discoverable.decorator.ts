/**
 * `@Discoverable(KEY)` marks a provider method, or a provider class with a `receive` method,
 * as the handler of an actor registered under KEY. It only records metadata; the explorer
 * finds it at startup and the orchestrator spawns and registers the actor.
 */
import 'reflect-metadata';
import { ServiceKey, type ActorContext } from '../../actor/index.js';
import { InvalidDiscoverableError } from '../errors/index.js';
import type { ActorHandler, DiscoverableMetadata, DiscoverableOptions } from '../interfaces/index.js';
import { DISCOVERABLE_METADATA } from '../receptionist.constants.js';

/**
 * Typed so the compiler checks the handler against the key: a class must implement
 * `ActorHandler<T>`, a method must accept `(message: T, ctx: ActorContext<T>)`.
 */
export interface DiscoverableDecorator<T> {
  <C extends abstract new (...args: never[]) => ActorHandler<T>>(target: C): void;
  <M extends (message: T, ctx: ActorContext<T>) => unknown>(
    target: object,
    propertyKey: string | symbol,
    descriptor: TypedPropertyDescriptor<M>,
  ): void;
}

/**
 * Each use spawns one actor at application bootstrap, registered under `key`; its messages are
 * handled one at a time by the decorated method (with `this` the provider instance) or by the
 * decorated class's `receive`. The provider must be a singleton (default scope).
 */
export function Discoverable<T>(key: ServiceKey<T>, options: DiscoverableOptions = {}): DiscoverableDecorator<T> {
  if (!(key instanceof ServiceKey)) {
    throw new InvalidDiscoverableError(`@Discoverable() needs a ServiceKey (ServiceKey.of<Msg>('id')), got ${String(key)}`);
  }
  const metadata: DiscoverableMetadata = Object.freeze({ key: key as ServiceKey<unknown>, options: Object.freeze({ ...options }) });
  const decorator = (target: object, propertyKey?: string | symbol, descriptor?: PropertyDescriptor): void => {
    let host: object;
    if (propertyKey === undefined) {
      host = target;
    } else {
      const where = `${describeTarget(target)}.${String(propertyKey)}`;
      if (typeof target === 'function') {
        throw new InvalidDiscoverableError(`@Discoverable(${key.id}) on static method ${where}: use an instance method of a provider`);
      }
      if (typeof descriptor?.value !== 'function') {
        throw new InvalidDiscoverableError(`@Discoverable(${key.id}) on ${where}, which is not a method`);
      }
      host = descriptor.value as object;
    }
    // Several @Discoverable on one target: one actor each. Decorators apply bottom-up, so
    // prepending keeps the entries (and the actors' name suffixes) in source order.
    const later = (Reflect.getOwnMetadata(DISCOVERABLE_METADATA, host) as DiscoverableMetadata[] | undefined) ?? [];
    Reflect.defineMetadata(DISCOVERABLE_METADATA, [metadata, ...later], host);
  };
  return decorator as DiscoverableDecorator<T>;
}

function describeTarget(target: object): string {
  return typeof target === 'function' ? target.name : (target.constructor?.name ?? 'anonymous');
}
