/**
 * Hostile frames against a node in its own OS process (fixtures/node.ts, with a secret):
 * before authentication, and from an authenticated raw peer. After each one the node is
 * up, its echo answers a good peer, and its receptionist still answers Find.
 */
import { eventually } from '../support/eventually.js';
import { Find, Listing, ServiceKey, type ActorRef } from '../../lib/index.js';
import { encodeFrame } from '../../lib/remote/frame-codec.js';
import { Ping, Pong, Tally, TallyResult } from './fixtures/messages.js';
import { forkNode, stopNode, type ChildNode } from './support/child-node.js';
import {
  classInstance,
  classInstanceByIds,
  deepNesting,
  helloBody,
  hugeArrayHeader,
  manyEmptyArrays,
  messageBody,
  messageBodyTo,
  namesBody,
  record,
  recordExpansion,
  recordDefinitionsPadded,
  recordRedefinitions,
  referenceGraph,
} from './support/hostile-frames.js';
import { FrameKind, RawClient, rawHandshake, startNode, terminateAll, type TestNode } from './support/nodes.js';

const SECRET = 'hostile-frames-secret';

describe('Hostile frames against a node in another OS process', () => {
  let good: TestNode;
  let child: ChildNode;
  const raws: RawClient[] = [];

  beforeAll(async () => {
    [good, child] = await Promise.all([startNode({ secret: SECRET }), forkNode({ NODE_SECRET: SECRET })]);
    await answersGoodPeer('warm-up');
  }, 30_000);

  afterEach(() => {
    for (const raw of raws.splice(0)) raw.destroy();
  });

  afterAll(async () => {
    await stopNode(child);
    await terminateAll(good);
  });

  const node = () => `127.0.0.1:${child.port}`;

  async function answersGoodPeer(label: string): Promise<void> {
    expect(child.process.exitCode).toBeNull();
    const echo = good.system.remoteRef<Ping>(node(), '/user/echo');
    // A node frozen by the frame would miss this deadline; the round trip itself is a figure of bench/hostile-frames.ts.
    const pong = await good.system.ask<Pong>(echo, r => new Ping(7, r), 1000).catch((error: Error) => {
      throw new Error(`the node did not answer within 1 s after ${label}: ${error.message}`);
    });
    expect(pong).toEqual(new Pong(7, child.process.pid!));
  }

  async function deadLettersOfChild(): Promise<number> {
    const sink = good.system.remoteRef<Tally>(node(), '/user/sink');
    return (await good.system.ask<TallyResult>(sink, r => new Tally(r), 5000)).deadLetters;
  }

  async function authenticated(): Promise<RawClient> {
    const raw = await rawHandshake(child.port, { secret: SECRET });
    raws.push(raw);
    expect(raw.frames.some(f => f.kind === FrameKind.Accept)).toBe(true);
    return raw;
  }

  it('closes an unauthenticated Hello carrying a reference graph and a trailing byte', async () => {
    const body = helloBody(referenceGraph(24), [0x00]);
    expect(body.length).toBeLessThan(520);
    const raw = await RawClient.connect(child.port);
    raws.push(raw);
    raw.write(encodeFrame(FrameKind.Hello, body));
    await raw.closedWithin(3000);
    await answersGoodPeer('hello with reference graph');
  });

  it.each([
    ['with a trailing byte', [0x00]],
    ['without a trailing byte', []],
  ])('closes an authenticated Message frame carrying a reference graph %s', async (label, trailing) => {
    const raw = await authenticated();
    raw.write(encodeFrame(FrameKind.Message, messageBody('/user/echo', referenceGraph(24), trailing)));
    await raw.closedWithin(3000);
    await answersGoodPeer(`message with reference graph ${label}`);
  });

  it('dead-letters objects whose constructor cannot be named, and the receptionist still answers Find', async () => {
    const before = await deadLettersOfChild();
    const raw = await authenticated();
    const hostile = messageBody('/system/receptionist', record('{"constructor": {"name": {"toString": 1}}}'));
    raw.write(encodeFrame(FrameKind.Message, hostile));
    raw.write(encodeFrame(FrameKind.Message, hostile));
    // Not malformed: the connection stays, the messages are dead letters.
    await answersGoodPeer('constructor payload to the receptionist');
    // The raw peer's frames travel on their own connection: poll for their dead letters.
    await eventually(async () => expect(await deadLettersOfChild()).toBe(before + 2));
    expect(raw.closed).toBe(false);
    const receptionist = good.system.remoteRef<Find<never>>(node(), '/system/receptionist');
    const listing = await good.system.ask<Listing<never>>(receptionist, r => new Find(ServiceKey.of('nothing'), r as ActorRef<Listing<never>>), 5000);
    expect(listing).toBeInstanceOf(Listing);
  });

  it.each([
    ['a record of 200 long keys instantiated 2,000 times', recordExpansion(200, 200, 2000)],
    ['a record definition every 10 bytes', recordDefinitionsPadded(6000, 10)],
    ['record ids redefined 16,000 times', recordRedefinitions(16_000)],
    ['arrays nested 100,000 deep', deepNesting(100_000)],
    ['an array announcing 2^32-1 elements', hugeArrayHeader()],
  ])('closes a frame with %s', async (label, payload) => {
    const raw = await authenticated();
    raw.write(encodeFrame(FrameKind.Message, messageBody('/user/echo', payload)));
    await raw.closedWithin(3000);
    await answersGoodPeer(label);
  });

  it.each([
    ['200,000 empty arrays (the most objects per byte)', manyEmptyArrays(200_000)],
    ['record ids redefined 500 times (within the budget of definitions)', recordRedefinitions(500)],
  ])('takes a well-formed frame of %s as a dead letter', async (label, payload) => {
    const before = await deadLettersOfChild();
    const raw = await authenticated();
    raw.write(encodeFrame(FrameKind.Message, messageBody('/user/nobody', payload)));
    await answersGoodPeer(label);
    await eventually(async () => expect(await deadLettersOfChild()).toBe(before + 1));
    expect(raw.closed).toBe(false);
  });

  it('takes names defined by the peer: a message naming its recipient, class and field by id is delivered (here, a dead letter)', async () => {
    const before = await deadLettersOfChild();
    const raw = await authenticated();
    raw.write(encodeFrame(FrameKind.Names, namesBody(0, ['/user/nobody', 'fixture.Seq', 'n'])));
    raw.write(encodeFrame(FrameKind.Message, messageBodyTo(0, 0, classInstanceByIds(1, [[2, 5]]))));
    await answersGoodPeer('a message by name ids');
    await eventually(async () => expect(await deadLettersOfChild()).toBe(before + 1));
    expect(raw.closed).toBe(false);
  });

  it('dead-letters a reply that names a pending ask by id with a guessed uid, and keeps the connection', async () => {
    const before = await deadLettersOfChild();
    const raw = await authenticated();
    // Ask ids are small: -1 and -2 name asks 0 and 1 of the node.
    raw.write(encodeFrame(FrameKind.Message, messageBodyTo(-1, 1, [0x01])));
    raw.write(encodeFrame(FrameKind.Message, messageBodyTo(-2, 0, [0x01])));
    await answersGoodPeer('replies to guessed asks');
    await eventually(async () => expect(await deadLettersOfChild()).toBe(before + 2));
    expect(raw.closed).toBe(false);
  });

  it.each([
    ['a recipient name id never defined', [], messageBodyTo(7, 0, [0x01])],
    ['a class name id never defined', [namesBody(0, ['/user/sink'])], messageBodyTo(0, 0, classInstanceByIds(9, []))],
    ['a field name id never defined', [namesBody(0, ['/user/sink', 'fixture.Seq'])], messageBodyTo(0, 0, classInstanceByIds(1, [[12, 1]]))],
    ['an id redefined as another name', [namesBody(0, ['/user/sink']), namesBody(0, ['/user/echo'])], undefined],
    ['names starting past the ids defined', [namesBody(3, ['/user/sink'])], undefined],
    ['a name that is not a string', [namesBody(0, [42])], undefined],
    ['more names than a connection may define', [namesBody(0, Array.from({ length: 4097 }, (_, i) => `n${i}`))], undefined],
    ['a Names body that is not a list', [Buffer.from([0x81, 0xa1, 0x61, 0x01])], undefined],
  ])('closes a connection on %s and keeps serving', async (label, names, message) => {
    const raw = await authenticated();
    for (const body of names) raw.write(encodeFrame(FrameKind.Names, body));
    if (message) raw.write(encodeFrame(FrameKind.Message, message));
    await raw.closedWithin(3000);
    await answersGoodPeer(label);
  });

  it.each([
    ['__proto__ in a nested record', record('{"a": [{"b": {"__proto__": {"polluted": 1}}}]}')],
    ['prototype in a record', record('{"prototype": {"polluted": 1}}')],
    ['constructor inside a class instance field', classInstance('fixture.Seq', '{"n": {"constructor": 1}}')],
    ['constructor as a class instance field', classInstance('fixture.Seq', '{"constructor": 1, "n": 1}')],
  ])('dead-letters %s and keeps the connection', async (label, payload) => {
    const before = await deadLettersOfChild();
    const raw = await authenticated();
    raw.write(encodeFrame(FrameKind.Message, messageBody('/user/sink', payload)));
    await answersGoodPeer(label);
    await eventually(async () => expect(await deadLettersOfChild()).toBe(before + 1));
    expect(raw.closed).toBe(false);
  });
});
