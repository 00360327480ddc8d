import {
  ClusterState,
  InvalidStatusTransitionError,
  composeDeltas,
  nodeKey,
  type Delta,
} from '../../lib/cluster/index.js';
import { ManualClock, canonical, node, ref, stateOf } from './support/states.js';

const A = node(4001);
const B = node(4002);
const C = node(4003);

function pair(): { clock: ManualClock; a: ClusterState; b: ClusterState } {
  const clock = new ManualClock();
  return { clock, a: stateOf(A, clock), b: stateOf(B, clock) };
}

/** b takes a's record whole, as after a join. */
function sync(from: ClusterState, to: ClusterState): void {
  to.mergeRecord(from.snapshot(from.selfKey)!);
}

describe('ClusterState', () => {
  describe('owner writes', () => {
    it('registers an entry under a new version and returns the delta that carries it', () => {
      const { a } = pair();
      const delta = a.register('payments', ref(4001, 'p1'))!;
      expect(delta).toEqual({
        v: 1,
        node: nodeKey(A),
        from: 1,
        to: 2,
        added: [{ id: 1, key: 'payments', ref: ref(4001, 'p1') }],
      });
      expect(a.selfRecord.version).toBe(2);
      expect(a.register('payments', ref(4001, 'p1'))).toBeUndefined();
    });

    it('deregisters by key and ref, and every key of a stopped ref at once', () => {
      const { a } = pair();
      a.register('x', ref(4001, 'p1'));
      a.register('y', ref(4001, 'p1'));
      a.register('y', ref(4001, 'p2'));
      expect(a.deregister('x', ref(4001, 'p2'))).toBeUndefined();
      expect(a.deregister('x', ref(4001, 'p1'))!.removed).toEqual([1]);
      expect(a.deregisterRef(ref(4001, 'p1'))!.removed).toEqual([2]);
      expect([...a.selfRecord.entries.values()].map(e => e.id)).toEqual([3]);
    });

    it('moves its own status only forward, and never to down', () => {
      const { a } = pair();
      expect(a.setStatus('up')!.status).toBe('up');
      expect(a.setStatus('up')).toBeUndefined();
      expect(() => a.setStatus('joining')).toThrow(InvalidStatusTransitionError);
      expect(() => a.setStatus('down')).toThrow(InvalidStatusTransitionError);
      expect(a.setStatus('leaving')!.status).toBe('leaving');
    });

    it('leaves with one delta that removes every entry and says leaving', () => {
      const { a, b } = pair();
      a.register('x', ref(4001, 'p1'));
      a.register('y', ref(4001, 'p2'));
      sync(a, b);
      const result = b.applyDelta(a.leave()!);
      expect(result.outcome).toBe('applied');
      expect(result.changes.removed.map(c => c.entry.id).sort()).toEqual([1, 2]);
      expect(result.changes.keys.sort()).toEqual(['x', 'y']);
      expect(result.changes.members).toEqual([{ node: A, key: nodeKey(A), from: 'joining', to: 'leaving' }]);
    });

    it('publishes its suspicions as a sorted set, only when it changes', () => {
      const { a } = pair();
      expect(a.setUnreachable([nodeKey(C), nodeKey(B), nodeKey(C)])!.unreachable).toEqual([nodeKey(B), nodeKey(C)]);
      expect(a.setUnreachable([nodeKey(B), nodeKey(C)])).toBeUndefined();
      expect(a.setUnreachable([])!.unreachable).toEqual([]);
    });
  });

  describe('deltas', () => {
    it('reports the entries and keys a delta changed, tagged with their owner', () => {
      const { a, b } = pair();
      sync(a, b);
      const result = b.applyDelta(a.register('payments', ref(4001, 'p1'))!);
      expect(result.outcome).toBe('applied');
      expect(result.changes.keys).toEqual(['payments']);
      expect(result.changes.added).toEqual([{ node: nodeKey(A), entry: { id: 1, key: 'payments', ref: ref(4001, 'p1') } }]);
      expect(b.record(nodeKey(A))!.version).toBe(2);
    });

    it('ignores a duplicate and reports a gap with the version to pull from', () => {
      const { a, b } = pair();
      sync(a, b);
      const first = a.register('x', ref(4001, 'p1'))!;
      const second = a.register('x', ref(4001, 'p2'))!;
      expect(b.applyDelta(second)).toMatchObject({ outcome: 'gap', gap: { node: nodeKey(A), have: 1 } });
      expect(b.applyDelta(first).outcome).toBe('applied');
      expect(b.applyDelta(first).outcome).toBe('stale');
      expect(b.applyDelta(second).outcome).toBe('applied');
    });

    it('asks for the whole record of a node it has never heard of', () => {
      const { a, b } = pair();
      expect(b.applyDelta(a.register('x', ref(4001, 'p1'))!)).toMatchObject({ outcome: 'gap', gap: { node: nodeKey(A), have: 0 } });
    });

    it('applies a composed delta to a node that already has part of it, removals included', () => {
      const { a, b } = pair();
      sync(a, b);
      const d1 = a.register('x', ref(4001, 'p1'))!;
      const d2 = a.deregister('x', ref(4001, 'p1'))!;
      const d3 = a.register('x', ref(4001, 'p2'))!;
      const all = composeDeltas(composeDeltas(d1, d2), d3);
      expect(all.added!.map(e => e.id)).toEqual([2]);
      expect(all.removed).toEqual([1]);
      b.applyDelta(d1);
      const result = b.applyDelta(all);
      expect(result.outcome).toBe('applied');
      expect([...b.record(nodeKey(A))!.entries.keys()]).toEqual([2]);
      expect(canonical(b)).toMatchObject({ records: expect.arrayContaining([expect.objectContaining({ key: nodeKey(A), version: 4 })]) });
    });

    it('refuses to compose deltas that do not follow each other', () => {
      const { a } = pair();
      const d1 = a.register('x', ref(4001, 'p1'))!;
      a.register('x', ref(4001, 'p2'));
      const d3 = a.register('x', ref(4001, 'p3'))!;
      expect(() => composeDeltas(d1, d3)).toThrow(RangeError);
    });

    it('ignores deltas about itself', () => {
      const { a } = pair();
      const delta = a.register('x', ref(4001, 'p1'))!;
      expect(a.applyDelta(delta).outcome).toBe('ignored');
    });
  });

  describe('merge', () => {
    it('takes a higher version whole and reports the difference', () => {
      const { a, b } = pair();
      a.register('x', ref(4001, 'p1'));
      sync(a, b);
      a.deregister('x', ref(4001, 'p1'));
      a.register('y', ref(4001, 'p2'));
      const result = b.mergeRecord(a.snapshot(a.selfKey)!);
      expect(result.changes.removed.map(c => c.entry.key)).toEqual(['x']);
      expect(result.changes.added.map(c => c.entry.key)).toEqual(['y']);
      expect(result.changes.keys.sort()).toEqual(['x', 'y']);
    });

    it('never brings back a deregistered entry by a late merge of an older version', () => {
      const { a, b } = pair();
      a.register('x', ref(4001, 'p1'));
      const old = a.snapshot(a.selfKey)!;
      sync(a, b);
      b.applyDelta(a.deregister('x', ref(4001, 'p1'))!);
      expect(b.mergeRecord(old).outcome).toBe('stale');
      expect(b.record(nodeKey(A))!.entries.size).toBe(0);
    });
  });

  describe('down and tombstones', () => {
    it('drops a downed incarnation with all its entries and ignores everything about it after', () => {
      const { a, b } = pair();
      a.register('x', ref(4001, 'p1'));
      sync(a, b);
      const late = a.register('x', ref(4001, 'p2'))!;
      const changes = b.markDown(A);
      expect(changes.removed.map(c => c.entry.id)).toEqual([1]);
      expect(changes.members).toEqual([{ node: A, key: nodeKey(A), from: 'joining', to: 'down' }]);
      expect(changes.gone).toEqual([[nodeKey(A), 'down', 0]]);
      expect(b.record(nodeKey(A))).toBeUndefined();
      expect(b.applyDelta(late).outcome).toBe('ignored');
      expect(b.mergeRecord(a.snapshot(a.selfKey)!).outcome).toBe('ignored');
      expect(b.digest().gone).toEqual([[nodeKey(A), 'down', 0]]);
    });

    it('keeps a tombstone for its time to live, counting the age it arrived with', () => {
      const clock = new ManualClock();
      const b = stateOf(B, clock, { tombstoneTtlMs: 10_000 });
      b.markDown(A);
      b.applyGone([[nodeKey(C), 'down', 8_000]]);
      clock.advance(2_000);
      expect(b.prune()).toBe(1);
      expect(b.isTombstoned(nodeKey(C))).toBe(false);
      expect(b.goneMarks()).toEqual([[nodeKey(A), 'down', 2_000]]);
      clock.advance(8_000);
      expect(b.prune()).toBe(1);
      expect(b.tombstoneCount).toBe(0);
    });

    it('never renews a tombstone by hearing it again: the oldest report counts', () => {
      const clock = new ManualClock();
      const b = stateOf(B, clock, { tombstoneTtlMs: 10_000 });
      b.applyGone([[nodeKey(A), 'removed', 9_000]]);
      b.applyGone([[nodeKey(A), 'down', 0]]);
      expect(b.goneMarks()).toEqual([[nodeKey(A), 'down', 9_000]]);
      clock.advance(1_000);
      expect(b.prune()).toBe(1);
    });

    it('marks down another incarnation of its own host:port, since only it can hold the port', () => {
      const { b } = pair();
      const older = stateOf(node(4002, 999));
      older.register('x', ref(4002, 'old'));
      const result = b.mergeRecord(older.snapshot(older.selfKey)!);
      expect(result.outcome).toBe('superseded');
      expect(result.changes.gone).toEqual([[nodeKey(node(4002, 999)), 'down', 0]]);
      expect(b.record(nodeKey(node(4002, 999)))).toBeUndefined();
    });

    it('supersedes the older incarnations of a host:port when the new one completed a handshake', () => {
      const { a, b } = pair();
      a.register('x', ref(4001, 'p1'));
      sync(a, b);
      const changes = b.supersede(node(4001, 777));
      expect(changes.removed.map(c => c.entry.id)).toEqual([1]);
      expect(b.isTombstoned(nodeKey(A))).toBe(true);
    });

    it('learns it was downed, keeps its entries, and rejoins under a new uid', () => {
      const { a, b } = pair();
      a.register('x', ref(4001, 'p1'));
      sync(a, b);
      const changes = a.applyGone(b.markDown(A).gone);
      expect(changes.selfGone).toBe(true);
      expect(changes.removed).toEqual([]);
      expect(a.isSelfGone).toBe(true);
      expect(a.register('y', ref(4001, 'p2'))).toBeUndefined();
      const reborn = a.reincarnate(4242);
      expect(reborn.node).toBe(nodeKey(node(4001, 4242)));
      expect(reborn.version).toBe(1);
      expect(reborn.entries.map(e => e.key).sort()).toEqual(['x', 'y']);
      expect(a.isTombstoned(nodeKey(A))).toBe(true);
      const result = b.mergeRecord(reborn);
      expect(result.outcome).toBe('applied');
      expect(result.changes.added.map(c => c.entry.key).sort()).toEqual(['x', 'y']);
    });

    it('tombstones itself when it announces removed, as every receiver does', () => {
      const { a, b } = pair();
      a.register('x', ref(4001, 'p1'));
      sync(a, b);
      const removed = a.setStatus('removed')!;
      expect(a.isTombstoned(nodeKey(A))).toBe(true);
      const result = b.applyDelta(removed);
      expect(result.changes.removed.map(c => c.entry.id)).toEqual([1]);
      expect(result.changes.gone).toEqual([[nodeKey(A), 'removed', 0]]);
    });
  });

  describe('anti-entropy', () => {
    it('compares digests into what to pull, push, learn and teach', () => {
      const clock = new ManualClock();
      const a = stateOf(A, clock);
      const b = stateOf(B, clock);
      const c = stateOf(C, clock);
      sync(c, a);
      sync(c, b);
      b.applyDelta(c.register('x', ref(4003, 'p1'))!);
      a.markDown(node(4009));
      const comparison = a.compareDigest(b.digest());
      expect(comparison.pull).toEqual([
        { node: nodeKey(B), have: 0 },
        { node: nodeKey(C), have: 1 },
      ]);
      expect(comparison.push).toEqual([{ node: nodeKey(A), have: 0 }]);
      expect(comparison.learn).toEqual([]);
      expect(comparison.teach).toEqual([[nodeKey(node(4009)), 'down', 0]]);
    });

    it('answers a pull with the missed deltas composed while it has them, else the whole record', () => {
      const a = stateOf(A, new ManualClock(), { deltaLogLength: 3 });
      for (let i = 0; i < 5; i++) a.register('x', ref(4001, `p${i}`));
      expect(a.catchUp(a.selfKey, 6)).toBeUndefined();
      const recent = a.catchUp(a.selfKey, 4) as { delta: Delta };
      expect(recent.delta).toMatchObject({ from: 4, to: 6 });
      expect(recent.delta.added!.map(e => e.id)).toEqual([4, 5]);
      expect(a.catchUp(a.selfKey, 1)).toHaveProperty('snapshot.version', 6);
      expect(a.catchUp(a.selfKey, 0)).toHaveProperty('snapshot.entries.length', 5);
    });

    it('never composes deltas across a whole record it took in between', () => {
      const { a, b } = pair();
      sync(a, b);
      b.applyDelta(a.register('x', ref(4001, 'p1'))!);
      a.register('x', ref(4001, 'p2'));
      a.register('x', ref(4001, 'p3'));
      b.mergeRecord(a.snapshot(a.selfKey)!);
      b.applyDelta(a.register('x', ref(4001, 'p4'))!);
      expect(b.catchUp(a.selfKey, 2)).toHaveProperty('snapshot.version', 5);
      expect(b.catchUp(a.selfKey, 4)).toHaveProperty('delta.from', 4);
    });

    it('keeps a digest the size of the membership whatever the number of entries', () => {
      const a = stateOf(A);
      const empty = JSON.stringify(a.digest()).length;
      for (let i = 0; i < 1000; i++) a.register(`k${i}`, ref(4001, `p${i}`));
      expect(JSON.stringify(a.digest()).length).toBeLessThanOrEqual(empty + 4);
    });
  });
});
