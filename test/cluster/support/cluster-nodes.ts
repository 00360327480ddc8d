/**
 * Clusters of ClusteredActorSystems in this process, on loopback sockets, each node on its
 * own FaultTransport of one FaultNetwork, with timings shortened for tests and every log line
 * captured (printed with CLUSTER_TEST_LOGS=1).
 */
import {
  Behaviors,
  ClusteredActorSystem,
  type ActorRef,
  type ClusteredActorSystemOptions,
  type Listing,
  type ServiceKey,
} from '../../../lib/index.js';
import { eventually } from '../../support/eventually.js';
import { captureLogs } from '../../remote/support/nodes.js';
import { FaultNetwork, type FaultTransport } from './fault-transport.js';

/**
 * Timings for tests: faster than the defaults, yet tolerant of a loaded machine. Every node
 * of a test shares one event loop, so a long step (spawning thousands of actors) stalls
 * observers and subjects alike: a pause of a second is scored as normal.
 */
export const TEST_TIMINGS: Partial<ClusteredActorSystemOptions> = {
  monitorHeartbeatIntervalMs: 100,
  gossipIntervalMs: 200,
  seedTimeoutMs: 500,
  joinRetryMinMs: 50,
  joinRetryMaxMs: 400,
  leaveTimeoutMs: 1000,
  minBackoffMs: 20,
  maxBackoffMs: 200,
  failureDetector: { acceptableHeartbeatPauseMs: 1000, minStdDeviationMs: 100 },
};

export interface Member {
  readonly system: ClusteredActorSystem;
  readonly transport: FaultTransport;
  readonly logs: ReturnType<typeof captureLogs>;
  /** The port it listens on. */
  readonly port: number;
}

export class TestCluster {
  readonly network = new FaultNetwork();
  readonly members: Member[] = [];

  /** Starts a node; `seeds` default to the first node of this cluster. */
  async start(options: Partial<ClusteredActorSystemOptions> = {}): Promise<Member> {
    const logs = captureLogs();
    const transport = this.network.transport();
    const print = process.env.CLUSTER_TEST_LOGS === '1';
    const system = await ClusteredActorSystem.start({
      name: 'test',
      deadLetterLogLimit: 0,
      logger: print
        ? context => {
            const inner = logs.factory(context);
            return {
              debug: m => inner.debug(m),
              log: m => (inner.log(m), console.log(`${context} ${m}`)),
              warn: m => (inner.warn(m), console.warn(`${context} ${m}`)),
              error: m => (inner.error(m), console.error(`${context} ${m}`)),
            };
          }
        : logs.factory,
      ...TEST_TIMINGS,
      seeds: this.members.length > 0 ? [this.members[0]!.system.hostPort] : [],
      ...options,
      transport,
    });
    const member = { system, transport, logs, port: system.port };
    this.members.push(member);
    return member;
  }

  /** Starts `n` nodes (the first forms the cluster, the others join through it) and waits until every node sees all as up. */
  async startMany(n: number, options: Partial<ClusteredActorSystemOptions> = {}): Promise<Member[]> {
    const first = this.members.length === 0 ? [await this.start(options)] : [];
    const rest = await Promise.all(Array.from({ length: n - first.length }, () => this.start(options)));
    const started = [...first, ...rest];
    await this.converged();
    return started;
  }

  /** Every running node lists every running node as up (and reachable). */
  async converged(timeoutMs = 10_000): Promise<void> {
    await eventually(() => {
      const running = this.running();
      const expected = running.map(m => m.system.selfNode).sort();
      for (const m of running) {
        expect(m.system.cluster.members.filter(x => x.status === 'up' && x.reachable).map(x => x.node)).toEqual(expected);
      }
    }, timeoutMs);
  }

  running(): Member[] {
    return this.members.filter(m => !m.system.isTerminated);
  }

  async terminate(): Promise<void> {
    await Promise.all(this.members.map(m => m.system.terminate()));
  }
}

/** Spawns an actor registered under `key` that answers `[text, replyTo]` with `text@port`. */
export function spawnEcho(member: Member, key: ServiceKey<Echo>, name: string): ActorRef<Echo> {
  return member.system.spawn(
    Behaviors.discoverable(
      Behaviors.receiveMessage<Echo>(([text, replyTo]) => {
        replyTo.tell(`${text}@${member.port}`);
      }),
      key,
    ),
    name,
  );
}

export type Echo = [text: string, replyTo: ActorRef<string>];

/** The nodes (`host:port#uid`) of a listing's instances, sorted; `all` includes unreachable ones. */
export function nodesOf(listing: Listing<unknown>, all = false): string[] {
  return (all ? listing.allInstances : listing.instances).map(i => i.node).sort();
}

/** Waits until `member`'s listing of `key` satisfies `check`, and returns it. */
export async function listingOn<T>(member: Member, key: ServiceKey<T>, check: (listing: Listing<T>) => void, timeoutMs = 5000): Promise<Listing<T>> {
  return eventually(async () => {
    const listing = await member.system.lookup(key, 1000);
    check(listing);
    return listing;
  }, timeoutMs);
}
