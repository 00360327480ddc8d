import fc from 'fast-check';
import { MonitorRing, gossipPeer, pickRandom, pushTargets, relayTargets } from '../../lib/cluster/index.js';

const keys = (n: number, offset = 0): string[] => Array.from({ length: n }, (_, i) => `10.0.${(i + offset) >> 8}.${(i + offset) & 255}:2552#${i + offset + 1}`);

/** A seeded generator in [0, 1), so a failure replays. */
function seeded(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 2 ** 32;
  };
}

describe('MonitorRing', () => {
  it('gives every member exactly min(k, n - 1) distinct observers, and each observer as many subjects', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 80 }), fc.integer({ min: 1, max: 8 }), (n, k) => {
        const members = keys(n);
        const ring = new MonitorRing(members, k);
        const expected = Math.min(k, n - 1);
        const observersOf = new Map<string, string[]>(members.map(m => [m, []]));
        for (const observer of members) {
          const subjects = ring.watchedBy(observer);
          if (subjects.length !== expected || new Set(subjects).size !== expected || subjects.includes(observer)) {
            throw new Error(`${observer} watches ${subjects.join(' ')}`);
          }
          for (const subject of subjects) observersOf.get(subject)!.push(observer);
        }
        for (const member of members) {
          // watchersOf is the exact inverse of watchedBy.
          expect(ring.watchersOf(member).sort()).toEqual(observersOf.get(member)!.sort());
        }
      }),
      { numRuns: 100 },
    );
  });

  it('changes the monitor sets of at most k members when one joins', () => {
    fc.assert(
      fc.property(fc.integer({ min: 7, max: 80 }), fc.integer({ min: 1, max: 6 }), (n, k) => {
        const before = new MonitorRing(keys(n), k);
        const after = new MonitorRing([...keys(n), keys(1, 500)[0]!], k);
        const changed = keys(n).filter(o => before.watchedBy(o).join() !== after.watchedBy(o).join());
        expect(changed.length).toBeLessThanOrEqual(k);
      }),
      { numRuns: 100 },
    );
  });

  it('does not depend on the order members are given in, and watches nobody for a stranger', () => {
    const members = keys(20);
    const a = new MonitorRing(members, 5);
    const b = new MonitorRing([...members].reverse(), 5);
    for (const m of members) expect(a.watchedBy(m)).toEqual(b.watchedBy(m));
    expect(a.watchedBy('10.9.9.9:1#1')).toEqual([]);
  });
});

describe('Gossip targets', () => {
  it('picks distinct items uniformly enough, and never changes its input', () => {
    const items = keys(10);
    const copy = [...items];
    const random = seeded(42);
    const hits = new Map<string, number>();
    for (let i = 0; i < 2000; i++) {
      const picked = pickRandom(items, 3, random);
      expect(new Set(picked).size).toBe(3);
      for (const p of picked) hits.set(p, (hits.get(p) ?? 0) + 1);
    }
    expect(items).toEqual(copy);
    for (const item of items) expect(hits.get(item)!).toBeGreaterThan(450);
    expect(pickRandom(items, 50, random)).toHaveLength(10);
    expect(pickRandom(items, 2, () => 0.9999999999)).toHaveLength(2);
  });

  it('pushes to every peer in a small cluster, and to a fanout in a large one', () => {
    const random = seeded(7);
    expect(pushTargets(keys(32), {}, random)).toHaveLength(32);
    expect(pushTargets(keys(33), {}, random)).toHaveLength(6);
    expect(pushTargets(keys(10), { fullPushMaxPeers: 4, fanout: 3 }, random)).toHaveLength(3);
  });

  it('relays only in a large cluster, and not to peers known to have the change', () => {
    const random = seeded(9);
    const peers = keys(100);
    expect(relayTargets(keys(20), [], {}, random)).toEqual([]);
    const targets = relayTargets(peers, peers.slice(0, 95), {}, random);
    expect(targets.sort()).toEqual(peers.slice(95).sort());
    expect(gossipPeer([], random)).toBeUndefined();
    expect(peers).toContain(gossipPeer(peers, random));
  });

  it('reaches every node of a 200-node cluster in a few relay hops (infect and die)', () => {
    const random = seeded(3);
    const nodes = keys(200);
    let reachedAll = 0;
    for (let trial = 0; trial < 20; trial++) {
      const have = new Set([nodes[0]!]);
      let frontier = pushTargets(nodes.slice(1), {}, random).map(to => ({ to, from: nodes[0]! }));
      let hops = 1;
      while (frontier.length) {
        const next: { to: string; from: string }[] = [];
        for (const { to, from } of frontier) {
          if (have.has(to)) continue;
          have.add(to);
          for (const relay of relayTargets(nodes.filter(n => n !== to), [from], {}, random)) next.push({ to: relay, from: to });
        }
        frontier = next;
        if (frontier.length) hops++;
      }
      expect(hops).toBeLessThanOrEqual(10);
      if (have.size === 200) reachedAll++;
    }
    // e^-6 per node and delta: a missed node is rare, and the next digest exchange repairs it.
    expect(reachedAll).toBeGreaterThanOrEqual(12);
  });
});
