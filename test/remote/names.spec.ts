/**
 * What travels in place of names and paths: ids a sender defines per connection (Names frames)
 * and asks named by id. The tables are bounded on both sides, replayed on every new connection,
 * and anything a peer sends that breaks them closes only that connection, with a reason.
 */
import { Behaviors, MalformedFrameError, Serializable, type ActorRef } from '../../lib/index.js';
import { encodeFrame } from '../../lib/remote/frame-codec.js';
import { InboundNames, MAX_NAME_CHARS, MAX_NAMES, OutboundNames, namesFrames } from '../../lib/remote/name-table.js';
import { eventually, until } from '../support/eventually.js';
import { TestProbe } from '../support/probe.js';
import { messageBodyTo, namesBody } from './support/hostile-frames.js';
import { FrameKind, rawHandshake, startNode, terminateAll, type TestNode } from './support/nodes.js';

@Serializable('names.Note')
class Note {
  constructor(
    readonly n: number,
    readonly text: string,
  ) {}
}

@Serializable('names.Question')
class Question {
  constructor(
    readonly n: number,
    readonly replyTo: ActorRef<number>,
  ) {}
}

/** Question wrapped for a relay, which passes it to `target` unopened. */
@Serializable('names.Forward')
class Forward {
  constructor(
    readonly target: ActorRef<Question>,
    readonly question: Question,
  ) {}
}

function body(frame: Buffer): Buffer {
  return frame.subarray(5);
}

describe('Name tables', () => {
  it('gives class and field names an id at first use and paths at the second, within the bounds', () => {
    const names = new OutboundNames();
    expect(names.idOf('names.Note', true)).toBe(0);
    expect(names.idOf('names.Note', true)).toBe(0);
    expect(names.idOf('/user/a', false)).toBe('/user/a');
    expect(names.idOf('/user/a', false)).toBe(1);
    expect(names.idOf('x'.repeat(MAX_NAME_CHARS + 1), true)).toBe('x'.repeat(MAX_NAME_CHARS + 1));
    expect(names.unannounced).toBe(2);
    const frames = names.announce();
    expect(names.unannounced).toBe(0);
    const inbound = new InboundNames();
    for (const frame of frames) inbound.define(body(frame), 0, frame.length - 5);
    expect([inbound.name(0), inbound.name(1)]).toEqual(['names.Note', '/user/a']);
    for (let i = names.size; i < MAX_NAMES; i++) names.idOf(`n${i}`, true);
    expect(names.size).toBe(MAX_NAMES);
    expect(names.idOf('one too many', true)).toBe('one too many');
  });

  it('replays every id on a new connection, in frames a small frame limit takes', () => {
    const names = new OutboundNames();
    for (let i = 0; i < 1000; i++) names.idOf(`/user/actor-with-a-rather-long-name-${i}`, true);
    names.announce();
    const replay = names.replay();
    expect(replay.length).toBeGreaterThan(1);
    expect(Math.max(...replay.map(f => f.length))).toBeLessThan(16 * 1024);
    const inbound = new InboundNames();
    for (const frame of replay) inbound.define(body(frame), 0, frame.length - 5);
    expect(inbound.size).toBe(1000);
    // Definitions queued before the reconnect arrive again after the replay: the same names are accepted.
    for (const frame of namesFrames(['/user/actor-with-a-rather-long-name-0'], 0)) inbound.define(body(frame), 0, frame.length - 5);
    expect(inbound.size).toBe(1000);
  });

  it('refuses what would break or overfill a table as malformed', () => {
    const inbound = new InboundNames();
    const define = (first: number, names: unknown[]) => {
      const b = namesBody(first, names);
      inbound.define(b, 0, b.length);
    };
    define(0, ['a', 'b']);
    expect(() => inbound.name(2)).toThrow(new MalformedFrameError('name id 2 is not defined on this connection'));
    expect(() => inbound.name(0.5)).toThrow(MalformedFrameError);
    expect(() => define(1, ['c'])).toThrow(/name id 1 is already defined as another name/);
    expect(() => define(5, ['e'])).toThrow(/starts at id 5, past the 2 defined/);
    expect(() => define(2, [''])).toThrow(/must be a string of 1-256 characters/);
    expect(() => define(2, ['x'.repeat(MAX_NAME_CHARS + 1)])).toThrow(/must be a string/);
    expect(() => define(2, Array.from({ length: MAX_NAMES }, (_, i) => `k${i}`))).toThrow(/more than 4096 names/);
    const big = new InboundNames();
    const chunk = (i: number) => 'y'.repeat(250) + String(i).padStart(6, '0');
    expect(() => {
      for (let i = 0; i < 600; i++) {
        const b = namesBody(i, [chunk(i)]);
        big.define(b, 0, b.length);
      }
    }).toThrow(/characters of names on one connection/);
  });
});

describe('Names and asks on the wire between nodes', () => {
  let a: TestNode;
  let b: TestNode;
  let c: TestNode | undefined;

  beforeEach(async () => {
    [a, b] = await Promise.all([startNode(), startNode()]);
  });

  afterEach(() => terminateAll(a, b, c));

  it('sends recurring names as ids: after the first messages, each is a few bytes', async () => {
    const probe = new TestProbe<Note>(b.system, 'notes');
    const notes = a.system.remoteRef<Note>(b.system.hostPort, '/user/notes');
    const sizes: number[] = [];
    for (let i = 0; i < 4; i++) {
      const before = a.system.remoteStats().bytesSent;
      notes.tell(new Note(i, 'hi'));
      expect(await probe.expectMessage()).toEqual(new Note(i, 'hi'));
      sizes.push(a.system.remoteStats().bytesSent - before);
    }
    // The first names the path as a string; from the second on, the path is an id too.
    expect(sizes[0]).toBeGreaterThanOrEqual(sizes[2] + 10);
    expect(sizes[2]).toBe(sizes[3]);
    expect(sizes[3]).toBeLessThanOrEqual(20);
  });

  it('replays the names on a new connection: messages queued across a reconnect arrive intact', async () => {
    const probe = new TestProbe<Note>(b.system, 'notes');
    const notes = a.system.remoteRef<Note>(b.system.hostPort, '/user/notes');
    for (let i = 0; i < 3; i++) notes.tell(new Note(i, `before ${i}`));
    for (let i = 0; i < 3; i++) expect(await probe.expectMessage()).toEqual(new Note(i, `before ${i}`));
    a.system.remoting.disconnect(b.system.hostPort, 'test: reconnect');
    // Queued while the old connection closes and the new one opens, encoded with the old ids.
    for (let i = 3; i < 50; i++) notes.tell(new Note(i, `across ${i}`));
    for (let i = 3; i < 50; i++) expect(await probe.expectMessage(5000)).toEqual(new Note(i, `across ${i}`));
    expect(a.system.remoteStats().connectAttempts).toBeGreaterThanOrEqual(2);
    expect(b.logs.text()).not.toMatch(/not defined on this connection/);
  });

  it('closes a connection that names an undefined id, logging why, and keeps the node serving', async () => {
    const raw = await rawHandshake(b.system.port);
    raw.write(encodeFrame(FrameKind.Names, namesBody(0, ['/user/notes'])));
    raw.write(encodeFrame(FrameKind.Message, messageBodyTo(3, 0, [0x01])));
    await raw.closedWithin();
    await eventually(() => expect(b.logs.text()).toMatch(/warn Connection from test@127\.0\.0\.1:1#424242 \(127\.0\.0\.1:\d+\) closed: Malformed frame: name id 3 is not defined on this connection/));
    const probe = new TestProbe<Note>(b.system, 'notes');
    a.system.remoteRef<Note>(b.system.hostPort, '/user/notes').tell(new Note(1, 'still here'));
    expect(await probe.expectMessage()).toEqual(new Note(1, 'still here'));
  });

  it('answers an ask whose replyTo a relay hands to a third node: the reply finds the ask by its path', async () => {
    c = await startNode();
    c.system.spawn(Behaviors.receiveMessage<Question>(q => q.replyTo.tell(q.n * 2)), 'doubler');
    b.system.spawn(Behaviors.receiveMessage<Forward>(f => f.target.tell(f.question)), 'relay');
    const relay = a.system.remoteRef<Forward>(b.system.hostPort, '/user/relay');
    const doubler = a.system.remoteRef<Question>(c.system.hostPort, '/user/doubler');
    const answers = await Promise.all(
      Array.from({ length: 5 }, (_, n) => a.system.ask<number>(relay, r => new Forward(doubler, new Question(n, r)), 3000)),
    );
    expect(answers).toEqual([0, 2, 4, 6, 8]);
  });

  it('dead-letters a reply by ask id whose uid is not the ask\'s, and the ask still times out', async () => {
    let held: ActorRef<number> | undefined;
    b.system.spawn(Behaviors.receiveMessage<Question>(q => void (held = q.replyTo)), 'holder');
    const pending = a.system.ask<number>(a.system.remoteRef<Question>(b.system.hostPort, '/user/holder'), r => new Question(1, r), 500).catch((e: Error) => e.name);
    await until(() => held !== undefined, 'the question to arrive');
    const raw = await rawHandshake(a.system.port);
    for (let id = 0; id < 4; id++) raw.write(encodeFrame(FrameKind.Message, messageBodyTo(-1 - id, 1, [0x2a])));
    await eventually(() => expect(a.system.deadLetterCount).toBeGreaterThanOrEqual(4));
    expect(raw.closed).toBe(false);
    expect(await pending).toBe('AskTimeoutError');
    raw.destroy();
  });
});
