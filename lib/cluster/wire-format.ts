/**
 * Reading the cluster state's messages as they come off the wire: whatever msgpack decoded
 * is untrusted, so each reader checks the shape, copies only the fields it knows (a later
 * minor version's extra fields are ignored, and no decoded object is kept) and names what
 * was wrong in a MalformedClusterMessageError. The codec itself is the remote layer's.
 */
import {
  CLUSTER_STATE_VERSION,
  MEMBER_STATUSES,
  type Delta,
  type Digest,
  type GoneMark,
  type GoneReason,
  type MemberStatus,
  type PullRequest,
  type RecordSnapshot,
  type ServiceEntry,
} from './cluster-state.js';
import { IncompatibleClusterVersionError, MalformedClusterMessageError } from './errors.js';
import { parseNodeKey, type NodeKey } from './node-id.js';
import type { RecordChunk } from './record-chunks.js';

/** A service key id's longest form (as ServiceKey allows). */
export const MAX_SERVICE_KEY_LENGTH = 256;
/** A serialized ref's longest form (as an actor address allows). */
export const MAX_REF_LENGTH = 4096;
/** Suspected peers one owner may publish: its monitors, and peers it failed to reach, stay far below. */
export const MAX_UNREACHABLE = 4096;

type Fields = Record<string, unknown>;

function object(value: unknown, what: string): Fields {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw malformed(`${what} is not a map`);
  return value as Fields;
}

/** An own data property only: a decoded map has no getters or inherited fields worth reading. */
function field(fields: Fields, name: string): unknown {
  const descriptor = Object.getOwnPropertyDescriptor(fields, name);
  return descriptor && 'value' in descriptor ? descriptor.value : undefined;
}

function malformed(reason: string): MalformedClusterMessageError {
  return new MalformedClusterMessageError(reason);
}

function checkVersion(fields: Fields, what: string): number {
  const v = field(fields, 'v');
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 1) throw malformed(`${what} has no format version`);
  if (v !== CLUSTER_STATE_VERSION) throw new IncompatibleClusterVersionError(v, CLUSTER_STATE_VERSION);
  return v;
}

function count(value: unknown, what: string, min = 0): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min) throw malformed(`${what} is not an integer of at least ${min}`);
  return value;
}

function text(value: unknown, what: string, maxLength: number): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > maxLength) {
    throw malformed(`${what} is not a string of 1 to ${maxLength} characters`);
  }
  return value;
}

function list(value: unknown, what: string, maxLength = Number.MAX_SAFE_INTEGER): unknown[] {
  if (!Array.isArray(value) || value.length > maxLength) throw malformed(`${what} is not a list${maxLength < Number.MAX_SAFE_INTEGER ? ` of at most ${maxLength}` : ''}`);
  return value;
}

function node(value: unknown): NodeKey {
  parseNodeKey(value);
  return value as NodeKey;
}

function status(value: unknown, what: string): MemberStatus {
  if (typeof value !== 'string' || !(MEMBER_STATUSES as readonly string[]).includes(value)) throw malformed(`${what} has an unknown status`);
  return value as MemberStatus;
}

function entry(value: unknown): ServiceEntry {
  const fields = object(value, 'a service entry');
  return {
    id: count(field(fields, 'id'), 'an entry id', 1),
    key: text(field(fields, 'key'), 'a service key', MAX_SERVICE_KEY_LENGTH),
    ref: text(field(fields, 'ref'), 'a ref', MAX_REF_LENGTH),
  };
}

function entries(value: unknown): ServiceEntry[] {
  return list(value, 'entries').map(entry);
}

function unreachable(value: unknown): NodeKey[] {
  return list(value, 'the unreachable set', MAX_UNREACHABLE).map(node);
}

export function readDelta(value: unknown): Delta {
  const fields = object(value, 'a delta');
  const v = checkVersion(fields, 'a delta');
  const from = count(field(fields, 'from'), 'a delta start version');
  const to = count(field(fields, 'to'), 'a delta end version', 1);
  if (to <= from) throw malformed('a delta ends before it starts');
  const delta: { -readonly [K in keyof Delta]: Delta[K] } = { v, node: node(field(fields, 'node')), from, to };
  const s = field(fields, 'status');
  if (s !== undefined) delta.status = status(s, 'a delta');
  const added = field(fields, 'added');
  if (added !== undefined) delta.added = entries(added);
  const removed = field(fields, 'removed');
  if (removed !== undefined) delta.removed = list(removed, 'removed ids').map(id => count(id, 'a removed id', 1));
  const u = field(fields, 'unreachable');
  if (u !== undefined) delta.unreachable = unreachable(u);
  return delta;
}

export function readRecordSnapshot(value: unknown): RecordSnapshot {
  const fields = object(value, 'a record');
  return {
    v: checkVersion(fields, 'a record'),
    node: node(field(fields, 'node')),
    version: count(field(fields, 'version'), 'a record version', 1),
    status: status(field(fields, 'status'), 'a record'),
    entries: entries(field(fields, 'entries')),
    unreachable: unreachable(field(fields, 'unreachable')),
  };
}

export function readRecordChunk(value: unknown): RecordChunk {
  const fields = object(value, 'a record chunk');
  const v = checkVersion(fields, 'a record chunk');
  const chunkCount = count(field(fields, 'count'), 'a chunk count', 1);
  const index = count(field(fields, 'index'), 'a chunk index');
  if (index >= chunkCount) throw malformed('a chunk index is beyond its count');
  return {
    v,
    node: node(field(fields, 'node')),
    version: count(field(fields, 'version'), 'a record version', 1),
    status: status(field(fields, 'status'), 'a record chunk'),
    unreachable: unreachable(field(fields, 'unreachable')),
    index,
    count: chunkCount,
    entries: entries(field(fields, 'entries')),
  };
}

function goneMark(value: unknown): GoneMark {
  const tuple = list(value, 'a tombstone', 3);
  const reason = tuple[1];
  if (reason !== 'down' && reason !== 'removed') throw malformed('a tombstone has an unknown reason');
  return [node(tuple[0]), reason as GoneReason, count(tuple[2], 'a tombstone age')];
}

export function readGoneMarks(value: unknown): GoneMark[] {
  return list(value, 'tombstones').map(goneMark);
}

export function readDigest(value: unknown): Digest {
  const fields = object(value, 'a digest');
  const v = checkVersion(fields, 'a digest');
  const records = list(field(fields, 'records'), 'digest records').map(line => {
    const tuple = list(line, 'a digest line', 2);
    return [node(tuple[0]), count(tuple[1], 'a digest version')] as const;
  });
  return { v, records, gone: readGoneMarks(field(fields, 'gone')) };
}

export function readPullRequests(value: unknown): PullRequest[] {
  return list(value, 'pull requests').map(item => {
    const fields = object(item, 'a pull request');
    return { node: node(field(fields, 'node')), have: count(field(fields, 'have'), 'a pulled version') };
  });
}
