import fc from 'fast-check';
import { ActorAddress, InvalidActorAddressError, NodeIdentity, newIncarnationUid, parseNodeAddress } from '../../lib/index.js';

describe('ActorAddress', () => {
  it('parses a remote address into its parts and prints it back', () => {
    const a = ActorAddress.parse('actor://shop@10.0.0.7:25520/user/payment/worker-1#123456');
    expect(a).toMatchObject({ system: 'shop', host: '10.0.0.7', port: 25520, path: '/user/payment/worker-1', uid: 123456 });
    expect(a.toString()).toBe('actor://shop@10.0.0.7:25520/user/payment/worker-1#123456');
    expect(a.hostPort).toBe('10.0.0.7:25520');
    expect(ActorAddress.parse('actor://shop@[::1]:80/temp/$a#1').host).toBe('::1');
  });

  it.each([
    ['', 'missing actor:// scheme'],
    ['http://shop@h:1/user/a#1', 'missing actor:// scheme'],
    ['actor://shop@h:1', 'missing path'],
    ['actor://shop@h:1/user/a', 'missing #uid'],
    ['actor://shop@h:1/user/a#', 'uid is not a number'],
    ['actor://shop@h:1/user/a#-1', 'uid is not a number'],
    ['actor://shop@h:1/user/a#1e5', 'uid is not a number'],
    ['actor://shop@h:1/user/a#99999999999999999', 'uid'],
    ['actor://shop@h:1/#1', 'malformed path'],
    ['actor://shop@h:1/user//a#1', 'malformed path'],
    ['actor://shop@h:1/user/a b#1', 'malformed path'],
    ['actor://shop@h:1/user/a/#1', 'malformed path'],
    ['actor://@h:1/user/a#1', 'malformed system name'],
    ['actor://-shop@h:1/user/a#1', 'malformed system name'],
    ['actor://sh op/user/a#1', 'malformed system name'],
    ['actor://shop@h/user/a#1', 'missing host:port'],
    ['actor://shop@:1/user/a#1', 'missing host:port'],
    ['actor://shop@h:99999/user/a#1', 'port must be 0-65535'],
    ['actor://shop@h:-1/user/a#1', 'port must be 0-65535'],
    ['actor://shop@h:1x/user/a#1', 'port must be 0-65535'],
    ['actor://shop@h/x:1/user/a#1', 'missing host:port'],
    ['actor://shop@[::1/user/a#1', 'malformed [host]:port'],
    ['actor://shop@a@b:1/user/a#1', 'malformed host'],
    ['actor://shop@h:1/user/a#1#2', 'malformed path'],
  ])('rejects %j (%s)', (input, reason) => {
    expect(() => ActorAddress.parse(input)).toThrow(InvalidActorAddressError);
    expect(() => ActorAddress.parse(input)).toThrow(reason);
  });

  it('rejects non-strings and over-long input', () => {
    expect(() => ActorAddress.parse(42 as unknown as string)).toThrow(InvalidActorAddressError);
    expect(() => ActorAddress.parse(`actor://shop@h:1/${'a'.repeat(5000)}#1`)).toThrow(/longer than 4096/);
  });

  const segment = fc.stringMatching(/^[A-Za-z0-9_\-.:@$+!~*'()=,;]{1,12}$/);
  const address = fc.record({
    system: fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9_-]{0,15}$/),
    path: fc.array(segment, { minLength: 1, maxLength: 4 }).map(s => '/' + s.join('/')),
    uid: fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }),
    host: fc.oneof(fc.ipV4(), fc.constantFrom('localhost', 'node-1.example.com', '::1', 'fe80::1')),
    port: fc.integer({ min: 0, max: 65535 }),
  });

  it('parses whatever it prints (property)', () => {
    fc.assert(
      fc.property(address, ({ system, path, uid, host, port }) => {
        const a = new ActorAddress(system, path, uid, host, port);
        const back = ActorAddress.parse(a.toString());
        expect(back.toString()).toBe(a.toString());
        expect([back.system, back.path, back.uid, back.host, back.port]).toEqual([system, path, uid, host, port]);
      }),
      { numRuns: 500 },
    );
  });

  it('throws nothing but InvalidActorAddressError on arbitrary or mutated input (property)', () => {
    const valid = address.map(({ system, path, uid, host, port }) => new ActorAddress(system, path, uid, host, port).toString());
    const mutated = fc.tuple(valid, fc.nat(), fc.string({ maxLength: 3 })).map(([text, at, insert]) => {
      const i = at % (text.length + 1);
      return text.slice(0, i) + insert + text.slice(i + 1);
    });
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.string({ unit: 'binary' }), mutated), input => {
        try {
          const parsed = ActorAddress.parse(input);
          // Anything accepted prints to an address that parses to the same thing.
          expect(ActorAddress.parse(parsed.toString()).toString()).toBe(parsed.toString());
        } catch (error) {
          expect(error).toBeInstanceOf(InvalidActorAddressError);
        }
      }),
      { numRuns: 2000 },
    );
  });
});

describe('NodeIdentity', () => {
  it('names a node by system, host:port and incarnation', () => {
    const id = new NodeIdentity('shop', '::1', 25520, 77);
    expect(id.hostPort).toBe('[::1]:25520');
    expect(id.toString()).toBe('shop@[::1]:25520#77');
    expect(id.location).toEqual({ system: 'shop', host: '::1', port: 25520 });
    expect(id.equals(new NodeIdentity('shop', '::1', 25520, 77))).toBe(true);
    expect(id.equals(new NodeIdentity('shop', '::1', 25520, 78))).toBe(false);
  });

  it('draws a fresh non-zero safe-integer incarnation uid each time', () => {
    const uids = new Set(Array.from({ length: 1000 }, () => newIncarnationUid()));
    expect(uids.size).toBe(1000);
    for (const uid of uids) expect(Number.isSafeInteger(uid) && uid > 0).toBe(true);
  });

  it('parses host:port as given in options', () => {
    expect(parseNodeAddress('127.0.0.1:25520')).toEqual({ host: '127.0.0.1', port: 25520 });
    expect(parseNodeAddress('[::1]:1')).toEqual({ host: '::1', port: 1 });
    expect(() => parseNodeAddress('nohost')).toThrow(InvalidActorAddressError);
  });
});
