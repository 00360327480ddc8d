/**
 * Hand-built hostile MessagePack bodies, for the hostile-frame tests and benchmark: each
 * costs a few hundred bytes to send and, decoded naively, far more to handle.
 */
import { Packr } from 'msgpackr';

/** `d6 69 id` marks the next value with an id; `d6 70 id` points back at it (msgpackr structured clone). */
function id(n: number): number[] {
  return [0xd6, 0x69, (n >>> 24) & 255, (n >>> 16) & 255, (n >>> 8) & 255, n & 255];
}
function pointer(n: number): number[] {
  return [0xd6, 0x70, (n >>> 24) & 255, (n >>> 16) & 255, (n >>> 8) & 255, n & 255];
}

/** A graph where each level is an array of two references to the level below: its JSON view is 2^levels long. */
export function referenceGraph(levels: number): number[] {
  const out = [...id(0), 0x90];
  for (let i = 1; i <= levels; i++) out.push(...id(i), 0x92, ...pointer(i - 1), ...pointer(i - 1));
  return out;
}

function str(s: string): number[] {
  const bytes = [...Buffer.from(s)];
  if (bytes.length < 32) return [0xa0 + bytes.length, ...bytes];
  if (bytes.length < 256) return [0xd9, bytes.length, ...bytes];
  return [0xda, bytes.length >> 8, bytes.length & 255, ...bytes];
}

function arrayHeader(n: number): number[] {
  if (n < 16) return [0x90 + n];
  if (n < 0x10000) return [0xdc, n >> 8, n & 255];
  return [0xdd, (n >>> 24) & 255, (n >>> 16) & 255, (n >>> 8) & 255, n & 255];
}

/** A Message body `[path, 0, 0, payload]` around raw payload bytes. */
export function messageBody(path: string, payload: number[], trailing: number[] = []): Buffer {
  return Buffer.from([0x94, ...str(path), 0x00, 0x00, ...payload, ...trailing]);
}

/** A MessagePack integer (small ones only: -32768..65535). */
function int(n: number): number[] {
  if (n >= 0 && n < 0x80) return [n];
  if (n >= 0 && n < 0x10000) return [0xcd, n >> 8, n & 255];
  if (n < 0 && n >= -32) return [n & 0xff];
  return [0xd1, (n >> 8) & 255, n & 255];
}

/** A Message body `[to, uid, 0, payload]` whose recipient is a name id (>= 0) or an ask (< 0). */
export function messageBodyTo(to: number, uid: number, payload: number[]): Buffer {
  return Buffer.from([0x94, ...int(to), ...int(uid), 0x00, ...payload]);
}

/** A Names frame body `[firstId, name…]`. */
export function namesBody(first: number, names: unknown[]): Buffer {
  return Buffer.from(new Packr({ useRecords: false }).pack([first, ...names]));
}

/** A registered class instance whose name and field names are name ids: `d4 43 00 [nameId, keyId, value…]`. */
export function classInstanceByIds(nameId: number, fields: [number, number][]): number[] {
  return [0xd4, 0x43, 0x00, 0x90 + 1 + 2 * fields.length, ...int(nameId), ...fields.flatMap(([key, value]) => [...int(key), ...int(value)])];
}

/** A Hello map whose first field holds `value`, sent before any authentication. */
export function helloBody(value: number[], trailing: number[] = []): Buffer {
  return Buffer.from([0x82, ...str('v'), 0x01, ...str('x'), ...value, ...trailing]);
}

/** One record of `keys` keys of `keyLength` bytes, then `instances` one-byte instances of it (values all 0). */
export function recordExpansion(keys: number, keyLength: number, instances: number): number[] {
  const out = [...arrayHeader(instances + 1), 0xd4, 0x72, 0x40, ...arrayHeader(keys)];
  for (let k = 0; k < keys; k++) out.push(...str(String(k).padStart(keyLength, 'k')));
  for (let k = 0; k < keys; k++) out.push(0x00);
  for (let i = 0; i < instances; i++) {
    out.push(0x40);
    for (let k = 0; k < keys; k++) out.push(0x00);
  }
  return out;
}

/** Record ids redefined again and again, each definition used a few times (costly where readers are compiled). */
export function recordRedefinitions(definitions: number): number[] {
  const out = [...arrayHeader(definitions * 4)];
  for (let i = 0; i < definitions; i++) {
    out.push(0xd4, 0x72, 0x40 + (i % 64), 0x91, ...str(`k${i}`), 0x00);
    for (let j = 0; j < 3; j++) out.push(0x40 + (i % 64), 0x00);
  }
  return out;
}

/** Record definitions, one per `bytesEach` bytes (at least 10): each a 4-character key and its instance, then zeros. */
export function recordDefinitionsPadded(definitions: number, bytesEach: number): number[] {
  const out = [...arrayHeader(definitions * (bytesEach - 9))];
  for (let i = 0; i < definitions; i++) {
    out.push(0xd4, 0x72, 0x40 + (i % 64), 0x91, ...str(`k${i % 1000}`.padEnd(4, '_')), 0x00);
    for (let j = 10; j < bytesEach; j++) out.push(0x00);
  }
  return out;
}

/** Arrays nested `depth` deep (one byte per level). */
export function deepNesting(depth: number): number[] {
  return [...new Array(depth).fill(0x91), 0x90];
}

/** An array announcing 2^32-1 elements with none behind it. */
export function hugeArrayHeader(): number[] {
  return [0xdd, 0xff, 0xff, 0xff, 0xff, 0x00];
}

/** Many empty arrays: the most objects per byte plain MessagePack allows. */
export function manyEmptyArrays(count: number): number[] {
  return [...arrayHeader(count), ...new Array(count).fill(0x90)];
}

/** A plain object `json` as a msgpackr record (how a peer's own msgpackr would send it). */
export function record(json: string): number[] {
  return [...new Packr({ useRecords: true }).pack(JSON.parse(json))];
}

/** A registered class instance in the default field form: `d4 43 00 [name, key, value…]`. */
export function classInstance(name: string, fieldsJson: string): number[] {
  const fields = Object.entries(JSON.parse(fieldsJson) as Record<string, unknown>).flat();
  return [0xd4, 0x43, 0x00, ...new Packr({ useRecords: true }).pack([name, ...fields])];
}
