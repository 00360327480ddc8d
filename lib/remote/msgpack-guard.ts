/**
 * A linear pre-pass over one MessagePack value received from a peer, run before msgpackr
 * decodes it. It walks the bytes without building anything (iteratively, so no input can
 * overflow the stack), and refuses what would make decoding, or what comes after it, cost
 * more than the frame's size: trailing bytes, nesting beyond a depth, counts no input could
 * fill, structured-clone references (unless this node opted in), unknown extensions, and
 * records whose key names would expand far beyond the bytes that instantiate them.
 *
 * Why a pass of our own: msgpackr reports trailing bytes with a JSON view of the whole
 * decoded value, which costs 2^depth for a reference graph and key-length times the frame
 * for records; after this pass its decoder only ever sees a value that ends at the frame's end.
 */
import { MalformedFrameError } from './errors.js';

export interface GuardOptions {
  /** Deepest nesting of arrays, maps, records and extension values accepted. */
  readonly maxDepth: number;
  /** msgpackr records (`d4 72` definitions, 0x40-0x7f instances). */
  readonly records: boolean;
  /** Extension values (class instances, refs, Dates, Sets…); the handshake has none. */
  readonly extensions: boolean;
  /** Structured-clone identity (0x69) and pointer (0x70) extensions. */
  readonly structuredClone: boolean;
  /** Maps decode as plain objects, so their string keys are checked for reserved names. */
  readonly mapsAsObjects: boolean;
}

/** Keys a decoded plain object must not have: they shadow or reach prototype machinery. */
export const RESERVED_KEYS: readonly string[] = ['constructor', '__proto__', 'prototype'];

/**
 * Record key bytes instantiated by one frame may reach this multiple of its size (plus a
 * floor, {@link RECORD_KEY_FLOOR_BYTES}): generous for real data (keys of 32 bytes on
 * one-byte values), while a re-encode or JSON view of the value stays linear in the frame.
 */
const RECORD_EXPANSION = 32;
const RECORD_KEY_FLOOR_BYTES = 64 * 1024;
const RECORD_EXT = 0x72;
/**
 * Record definitions per frame: a floor, then one per this many bytes. A definition with a
 * key name V8 has not seen on that shape costs the decoder a new hidden class (~4 µs, forty
 * times another small value); this library's encoder writes one definition per distinct
 * object shape in a message, so only a frame of hundreds of small distinct shapes nears it.
 * At one per 32 bytes the worst frame costs about what a frame of empty arrays does per byte.
 */
const RECORD_DEFINITIONS_FLOOR = 256;
const BYTES_PER_RECORD_DEFINITION = 32;

// Extension types msgpackr reads with the value that follows them (written as `d4 type 00 value`).
const FOLLOWED = new Set([0x41, 0x43, 0x65, 0x73, 0x78]);
// Extensions whose payload is their own data only.
const DATA_ONLY = new Set([0x42, 0x74, 0xff]);

export class MsgpackGuard {
  private readonly remaining: Int32Array;
  private readonly keyed: Uint8Array;
  private readonly recordKeys = new Int32Array(64);
  private readonly recordKeyBytes = new Float64Array(64);
  /** A record id is defined in this frame when its generation is the frame's (no clearing per frame). */
  private readonly recordGeneration = new Int32Array(64);
  private generation = 0;
  /** Whether the value last checked holds a bin (the one type msgpackr decodes as a view of its input). */
  sawBinary = false;
  /**
   * Whether the value last checked holds only nil, booleans, integers of up to 32 bits, float64,
   * strings, arrays and the extensions 0x41 and 0x43 (with their value): what FrameReader reads.
   */
  sawOnlySimple = false;

  constructor(private readonly options: GuardOptions) {
    this.remaining = new Int32Array(options.maxDepth + 1);
    this.keyed = new Uint8Array(options.maxDepth + 1);
  }

  /**
   * Checks that `buffer[start, end)` holds exactly one value within the limits, and returns
   * the first reserved key (see RESERVED_KEYS) an object of it would carry, if any.
   * Throws MalformedFrameError for anything else.
   */
  check(buffer: Uint8Array, start: number, end: number): string | undefined {
    const { records, extensions, structuredClone, maxDepth } = this.options;
    const mapsAsObjects = this.options.mapsAsObjects ? 1 : 0;
    const remaining = this.remaining;
    const keyed = this.keyed;
    const recordKeys = this.recordKeys;
    const recordGeneration = this.recordGeneration;
    let generation = (this.generation = (this.generation + 1) | 0);
    if (generation === 0) {
      // Wrapped around: forget every definition rather than see one from 2^32 frames ago.
      recordGeneration.fill(0);
      generation = this.generation = 1;
    }
    let budget = RECORD_EXPANSION * (end - start) + RECORD_KEY_FLOOR_BYTES;
    let definitions = RECORD_DEFINITIONS_FLOOR + Math.floor((end - start) / BYTES_PER_RECORD_DEFINITION);
    let reserved: string | undefined;
    let binary = false;
    let simple = true;
    let pos = start;
    let depth = 0;
    remaining[0] = 1;
    keyed[0] = 0;
    for (;;) {
      if (pos >= end) throw new MalformedFrameError('the value ends before the frame does');
      const t = buffer[pos++];
      let children = 0;
      let childKeyed = 0;
      let strLength = -1;
      if (t < 0x80) {
        if (t >= 0x40 && records && recordGeneration[t & 0x3f] === generation) {
          children = recordKeys[t & 0x3f];
          budget -= this.recordKeyBytes[t & 0x3f];
          if (budget < 0) throw expansionError();
        }
      } else if (t < 0x90) {
        children = (t - 0x80) * 2;
        childKeyed = mapsAsObjects;
        simple = false;
      } else if (t < 0xa0) {
        children = t - 0x90;
      } else if (t < 0xc0) {
        strLength = t - 0xa0;
      } else if (t < 0xe0) {
        switch (t) {
          case 0xc0:
          case 0xc2:
          case 0xc3:
            break;
          case 0xc4:
            pos += 1 + (buffer[pos] | 0);
            binary = true;
            simple = false;
            break;
          case 0xc5:
            pos += 2 + u16(buffer, pos);
            binary = true;
            simple = false;
            break;
          case 0xc6:
            pos += 4 + u32(buffer, pos);
            binary = true;
            simple = false;
            break;
          case 0xc7:
          case 0xc8:
          case 0xc9: {
            const header = t === 0xc7 ? 1 : t === 0xc8 ? 2 : 4;
            const length = header === 1 ? buffer[pos] | 0 : header === 2 ? u16(buffer, pos) : u32(buffer, pos);
            const type = buffer[pos + header] | 0;
            pos += header + 1 + length;
            children = this.extension(type, false, extensions, structuredClone);
            simple = false;
            break;
          }
          case 0xca:
            pos += 4;
            simple = false;
            break;
          case 0xce:
          case 0xd2:
            pos += 4;
            break;
          case 0xcb:
            pos += 8;
            break;
          case 0xcf:
          case 0xd3:
            pos += 8;
            simple = false;
            break;
          case 0xcc:
          case 0xd0:
            pos += 1;
            break;
          case 0xcd:
          case 0xd1:
            pos += 2;
            break;
          case 0xd4: {
            const type = buffer[pos] | 0;
            if (type !== 0x41 && type !== 0x43) simple = false;
            if (type === RECORD_EXT && extensions && records) {
              if (--definitions < 0) throw new MalformedFrameError('the frame defines more records than its size allows');
              const id = (buffer[pos + 1] | 0) & 0x3f;
              pos += 2;
              // A definition is a list of key strings, and the first instance follows it at once.
              let count: number;
              const h = buffer[pos++];
              if (h >= 0x90 && h < 0xa0) count = h - 0x90;
              else if (h === 0xdc) (count = u16(buffer, pos)), (pos += 2);
              else if (h === 0xdd) (count = u32(buffer, pos)), (pos += 4);
              else throw new MalformedFrameError('a record definition must be a list of keys');
              let bytes = 0;
              for (let i = 0; i < count; i++) {
                if (pos >= end) throw new MalformedFrameError('the value ends before the frame does');
                const s = buffer[pos++];
                let length: number;
                if (s >= 0xa0 && s < 0xc0) length = s - 0xa0;
                else if (s === 0xd9) length = buffer[pos++] | 0;
                else if (s === 0xda) (length = u16(buffer, pos)), (pos += 2);
                else if (s === 0xdb) (length = u32(buffer, pos)), (pos += 4);
                else throw new MalformedFrameError('record keys must be strings');
                if (reserved === undefined && (length === 9 || length === 11)) reserved = reservedName(buffer, pos, length);
                bytes += length + 1;
                pos += length;
              }
              recordKeys[id] = count;
              recordGeneration[id] = generation;
              this.recordKeyBytes[id] = bytes;
              children = count;
              budget -= bytes;
              if (budget < 0) throw expansionError();
            } else {
              pos += 2;
              children = this.extension(type, true, extensions, structuredClone);
            }
            break;
          }
          case 0xd5:
          case 0xd6:
          case 0xd7:
          case 0xd8: {
            const type = buffer[pos] | 0;
            pos += 1 + (t === 0xd5 ? 2 : t === 0xd6 ? 4 : t === 0xd7 ? 8 : 16);
            // Two-byte record ids (d5 72) are never written by this library's encoder.
            children = this.extension(type, false, extensions, structuredClone);
            simple = false;
            break;
          }
          case 0xd9:
            strLength = buffer[pos] | 0;
            pos += 1;
            break;
          case 0xda:
            strLength = u16(buffer, pos);
            pos += 2;
            break;
          case 0xdb:
            strLength = u32(buffer, pos);
            pos += 4;
            break;
          case 0xdc:
            children = u16(buffer, pos);
            pos += 2;
            break;
          case 0xdd:
            children = u32(buffer, pos);
            pos += 4;
            break;
          case 0xde:
            children = u16(buffer, pos) * 2;
            pos += 2;
            childKeyed = mapsAsObjects;
            simple = false;
            break;
          case 0xdf:
            children = u32(buffer, pos) * 2;
            pos += 4;
            childKeyed = mapsAsObjects;
            simple = false;
            break;
          default:
            // 0xc1 is "never used" in MessagePack.
            throw new MalformedFrameError(`byte 0x${t.toString(16)} does not start a value`);
        }
      }
      if (strLength >= 0) {
        // A string is a key when it stands at an even place of a map decoded as an object.
        if ((strLength === 9 || strLength === 11) && keyed[depth] === 1 && (remaining[depth] & 1) === 0 && reserved === undefined) {
          reserved = reservedName(buffer, pos, strLength);
        }
        pos += strLength;
      }
      if (pos > end) throw new MalformedFrameError('the value ends before the frame does');
      remaining[depth]--;
      if (children > 0) {
        // Every value takes at least one byte: a count the rest of the frame cannot fill is a lie.
        if (children > end - pos) throw new MalformedFrameError(`a count of ${children} values exceeds the bytes left in the frame`);
        if (depth === maxDepth) throw new MalformedFrameError(`values are nested deeper than ${maxDepth} levels`);
        depth++;
        remaining[depth] = children;
        keyed[depth] = childKeyed;
      }
      while (remaining[depth] === 0) {
        if (depth === 0) {
          if (pos !== end) throw new MalformedFrameError(`${end - pos} bytes follow the value`);
          this.sawBinary = binary;
          this.sawOnlySimple = simple;
          return reserved;
        }
        depth--;
      }
    }
  }

  /** How many values follow an extension's data, or a MalformedFrameError for one this decoder must not read. */
  private extension(type: number, fixext1: boolean, allowed: boolean, structuredClone: boolean): number {
    if (!allowed) throw new MalformedFrameError('extension values are not allowed here');
    if (FOLLOWED.has(type) && fixext1) return 1;
    if (type === 0 && fixext1) return 0;
    if (DATA_ONLY.has(type)) return 0;
    if (structuredClone && (type === 0x69 || type === 0x70)) return type === 0x69 ? 1 : 0;
    if (type === 0x69 || type === 0x70) {
      throw new MalformedFrameError('structured-clone references are disabled on this node (structuredClone: false)');
    }
    throw new MalformedFrameError(`extension type 0x${type.toString(16)} is not part of this protocol`);
  }
}

// Past the end of the buffer a byte reads as 0 (undefined | 0), and the end check that follows refuses the value.
function expansionError(): MalformedFrameError {
  return new MalformedFrameError(`records instantiate more than ${RECORD_EXPANSION} times the frame's size in key names`);
}

function u16(b: Uint8Array, p: number): number {
  return ((b[p] << 8) | b[p + 1]) >>> 0;
}

function u32(b: Uint8Array, p: number): number {
  return ((b[p] << 24) | (b[p + 1] << 16) | (b[p + 2] << 8) | b[p + 3]) >>> 0;
}

/** The reserved key spelled by `length` bytes at `pos`, if it is one (they are all ASCII). */
function reservedName(b: Uint8Array, pos: number, length: number): string | undefined {
  for (const key of RESERVED_KEYS) {
    if (key.length !== length) continue;
    let i = 0;
    while (i < length && b[pos + i] === key.charCodeAt(i)) i++;
    if (i === length) return key;
  }
  return undefined;
}
