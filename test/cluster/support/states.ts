/**
 * Small helpers for tests of the cluster's pure core: node ids, states on a manual clock,
 * and a canonical form of a state for comparing nodes.
 */
import { ClusterState, nodeKey, type ClusterStateOptions, type NodeId } from '../../../lib/cluster/index.js';

export class ManualClock {
  constructor(public nowMs = 1_000_000) {}
  readonly read = (): number => this.nowMs;
  advance(ms: number): void {
    this.nowMs += ms;
  }
}

export function node(port: number, uid = port * 10 + 1, host = '127.0.0.1'): NodeId {
  return { host, port, uid };
}

export function stateOf(id: NodeId, clock = new ManualClock(), options: Partial<ClusterStateOptions> = {}): ClusterState {
  return new ClusterState({ self: id, clock: clock.read, ...options });
}

export function ref(port: number, name: string): string {
  return `actor://sys@127.0.0.1:${port}/user/${name}#1`;
}

/** Records (version, status, sorted entries, unreachable) and tombstone keys: what nodes must agree on. */
export function canonical(state: ClusterState): unknown {
  const records = [...state.records()]
    .map(r => ({
      key: r.key,
      version: r.version,
      status: r.status,
      entries: [...r.entries.values()].sort((a, b) => a.id - b.id).map(e => [e.id, e.key, e.ref]),
      unreachable: [...r.unreachable],
    }))
    .sort((a, b) => (a.key < b.key ? -1 : 1));
  const gone = state
    .goneMarks()
    .map(([key, reason]) => [key, reason])
    .sort((a, b) => (a[0]! < b[0]! ? -1 : 1));
  return { records, gone };
}

export { nodeKey };
