/**
 * Writes a Message frame by hand for the values most messages are made of: numbers, strings,
 * booleans, null, registered class instances and actor refs, straight into an association's
 * chunk. Any other value (plain objects, arrays, Maps, Dates, bytes…) is packed by msgpackr
 * and copied in. The bytes are the MessagePack msgpackr writes for the same values, so the
 * receiver reads them with msgpackr behind the same guard. Hand-writing skips msgpackr's fixed
 * cost per call and per extension value (the class's field array, the ref's array), which
 * made up most of the cost of encoding a small message.
 */
import { InternalActorRef, PendingAsk, type NodeLocation } from '../actor/index.js';
import type { OutboundNames } from './name-table.js';

/** How one registered class is written: its wire name, and its codec when it has one. */
export interface WritableClass {
  readonly name: string;
  readonly codec?: { toWire(value: object): unknown };
}

export interface FrameWriterHost {
  /** This node: refs to its actors travel in the short form. */
  readonly location: NodeLocation;
  /** The registered class `cls`, or undefined. */
  classOf(cls: Function): WritableClass | undefined;
  /** Packs `value` with msgpackr (extensions and records included) into bytes to copy. */
  fallback(value: unknown): Uint8Array;
  /** The error for a field name receivers refuse. */
  reservedKeyError(key: string, className: string): Error;
  /** The error for an instance that lost fields while it was being written. */
  changedWhileWritten(className: string): Error;
}

/** Thrown when the frame would not fit the room left: the caller encodes it with msgpackr. */
export const NO_ROOM = Symbol('no room');

const REF_EXT = 0x41;
const CLASS_EXT = 0x43;
/** Slack kept below the end of the buffer, so small fixed-size writes need no check. */
const MARGIN = 16;

export class FrameWriter {
  private buffer!: Buffer;
  private view!: DataView;
  private position = 0;
  private limit = 0;
  private names: OutboundNames | undefined;

  constructor(private readonly host: FrameWriterHost) {}

  /**
   * Writes the body `[to, uid, nodeUid, message]` of a Message frame into `buffer` from
   * `start` and returns where it ends; throws NO_ROOM when it does not fit.
   */
  writeBody(buffer: Buffer, start: number, to: number | string, uid: number, nodeUid: number, message: unknown, names: OutboundNames | undefined): number {
    if (this.buffer !== buffer) {
      this.buffer = buffer;
      this.view = new DataView(buffer.buffer, buffer.byteOffset, buffer.length);
    }
    this.position = start;
    this.limit = buffer.length - MARGIN;
    this.names = names;
    try {
      buffer[this.position++] = 0x94;
      if (typeof to === 'number') this.number(to);
      else this.name(to, false);
      this.number(uid);
      this.number(nodeUid);
      this.value(message);
      return this.position;
    } finally {
      this.names = undefined;
    }
  }

  private value(value: unknown): void {
    if (this.position > this.limit) throw NO_ROOM;
    switch (typeof value) {
      case 'number':
        this.number(value);
        return;
      case 'string':
        this.string(value);
        return;
      case 'boolean':
        this.buffer[this.position++] = value ? 0xc3 : 0xc2;
        return;
      case 'object':
        if (value === null) {
          this.buffer[this.position++] = 0xc0;
          return;
        }
        if (value instanceof InternalActorRef) {
          this.ref(value);
          return;
        }
        {
          const cls = this.host.classOf((value as object).constructor);
          if (cls !== undefined) {
            this.instance(value as object, cls);
            return;
          }
        }
        break;
    }
    this.copy(this.host.fallback(value));
  }

  /** A registered class instance: `d4 43 00 [name, key, value…]`, or `[name, data]` with a codec. */
  private instance(value: object, cls: WritableClass): void {
    const buffer = this.buffer;
    buffer[this.position++] = 0xd4;
    buffer[this.position++] = CLASS_EXT;
    buffer[this.position++] = 0;
    if (cls.codec) {
      buffer[this.position++] = 0x92;
      this.name(cls.name, true);
      this.value(cls.codec.toWire(value));
      return;
    }
    // Own enumerable fields, as Object.keys lists them, without the array it allocates.
    let count = 0;
    for (const key in value) if (Object.hasOwn(value, key)) count++;
    this.arrayHeader(1 + 2 * count);
    this.name(cls.name, true);
    for (const key in value) {
      if (!Object.hasOwn(value, key)) continue;
      if (key === 'constructor' || key === '__proto__' || key === 'prototype') throw this.host.reservedKeyError(key, cls.name);
      this.name(key, true);
      this.value((value as Record<string, unknown>)[key]);
      // Encoding a field (a codec's toWire) may add fields to this instance: the header counted what it counted.
      if (--count === 0) break;
    }
    if (count !== 0) throw this.host.changedWhileWritten(cls.name);
  }

  /** The forms of serialization.ts's writeRef: an ask of this node, an actor of this node, any actor. */
  private ref(ref: InternalActorRef<unknown>): void {
    const buffer = this.buffer;
    const own = this.host.location;
    buffer[this.position++] = 0xd4;
    buffer[this.position++] = REF_EXT;
    buffer[this.position++] = 0;
    if (ref instanceof PendingAsk && sameLocation(ref.location, own)) {
      buffer[this.position++] = 0x92;
      this.number(-1 - ref.id);
      this.number(ref.uid);
      return;
    }
    const a = ref.address;
    if (sameLocation(a, own)) {
      buffer[this.position++] = 0x92;
      this.name(a.path, false);
      this.number(a.uid);
      return;
    }
    const nodeUid = (ref as { nodeUid?: number }).nodeUid;
    buffer[this.position++] = nodeUid ? 0x96 : 0x95;
    this.name(a.path, false);
    this.number(a.uid);
    this.string(a.system);
    if (a.host === undefined) buffer[this.position++] = 0xc0;
    else this.string(a.host);
    if (a.port === undefined) buffer[this.position++] = 0xc0;
    else this.number(a.port);
    if (nodeUid) this.number(nodeUid);
  }

  /** A name the connection may know by id. */
  private name(name: string, eager: boolean): void {
    const names = this.names;
    if (names === undefined) {
      this.string(name);
      return;
    }
    const id = names.idOf(name, eager);
    if (typeof id === 'number') this.number(id);
    else this.string(id);
  }

  /** As msgpackr writes numbers (positive fixints stop at 0x3f: 0x40-0x7f are record references). */
  private number(n: number): void {
    const buffer = this.buffer;
    if (n >>> 0 === n) {
      if (n < 0x40) buffer[this.position++] = n;
      else if (n < 0x100) {
        buffer[this.position++] = 0xcc;
        buffer[this.position++] = n;
      } else if (n < 0x10000) {
        buffer[this.position++] = 0xcd;
        buffer[this.position++] = n >> 8;
        buffer[this.position++] = n & 0xff;
      } else {
        buffer[this.position++] = 0xce;
        this.view.setUint32(this.position, n);
        this.position += 4;
      }
    } else if (n >> 0 === n) {
      if (n >= -0x20) buffer[this.position++] = 0x100 + n;
      else if (n >= -0x80) {
        buffer[this.position++] = 0xd0;
        buffer[this.position++] = n + 0x100;
      } else if (n >= -0x8000) {
        buffer[this.position++] = 0xd1;
        this.view.setInt16(this.position, n);
        this.position += 2;
      } else {
        buffer[this.position++] = 0xd2;
        this.view.setInt32(this.position, n);
        this.position += 4;
      }
    } else {
      buffer[this.position++] = 0xcb;
      this.view.setFloat64(this.position, n);
      this.position += 8;
    }
  }

  private string(s: string): void {
    const length = s.length;
    // UTF-8 takes at most 3 bytes per UTF-16 unit.
    if (this.position + 5 + 3 * length > this.limit) {
      if (this.position + 5 + Buffer.byteLength(s) > this.limit) throw NO_ROOM;
    }
    const buffer = this.buffer;
    if (length < 32) {
      // Short and ASCII, the usual case: one header byte, one byte per character.
      let p = this.position + 1;
      let i = 0;
      for (; i < length; i++) {
        const c = s.charCodeAt(i);
        if (c >= 0x80) break;
        buffer[p++] = c;
      }
      if (i === length) {
        buffer[this.position] = 0xa0 | length;
        this.position = p;
        return;
      }
    }
    const bytes = Buffer.byteLength(s);
    if (bytes < 32) buffer[this.position++] = 0xa0 | bytes;
    else if (bytes < 0x100) {
      buffer[this.position++] = 0xd9;
      buffer[this.position++] = bytes;
    } else if (bytes < 0x10000) {
      buffer[this.position++] = 0xda;
      buffer[this.position++] = bytes >> 8;
      buffer[this.position++] = bytes & 0xff;
    } else {
      buffer[this.position++] = 0xdb;
      this.view.setUint32(this.position, bytes);
      this.position += 4;
    }
    this.position += buffer.write(s, this.position, bytes, 'utf8');
  }

  private arrayHeader(n: number): void {
    const buffer = this.buffer;
    if (n < 16) buffer[this.position++] = 0x90 | n;
    else if (n < 0x10000) {
      buffer[this.position++] = 0xdc;
      buffer[this.position++] = n >> 8;
      buffer[this.position++] = n & 0xff;
    } else {
      buffer[this.position++] = 0xdd;
      this.view.setUint32(this.position, n);
      this.position += 4;
    }
  }

  private copy(bytes: Uint8Array): void {
    if (this.position + bytes.length > this.limit) throw NO_ROOM;
    this.buffer.set(bytes, this.position);
    this.position += bytes.length;
  }
}

export function sameLocation(a: NodeLocation, b: NodeLocation): boolean {
  return a === b || (a.system === b.system && a.port === b.port && a.host === b.host);
}
