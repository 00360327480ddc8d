import fc from 'fast-check';
import { GossipSimulation } from './support/gossip-simulation.js';
import { canonical } from './support/states.js';

const NODES = 4;
const KEYS = ['a', 'b', 'c'];

const nodeIndex = fc.integer({ min: 0, max: NODES - 1 });
const targets = fc.subarray([0, 1, 2, 3]);
const anyIndex = fc.nat(1000);

type Step = ((sim: GossipSimulation) => void) & { [fc.toStringMethod]: () => string };

/** A step that prints as what it does in a counterexample. */
function named(text: string, run: (sim: GossipSimulation) => void): Step {
  return Object.assign(run, { [fc.toStringMethod]: () => text });
}

const step: fc.Arbitrary<Step> = fc.oneof(
  { weight: 6, arbitrary: fc.tuple(nodeIndex, fc.constantFrom(...KEYS), fc.nat(7)).map(([i, k, r]) => named(`register(${i},${k},${r})`, sim => sim.register(i, k, r))) },
  { weight: 4, arbitrary: fc.tuple(nodeIndex, fc.constantFrom(...KEYS), fc.nat(7)).map(([i, k, r]) => named(`deregister(${i},${k},${r})`, sim => sim.deregister(i, k, r))) },
  { weight: 1, arbitrary: nodeIndex.map(i => named(`up(${i})`, sim => sim.setUp(i))) },
  { weight: 1, arbitrary: fc.tuple(nodeIndex, targets).map(([i, s]) => named(`suspect(${i},[${s}])`, sim => sim.suspect(i, s))) },
  { weight: 1, arbitrary: fc.tuple(nodeIndex, nodeIndex, targets).map(([i, s, t]) => named(`down(${i},${s},[${t}])`, sim => sim.down(i, s, t))) },
  { weight: 1, arbitrary: fc.tuple(nodeIndex, targets).map(([i, t]) => named(`leaveAndReturn(${i},[${t}])`, sim => sim.leaveAndReturn(i, t))) },
  { weight: 5, arbitrary: fc.tuple(nodeIndex, targets).map(([i, t]) => named(`flush(${i},[${t}])`, sim => sim.flush(i, t))) },
  { weight: 3, arbitrary: fc.tuple(nodeIndex, nodeIndex).map(([i, j]) => named(`gossip(${i},${j})`, sim => sim.gossip(i, j))) },
  { weight: 10, arbitrary: anyIndex.map(n => named(`deliver(${n})`, sim => sim.deliver(n))) },
  { weight: 2, arbitrary: anyIndex.map(n => named(`duplicate(${n})`, sim => sim.duplicate(n))) },
  { weight: 2, arbitrary: anyIndex.map(n => named(`drop(${n})`, sim => sim.drop(n))) },
);

/** A byte budget so small that a record of a few entries travels in several chunks. */
const chunkBytes = fc.integer({ min: 260, max: 400 });

describe('ClusterState under random gossip', () => {
  it('converges to one state on every node after any order of updates, deltas, digests and merges, with loss and duplicates', () => {
    const reached = { gaps: 0, multiChunk: 0, composedReplies: 0, reincarnations: 0 };
    fc.assert(
      fc.property(chunkBytes, fc.boolean(), fc.boolean(), fc.array(step, { minLength: 10, maxLength: 80 }), (budget, joined, relay, steps) => {
        const sim = new GossipSimulation(NODES, budget, joined, relay);
        for (const run of steps) run(sim);
        sim.heal();
        reached.gaps += sim.stats.gaps;
        reached.multiChunk += sim.stats.multiChunk;
        reached.composedReplies += sim.stats.composedReplies;
        reached.reincarnations += sim.reincarnations;
        const first = canonical(sim.nodes[0]!);
        for (const state of sim.nodes.slice(1)) expect(canonical(state)).toEqual(first);
        // And each node's view of its own record is the one everybody holds.
        for (const state of sim.nodes) expect(state.record(state.selfKey)).toBeDefined();
      }),
      { numRuns: 150 },
    );
    // The random runs do take the paths that matter: gaps, chunked transfers, catch-up deltas, rejoins.
    // (Each is reached 15 to 180 times in 150 runs; zero would mean a generator stopped reaching it.)
    for (const count of Object.values(reached)) expect(count).toBeGreaterThan(0);
  });

  it('holds only versions an owner wrote, never goes back, and never takes back a tombstoned incarnation', () => {
    // Together these say: a deregistered entry never returns by a late merge (a node past
    // the removing version never holds it again), and a downed incarnation never returns.
    fc.assert(
      fc.property(chunkBytes, fc.boolean(), fc.boolean(), fc.array(step, { minLength: 10, maxLength: 80 }), (budget, joined, relay, steps) => {
        const sim = new GossipSimulation(NODES, budget, joined, relay);
        for (const run of steps) {
          run(sim);
          sim.checkInvariants();
        }
        sim.heal();
        sim.checkInvariants();
      }),
      { numRuns: 150 },
    );
  });

  it('spreads a stopped actor\'s deregistration everywhere, whatever stale copies are still in flight', () => {
    fc.assert(
      fc.property(chunkBytes, fc.array(step, { maxLength: 40 }), fc.array(anyIndex, { maxLength: 20 }), (budget, noise, replays) => {
        const sim = new GossipSimulation(NODES, budget);
        sim.register(0, 'svc', 9);
        sim.flush(0, [1, 2, 3]);
        sim.gossip(0, 1);
        sim.gossip(0, 2);
        const stale = [...sim.network];
        for (const run of noise) run(sim);
        sim.deregister(0, 'svc', 9);
        sim.heal();
        // Old deltas, chunks and digests arriving after the removal change nothing.
        for (const n of replays) {
          sim.network.push(stale[n % stale.length]!);
          sim.deliverAll();
        }
        sim.heal();
        for (const state of sim.nodes) {
          for (const record of state.records()) {
            expect([...record.entries.values()].some(e => e.ref === sim.ref(0, 9) && e.key === 'svc')).toBe(false);
          }
        }
      }),
      { numRuns: 100 },
    );
  });
});
