import fc from 'fast-check';
import { Packr, Unpackr, addExtension } from 'msgpackr';
import {
  ActorAddress,
  Behaviors,
  DeadLetter,
  Find,
  Listing,
  Register,
  SerializableNameConflictError,
  Serializable,
  Serialization,
  SerializationError,
  ServiceKey,
  UnregisteredClassError,
  type ActorRef,
} from '../../lib/index.js';
import { RemoteActorRef } from '../../lib/remote/remote-actor-ref.js';
import { encodeFrame } from '../../lib/remote/frame-codec.js';
import { InboundNames, OutboundNames } from '../../lib/remote/name-table.js';
import { decodeHelloFields } from '../../lib/remote/handshake.js';
import { eventually } from '../support/eventually.js';
import { messageBody, record } from './support/hostile-frames.js';
import { FrameKind, rawHandshake, startNode, terminateAll, type TestNode } from './support/nodes.js';

@Serializable('test.Point')
class Point {
  constructor(
    readonly x: number,
    readonly y: number,
  ) {}
  norm(): number {
    return Math.hypot(this.x, this.y);
  }
}

@Serializable('test.Envelope')
class Envelope {
  constructor(
    readonly label: string,
    readonly replyTo: ActorRef<string>,
    readonly inner: { refs: ActorRef<string>[]; byName: Map<string, ActorRef<string>> },
  ) {}
}

class Registered {
  secret = 42;
}

class NotRegistered {
  constructor(readonly value = 1) {}
}

class WithSetter {
  observed: unknown[] = [];
  set hook(value: unknown) {
    this.observed.push(value);
  }
}

const location = { system: 'test', host: '127.0.0.1', port: 1 };
/** A serializer that needs no network: refs are never involved. */
function detached(): Serialization {
  return new Serialization({
    location,
    resolveRef: () => {
      throw new Error('no refs here');
    },
  });
}

const CLASS_EXT = 0x43;
/** Bytes of a registered-class extension with an arbitrary (possibly hostile) wire array `[name, …rest]`. */
function classBytes(name: string, ...rest: unknown[]): Buffer {
  const inner = new Packr({ useRecords: true }).pack([name, ...rest]);
  return Buffer.concat([Buffer.from([0xd4, CLASS_EXT, 0x00]), inner]);
}

/** The default wire form of a class instance: its name, then field names and values. */
function fieldBytes(name: string, fields: Record<string, unknown>): Buffer {
  return classBytes(name, ...Object.entries(fields).flat());
}

describe('Serialization', () => {
  it('round-trips plain data: objects, arrays, Dates, Maps, Sets, Buffers and Uint8Arrays', () => {
    const s = detached();
    const value = {
      n: 1.5,
      i: -7,
      big: 2 ** 40,
      str: 'héllo',
      nil: null,
      list: [1, 'two', { three: 3 }],
      when: new Date('2024-05-06T07:08:09.010Z'),
      map: new Map<unknown, unknown>([
        ['a', 1],
        [2, { b: true }],
      ]),
      set: new Set(['x', 'y']),
      buffer: Buffer.from('bytes'),
      bytes: new Uint8Array([1, 2, 3]),
      nested: { deeper: { list: [new Date(0)] } },
    };
    const back = s.deserialize(s.serialize(value)) as typeof value;
    expect(back).toEqual({ ...value, buffer: expect.anything(), bytes: expect.anything() });
    expect(back.map).toBeInstanceOf(Map);
    expect(back.set).toBeInstanceOf(Set);
    expect(back.when).toBeInstanceOf(Date);
    expect(Buffer.from(back.buffer).toString()).toBe('bytes');
    expect(back.bytes).toBeInstanceOf(Uint8Array);
    expect([...back.bytes]).toEqual([1, 2, 3]);
    expect(Object.getPrototypeOf(back)).toBe(Object.prototype);
  });

  it('rebuilds registered classes with their prototype, by decorator or by register()', () => {
    const s = detached().register(Registered, 'test.Registered');
    const back = s.deserialize(s.serialize({ p: new Point(3, 4), r: new Registered() })) as { p: Point; r: Registered };
    expect(back.p).toBeInstanceOf(Point);
    expect(back.p.norm()).toBe(5);
    expect(back.r).toBeInstanceOf(Registered);
    expect(back.r.secret).toBe(42);
    expect(s.nameOf(Point)).toBe('test.Point');
    expect(s.isRegistered('test.Registered')).toBe(true);
  });

  it('refuses to send an unregistered class, naming it and how to register it', () => {
    const s = detached();
    expect(() => s.serialize({ deep: [new NotRegistered()] })).toThrow(UnregisteredClassError);
    expect(() => s.serialize(new NotRegistered())).toThrow(/NotRegistered.*@Serializable/);
  });

  it('does not register subclasses by inheritance, nor a class registered with another system', () => {
    class SubPoint extends Point {}
    class Local {
      v = 1;
    }
    const owner = detached().register(Local, 'test.Local');
    const other = detached();
    expect(() => other.serialize(new SubPoint(1, 2))).toThrow(/SubPoint/);
    expect(() => other.serialize(new Local())).toThrow(UnregisteredClassError);
    expect(owner.deserialize(owner.serialize(new Local()))).toBeInstanceOf(Local);
  });

  it('round-trips instances of many registered classes, each as its own class', () => {
    const s = detached();
    const classes = Array.from({ length: 50 }, (_, i) => {
      const cls = class {
        constructor(readonly i: number) {}
      };
      s.register(cls, `test.Many${i}`);
      return cls;
    });
    const back = s.deserialize(s.serialize(classes.map((cls, i) => new cls(i)))) as { i: number }[];
    back.forEach((item, i) => {
      expect(item).toBeInstanceOf(classes[i]);
      expect(item.i).toBe(i);
    });
  });

  it('rejects two classes under one name and one class under two names', () => {
    class A {}
    class B {}
    const s = detached().register(A, 'same');
    expect(() => s.register(B, 'same')).toThrow(SerializableNameConflictError);
    expect(() => s.register(A, 'other')).toThrow(SerializableNameConflictError);
    expect(() => s.register(B, 'test.Point')).toThrow(SerializableNameConflictError);
    expect(() => s.register(A, 'same')).not.toThrow();
  });

  it('reports an unknown class name on receipt instead of failing', () => {
    class OnlyOnSender {
      v = 1;
    }
    const sender = detached().register(OnlyOnSender, 'test.OnlyOnSender');
    const receiver = detached();
    expect(() => receiver.deserialize(sender.serialize({ x: new OnlyOnSender() }))).toThrow(/unknown class name "test.OnlyOnSender"/);
  });

  it('rejects cycles by default and keeps them with structuredClone', () => {
    const cyclic: { self?: unknown; n: number } = { n: 1 };
    cyclic.self = cyclic;
    expect(() => detached().serialize(cyclic)).toThrow(SerializationError);
    const s = new Serialization({ location, resolveRef: () => undefined as never }, { structuredClone: true });
    const back = s.deserialize(s.serialize(cyclic)) as typeof cyclic;
    expect(back.self).toBe(back);
  });

  describe('payloads can never set prototypes', () => {
    afterEach(() => {
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
      expect(Object.prototype).not.toHaveProperty('polluted');
    });

    it('refuses a record with a reserved key, and decodes such a msgpack map as a Map', () => {
      const s = detached();
      // {"__proto__": {"polluted": 1}} as a msgpack map and as a record
      const asMap = Buffer.from([0x81, 0xa9, ...Buffer.from('__proto__'), 0x81, 0xa8, ...Buffer.from('polluted'), 0x01]);
      const fromMap = s.deserialize(asMap) as Map<string, unknown>;
      expect(fromMap).toBeInstanceOf(Map);
      for (const json of ['{"__proto__": {"polluted": 1}, "a": 1}', '{"a": {"constructor": {"name": 1}}}', '{"prototype": 1}']) {
        const asRecord = new Packr({ useRecords: true }).pack(JSON.parse(json));
        expect(() => s.deserialize(asRecord)).toThrow(/reserved key "(__proto__|constructor|prototype)"/);
      }
    });

    it('rebuilds a registered class without letting its fields reach the prototype, setters or constructor', () => {
      const s = detached().register(WithSetter, 'test.WithSetter');
      const back = s.deserialize(fieldBytes('test.WithSetter', { hook: 'x', observed: [] })) as WithSetter;
      expect(Object.getPrototypeOf(back)).toBe(WithSetter.prototype);
      expect(back.constructor).toBe(WithSetter);
      expect(back.observed).toEqual([]); // the setter did not run: `hook` is plain data
      expect(Object.getOwnPropertyDescriptor(back, 'hook')?.value).toBe('x');
      for (const field of ['__proto__', 'constructor', 'prototype']) {
        const hostile = JSON.parse(`{"${field}": {"polluted": 1}, "hook": "x"}`);
        expect(() => s.deserialize(fieldBytes('test.WithSetter', hostile))).toThrow(new RegExp(`field name "${field}" is reserved`));
      }
      expect(WithSetter.prototype).not.toHaveProperty('polluted');
    });

    it('refuses class data that is not a list of fields', () => {
      const s = detached();
      expect(() => s.deserialize(classBytes('test.Point', [1, 2]))).toThrow(/could not rebuild an instance of "test.Point"/);
      expect(() => s.deserialize(classBytes('test.Point', 1, 'x'))).toThrow(/field names must be strings/);
      expect(s.deserialize(fieldBytes('test.Point', { x: 1, y: 2 }))).toEqual(new Point(1, 2));
    });
  });

  describe('with actor refs', () => {
    let a: TestNode;
    let b: TestNode;
    beforeAll(async () => {
      a = await startNode();
      b = await startNode();
    });
    afterAll(() => terminateAll(a, b));

    it('encodes refs anywhere in a message, nested in arrays, maps and classes', () => {
      const local = a.system.spawn(Behaviors.ignore as never, 'nested-target') as ActorRef<string>;
      const remote = a.system.resolveRef<string>(new ActorAddress('test', '/user/elsewhere', 9, b.system.host, b.system.port));
      const message = new Envelope('hi', local, { refs: [local, remote], byName: new Map([['r', remote]]) });
      const back = a.system.serialization.deserialize(a.system.serialization.serialize(message)) as Envelope;
      expect(back).toBeInstanceOf(Envelope);
      expect(back.replyTo).toBe(local); // a local ref comes back as the very same actor
      expect(back.inner.refs[1].equals(remote)).toBe(true);
      expect(back.inner.refs[1]).toBeInstanceOf(RemoteActorRef);
      expect(back.inner.byName.get('r')!.toString()).toBe(remote.toString());
    });

    it('round-trips the receptionist protocol (built-in registrations)', () => {
      const s = a.system.serialization;
      const key = ServiceKey.of<string>('svc');
      const ref = a.system.resolveRef<string>(new ActorAddress('test', '/user/svc', 5, b.system.host, b.system.port));
      const listing = new Listing(key, [{ ref, node: b.system.hostPort, reachable: true }]);
      const [reg, find, back] = s.deserialize(s.serialize([new Register(key, ref), new Find(key, ref as never), listing])) as [Register<string>, Find<string>, Listing<string>];
      expect(reg).toBeInstanceOf(Register);
      expect(reg.key.equals(key)).toBe(true);
      expect(reg.replyTo).toBeUndefined();
      expect(find).toBeInstanceOf(Find);
      expect(back).toBeInstanceOf(Listing);
      expect(back.refs.map(String)).toEqual([ref.toString()]);
      expect(Object.isFrozen(back)).toBe(true);
      const address = s.deserialize(s.serialize(ref.address));
      expect(address).toBeInstanceOf(ActorAddress);
      expect(String(address)).toBe(ref.address.toString());
    });
  });
});

describe('The host application\'s msgpackr', () => {
  let a: TestNode;
  let b: TestNode;
  beforeAll(async () => {
    a = await startNode();
    b = await startNode();
  });
  afterAll(() => terminateAll(a, b));

  it('round-trips its own extensions 0x41 and 0x43 while remoting runs in the same process', async () => {
    class AppMoney {
      constructor(readonly cents: number) {}
    }
    class AppTag {
      constructor(readonly label: string) {}
    }
    addExtension({ Class: AppMoney, type: 0x41, write: (m: AppMoney) => m.cents, read: (c: number) => new AppMoney(c) });
    addExtension({ Class: AppTag, type: 0x43, write: (t: AppTag) => t.label, read: (l: string) => new AppTag(l) });
    const value = { price: new AppMoney(1250), tags: [new AppTag('new')] };
    const appPackr = new Packr({ useRecords: true });
    const back = new Unpackr({ useRecords: true }).unpack(appPackr.pack(value)) as typeof value;
    expect(back.price).toBeInstanceOf(AppMoney);
    expect(back.price.cents).toBe(1250);
    expect(back.tags[0]).toEqual(new AppTag('new'));
    // An actor ref packed by the app is plain data to the app, never the library's ref extension.
    const ref = a.system.spawn(Behaviors.ignore as never, 'app-msgpack') as ActorRef<never>;
    // The app's 0x41 bytes reach the library only when handed to it, and are then refused as a malformed ref.
    expect(() => a.system.serialization.deserialize(appPackr.pack(new AppMoney(1)))).toThrow(/an actor ref must be/);
    expect(a.system.serialization.deserialize(a.system.serialization.serialize({ ref }))).toEqual({ ref });

    // And remoting still works with the app's extensions installed.
    const received: unknown[] = [];
    b.system.spawn(Behaviors.receiveMessage<unknown>(m => void received.push(m)), 'app-msgpack-sink');
    a.system.remoteRef<unknown>(`${b.system.host}:${b.system.port}`, '/user/app-msgpack-sink').tell(new Point(3, 4));
    await eventually(() => expect(received).toEqual([new Point(3, 4)]));
  });
});

describe('Reserved keys and incarnations on the wire', () => {
  let a: TestNode;
  let b: TestNode;
  beforeAll(async () => {
    a = await startNode();
    b = await startNode();
  });
  afterAll(() => terminateAll(a, b));

  it('refuses to send a plain object or class field named constructor, __proto__ or prototype, naming the key', () => {
    const s = a.system.serialization;
    expect(() => s.encodeMessage('/user/x', 0, 0, { nested: [{ constructor: 1 }] })).toThrow(/plain object is named "constructor"/);
    expect(() => s.encodeMessage('/user/x', 0, 0, JSON.parse('{"__proto__": 1}'))).toThrow(/named "__proto__"/);
    expect(() => s.encodeMessage('/user/x', 0, 0, { prototype: 1 })).toThrow(/named "prototype"/);
    const withField = Object.assign(new Point(1, 2), { prototype: 3 });
    expect(() => s.encodeMessage('/user/x', 0, 0, withField)).toThrow(/a field of test.Point is named "prototype"/);
    expect(() => s.encodeMessage('/user/x', 0, 0, new Map([['constructor', 1]]))).not.toThrow();
  });

  it('dead-letters a received reserved key with the reason, keeping the connection', async () => {
    const letters: DeadLetter[] = [];
    b.system.eventStream.subscribe(DeadLetter, e => letters.push(e));
    const raw = await rawHandshake(b.system.port);
    try {
      const body = messageBody('/user/anyone', record('{"a": {"constructor": {"name": {"toString": 1}}}}'));
      raw.write(encodeFrame(FrameKind.Message, body));
      await eventually(() => expect(letters.map(l => l.reason)).toContainEqual(expect.stringMatching(/reserved key "constructor"/)));
      expect(letters.find(l => /reserved/.test(l.reason))!.message).toBeUndefined();
      expect(raw.closed).toBe(false);
    } finally {
      raw.destroy();
    }
  });

  it('dead-letters a message addressed to another incarnation of this node, with both uids', async () => {
    const letters: DeadLetter[] = [];
    b.system.eventStream.subscribe(DeadLetter, e => letters.push(e));
    const got: unknown[] = [];
    b.system.spawn(Behaviors.receiveMessage<unknown>(m => void got.push(m)), 'incarnation-target');
    const raw = await rawHandshake(b.system.port);
    try {
      const self = b.system.identity.uid;
      raw.write(a.system.serialization.encodeMessage('/user/incarnation-target', 0, self + 1, 'for the old one'));
      raw.write(a.system.serialization.encodeMessage('/user/incarnation-target', 0, self, 'for this one'));
      raw.write(a.system.serialization.encodeMessage('/user/incarnation-target', 0, 0, 'for any'));
      await eventually(() => expect(got).toEqual(['for this one', 'for any']));
      expect(letters.map(l => l.reason)).toContain(
        `addressed to incarnation ${self + 1} of this node, which is no longer running (this is incarnation ${self})`,
      );
    } finally {
      raw.destroy();
    }
  });

  it('gives refs the incarnation of their node: short form from the sending peer, long form as written', async () => {
    const replies = new Map<string, RemoteActorRef<unknown>>();
    b.system.spawn(
      Behaviors.receiveMessage<{ name: string; ref: RemoteActorRef<unknown> }>(m => void replies.set(m.name, m.ref)),
      'ref-collector',
    );
    const collector = a.system.remoteRef<unknown>(`${b.system.host}:${b.system.port}`, '/user/ref-collector');
    expect((collector as RemoteActorRef<unknown>).nodeUid).toBe(0);
    const own = a.system.spawn(Behaviors.ignore as never, 'own') as ActorRef<never>;
    collector.tell({ name: 'own', ref: own });
    await eventually(() => expect(replies.get('own')?.nodeUid).toBe(a.system.identity.uid));
    // b sends the ref it received back to a's collector: the long form keeps a's incarnation.
    const back = a.system.serialization.deserialize(b.system.serialization.serialize(replies.get('own'))) as ActorRef<never>;
    expect(back).toBe(own);
    // The long form names the incarnation as a 6th element (a 48-bit uid: 9 bytes) only when known.
    const anyIncarnation = b.system.serialization.serialize(b.system.resolveRef(own.address as ActorAddress));
    expect(b.system.serialization.serialize(replies.get('own')).length).toBe(anyIncarnation.length + 9);
    // A ref of another incarnation of this node resolves to no actor.
    const old = a.system.resolveRef(own.address as ActorAddress, a.system.identity.uid + 1);
    expect(old).not.toBe(own);
    expect((old as unknown as { isTerminated: boolean }).isTerminated).toBe(true);
  });
});

describe('The receive check agrees with the encoder', () => {
  it('accepts every value the encoder writes, exactly to its last byte, and refuses it truncated or followed by a byte', () => {
    const s = detached();
    const value = fc.letrec(tie => ({
      any: fc.oneof(
        { depthSize: 'small' },
        fc.oneof(fc.integer(), fc.double(), fc.boolean(), fc.constant(null), fc.constant(undefined), fc.string(), fc.bigInt()),
        fc.date({ noInvalidDate: true }),
        fc.uint8Array({ maxLength: 40 }),
        fc.array(tie('any'), { maxLength: 5 }),
        fc.dictionary(fc.string({ maxLength: 8 }).filter(k => !['constructor', '__proto__', 'prototype'].includes(k)), tie('any'), { maxKeys: 5 }),
        fc.array(fc.tuple(fc.string({ maxLength: 4 }), tie('any')), { maxLength: 3 }).map(entries => new Map(entries)),
        fc.array(fc.integer(), { maxLength: 3 }).map(items => new Set(items)),
        fc.tuple(fc.integer(), fc.integer()).map(([x, y]) => new Point(x, y)),
      ),
    })).any;
    fc.assert(
      fc.property(value, v => {
        const bytes = s.serialize(v);
        expect(s.deserialize(bytes)).toEqual(v);
        if (bytes.length > 1) expect(() => s.deserialize(bytes.subarray(0, bytes.length - 1))).toThrow(SerializationError);
        expect(() => s.deserialize(Buffer.concat([bytes, Buffer.from([0])]))).toThrow(/1 bytes follow the value/);
      }),
      { numRuns: 300 },
    );
  });

  it('bounds the text of a codec error that quotes peer data, and strips its control characters', () => {
    class Quoted {
      constructor(readonly text: string) {}
    }
    const s = detached().register(Quoted, {
      name: 'test.Quoted',
      codec: {
        toWire: q => q.text,
        fromWire: d => {
          throw new Error(`bad value ${String(d)}`);
        },
      },
    });
    const hostile = `\n\u001b[31mFORGED LOG LINE${'x'.repeat(10_000)}`;
    let message = '';
    try {
      s.deserialize(s.serialize(new Quoted(hostile)));
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toMatch(/^could not rebuild an instance of "test.Quoted": bad value \?\?\[31mFORGED LOG LINEx+…$/);
    expect(message.length).toBeLessThan(300);
  });

  it('refuses a Hello with trailing bytes, references or a reserved key before looking at its fields', () => {
    const hello = (fields: number[], trailing: number[] = []) => {
      const body = Buffer.from([0x81, 0xa1, 0x76, ...fields, ...trailing]);
      return () => decodeHelloFields(body, 0, body.length);
    };
    expect(hello([0x01])()).toEqual({ v: 1 });
    expect(hello([0x01], [0x00])).toThrow(/1 bytes follow the value/);
    expect(hello([0xd6, 0x70, 0, 0, 0, 0])).toThrow(/extension values are not allowed here/);
    const reserved = Buffer.from([0x82, 0xa1, 0x76, 0x01, 0xab, ...Buffer.from('constructor'), 0x01]);
    expect(() => decodeHelloFields(reserved, 0, reserved.length)).toThrow(/Hello with the reserved key "constructor"/);
  });

  it('accepts structured-clone references only on a node that opted in, as both nodes must', () => {
    const cyclic: Record<string, unknown> = { name: 'loop' };
    cyclic.self = cyclic;
    const host = { location, resolveRef: () => { throw new Error('no refs here'); } };
    const optedIn = new Serialization(host, { structuredClone: true });
    const back = optedIn.deserialize(optedIn.serialize(cyclic)) as Record<string, unknown>;
    expect(back.self).toBe(back);
    expect(() => detached().deserialize(optedIn.serialize(cyclic))).toThrow(/structured-clone references are disabled on this node/);
  });

  it('refuses nesting beyond maxDepth with a typed error', () => {
    const s = new Serialization({ location, resolveRef: () => { throw new Error('no refs here'); } }, { maxDepth: 16 });
    let deep: unknown = 1;
    for (let i = 0; i < 16; i++) deep = [deep];
    expect(s.deserialize(s.serialize(deep))).toEqual(deep);
    expect(() => s.deserialize(s.serialize([deep]))).toThrow(/nested deeper than 16 levels/);
    // A million levels: refused at level 17 by the check, never a stack overflow in the decoder.
    const million = Buffer.from([...new Array(1_000_000).fill(0x91), 0x90]);
    expect(() => s.deserialize(million)).toThrow(/nested deeper than 16 levels/);
  });
});

describe('Encoding in place', () => {
  const origin = { ...location, uid: 7 };

  it('packs a frame straight into the buffer at any offset, leaving the bytes before it alone', () => {
    const s = detached();
    const chunk = Buffer.alloc(64 * 1024, 0xee);
    let offset = 0;
    const frames: [number, number][] = [];
    // Offsets of every remainder modulo msgpackr's 8-byte alignment.
    for (let i = 0; i < 12; i++) {
      const encoded = s.encodeMessageInto(chunk, offset, '/user/p', i, 0, new Point(i, 2 * i));
      expect(encoded.buffer).toBe(chunk);
      expect(encoded.start).toBe(offset);
      frames.push([encoded.start, encoded.end]);
      offset = encoded.end + (i % 3);
    }
    for (const [i, [start, end]] of frames.entries()) {
      expect(chunk.readUInt32BE(start)).toBe(end - start - 4);
      expect(chunk[start + 4]).toBe(FrameKind.Message);
      const decoded = s.decodeMessage(chunk, start + 5, end, origin);
      expect(decoded).toMatchObject({ to: '/user/p', uid: i, nodeUid: 0 });
      expect(decoded.payload).toEqual(new Point(i, 2 * i));
      if (i > 0 && (i - 1) % 3 !== 0) expect(chunk[start - 1]).toBe(0xee);
    }
  });

  it('puts a message larger than the room left into a buffer of its own, and one encoded while another is (a codec that sends) into a copy', () => {
    const s = detached();
    const chunk = Buffer.alloc(4096);
    const big = s.encodeMessageInto(chunk, 100, '/user/p', 0, 0, 'x'.repeat(10_000));
    expect(big.buffer).not.toBe(chunk);
    expect(s.decodeMessage(big.buffer, big.start + 5, big.end, origin).payload).toBe('x'.repeat(10_000));

    class Chatty {
      constructor(readonly n: number) {}
    }
    let inner: { buffer: Buffer; start: number; end: number } | undefined;
    s.register(Chatty, {
      name: 'test.Chatty',
      codec: {
        toWire: (c: Chatty) => {
          const nested = s.encodeMessageInto(chunk, 2000, '/user/q', 0, 0, 'nested');
          inner = { buffer: nested.buffer, start: nested.start, end: nested.end };
          return c.n;
        },
        fromWire: data => new Chatty(data as number),
      },
    });
    const outer = s.encodeMessageInto(chunk, 0, '/user/p', 0, 0, new Chatty(3));
    expect(outer.buffer).toBe(chunk);
    expect(inner!.buffer).not.toBe(chunk);
    expect(s.decodeMessage(chunk, 5, outer.end, origin).payload).toEqual(new Chatty(3));
    expect(s.decodeMessage(inner!.buffer, inner!.start + 5, inner!.end, origin).payload).toBe('nested');
  });

  it('writes and reads by hand what msgpackr would: every value decodes the same through the guard, with and without name ids', () => {
    const s = detached();
    class Box {
      constructor(
        readonly value: unknown,
        readonly label: string,
      ) {}
    }
    s.register(Box, 'test.Box');
    const value = fc.letrec(tie => ({
      any: fc.oneof(
        { depthSize: 'small' },
        fc.oneof(fc.integer(), fc.double(), fc.maxSafeInteger(), fc.boolean(), fc.constant(null), fc.constant(undefined), fc.string(), fc.string({ unit: 'binary', maxLength: 80 })),
        fc.date({ noInvalidDate: true }),
        fc.uint8Array({ maxLength: 40 }),
        fc.array(tie('any'), { maxLength: 5 }),
        fc.dictionary(fc.string({ maxLength: 8 }).filter(k => !['constructor', '__proto__', 'prototype'].includes(k)), tie('any'), { maxKeys: 5 }),
        fc.tuple(fc.integer(), fc.integer()).map(([x, y]) => new Point(x, y)),
        fc.tuple(tie('any'), fc.string({ unit: 'binary', maxLength: 300 })).map(([v, label]) => new Box(v, label)),
      ),
    })).any;
    const chunk = Buffer.alloc(64 * 1024);
    fc.assert(
      fc.property(value, fc.nat(4096), fc.boolean(), (v, offset, withNames) => {
        const outbound = withNames ? new OutboundNames() : undefined;
        const inbound = new InboundNames();
        const encoded = s.encodeMessageInto(chunk, offset, '/user/p', 3, 0, v, outbound);
        for (const frame of outbound?.announce() ?? []) inbound.define(frame, 5, frame.length);
        const byHand = Buffer.from(encoded.buffer.subarray(encoded.start, encoded.end));
        const reference = s.encodeMessage('/user/p', 3, 0, v);
        const decoded = s.decodeMessage(byHand, 5, byHand.length, origin, true, withNames ? inbound : undefined).payload;
        s.readByHand = false;
        try {
          expect(decoded).toEqual(s.decodeMessage(reference, 5, reference.length, origin, true).payload);
          expect(decoded).toEqual(s.decodeMessage(byHand, 5, byHand.length, origin, true, withNames ? inbound : undefined).payload);
        } finally {
          s.readByHand = true;
        }
        if (!withNames) expect(byHand.length).toBe(reference.length);
      }),
      { numRuns: 300 },
    );
  });

  it('decodes binary fields of a frame inside a larger chunk as a copy: reusing the chunk changes nothing', () => {
    const s = detached();
    const frame = s.encodeMessage('/user/p', 0, 0, { bytes: Buffer.from([1, 2, 3]), n: 1 });
    const chunk = Buffer.alloc(1000);
    frame.copy(chunk, 300);
    const decoded = s.decodeMessage(chunk, 305, 300 + frame.length, origin);
    chunk.fill(9);
    expect(decoded.payload).toEqual({ bytes: Buffer.from([1, 2, 3]), n: 1 });
  });
});
