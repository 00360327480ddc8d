/**
 * A record too large for one frame (a node with 100,000 entries) travels as ordered chunks,
 * each under a byte budget and each naming the record, version and its place in the
 * transfer. The receiver assembles them and merges the record when the last one arrives.
 *
 * Why whole and not chunk by chunk: a record is only ever held at a version its owner had
 * (the state's first promise). Entries of a half-received version have no version a delta
 * or digest could name, and the entries it removes are only known once every chunk is in,
 * so showing chunks early would need a second, provisional entry set with rules of its own.
 * The cost is latency: a late joiner sees a big record after its last chunk, a few frames'
 * transfer time later.
 */
import { ChunkBudgetTooSmallError } from './errors.js';
import { CLUSTER_STATE_VERSION, type MemberStatus, type RecordSnapshot, type ServiceEntry } from './cluster-state.js';
import type { NodeKey } from './node-id.js';

/** Part `index` (0-based) of `count` of one record version's transfer. */
export interface RecordChunk {
  readonly v: number;
  readonly node: NodeKey;
  readonly version: number;
  readonly status: MemberStatus;
  readonly unreachable: readonly NodeKey[];
  readonly index: number;
  readonly count: number;
  readonly entries: readonly ServiceEntry[];
}

/**
 * An upper bound on the MessagePack size of plain data (strings, numbers, booleans, null,
 * arrays, plain objects), as msgpackr encodes it. Exact for integers and strings; floats
 * are counted as float64.
 */
export function msgpackSizeBound(value: unknown): number {
  switch (typeof value) {
    case 'string':
      return stringBytes(value);
    case 'number':
      return numberBytes(value);
    case 'boolean':
      return 1;
    case 'undefined':
      return 3;
    case 'object': {
      if (value === null) return 1;
      if (Array.isArray(value)) {
        let size = value.length < 16 ? 1 : value.length < 65536 ? 3 : 5;
        for (const item of value) size += msgpackSizeBound(item);
        return size;
      }
      const keys = Object.keys(value);
      // msgpackr writes a map16 header for every object unless told `variableMapSize`.
      let size = keys.length < 65536 ? 3 : 5;
      for (const key of keys) size += stringBytes(key) + msgpackSizeBound((value as Record<string, unknown>)[key]);
      return size;
    }
    default:
      throw new TypeError(`msgpackSizeBound only measures plain data, got a ${typeof value}`);
  }
}

function stringBytes(text: string): number {
  const n = Buffer.byteLength(text, 'utf8');
  return n + (n < 32 ? 1 : n < 256 ? 2 : n < 65536 ? 3 : 5);
}

function numberBytes(n: number): number {
  if (!Number.isInteger(n) || Object.is(n, -0)) return 9;
  if (n >= 0) return n < 128 ? 1 : n < 256 ? 2 : n < 65536 ? 3 : n < 2 ** 32 ? 5 : 9;
  return n >= -32 ? 1 : n >= -128 ? 2 : n >= -32768 ? 3 : n >= -(2 ** 31) ? 5 : 9;
}

const RECORD_EXTENSION_SLACK = 32;

/**
 * Splits a record into chunks whose encoding stays under `maxChunkBytes` each (the frame
 * budget left after the envelope). Every chunk repeats the header (node, version, status,
 * unreachable), so each one is a self-describing part of the transfer. A small record is
 * one chunk.
 */
export function splitRecord(snapshot: RecordSnapshot, maxChunkBytes: number): RecordChunk[] {
  // The header measured with index and count at their largest, and the entries array's
  // header at its largest, so filling up to the budget never overshoots.
  const header = msgpackSizeBound({
    v: snapshot.v,
    node: snapshot.node,
    version: snapshot.version,
    status: snapshot.status,
    unreachable: snapshot.unreachable,
    index: 2 ** 40,
    count: 2 ** 40,
    entries: [],
  });
  // 4: the entries array's header beyond the 1 byte measured; 32: what msgpackr's record
  // extension adds for the first object of each shape, should the codec use it.
  const room = maxChunkBytes - header - 4 - RECORD_EXTENSION_SLACK;
  const groups: ServiceEntry[][] = [];
  let current: ServiceEntry[] = [];
  let used = 0;
  for (const entry of snapshot.entries) {
    const size = msgpackSizeBound(entry);
    if (size > room) throw new ChunkBudgetTooSmallError(maxChunkBytes, maxChunkBytes - room + size);
    if (used + size > room) {
      groups.push(current);
      current = [];
      used = 0;
    }
    current.push(entry);
    used += size;
  }
  groups.push(current);
  return groups.map((entries, index) => ({
    v: CLUSTER_STATE_VERSION,
    node: snapshot.node,
    version: snapshot.version,
    status: snapshot.status,
    unreachable: snapshot.unreachable,
    index,
    count: groups.length,
    entries,
  }));
}

export interface RecordAssemblerOptions {
  clock: () => number;
  /** A transfer with no new chunk for this long is dropped (its sender died or gave up). Default 10000. */
  transferTimeoutMs?: number;
  /** Transfers assembled at once; beyond it the least recently fed one is dropped. Default 16. */
  maxPendingTransfers?: number;
  /** Entries held across all pending transfers; beyond it the oldest transfers are dropped. Default 1,000,000. */
  maxPendingEntries?: number;
}

interface Transfer {
  readonly node: NodeKey;
  readonly version: number;
  readonly count: number;
  readonly parts: (readonly ServiceEntry[] | undefined)[];
  received: number;
  entries: number;
  first: RecordChunk;
  touchedMs: number;
}

/**
 * Collects chunks per record and hands back the whole snapshot once all its chunks are in.
 * Chunks may arrive in any order and twice; a newer version of a record replaces an older
 * transfer in progress, an older one is ignored. Memory is bounded by the options above.
 */
export class RecordAssembler {
  private readonly clock: () => number;
  private readonly transferTimeoutMs: number;
  private readonly maxPendingTransfers: number;
  private readonly maxPendingEntries: number;
  /** In order of last use, oldest first. */
  private readonly transfers = new Map<NodeKey, Transfer>();
  private pendingEntries = 0;

  constructor(options: RecordAssemblerOptions) {
    this.clock = options.clock;
    this.transferTimeoutMs = options.transferTimeoutMs ?? 10_000;
    this.maxPendingTransfers = options.maxPendingTransfers ?? 16;
    this.maxPendingEntries = options.maxPendingEntries ?? 1_000_000;
  }

  get pendingCount(): number {
    return this.transfers.size;
  }

  /**
   * Takes one chunk; returns the record when it completes one. `heldVersion` is the version
   * the state already holds of that node, so transfers it does not need are not kept.
   */
  accept(chunk: RecordChunk, heldVersion = 0): RecordSnapshot | undefined {
    if (chunk.version <= heldVersion) return undefined;
    if (chunk.count === 1) return snapshotOf(chunk, [chunk.entries]);
    let transfer = this.transfers.get(chunk.node);
    if (transfer && (chunk.version < transfer.version || (chunk.version === transfer.version && chunk.count !== transfer.count))) {
      // An older version, or a chunk that disagrees with the transfer it claims to be part of.
      if (chunk.version < transfer.version) return undefined;
      this.drop(transfer);
      transfer = undefined;
    }
    if (transfer && chunk.version > transfer.version) {
      this.drop(transfer);
      transfer = undefined;
    }
    if (!transfer) {
      transfer = {
        node: chunk.node,
        version: chunk.version,
        count: chunk.count,
        parts: new Array(chunk.count),
        received: 0,
        entries: 0,
        first: chunk,
        touchedMs: 0,
      };
    }
    this.transfers.delete(chunk.node);
    this.transfers.set(chunk.node, transfer);
    transfer.touchedMs = this.clock();
    if (transfer.parts[chunk.index] === undefined) {
      transfer.parts[chunk.index] = chunk.entries;
      transfer.received++;
      transfer.entries += chunk.entries.length;
      this.pendingEntries += chunk.entries.length;
    }
    if (transfer.received === transfer.count) {
      this.drop(transfer);
      return snapshotOf(transfer.first, transfer.parts as (readonly ServiceEntry[])[]);
    }
    this.enforceBounds(transfer);
    return undefined;
  }

  /** Drops transfers that stalled; returns how many. */
  expire(): number {
    const oldest = this.clock() - this.transferTimeoutMs;
    let dropped = 0;
    for (const transfer of [...this.transfers.values()]) {
      if (transfer.touchedMs <= oldest) {
        this.drop(transfer);
        dropped++;
      }
    }
    return dropped;
  }

  /** Forgets a node's transfer (the node was downed). */
  forget(node: NodeKey): void {
    const transfer = this.transfers.get(node);
    if (transfer) this.drop(transfer);
  }

  private enforceBounds(keep: Transfer): void {
    for (const transfer of [...this.transfers.values()]) {
      if (this.transfers.size <= this.maxPendingTransfers && this.pendingEntries <= this.maxPendingEntries) return;
      if (transfer !== keep) this.drop(transfer);
    }
    if (this.pendingEntries > this.maxPendingEntries) this.drop(keep);
  }

  private drop(transfer: Transfer): void {
    if (this.transfers.get(transfer.node) === transfer) this.transfers.delete(transfer.node);
    this.pendingEntries -= transfer.entries;
    transfer.entries = 0;
  }
}

function snapshotOf(header: RecordChunk, parts: readonly (readonly ServiceEntry[])[]): RecordSnapshot {
  return {
    v: header.v,
    node: header.node,
    version: header.version,
    status: header.status,
    entries: parts.length === 1 ? parts[0]! : parts.flat(),
    unreachable: header.unreachable,
  };
}
