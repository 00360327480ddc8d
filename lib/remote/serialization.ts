/**
 * Turns messages into MessagePack (msgpackr) and back. Plain data round-trips as is; class
 * instances travel under a stable registered name; an `ActorRef` anywhere in a message is
 * an extension type that the receiving node revives as a working (local or remote) ref.
 *
 * Why msgpackr with records and without structured clone by default, measured on this
 * machine (pack + unpack of `[path, uid, {n, replyTo}]`): records 0.75 + 0.51 µs, structured
 * clone 1.18 + 0.53 µs, JSON 0.88 + 0.70 µs (and JSON loses Dates, Maps, Sets and bytes);
 * plain maps without records are faster (0.51 + 0.33 µs) but decode a `Map` as an object.
 *
 * The library's msgpackr is its own module instance (`msgpackr/index-no-eval`): msgpackr's
 * extension table is module-wide, so registering ours on the `msgpackr` an application
 * imports would make the application's own Packr/Unpackr treat ext 0x41/0x43 as refs and
 * classes (and an application's 0x41 would break remoting). That build also reads records
 * without `new Function`: a frame redefining records could otherwise make this node compile
 * code for each definition (about 1.5 ms per KiB of frame; 0.1 ms without it).
 *
 * Safety: every received value first passes MsgpackGuard (linear, bounded depth, no
 * trailing bytes, no structured-clone references unless this node opted in). Decoded plain
 * objects never carry `constructor`, `__proto__` or `prototype` (such a message is a dead
 * letter; the sender refuses it), registered classes are rebuilt with
 * `Object.create(prototype)` plus data properties (no setter or constructor of the
 * payload's choosing runs), and only registered names are ever instantiated.
 */
import { ActorAddress, InternalActorRef, PendingAsk, describeValue, printable, type ActorRef, type NodeLocation } from '../actor/index.js';
import {
  MalformedFrameError,
  RemoteError,
  SerializableNameConflictError,
  SerializationError,
  UnregisteredClassError,
} from './errors.js';
import { FRAME_HEADER_BYTES, FrameKind, writeFrameHeader } from './frame-codec.js';
import { FrameReader, NOT_SIMPLE, type ReadEnvelope } from './frame-reader.js';
import { FrameWriter, NO_ROOM, sameLocation } from './frame-writer.js';
import { MsgpackGuard, RESERVED_KEYS } from './msgpack-guard.js';
import type { InboundNames, OutboundNames } from './name-table.js';
import { msgpackr, type Packr, type Unpackr } from './msgpackr.js';

const { Packr, Unpackr, RESERVE_START_SPACE, REUSE_BUFFER_MODE, addExtension } = msgpackr;

/** A class, abstract or not, whose instances are `T`. */
export type ClassOf<T> = Function & { prototype: T };

/**
 * How one class crosses the wire. `fromWire` receives data decoded from the network:
 * validate it, and throw to turn the message into a dead letter.
 */
export interface ClassCodec<T> {
  toWire(value: T): unknown;
  fromWire(data: unknown): T;
}

export interface SerializableOptions<T> {
  /** Stable name on the wire; defaults to the class name (which minifiers may change). */
  name?: string;
  /** Custom encoding; by default the own enumerable fields travel and the prototype is restored. */
  codec?: ClassCodec<T>;
}

/**
 * A registered class and its wire form, an array headed by the name: `[name, k1, v1, k2, v2…]`
 * for the default field codec (no intermediate object on either side), `[name, data]` for a
 * custom codec. Both nodes must register a class the same way.
 */
interface ClassEntry {
  readonly name: string;
  readonly cls: Function;
  /** Present for a custom codec (the wire form is then `[name, toWire(value)]`). */
  readonly codec?: ClassCodec<object>;
  /** `names`: the connection's table, to write names as ids (absent: as strings). */
  write(value: object, names: OutboundNames | undefined): unknown[];
  /** Rebuilds from the wire array; throws (TypeError…) when the data does not fit. */
  /** `names`: the connection's table, for names sent as ids; MalformedFrameError for an unknown id. */
  read(data: unknown[], names: InboundNames | undefined): object;
}

/** Stands in for an instance of a class the receiving node does not know; such messages become dead letters. */
export class UnknownClassPayload {
  constructor(
    readonly className: string,
    readonly data: unknown,
  ) {}
}

/** What the serializer needs from a system: its own location and a way to revive refs. */
export interface SerializationHost {
  readonly location: NodeLocation;
  /** `nodeUid`: the incarnation of the ref's node when known (0: any). */
  resolveRef<T>(address: ActorAddress, nodeUid?: number): ActorRef<T>;
  /** The replyTo of ask `askId` (uid `askUid`) made by the node `origin`; without it, the ref at its `/temp` path. */
  resolveAskRef?<T>(origin: MessageOrigin, askId: number, askUid: number): ActorRef<T>;
}

export interface SerializationOptions {
  /**
   * Encode and accept object identity (cycles, shared sub-objects) at ~50% more encoding
   * cost. Default false. Both nodes must set it: a node without it refuses frames with
   * references (a malformed frame). A node with it accepts reference graphs whose later
   * JSON view or re-encoding without it can grow exponentially: enable it only between
   * peers you trust with that.
   */
  structuredClone?: boolean;
  /** Deepest nesting of arrays, maps, objects and class instances accepted in a received message. Default 512. */
  maxDepth?: number;
}

/**
 * The node a Message frame came from (a NodeIdentity fits): refs it wrote in short form are
 * its actors, of its incarnation `uid`.
 */
export interface MessageOrigin extends NodeLocation {
  readonly uid: number;
}

/** Where encodeMessageInto put a frame: `buffer[start, end)`. Valid until the next call. */
export interface EncodedFrame {
  buffer: Buffer;
  start: number;
  end: number;
}

/**
 * Bytes msgpackr wants free where it starts packing (below that it packs into a buffer of its
 * own); an association starts a new chunk rather than offer less.
 */
export const ENCODE_ROOM_BYTES = 0x800 + 16;

/**
 * One decoded Message frame. `problem` is set when the payload cannot be delivered (then
 * `payload` may be a stand-in). The recipient `to` is a path, or (a number) the id of one
 * of this node's pending asks.
 */
export interface DecodedMessage {
  to: string | number;
  uid: number;
  /** The incarnation of this node the sender addressed (0: any). */
  nodeUid: number;
  payload: unknown;
  problem: string | undefined;
}

/**
 * Where a path is expected on the wire (a message's recipient, a ref), a negative integer
 * -(n + 1) names ask n of the node the path belongs to instead: replies to asks carry no path.
 */
function askOf(id: number): number {
  return -1 - id;
}

// Application extension type codes (msgpackr reserves others for its built-ins).
const REF_EXT = 0x41; // 'A': actor ref
const CLASS_EXT = 0x43; // 'C': registered class instance
const MAX_NAME_LENGTH = 256;
const MAX_PATH_LENGTH = 2048;
const DEFAULT_MAX_DEPTH = 512;
const MAX_PROBLEM_TEXT = 200;
const HOST = /^[A-Za-z0-9.\-:%]{1,255}$/;

// ---- the global catalogue: decorated classes and the library's built-ins ----------------

const catalogueByName = new Map<string, ClassEntry>();
const catalogueByClass = new Map<Function, ClassEntry>();
/** Every class registered anywhere in this process (globally or with one system). */
const installed = new WeakSet<Function>();

/**
 * Stands for "an instance of any registered class" in msgpackr's extension table. msgpackr
 * tries its extensions one `instanceof` at a time; one extension per class made each
 * message's cost grow with the number of registered classes (30 classes tripled the time to
 * encode a small message). Behind this one entry the test is a single set lookup.
 */
class RegisteredInstance {
  static [Symbol.hasInstance](value: unknown): boolean {
    return typeof value === 'object' && value !== null && installed.has(value.constructor);
  }
}

/**
 * Registers a class for remote messaging under a stable name, on every node of this process.
 * Works as a legacy (`experimentalDecorators`) and as a standard decorator; it only records
 * the class, it starts nothing. `system.serialization.register` does the same for one system.
 */
export function Serializable<T extends object>(nameOrOptions?: string | SerializableOptions<T>) {
  return (target: ClassOf<T>, _context?: unknown): void => {
    registerGlobally(target, nameOrOptions);
  };
}

/** Registers a class for every system of this process (what `@Serializable` does). */
export function registerGlobally<T extends object>(cls: ClassOf<T>, nameOrOptions?: string | SerializableOptions<T>): void {
  addEntry(catalogueByName, catalogueByClass, makeEntry(cls, nameOrOptions));
}

function makeEntry<T extends object>(cls: ClassOf<T>, nameOrOptions?: string | SerializableOptions<T>): ClassEntry {
  if (typeof cls !== 'function' || typeof cls.prototype !== 'object') {
    throw new TypeError(`Only classes can be registered for serialization, got ${String(cls)}`);
  }
  const options = typeof nameOrOptions === 'string' ? { name: nameOrOptions } : (nameOrOptions ?? {});
  const name = options.name ?? cls.name;
  if (typeof name !== 'string' || name.length === 0 || name.length > MAX_NAME_LENGTH) {
    throw new TypeError(`A serializable class needs a name of 1-${MAX_NAME_LENGTH} characters, got ${JSON.stringify(name)}`);
  }
  const builtIn: Function[] = [Object, Array, Map, Set, Date, Error, RegExp, InternalActorRef];
  if (builtIn.includes(cls) || cls.prototype instanceof InternalActorRef) {
    throw new TypeError(`${name} is handled by the serializer itself and cannot be registered`);
  }
  const codec = options.codec as ClassCodec<object> | undefined;
  if (codec) {
    return {
      name,
      cls,
      codec,
      write: (value, names) => [names ? names.idOf(name, true) : name, codec.toWire(value)],
      read: data => {
        if (data.length !== 2) throw new TypeError('expected [name, data]');
        return codec.fromWire(data[1]);
      },
    };
  }
  return fieldEntry(name, cls.prototype as object, cls);
}

function addEntry(byName: Map<string, ClassEntry>, byClass: Map<Function, ClassEntry>, entry: ClassEntry): void {
  const sameName = byName.get(entry.name) ?? (byName !== catalogueByName ? catalogueByName.get(entry.name) : undefined);
  const sameClass = byClass.get(entry.cls) ?? (byClass !== catalogueByClass ? catalogueByClass.get(entry.cls) : undefined);
  if (sameName && sameName.cls !== entry.cls) {
    throw new SerializableNameConflictError(
      `Serializable name "${entry.name}" is already taken by class ${sameName.cls.name}; choose another name for ${entry.cls.name}`,
    );
  }
  if (sameClass && sameClass.name !== entry.name) {
    throw new SerializableNameConflictError(
      `Class ${entry.cls.name} is already registered as "${sameClass.name}"; a class has one wire name`,
    );
  }
  if (sameName && sameClass && byName.get(entry.name) === sameName) return;
  byName.set(entry.name, entry);
  byClass.set(entry.cls, entry);
  // The entry itself is looked up per system at write time (writeClass).
  installed.add(entry.cls);
}

/**
 * The default codec: own enumerable fields out; back in, an object of the class's prototype
 * (no constructor runs) with the fields as own data properties. Fields named like an
 * accessor of the prototype chain are defined rather than assigned, so no setter ever runs
 * with remote data; the rest is plain assignment, ten times faster than defineProperty.
 */
function fieldEntry(name: string, prototype: object, cls: Function): ClassEntry {
  const accessors = accessorNames(prototype);
  return {
    name,
    cls,
    write: (value, names) => {
      const keys = Object.keys(value);
      const out: unknown[] = new Array(1 + 2 * keys.length);
      out[0] = names ? names.idOf(name, true) : name;
      for (let i = 0; i < keys.length; i++) {
        const key = keys[i];
        if (isReservedKey(key)) throw reservedKeyError(key, name);
        out[1 + 2 * i] = names ? names.idOf(key, true) : key;
        out[2 + 2 * i] = (value as Record<string, unknown>)[key];
      }
      return out;
    },
    read: (data, names) => {
      if ((data.length & 1) !== 1) throw new TypeError('expected [name, key, value, …]');
      const instance = Object.create(prototype) as Record<string, unknown>;
      for (let i = 1; i < data.length; i += 2) {
        let key = data[i];
        if (typeof key === 'number' && names) key = names.name(key);
        if (typeof key !== 'string') throw new TypeError('field names must be strings');
        // An own `constructor` would hide the class from the next hop's serializer; `__proto__` is never data.
        if (isReservedKey(key)) throw new TypeError(`field name "${key}" is reserved`);
        if (accessors.has(key)) {
          Object.defineProperty(instance, key, { value: data[i + 1], writable: true, enumerable: true, configurable: true });
        } else {
          instance[key] = data[i + 1];
        }
      }
      return instance;
    },
  };
}

/** Names of getters/setters (and read-only data properties) along a prototype chain, Object.prototype included. */
function accessorNames(prototype: object | null): Set<string> {
  const names = new Set<string>(['__proto__']);
  for (let p = prototype; p !== null; p = Object.getPrototypeOf(p)) {
    for (const key of Object.getOwnPropertyNames(p)) {
      const descriptor = Object.getOwnPropertyDescriptor(p, key)!;
      if (descriptor.get || descriptor.set || descriptor.writable === false) names.add(key);
    }
  }
  return names;
}

// ---- the extensions, with the system whose message is being packed or unpacked ----------

interface ReadContext {
  serialization: Serialization;
  /** Names the writer defined on the connection (absent: names are strings). */
  names?: InboundNames;
  /** The node that wrote the value, with its incarnation (0: unknown). */
  origin: MessageOrigin;
  problem?: string;
}

let writing: Serialization | undefined;
/** The table of the connection a frame is being encoded for (absent: names as strings). */
let writingNames: OutboundNames | undefined;
let reading: ReadContext | undefined;

function writeClass(value: object): unknown {
  const entry = writing ? writing.entryOf(value.constructor) : catalogueByClass.get(value.constructor);
  if (!entry) throw new UnregisteredClassError(describeValue(value));
  return entry.write(value, writingNames);
}

function readClass(data: unknown): unknown {
  if (!Array.isArray(data) || data.length < 1 || (typeof data[0] !== 'string' && typeof data[0] !== 'number')) {
    throw new MalformedFrameError('a class instance must be an array headed by its name');
  }
  const ctx = reading;
  const name = typeof data[0] === 'string' ? data[0] : nameOf(data[0], ctx);
  const entry = ctx ? ctx.serialization.entryByName(name) : catalogueByName.get(name);
  if (!entry) {
    if (ctx) {
      const shown = printable(name, MAX_NAME_LENGTH);
      ctx.problem ??= `unknown class name "${shown}": register it on this node with @Serializable('${shown}') or system.serialization.register(...)`;
    }
    return new UnknownClassPayload(name, data.slice(1));
  }
  try {
    return entry.read(data, ctx?.names);
  } catch (error) {
    // An id the connection never defined is the peer breaking the protocol, not a bad payload.
    if (error instanceof MalformedFrameError) throw error;
    if (ctx) ctx.problem ??= `could not rebuild an instance of "${printable(name, MAX_NAME_LENGTH)}": ${errorText(error)}`;
    return new UnknownClassPayload(name, data.slice(1));
  }
}

/** The name a peer sent as the id `id` on the connection being read. */
function nameOf(id: number, ctx: ReadContext | undefined): string {
  if (!ctx?.names) throw new MalformedFrameError('a name sent as an id, where no names are defined');
  return ctx.names.name(id);
}

function writeRef(ref: InternalActorRef<unknown>): unknown {
  const own = writing?.host.location;
  // The replyTo of the writer's own ask: its id and uid, no path (see askOf).
  if (ref instanceof PendingAsk && own && sameLocation(ref.location, own)) return [askOf(ref.id), ref.uid];
  const a = ref.address;
  const path = writingNames ? writingNames.idOf(a.path, false) : a.path;
  // Refs to the writer's own actors travel as [path, uid]: the reader knows who wrote them.
  if (own && sameLocation(a, own)) return [path, a.uid];
  const nodeUid = (ref as { nodeUid?: number }).nodeUid;
  if (nodeUid) return [path, a.uid, a.system, a.host ?? null, a.port ?? null, nodeUid];
  return [path, a.uid, a.system, a.host ?? null, a.port ?? null];
}

function readRef(data: unknown): unknown {
  const ctx = reading;
  if (!ctx) throw new SerializationError('Actor refs can only be deserialized by an actor system (system.serialization.deserialize)');
  if (!Array.isArray(data) || (data.length !== 2 && data.length !== 5 && data.length !== 6)) {
    throw new MalformedFrameError('an actor ref must be [path, uid] or [path, uid, system, host, port, nodeUid?]');
  }
  let path = data[0] as unknown;
  const uid = data[1] as unknown;
  if (typeof uid !== 'number' || !Number.isSafeInteger(uid) || uid < 0) throw new MalformedFrameError('actor ref uid must be a non-negative integer');
  if (typeof path === 'number' && data.length === 2 && Number.isSafeInteger(path) && path < 0) {
    const o = ctx.origin;
    const host = ctx.serialization.host;
    if (host.resolveAskRef) return host.resolveAskRef(o, askOf(path), uid);
    return host.resolveRef(new ActorAddress(o.system, `/temp/$${askOf(path).toString(36)}`, uid, o.host, o.port), o.uid);
  }
  if (typeof path === 'number') path = nameOf(path, ctx);
  if (typeof path !== 'string' || path.length > MAX_PATH_LENGTH || path.charCodeAt(0) !== 47 /* / */) {
    throw new MalformedFrameError('actor ref path must be a string starting with / (or [ask, uid] with a negative ask)');
  }
  let address: ActorAddress;
  let nodeUid = 0;
  if (data.length === 2) {
    const o = ctx.origin;
    address = new ActorAddress(o.system, path, uid, o.host, o.port);
    nodeUid = o.uid;
  } else {
    if (data.length === 6) {
      nodeUid = data[5] as number;
      if (typeof nodeUid !== 'number' || !Number.isSafeInteger(nodeUid) || nodeUid < 0) throw new MalformedFrameError('actor ref node uid must be a non-negative integer');
    }
    const [, , system, host, port] = data as [unknown, unknown, unknown, unknown, unknown];
    if (typeof system !== 'string' || !ActorAddress.isValidSystemName(system)) throw new MalformedFrameError('actor ref system name is malformed');
    if (host === null && port === null) {
      address = new ActorAddress(system, path, uid);
    } else {
      if (typeof host !== 'string' || !HOST.test(host)) throw new MalformedFrameError('actor ref host is malformed');
      if (typeof port !== 'number' || !Number.isInteger(port) || port < 0 || port > 65535) throw new MalformedFrameError('actor ref port is malformed');
      address = new ActorAddress(system, path, uid, host, port);
    }
  }
  return ctx.serialization.host.resolveRef(address, nodeUid);
}

addExtension({ Class: RegisteredInstance, type: CLASS_EXT, write: writeClass, read: readClass });
addExtension({ Class: InternalActorRef, type: REF_EXT, write: writeRef, read: readRef });

/**
 * Plain objects become records; any other object reaching this point is an unregistered
 * class. A plain object with a reserved key is refused here: the receiver would refuse it.
 */
function plainObjectsOnly(value: object): boolean {
  const proto = Object.getPrototypeOf(value);
  // A plain object from another realm (vm context) is still plain.
  if (proto === Object.prototype || proto === null || (Object.getPrototypeOf(proto) === null && describeValue(value) === 'Object')) {
    if (Object.hasOwn(value, 'constructor') || Object.hasOwn(value, '__proto__') || Object.hasOwn(value, 'prototype')) {
      throw reservedKeyError(RESERVED_KEYS.find(key => Object.hasOwn(value, key))!);
    }
    return true;
  }
  throw new UnregisteredClassError(describeValue(value));
}

function isReservedKey(key: string): boolean {
  return key === 'constructor' || key === '__proto__' || key === 'prototype';
}

function reservedKeyError(key: string, className?: string): SerializationError {
  return new SerializationError(
    `Message could not be serialized: ${className ? `a field of ${className}` : 'a plain object'} is named "${key}", ` +
      `which receivers refuse (${RESERVED_KEYS.join(', ')} are reserved); rename the field or use a Map`,
  );
}

/** An error's message for a dead-letter reason, bounded: codecs may quote peer data in it. */
function errorText(error: unknown): string {
  if (error instanceof Error) {
    const message = Object.getOwnPropertyDescriptor(error, 'message')?.value;
    return typeof message === 'string' ? printable(message, MAX_PROBLEM_TEXT) : describeValue(error);
  }
  return typeof error === 'string' ? printable(error, MAX_PROBLEM_TEXT) : describeValue(error);
}

// ---- per system ----------------------------------------------------------------------------

/**
 * The serializer of one system: classes registered here plus the global catalogue
 * (`@Serializable` and the built-ins: receptionist messages, ActorAddress).
 */
export class Serialization {
  private readonly byName = new Map<string, ClassEntry>();
  private readonly byClass = new Map<Function, ClassEntry>();
  private readonly packr: Packr;
  private readonly unpackr: Unpackr;
  private readonly guard: MsgpackGuard;
  /** Reused for every frame: decoding is synchronous, and nested decodes save and restore `reading`. */
  private readonly wireContext: ReadContext;
  /** The `[to, uid, nodeUid, message]` array of in-place encoding, reused (never while nested). */
  private readonly envelope: unknown[] = [undefined, 0, 0, undefined];
  private readonly encoded: EncodedFrame = { buffer: Buffer.alloc(0), start: 0, end: 0 };
  /** unpack's options, reused: decoding is synchronous. */
  private readonly range = { start: 0, end: 0 };
  /** Writes common messages by hand (absent with structuredClone, whose references only msgpackr tracks). */
  private readonly writer?: FrameWriter;
  /** Reads common frames by hand (see FrameReader); the envelope it fills is reused. */
  private readonly reader = new FrameReader({ readClass, readRef });
  private readonly readEnvelope: ReadEnvelope = { to: undefined, uid: undefined, nodeUid: undefined, payload: undefined };
  private readonly decoded: DecodedMessage = { to: '', uid: 0, nodeUid: 0, payload: undefined, problem: undefined };
  /** @internal Off: every frame goes through msgpackr (tests compare the two). */
  readByHand = true;
  /** Where the writer's msgpackr-packed values go before they are copied into the frame. */
  private readonly scratch = Buffer.allocUnsafeSlow(8192);

  constructor(
    readonly host: SerializationHost,
    options: SerializationOptions = {},
  ) {
    this.packr = new Packr({
      useRecords: plainObjectsOnly,
      moreTypes: true,
      structuredClone: options.structuredClone ?? false,
      // An unregistered class with a toJSON would silently arrive as something else; refuse it instead.
      useToJSON: false,
    } as ConstructorParameters<typeof Packr>[0]);
    const structuredClone = options.structuredClone === true;
    this.unpackr = new Unpackr({
      useRecords: true,
      moreTypes: true,
      mapsAsObjects: false,
      // msgpackr decodes references unless this is exactly false.
      structuredClone,
      // Binary fields are views of the frame (see decodeMessage, which never decodes from a shared chunk).
      copyBuffers: false,
    });
    this.guard = new MsgpackGuard({
      maxDepth: options.maxDepth ?? DEFAULT_MAX_DEPTH,
      records: true,
      extensions: true,
      structuredClone,
      mapsAsObjects: false,
    });
    this.wireContext = { serialization: this, origin: { ...host.location, uid: 0 } };
    if (!structuredClone) {
      this.writer = new FrameWriter({
        location: host.location,
        classOf: cls => this.entryOf(cls),
        fallback: value => {
          this.packr.useBuffer(this.scratch);
          return this.packr.pack(value);
        },
        reservedKeyError: (key, className) => reservedKeyError(key, className),
        changedWhileWritten: className => new SerializationError(`Message could not be serialized: an instance of ${className} lost fields while it was being written`),
      });
    }
  }

  /** Registers `cls` for this system; messages naming it can then be sent and received here. */
  register<T extends object>(cls: ClassOf<T>, nameOrOptions?: string | SerializableOptions<T>): this {
    addEntry(this.byName, this.byClass, makeEntry(cls, nameOrOptions));
    return this;
  }

  /** The wire name of `cls`, if registered here or globally. */
  nameOf(cls: Function): string | undefined {
    return this.entryOf(cls)?.name;
  }

  isRegistered(clsOrName: Function | string): boolean {
    return (typeof clsOrName === 'string' ? this.entryByName(clsOrName) : this.entryOf(clsOrName)) !== undefined;
  }

  /** Bytes for `value`, with refs relative to this node. Throws SerializationError. */
  serialize(value: unknown): Buffer {
    const previous = writing;
    writing = this;
    try {
      return Buffer.from(this.packr.pack(value));
    } catch (error) {
      throw asSerializationError(error);
    } finally {
      writing = previous;
    }
  }

  /** The value encoded by `serialize` on this node. Throws SerializationError for unknown classes and reserved keys. */
  deserialize(bytes: Uint8Array): unknown {
    // A private copy: decoded binary fields are views of it, never of the caller's bytes.
    const copy = Buffer.from(bytes);
    let reserved: string | undefined;
    try {
      reserved = this.guard.check(copy, 0, copy.length);
    } catch (error) {
      throw new SerializationError(`Cannot deserialize: ${errorText(error)}`);
    }
    if (reserved !== undefined) throw new SerializationError(reservedKeyProblem(reserved));
    const previous = reading;
    const ctx: ReadContext = { serialization: this, origin: { ...this.host.location, uid: 0 } };
    reading = ctx;
    try {
      const value = this.unpackr.unpack(copy);
      if (ctx.problem) throw new SerializationError(ctx.problem);
      return value;
    } catch (error) {
      throw asSerializationError(error);
    } finally {
      reading = previous;
    }
  }

  // ---- wire (used by the transport) ------------------------------------------------------

  /**
   * A complete Message frame for `message` to the actor at `to#uid` on the peer, addressed
   * to the peer's incarnation `nodeUid` (0: any); `to` is a path, or (a number) the id of one
   * of the peer's pending asks, `uid` then being the ask's uid. Throws SerializationError.
   */
  encodeMessage(to: string | number, uid: number, nodeUid: number, message: unknown): Buffer {
    const previous = writing;
    writing = this;
    try {
      // A copy: the next in-place encoding may reuse the bytes after the packer's position.
      const frame = Buffer.from(this.packr.pack([typeof to === 'number' ? askOf(to) : to, uid, nodeUid, message], RESERVE_START_SPACE | FRAME_HEADER_BYTES));
      return writeFrameHeader(frame, FrameKind.Message);
    } catch (error) {
      throw asSerializationError(error);
    } finally {
      writing = previous;
    }
  }

  /**
   * Like encodeMessage, but packs straight into `buffer` at `offset` (an association's chunk,
   * with at least ENCODE_ROOM_BYTES free): no copy and no allocation for the frame. A message
   * that does not fit ends up in a buffer msgpackr allocates (then `buffer` is another one).
   * The frame is `result.buffer[result.start, result.end)`; the result object is reused.
   */
  encodeMessageInto(buffer: Buffer, offset: number, to: string | number, uid: number, nodeUid: number, message: unknown, names?: OutboundNames): EncodedFrame {
    const out = this.encoded;
    if (writing === undefined && this.writer !== undefined) {
      writing = this;
      writingNames = names;
      try {
        const end = this.writer.writeBody(buffer, offset + FRAME_HEADER_BYTES, typeof to === 'number' ? askOf(to) : to, uid, nodeUid, message, names);
        writeFrameHeader(buffer, FrameKind.Message, offset, end);
        out.buffer = buffer;
        out.start = offset;
        out.end = end;
        return out;
      } catch (error) {
        // Too large for the room left: msgpackr below packs it into a buffer of its own.
        if (error !== NO_ROOM) throw asSerializationError(error);
      } finally {
        writing = writingNames = undefined;
      }
    }
    if (writing !== undefined) {
      // Inside another pack (a codec that sends while it encodes): msgpackr's buffer is busy.
      const frame = this.encodeMessage(to, uid, nodeUid, message);
      out.buffer = frame;
      out.start = 0;
      out.end = frame.length;
      return out;
    }
    const packr = this.packr;
    const envelope = this.envelope;
    writing = this;
    writingNames = names;
    try {
      // msgpackr starts on an 8-byte boundary: start there and reserve the bytes up to the frame.
      const aligned = offset & ~7;
      const reserved = offset - aligned + FRAME_HEADER_BYTES;
      packr.useBuffer(buffer);
      packr.position = aligned;
      envelope[0] = typeof to === 'number' ? askOf(to) : names ? names.idOf(to, false) : to;
      envelope[1] = uid;
      envelope[2] = nodeUid;
      envelope[3] = message;
      const result = packr.pack(envelope, REUSE_BUFFER_MODE | RESERVE_START_SPACE | reserved) as Buffer & { start: number; end: number };
      const start = result.start + reserved - FRAME_HEADER_BYTES;
      const end = result.end;
      writeFrameHeader(result, FrameKind.Message, start, end);
      out.buffer = result;
      out.start = start;
      out.end = end;
      return out;
    } catch (error) {
      throw asSerializationError(error);
    } finally {
      envelope[0] = envelope[3] = undefined;
      writing = writingNames = undefined;
    }
  }

  /**
   * Decodes the body of a Message frame written by the node `origin`. Throws
   * MalformedFrameError when the bytes are not a message (the connection then closes); a
   * payload this node cannot deliver (an unknown class, a reserved key) is not malformed:
   * it is reported in `problem`. The result object is reused by the next call.
   */
  decodeMessage(buffer: Buffer, start: number, end: number, origin: MessageOrigin, owned = false, names?: InboundNames): DecodedMessage {
    // Linear and bounded: whatever msgpackr is handed next ends exactly at `end`.
    const reserved = this.guard.check(buffer, start, end);
    if (!owned && this.guard.sawBinary) {
      // Binary fields decode as views of the frame, so a frame with one inside a socket chunk
      // is copied first (small ones into Node's buffer pool): views then pin the frame, never
      // the chunk, and no per-field allocation is needed.
      const copy = Buffer.allocUnsafe(end - start);
      buffer.copy(copy, 0, start, end);
      buffer = copy;
      start = 0;
      end = copy.length;
    }
    const previous = reading;
    const ctx = this.wireContext;
    ctx.origin = origin;
    ctx.names = names;
    ctx.problem = undefined;
    reading = ctx;
    const envelope = this.readEnvelope;
    try {
      let read = false;
      if (this.guard.sawOnlySimple && this.readByHand) {
        try {
          read = this.reader.readEnvelope(buffer, start, envelope);
        } catch (error) {
          if (error !== NOT_SIMPLE) throw error;
          ctx.problem = undefined;
        }
      }
      if (!read) {
        const range = this.range;
        range.start = start;
        range.end = end;
        const decoded = this.unpackr.unpack(buffer, range) as unknown;
        if (!Array.isArray(decoded) || decoded.length !== 4) throw new MalformedFrameError('a message must be [path, uid, nodeUid, payload]');
        [envelope.to, envelope.uid, envelope.nodeUid, envelope.payload] = decoded as unknown[];
      }
    } catch (error) {
      if (error instanceof RemoteError) throw error;
      if (error instanceof RangeError) throw new MalformedFrameError('the message is nested too deeply to decode');
      throw new MalformedFrameError(`undecodable message body (${errorText(error)})`);
    } finally {
      reading = previous;
    }
    const { to: recipient, uid, nodeUid, payload } = envelope;
    envelope.payload = undefined;
    let to: string | number;
    if (typeof recipient === 'number' && Number.isSafeInteger(recipient) && recipient < 0) {
      to = askOf(recipient);
    } else {
      const path = typeof recipient === 'number' ? nameOf(recipient, ctx) : recipient;
      if (typeof path !== 'string' || path.charCodeAt(0) !== 47 || path.length > MAX_PATH_LENGTH) {
        throw new MalformedFrameError('message recipient must be a path starting with / (or a negative ask id)');
      }
      to = path;
    }
    if (typeof uid !== 'number' || !Number.isSafeInteger(uid) || uid < 0) throw new MalformedFrameError('message recipient uid must be a non-negative integer');
    if (typeof nodeUid !== 'number' || !Number.isSafeInteger(nodeUid) || nodeUid < 0) throw new MalformedFrameError('message node uid must be a non-negative integer');
    // A payload with a reserved key is never handed on, not even to dead-letter listeners.
    const out = this.decoded;
    out.to = to;
    out.uid = uid;
    out.nodeUid = nodeUid;
    out.payload = reserved === undefined ? payload : undefined;
    out.problem = reserved === undefined ? ctx.problem : reservedKeyProblem(reserved);
    return out;
  }

  /** @internal */
  entryOf(cls: Function): ClassEntry | undefined {
    return this.byClass.get(cls) ?? catalogueByClass.get(cls);
  }

  /** @internal */
  entryByName(name: string): ClassEntry | undefined {
    return this.byName.get(name) ?? catalogueByName.get(name);
  }
}

function reservedKeyProblem(key: string): string {
  return `the message holds an object with the reserved key "${key}" (${RESERVED_KEYS.join(', ')} are refused); the sender must rename it or use a Map`;
}

function asSerializationError(error: unknown): Error {
  if (error instanceof RemoteError) return error;
  if (error instanceof RangeError && /call stack/i.test(error.message)) {
    return new SerializationError('Message could not be serialized: it is nested too deeply or contains a cycle (enable structuredClone for cycles)');
  }
  return new SerializationError(`Message could not be serialized: ${errorText(error)}`);
}
