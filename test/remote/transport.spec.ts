import { Behaviors, DeadLetter, Serializable, type ActorRef } from '../../lib/index.js';
import { eventually } from '../support/eventually.js';
import { MemoryTransport } from './support/memory-transport.js';
import { startNode, terminateAll } from './support/nodes.js';

@Serializable('transport.Ping')
class Ping {
  constructor(readonly replyTo: ActorRef<string>) {}
}

describe('A swapped-in transport', () => {
  it('carries tell and ask between nodes without any socket', async () => {
    const transport = new MemoryTransport();
    const a = await startNode({ transport, secret: 'between us' });
    const b = await startNode({ transport, secret: 'between us' });
    b.system.spawn(Behaviors.receiveMessage<Ping>(p => p.replyTo.tell('pong')), 'echo');
    const echo = a.system.remoteRef<Ping>(b.system.hostPort, '/user/echo');
    await expect(a.system.ask<string>(echo, r => new Ping(r), 3000)).resolves.toBe('pong');
    expect(transport.connections).toBe(2); // one outbound connection per direction
    await terminateAll(a, b);
  });

  it('never puts the shared secret on the wire, and refuses a different one', async () => {
    const transport = new MemoryTransport();
    const secret = 'never-on-the-wire-7f3a';
    const a = await startNode({ transport, secret });
    const b = await startNode({ transport, secret });
    const c = await startNode({ transport, secret: 'another-secret' });
    for (const node of [b, c]) node.system.spawn(Behaviors.receiveMessage<Ping>(p => p.replyTo.tell('pong')), 'echo');
    await expect(a.system.ask<string>(a.system.remoteRef<Ping>(b.system.hostPort, '/user/echo'), r => new Ping(r), 3000)).resolves.toBe('pong');
    const dead: DeadLetter[] = [];
    a.system.eventStream.subscribe(DeadLetter, e => dead.push(e));
    a.system.remoteRef<string>(c.system.hostPort, '/user/echo').tell('refused');
    await eventually(() => expect(dead.map(d => d.reason)).toContainEqual(expect.stringMatching(/the shared secrets of .* differ/)));
    const wire = Buffer.concat(transport.wire);
    expect(wire.length).toBeGreaterThan(0);
    for (const s of [secret, 'another-secret']) {
      expect(wire.includes(Buffer.from(s))).toBe(false);
      expect(wire.includes(Buffer.from(s).toString('base64'))).toBe(false);
    }
    await terminateAll(a, b, c);
  });
});
