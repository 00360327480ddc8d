/**
 * Names sent as small integers on one connection, as Akka Artery's compression tables and
 * Erlang's atom cache do: class names, field names and actor paths that recur travel as the
 * id their sender assigned, after a Names frame (`[firstId, name, name…]`) defined it on that
 * connection; anything else travels as the string. The sender's table belongs to its
 * association and is replayed whole at the start of every connection, so frames queued across
 * a reconnect stay readable; the receiver's belongs to the connection and dies with it. Both
 * are bounded, and a frame naming an undefined id, or redefining one, closes its connection.
 */
import { MalformedFrameError } from './errors.js';
import { FRAME_HEADER_BYTES, FrameKind, writeFrameHeader } from './frame-codec.js';
import { MsgpackGuard } from './msgpack-guard.js';
import { msgpackr } from './msgpackr.js';

/** Names per connection at most (the same on both sides: part of protocol version 2). */
export const MAX_NAMES = 4096;
/** Longest name given an id (UTF-16 units); longer ones always travel as strings. */
export const MAX_NAME_CHARS = 256;
/** All names of one table together (UTF-16 units): what a peer can make this node hold per connection. */
export const MAX_TABLE_CHARS = 128 * 1024;
/** Names per Names frame, so a replay fits any peer's frame limit. */
const NAMES_PER_FRAME = 256;
/** Distinct names an association remembers having sent once (see OutboundNames.idOf). */
const CANDIDATES = 4096;

const packr = new msgpackr.Packr({ useRecords: false, moreTypes: false });
const { RESERVE_START_SPACE } = msgpackr;
// msgpackr decodes structured-clone references unless this is exactly false.
const unpackr = new msgpackr.Unpackr({ useRecords: false, mapsAsObjects: false, structuredClone: false });
/** A Names body is one flat array of an integer and strings. */
const guard = new MsgpackGuard({ maxDepth: 1, records: false, extensions: false, structuredClone: false, mapsAsObjects: false });

/** The names an association has given ids to, for every connection it opens. */
export class OutboundNames {
  private readonly ids = new Map<string, number>();
  private readonly names: string[] = [];
  private chars = 0;
  /** Names below this id have been sent on the current connection. */
  private announced = 0;
  /** Names sent once as strings: a second use gives them an id (one-off paths never take one). */
  private readonly candidates = new Set<string>();

  get size(): number {
    return this.names.length;
  }

  /** Ids given but not yet sent on the current connection. */
  get unannounced(): number {
    return this.names.length - this.announced;
  }

  /**
   * The id of `name`, or the name itself when it has none (yet). `eager`: give it an id at
   * first use (class and field names, bounded by the classes registered); otherwise at the
   * second (paths, which may well be one-offs).
   */
  idOf(name: string, eager: boolean): number | string {
    const id = this.ids.get(name);
    if (id !== undefined) return id;
    if (name.length > MAX_NAME_CHARS || this.names.length >= MAX_NAMES || this.chars + name.length > MAX_TABLE_CHARS) return name;
    if (!eager && !this.candidates.delete(name)) {
      if (this.candidates.size >= CANDIDATES) this.candidates.clear();
      this.candidates.add(name);
      return name;
    }
    const next = this.names.length;
    this.ids.set(name, next);
    this.names.push(name);
    this.chars += name.length;
    return next;
  }

  /** Names frames defining the ids not yet sent on this connection; they count as sent. */
  announce(): Buffer[] {
    const frames = namesFrames(this.names, this.announced);
    this.announced = this.names.length;
    return frames;
  }

  /** A new connection: every id is defined again before anything else is written on it. */
  replay(): Buffer[] {
    this.announced = 0;
    return this.announce();
  }
}

/** Names frames defining `names[from…]`, in frames of at most NAMES_PER_FRAME names. */
export function namesFrames(names: readonly string[], from = 0): Buffer[] {
  const frames: Buffer[] = [];
  for (let first = from; first < names.length; first += NAMES_PER_FRAME) {
    const body = [first, ...names.slice(first, first + NAMES_PER_FRAME)];
    frames.push(writeFrameHeader(Buffer.from(packr.pack(body, RESERVE_START_SPACE | FRAME_HEADER_BYTES) as Uint8Array), FrameKind.Names));
  }
  return frames;
}

/** The names a peer defined on one connection. */
export class InboundNames {
  private readonly names: string[] = [];
  private chars = 0;

  get size(): number {
    return this.names.length;
  }

  /** The name of id `id`; MalformedFrameError when it is not defined on this connection. */
  name(id: number): string {
    const name = this.names[id];
    if (name === undefined || !Number.isInteger(id)) throw new MalformedFrameError(`name id ${String(id).slice(0, 20)} is not defined on this connection`);
    return name;
  }

  /**
   * Applies a Names frame body. Ids already defined may be defined again with the same name
   * (a replay after queued definitions); anything else that breaks the table is malformed.
   */
  define(buffer: Buffer, start: number, end: number): void {
    guard.check(buffer, start, end);
    let body: unknown;
    try {
      body = unpackr.unpack(buffer, { start, end });
    } catch {
      throw new MalformedFrameError('undecodable Names frame');
    }
    if (!Array.isArray(body) || body.length < 2 || typeof body[0] !== 'number' || !Number.isSafeInteger(body[0]) || body[0] < 0) {
      throw new MalformedFrameError('a Names frame must be [firstId, name, …]');
    }
    const first = body[0];
    if (first > this.names.length) throw new MalformedFrameError(`Names frame starts at id ${first}, past the ${this.names.length} defined`);
    for (let i = 1; i < body.length; i++) {
      const id = first + i - 1;
      const name = body[i];
      if (typeof name !== 'string' || name.length === 0 || name.length > MAX_NAME_CHARS) {
        throw new MalformedFrameError(`name id ${id} must be a string of 1-${MAX_NAME_CHARS} characters`);
      }
      if (id < this.names.length) {
        if (this.names[id] !== name) throw new MalformedFrameError(`name id ${id} is already defined as another name`);
        continue;
      }
      if (id >= MAX_NAMES || this.chars + name.length > MAX_TABLE_CHARS) {
        throw new MalformedFrameError(`the peer defines more than ${MAX_NAMES} names or ${MAX_TABLE_CHARS} characters of names on one connection`);
      }
      this.names.push(name);
      this.chars += name.length;
    }
  }
}
