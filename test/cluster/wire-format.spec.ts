import fc from 'fast-check';
import { Packr, Unpackr } from 'msgpackr';
import {
  IncompatibleClusterVersionError,
  MalformedClusterMessageError,
  readDelta,
  readDigest,
  readGoneMarks,
  readPullRequests,
  readRecordChunk,
  readRecordSnapshot,
  splitRecord,
} from '../../lib/cluster/index.js';
import { node, ref, stateOf } from './support/states.js';

const packr = new Packr({ useRecords: false, moreTypes: false });
const unpackr = new Unpackr({ useRecords: false, mapsAsObjects: true });
const onTheWire = (value: unknown): unknown => unpackr.unpack(packr.pack(value));

function busyState() {
  const state = stateOf(node(4001));
  state.setStatus('up');
  state.register('payments', ref(4001, 'p1'));
  state.register('chat', ref(4001, 'c1'));
  state.setUnreachable(['127.0.0.1:4002#21']);
  state.markDown(node(4003));
  return state;
}

const readers = [readDelta, readDigest, readGoneMarks, readPullRequests, readRecordChunk, readRecordSnapshot];

describe('Cluster wire format', () => {
  it('carries every message of the state through msgpack as plain data, unchanged', () => {
    const state = busyState();
    const delta = state.register('x', ref(4001, 'p9'))!;
    const snapshot = state.snapshot(state.selfKey)!;
    expect(readDelta(onTheWire(delta))).toEqual(delta);
    expect(readRecordSnapshot(onTheWire(snapshot))).toEqual(snapshot);
    expect(readDigest(onTheWire(state.digest()))).toEqual(state.digest());
    expect(readGoneMarks(onTheWire(state.goneMarks()))).toEqual(state.goneMarks());
    const pulls = [{ node: state.selfKey, have: 3 }];
    expect(readPullRequests(onTheWire(pulls))).toEqual(pulls);
    const [chunk] = splitRecord(snapshot, 64 * 1024);
    expect(readRecordChunk(onTheWire(chunk))).toEqual(chunk);
  });

  it('ignores fields it does not know, as a later minor version may add them', () => {
    const state = busyState();
    const delta = { ...state.register('x', ref(4001, 'p9'))!, priority: 3, extra: { nested: [1] } };
    const read = readDelta(onTheWire(delta));
    expect(read).not.toHaveProperty('priority');
    expect(read).not.toHaveProperty('extra');
    const digest = { ...state.digest(), hints: ['a'] };
    expect(readDigest(onTheWire(digest))).toEqual(state.digest());
  });

  it('refuses another major version with an error that names both', () => {
    const delta = { ...busyState().register('x', ref(4001, 'p9'))!, v: 2 };
    expect(() => readDelta(onTheWire(delta))).toThrow(IncompatibleClusterVersionError);
    expect(() => readDelta(onTheWire(delta))).toThrow(/version 2, this node speaks version 1/);
  });

  it('names what is wrong in malformed messages', () => {
    const good = busyState().register('x', ref(4001, 'p9'))!;
    const cases: [unknown, RegExp][] = [
      [{ ...good, to: good.from }, /ends before it starts/],
      [{ ...good, node: 'localhost:1#0' }, /uid/],
      [{ ...good, node: 'LOCALHOST:01#5' }, /canonical/],
      [{ ...good, status: 'exiting' }, /unknown status/],
      [{ ...good, added: [{ id: 0, key: 'k', ref: 'r' }] }, /entry id/],
      [{ ...good, added: [{ id: 1, key: 'k'.repeat(257), ref: 'r' }] }, /service key/],
      [{ ...good, removed: 'all' }, /removed ids/],
      [[good], /not a map/],
    ];
    for (const [value, reason] of cases) expect(() => readDelta(onTheWire(value))).toThrow(reason);
  });

  it('never lets a decoded __proto__ key reach a prototype', () => {
    const hostile = unpackr.unpack(
      packr.pack({ v: 1, node: '127.0.0.1:4001#11', from: 1, to: 2, added: [{ id: 1, key: 'k', ref: 'r', ['__proto__']: { polluted: true } }] }),
    );
    const delta = readDelta(hostile);
    expect(Object.getPrototypeOf(delta.added![0])).toBe(Object.prototype);
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
  });

  it('answers anything a peer may send with a named error or a message, never a crash', () => {
    fc.assert(
      fc.property(fc.anything({ maxDepth: 3 }), fc.constantFrom(...readers), (value, read) => {
        try {
          read(value);
        } catch (error) {
          expect(error instanceof MalformedClusterMessageError || error instanceof IncompatibleClusterVersionError).toBe(true);
        }
      }),
      { numRuns: 500 },
    );
  });
});
