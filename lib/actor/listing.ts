/**
 * An immutable snapshot of the instances registered under one key, across every node
 * this system knows. `instances` leaves out instances on nodes currently unreachable;
 * `allInstances` keeps them, so routing stops at once while the registry does not flap.
 */
import type { ActorRef } from './actor-ref.js';
import type { ServiceKey } from './service-key.js';

export interface ServiceInstance<T> {
  readonly ref: ActorRef<T>;
  /** The node the instance runs on (`host:port`), or `local` in a system without network. */
  readonly node: string;
  readonly reachable: boolean;
}

export class Listing<T> {
  readonly instances: readonly ServiceInstance<T>[];
  readonly refs: readonly ActorRef<T>[];

  /**
   * `instances` and `refs` may be passed when the caller already computed them (the registry
   * does, in one pass); otherwise they are derived from `allInstances`.
   */
  constructor(
    readonly key: ServiceKey<T>,
    readonly allInstances: readonly ServiceInstance<T>[],
    instances?: readonly ServiceInstance<T>[],
    refs?: readonly ActorRef<T>[],
  ) {
    Object.freeze(allInstances);
    this.instances = Object.freeze(instances ?? allInstances.filter(i => i.reachable));
    this.refs = Object.freeze(refs ?? this.instances.map(i => i.ref));
    Object.freeze(this);
  }

  get isEmpty(): boolean {
    return this.instances.length === 0;
  }

  /** Narrows a listing received alongside others to the key it answers. */
  isForKey<U>(key: ServiceKey<U>): this is Listing<U> {
    return this.key.id === key.id;
  }

  toString(): string {
    return `Listing(${this.key.id}: ${this.allInstances.length} instance(s))`;
  }
}
