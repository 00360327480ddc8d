import fc from 'fast-check';
import { Packr, Unpackr } from 'msgpackr';
import {
  ChunkBudgetTooSmallError,
  RecordAssembler,
  msgpackSizeBound,
  readRecordChunk,
  splitRecord,
  type RecordChunk,
  type RecordSnapshot,
} from '../../lib/cluster/index.js';
import { ManualClock, node, ref, stateOf } from './support/states.js';

// Plain msgpack maps, the larger encoding; the property below also checks msgpackr's default
// records (smaller, but with a definition the first time each shape appears).
const plain = new Packr({ useRecords: false, moreTypes: false });
const reader = new Unpackr({ useRecords: true, mapsAsObjects: true });

function bigRecord(entries: number): RecordSnapshot {
  const state = stateOf(node(4001));
  for (let i = 0; i < entries; i++) state.register(`service-${i % 1000}`, ref(4001, `worker-${i}`));
  return state.snapshot(state.selfKey)!;
}

/** Deterministic shuffle, so a failure replays. */
function shuffled<T>(items: readonly T[], seed: number): T[] {
  const out = items.slice();
  let x = seed || 1;
  for (let i = out.length - 1; i > 0; i--) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    const j = x % (i + 1);
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

describe('Record chunks', () => {
  it('carries a 100,000-entry record in chunks under a 1 MiB budget, in any order, with duplicates', () => {
    const snapshot = bigRecord(100_000);
    const budget = 1024 * 1024;
    const chunks = splitRecord(snapshot, budget);
    expect(chunks.length).toBeGreaterThan(5);
    const wire: Buffer[] = [];
    for (const chunk of chunks) {
      const bytes = plain.pack(chunk);
      expect(bytes.length).toBeLessThanOrEqual(budget);
      wire.push(bytes);
    }
    // Chunks are filled: all but the last use most of the budget.
    expect(wire.slice(0, -1).every(b => b.length > budget * 0.9)).toBe(true);

    const assembler = new RecordAssembler({ clock: new ManualClock().read });
    const arrivals = shuffled([...wire, wire[2]!, wire[0]!], 7);
    let whole: RecordSnapshot | undefined;
    arrivals.forEach((bytes, i) => {
      const result = assembler.accept(readRecordChunk(reader.unpack(bytes)));
      if (i < arrivals.length - 1) expect(result === undefined || whole === undefined).toBe(true);
      whole ??= result;
    });
    expect(whole).toBeDefined();
    expect(whole!.entries).toHaveLength(100_000);
    const ids = whole!.entries.map(e => e.id);
    expect(new Set(ids).size).toBe(100_000);
    const sent = new Map(snapshot.entries.map(e => [e.id, e]));
    expect(whole!.entries.every(e => sent.get(e.id)?.ref === e.ref && sent.get(e.id)?.key === e.key)).toBe(true);
    expect({ ...whole!, entries: [] }).toEqual({ ...snapshot, entries: [] });
    expect(assembler.pendingCount).toBe(0);
  });

  it('keeps every chunk under the budget for records of any shape', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ key: fc.string({ minLength: 1, maxLength: 256 }), ref: fc.string({ minLength: 1, maxLength: 600 }) }), { maxLength: 60 }),
        fc.integer({ min: 2048, max: 16384 }),
        (items, budget) => {
          const snapshot: RecordSnapshot = {
            v: 1,
            node: '127.0.0.1:4001#7',
            version: 3,
            status: 'up',
            entries: items.map((item, i) => ({ id: i + 1, ...item })),
            unreachable: ['127.0.0.1:4002#9'],
          };
          const chunks = splitRecord(snapshot, budget);
          for (const chunk of chunks) {
            expect(plain.pack(chunk).length).toBeLessThanOrEqual(budget);
            expect(new Packr().pack(chunk).length).toBeLessThanOrEqual(budget);
          }
          expect(chunks.flatMap(c => c.entries)).toEqual(snapshot.entries);
          expect(chunks.every(c => c.count === chunks.length)).toBe(true);
        },
      ),
      { numRuns: 100 },
    );
  });

  it('bounds the msgpack size of any plain data from above', () => {
    fc.assert(
      fc.property(fc.jsonValue(), value => {
        expect(plain.pack(value).length).toBeLessThanOrEqual(msgpackSizeBound(value));
      }),
      { numRuns: 300 },
    );
  });

  it('sends a small record as one chunk, and refuses a budget that cannot hold one entry', () => {
    const snapshot = bigRecord(3);
    expect(splitRecord(snapshot, 4096)).toHaveLength(1);
    expect(splitRecord({ ...snapshot, entries: [] }, 4096)[0]!.entries).toEqual([]);
    expect(() => splitRecord(snapshot, 150)).toThrow(ChunkBudgetTooSmallError);
  });

  describe('RecordAssembler', () => {
    const chunksOf = (version: number, entries = 40): RecordChunk[] => splitRecord({ ...bigRecord(entries), version }, 1024);

    it('lets a newer version replace a transfer in progress, and ignores an older one', () => {
      const assembler = new RecordAssembler({ clock: new ManualClock().read });
      const old = chunksOf(40);
      const newer = chunksOf(41);
      expect(assembler.accept(old[0]!)).toBeUndefined();
      expect(assembler.accept(newer[0]!)).toBeUndefined();
      for (const chunk of old) expect(assembler.accept(chunk)).toBeUndefined();
      let done: RecordSnapshot | undefined;
      for (const chunk of newer.slice(1)) done ??= assembler.accept(chunk);
      expect(done?.version).toBe(41);
    });

    it('skips transfers of a version the state already holds', () => {
      const assembler = new RecordAssembler({ clock: new ManualClock().read });
      for (const chunk of chunksOf(40)) expect(assembler.accept(chunk, 40)).toBeUndefined();
      expect(assembler.pendingCount).toBe(0);
    });

    it('drops a transfer that stalls', () => {
      const clock = new ManualClock();
      const assembler = new RecordAssembler({ clock: clock.read, transferTimeoutMs: 1000 });
      assembler.accept(chunksOf(40)[0]!);
      clock.advance(999);
      expect(assembler.expire()).toBe(0);
      clock.advance(1);
      expect(assembler.expire()).toBe(1);
      expect(assembler.pendingCount).toBe(0);
    });

    it('bounds the transfers and entries it holds at once', () => {
      const assembler = new RecordAssembler({ clock: new ManualClock().read, maxPendingTransfers: 2, maxPendingEntries: 50 });
      const first = (port: number): RecordChunk => ({ ...chunksOf(9)[0]!, node: `127.0.0.1:${port}#1` });
      assembler.accept(first(5001));
      assembler.accept(first(5002));
      assembler.accept(first(5003));
      expect(assembler.pendingCount).toBe(2);
      const big = splitRecord(bigRecord(200), 4096);
      assembler.accept(big[0]!);
      expect(assembler.pendingCount).toBe(0);
    });
  });
});
