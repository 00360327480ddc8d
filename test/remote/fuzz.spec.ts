/**
 * Random and mutated bytes against a live node, before and after the handshake. Each run
 * opens a connection, sends the bytes, and closes; the node must neither crash nor stop
 * serving a well-behaved peer, and every fuzzing connection must be released.
 */
import fc from 'fast-check';
import { Behaviors, PROTOCOL_VERSION, Serializable, type ActorRef } from '../../lib/index.js';
import { encodeFrame } from '../../lib/remote/index.js';
import { FrameKind } from '../../lib/remote/frame-codec.js';
import { encodeHello, newNonce } from '../../lib/remote/handshake.js';
import { NodeIdentity } from '../../lib/remote/node-identity.js';
import { eventually } from '../support/eventually.js';
import { classInstanceByIds, messageBodyTo, namesBody } from './support/hostile-frames.js';
import { RawClient, rawHandshake, startNode, terminateAll, type TestNode } from './support/nodes.js';

@Serializable('fuzz.Ping')
class Ping {
  constructor(
    readonly n: number,
    readonly replyTo: ActorRef<number>,
  ) {}
}

/** Replaces, inserts or deletes a few bytes of a valid input. */
function mutated(valid: Buffer[]): fc.Arbitrary<Buffer> {
  const edit = fc.record({ at: fc.nat(), op: fc.constantFrom('flip', 'insert', 'delete', 'truncate'), byte: fc.integer({ min: 0, max: 255 }) });
  return fc.tuple(fc.constantFrom(...valid), fc.array(edit, { minLength: 1, maxLength: 4 })).map(([input, edits]) => {
    let bytes = Buffer.from(input);
    for (const { at, op, byte } of edits) {
      const i = at % Math.max(1, bytes.length);
      if (op === 'flip') bytes[i] = byte;
      else if (op === 'insert') bytes = Buffer.concat([bytes.subarray(0, i), Buffer.from([byte]), bytes.subarray(i)]);
      else if (op === 'delete') bytes = Buffer.concat([bytes.subarray(0, i), bytes.subarray(i + 1)]);
      else bytes = bytes.subarray(0, i);
    }
    return bytes;
  });
}

const randomBytes = fc.uint8Array({ minLength: 1, maxLength: 512 }).map(b => Buffer.from(b));

/** Random frames: valid framing around random bodies and kinds, so the decoder gets past the length check. */
const randomFrames = fc
  .array(fc.record({ kind: fc.integer({ min: 0, max: 21 }), body: fc.uint8Array({ maxLength: 200 }) }), { minLength: 1, maxLength: 4 })
  .map(frames => Buffer.concat(frames.map(f => encodeFrame(f.kind, f.body))));

describe('Fuzzing the frame decoder and handshake', () => {
  let node: TestNode;
  let peer: TestNode;
  let received: number[];

  beforeAll(async () => {
    node = await startNode({ handshakeTimeoutMs: 200 });
    peer = await startNode();
    received = [];
    node.system.spawn(
      Behaviors.receiveMessage<unknown>(ping => {
        // Mutated frames may well reach this actor with something else than a Ping.
        if (!(ping instanceof Ping)) return;
        received.push(ping.n);
        ping.replyTo.tell(ping.n);
      }),
      'echo',
    );
  });

  afterAll(() => terminateAll(node, peer));

  async function wellBehavedPeerIsServed(n: number): Promise<void> {
    const echo = peer.system.remoteRef<Ping>(node.system.hostPort, '/user/echo');
    await expect(peer.system.ask<number>(echo, r => new Ping(n, r), 3000)).resolves.toBe(n);
  }

  /** Sends `bytes` on a connection (fresh, or after a handshake), then lets the node react and hangs up. */
  async function send(bytes: Buffer, authenticated: boolean): Promise<void> {
    const client = authenticated ? await rawHandshake(node.system.port) : await RawClient.connect(node.system.port);
    client.write(bytes);
    // Give the node a moment to read: either it closes the connection or it waits for more bytes.
    await Promise.race([client.whenClosed, new Promise(resolve => setTimeout(resolve, 5))]);
    client.destroy();
    await client.whenClosed;
  }

  it('survives random and mutated bytes before the handshake', async () => {
    const hello = encodeHello({ version: PROTOCOL_VERSION, system: 'test', node: new NodeIdentity('test', '127.0.0.1', 1, 9), nonce: newNonce(), maxFrameSize: 65536 });
    await fc.assert(
      fc.asyncProperty(fc.oneof(randomBytes, randomFrames, mutated([hello])), async bytes => {
        await send(bytes, false);
      }),
      { numRuns: 150 },
    );
    await wellBehavedPeerIsServed(1);
    expect(node.logs.lines.filter(l => /unexpected error/.test(l.message))).toEqual([]);
    await eventually(() => expect(node.system.remoteStats().inboundConnections).toBe(1));
  });

  it('survives random and mutated frames after the handshake', async () => {
    const refOnRaw = node.system.serialization;
    const validMessages = [
      refOnRaw.encodeMessage('/user/echo', 0, 0, { n: 1, list: [1, 2, 3], when: new Date(0) }),
      refOnRaw.encodeMessage('/user/nobody', 5, 0, new Map([['k', 'v']])),
      encodeFrame(FrameKind.Heartbeat),
      // Names defined, then a message by ids; a reply naming an ask by id.
      Buffer.concat([
        encodeFrame(FrameKind.Names, namesBody(0, ['/user/echo', 'fuzz.Ping', 'n'])),
        encodeFrame(FrameKind.Message, messageBodyTo(0, 0, classInstanceByIds(1, [[2, 1]]))),
      ]),
      encodeFrame(FrameKind.Message, messageBodyTo(-1, 5, [0x01])),
    ];
    await fc.assert(
      fc.asyncProperty(fc.oneof(randomBytes, randomFrames, mutated(validMessages)), async bytes => {
        await send(bytes, true);
      }),
      { numRuns: 150 },
    );
    // Some mutations are still valid messages (to unknown recipients, with odd payloads): handled, never fatal.
    await wellBehavedPeerIsServed(2);
    expect(received).toContain(2);
    // Every connection closed for a protocol reason, never for an internal error.
    expect(node.logs.lines.filter(l => /unexpected error/.test(l.message))).toEqual([]);
    await eventually(() => expect(node.system.remoteStats().inboundConnections).toBe(1));
    expect(node.system.isTerminated).toBe(false);
  });
});
