/**
 * When one member's listing of a key first showed each instance and each node, and when each
 * node's instances were last gone from it: the raw timestamps of the cluster benchmark, kept
 * by a subscriber actor alike in the parent's members and in member processes.
 */
import { Behaviors, Subscribe, type ActorSystemCore, type Listing, type ServiceKey } from '../../lib/index.js';

export class ListingTimeline {
  /** Instance ref -> when it was first listed. */
  readonly seenAt = new Map<string, number>();
  /** Every node ever listed. */
  readonly nodes = new Set<string>();
  /** Node -> when none of its instances was listed any more. */
  readonly goneAt = new Map<string, number>();
  /** Node -> when it was first listed. */
  readonly firstListedAt = new Map<string, number>();
  /** Instances in the last listing. */
  count = 0;
  private readonly waiters: (() => void)[] = [];

  constructor(system: ActorSystemCore, key: ServiceKey<string>, private readonly now: () => number) {
    const watcher = system.spawn(Behaviors.receiveMessage<Listing<string>>(listing => this.record(listing)), 'watcher');
    system.receptionist.tell(new Subscribe(key, watcher));
  }

  /** Resolves with `read()` once it is defined, checked again after each listing. */
  when<T>(read: () => T | undefined): Promise<T> {
    return new Promise(resolve => {
      const check = () => {
        const value = read();
        if (value === undefined) this.waiters.push(check);
        else resolve(value);
      };
      check();
    });
  }

  private record(listing: Listing<string>): void {
    const t = this.now();
    const nodes = new Set<string>();
    for (const instance of listing.allInstances) {
      const ref = instance.ref.toString();
      if (!this.seenAt.has(ref)) this.seenAt.set(ref, t);
      nodes.add(instance.node);
    }
    for (const node of this.nodes) if (!nodes.has(node) && !this.goneAt.has(node)) this.goneAt.set(node, t);
    for (const node of nodes) {
      this.nodes.add(node);
      if (!this.firstListedAt.has(node)) this.firstListedAt.set(node, t);
    }
    this.count = listing.allInstances.length;
    for (const wake of this.waiters.splice(0)) wake();
  }
}
