import fc from 'fast-check';
import { ActorSystem, Behaviors, ServiceKey, type ActorRef } from '../../lib/index.js';
import { ServiceRegistry } from '../../lib/receptionist/index.js';

describe('ServiceRegistry', () => {
  let system: ActorSystem;
  let refs: ActorRef<string>[];
  beforeAll(() => {
    system = ActorSystem.create('registry', { logLevel: 'silent' });
    refs = Array.from({ length: 6 }, (_, i) => system.spawn(Behaviors.ignore, `r${i}`) as ActorRef<string>);
  });
  afterAll(() => system.terminate());

  const KEYS = ['a', 'b', 'c'].map(id => ServiceKey.of<string>(id));

  it('keeps entries of other nodes beside local ones and prunes a node as a whole', () => {
    const registry = new ServiceRegistry();
    registry.add(KEYS[0], refs[0]);
    registry.add(KEYS[0], refs[1], 'host-b:2552');
    registry.add(KEYS[1], refs[2], 'host-b:2552');
    expect(registry.listing(KEYS[0]).allInstances.map(i => i.node).sort()).toEqual(['host-b:2552', 'local']);
    expect(registry.removeNode('host-b:2552').sort()).toEqual(['a', 'b']);
    expect(registry.listing(KEYS[0]).refs).toEqual([refs[0]]);
    expect(registry.listing(KEYS[1]).isEmpty).toBe(true);
  });

  it('leaves unreachable nodes out of instances but keeps them in allInstances', () => {
    const registry = new ServiceRegistry();
    registry.add(KEYS[0], refs[0]);
    registry.add(KEYS[0], refs[1], 'far:1');
    expect(registry.setReachable('far:1', false)).toEqual(['a']);
    const listing = registry.listing(KEYS[0]);
    expect(listing.refs).toEqual([refs[0]]);
    expect(listing.allInstances).toHaveLength(2);
    expect(registry.setReachable('far:1', false)).toEqual([]);
    registry.setReachable('far:1', true);
    expect(registry.listing(KEYS[0]).refs).toHaveLength(2);
  });

  it('returns the cached listing until the key changes', () => {
    const registry = new ServiceRegistry();
    registry.add(KEYS[0], refs[0]);
    const first = registry.listing(KEYS[0]);
    expect(registry.listing(KEYS[0])).toBe(first);
    registry.add(KEYS[1], refs[1]);
    expect(registry.listing(KEYS[0])).toBe(first);
    registry.add(KEYS[0], refs[1]);
    expect(registry.listing(KEYS[0])).not.toBe(first);
  });

  it('agrees with a simple model under any sequence of operations', () => {
    type Op = { op: 'add' | 'remove' | 'removeRef'; key: number; ref: number };
    const opArb = fc.record({ op: fc.constantFrom<'add' | 'remove' | 'removeRef'>('add', 'remove', 'removeRef'), key: fc.nat(2), ref: fc.nat(5) });
    fc.assert(
      fc.property(fc.array(opArb, { maxLength: 60 }), (ops: Op[]) => {
        const registry = new ServiceRegistry();
        const model = new Map<string, Set<number>>(KEYS.map(k => [k.id, new Set<number>()]));
        for (const { op, key, ref } of ops) {
          const set = model.get(KEYS[key].id)!;
          if (op === 'add') {
            expect(registry.add(KEYS[key], refs[ref])).toBe(!set.has(ref));
            set.add(ref);
          } else if (op === 'remove') {
            expect(registry.remove(KEYS[key], refs[ref])).toBe(set.has(ref));
            set.delete(ref);
          } else {
            const expected = KEYS.filter(k => model.get(k.id)!.has(ref)).map(k => k.id);
            expect(registry.removeRef(refs[ref]).sort()).toEqual(expected);
            for (const s of model.values()) s.delete(ref);
          }
          for (const k of KEYS) {
            const listed = registry.listing(k).refs.map(r => refs.findIndex(x => x.equals(r))).sort();
            expect(listed).toEqual([...model.get(k.id)!].sort());
          }
        }
        expect(registry.keyCount).toBe([...model.values()].filter(s => s.size > 0).length);
      }),
      { numRuns: 200 },
    );
  });
});
