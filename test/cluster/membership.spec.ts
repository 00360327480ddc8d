import {
  MonitorRing,
  downingDecisions,
  liveMembers,
  members,
  nextOwnStatus,
  reachabilityChanges,
  reportsNeeded,
  unreachableSubjects,
  type ClusterState,
} from '../../lib/cluster/index.js';
import { ManualClock, node, stateOf } from './support/states.js';

const K = 5;

/** n nodes; each `see` merges every other's record into one node's view. */
class Cluster {
  readonly clock = new ManualClock();
  readonly nodes: ClusterState[];

  constructor(n: number) {
    this.nodes = Array.from({ length: n }, (_, i) => stateOf(node(6000 + i), this.clock));
    for (const state of this.nodes) state.setStatus('up');
    for (let i = 0; i < n; i++) this.see(i);
  }

  key(i: number): string {
    return this.nodes[i]!.selfKey;
  }

  see(i: number, from: number[] = this.nodes.map((_, j) => j)): ClusterState {
    const view = this.nodes[i]!;
    for (const j of from) if (j !== i) view.mergeRecord(this.nodes[j]!.snapshot(this.key(j))!);
    return view;
  }

  ring(): MonitorRing {
    return new MonitorRing(liveMembers(this.nodes[0]!), K);
  }

  /** Every observer of `subject` on the ring reports it (it crashed or froze). */
  allObserversReport(subject: number): void {
    const watchers = new Set(this.ring().watchersOf(this.key(subject)));
    for (const state of this.nodes) {
      if (watchers.has(state.selfKey)) state.setUnreachable([...state.selfRecord.unreachable, this.key(subject)]);
    }
  }
}

describe('Membership', () => {
  describe('own status', () => {
    it('goes up once synced, leaves from joining or up, and is removed after leaving', () => {
      expect(nextOwnStatus('joining', 'synced')).toBe('up');
      expect(nextOwnStatus('up', 'synced')).toBeUndefined();
      expect(nextOwnStatus('joining', 'leave')).toBe('leaving');
      expect(nextOwnStatus('up', 'leave')).toBe('leaving');
      expect(nextOwnStatus('leaving', 'leave')).toBeUndefined();
      expect(nextOwnStatus('leaving', 'left')).toBe('removed');
      expect(nextOwnStatus('down', 'synced')).toBeUndefined();
    });
  });

  describe('reachability', () => {
    it('marks a member unreachable as soon as one live observer suspects it, and names the observers', () => {
      const cluster = new Cluster(4);
      cluster.nodes[1]!.setUnreachable([cluster.key(3)]);
      cluster.nodes[2]!.setUnreachable([cluster.key(3)]);
      const view = cluster.see(0);
      expect(unreachableSubjects(view)).toEqual(new Map([[cluster.key(3), [cluster.key(1), cluster.key(2)].sort()]]));
      const listed = members(view);
      expect(listed.map(m => m.reachable)).toEqual(listed.map(m => m.key !== cluster.key(3)));
      expect(listed.find(m => m.key === cluster.key(3))!.unreachableFrom).toHaveLength(2);
    });

    it('does not count marks by a downed observer, nor marks about a downed subject', () => {
      const cluster = new Cluster(4);
      cluster.nodes[1]!.setUnreachable([cluster.key(2)]);
      cluster.nodes[3]!.setUnreachable([cluster.key(1)]);
      const view = cluster.see(0);
      expect(unreachableSubjects(view).size).toBe(2);
      view.markDown(cluster.nodes[1]!.self);
      expect(unreachableSubjects(view).size).toBe(0);
    });

    it('says which members became unreachable and which reachable again', () => {
      expect(reachabilityChanges(new Set(['a', 'b']), new Set(['b', 'c']))).toEqual({ unreachable: ['c'], reachable: ['a'] });
    });
  });

  describe('downing', () => {
    it('needs a majority of the observers a member has', () => {
      expect(reportsNeeded(1, K)).toBe(1);
      expect(reportsNeeded(2, K)).toBe(1);
      expect(reportsNeeded(3, K)).toBe(2);
      expect(reportsNeeded(5, K)).toBe(3);
      expect(reportsNeeded(100, K)).toBe(3);
    });

    it.each([3, 5, 10, 30])('downs a crashed member of a %i-node cluster once its observers report it', n => {
      const cluster = new Cluster(n);
      cluster.allObserversReport(n - 1);
      for (let i = 0; i < n - 1; i++) expect(downingDecisions(cluster.see(i), K)).toEqual([cluster.key(n - 1)]);
    });

    it.each([3, 5, 10, 30])('downs nobody when one observer of a %i-node cluster cannot reach a member (an asymmetric cut)', n => {
      const cluster = new Cluster(n);
      const subject = cluster.key(1);
      const observer = cluster.ring().watchersOf(subject)[0]!;
      const o = cluster.nodes.findIndex(s => s.selfKey === observer);
      cluster.nodes[o]!.setUnreachable([subject]);
      for (let i = 0; i < n; i++) expect(downingDecisions(cluster.see(i), K)).toEqual([]);
    });

    it('downs nobody when one link is cut both ways', () => {
      const cluster = new Cluster(5);
      cluster.nodes[0]!.setUnreachable([cluster.key(1)]);
      cluster.nodes[1]!.setUnreachable([cluster.key(0)]);
      for (let i = 0; i < 5; i++) expect(downingDecisions(cluster.see(i), K)).toEqual([]);
    });

    it('lets the majority side of a partition down the minority, and not the other way round', () => {
      const cluster = new Cluster(5);
      const majority = [0, 1, 2];
      const minority = [3, 4];
      for (const i of majority) cluster.nodes[i]!.setUnreachable(minority.map(j => cluster.key(j)));
      for (const i of minority) cluster.nodes[i]!.setUnreachable(majority.map(j => cluster.key(j)));
      // Each side only sees its own side's records change.
      for (const i of majority) expect(downingDecisions(cluster.see(i, majority), K)).toEqual(minority.map(j => cluster.key(j)).sort());
      for (const i of minority) expect(downingDecisions(cluster.see(i, minority), K)).toEqual([]);
    });

    it('never decides to down the node itself', () => {
      const cluster = new Cluster(3);
      cluster.nodes[1]!.setUnreachable([cluster.key(0)]);
      cluster.nodes[2]!.setUnreachable([cluster.key(0)]);
      expect(downingDecisions(cluster.see(0), K)).toEqual([]);
      expect(downingDecisions(cluster.see(1), K)).toEqual([cluster.key(0)]);
    });
  });
});
