/**
 * The EventStream: a throwing callback subscriber never breaks its publisher, is reported,
 * and is unsubscribed after repeated failures.
 */
import { ActorSystem, Behaviors, DeadLetter, Find, HandshakeFailed, Listing, ServiceKey, type ActorRef } from '../../lib/index.js';
import { until } from '../support/eventually.js';
import { captureLogs, RawClient, startNode, terminateAll } from '../remote/support/nodes.js';
import { Ping, Pong } from '../remote/fixtures/messages.js';

describe('EventStream', () => {
  it('keeps publishing to the other subscribers when one throws, and drops it after three failures in a row', async () => {
    const logs = captureLogs();
    const system = ActorSystem.create('events', { logger: logs.factory, deadLetterLogLimit: 0 });
    try {
      let thrown = 0;
      const seen: string[] = [];
      system.eventStream.subscribe(DeadLetter, () => {
        thrown++;
        throw new Error('subscriber bug');
      });
      system.eventStream.subscribe(DeadLetter, e => void seen.push(String(e.message)));
      const gone = system.spawn(Behaviors.stopped as never, 'gone') as ActorRef<string>;
      await until(() => (gone as unknown as { isTerminated: boolean }).isTerminated, 'the actor to stop');
      for (const m of ['a', 'b', 'c', 'd', 'e']) expect(() => gone.tell(m)).not.toThrow();
      expect(seen).toEqual(['a', 'b', 'c', 'd', 'e']);
      expect(thrown).toBe(3);
      const errors = logs.lines.filter(l => l.level === 'error').map(l => l.message);
      expect(errors).toHaveLength(2);
      expect(errors[0]).toMatch(/An EventStream subscriber threw on DeadLetter \(1 in a row\): Error: subscriber bug/);
      expect(errors[1]).toMatch(/unsubscribed after 3 consecutive failures/);
    } finally {
      await system.terminate();
    }
  });

  it('keeps the receptionist answering while a DeadLetter subscriber throws', async () => {
    const system = ActorSystem.create('events', { logger: captureLogs().factory });
    try {
      system.eventStream.subscribe(DeadLetter, () => {
        throw new Error('subscriber bug');
      });
      system.receptionist.tell('not a command' as never);
      const listing = await system.ask<Listing<never>>(system.receptionist, r => new Find(ServiceKey.of<never>('k'), r), 1000);
      expect(listing).toBeInstanceOf(Listing);
    } finally {
      await system.terminate();
    }
  });

  it('keeps a node up and its timers running when a HandshakeFailed subscriber throws on a silent socket', async () => {
    const node = await startNode({ handshakeTimeoutMs: 100, heartbeatIntervalMs: 50, idleTimeoutMs: 1000 });
    const peer = await startNode();
    try {
      let calls = 0;
      node.system.eventStream.subscribe(HandshakeFailed, () => {
        calls++;
        throw new Error('subscriber bug');
      });
      node.system.spawn(Behaviors.receiveMessage<Ping>(p => void p.replyTo.tell(new Pong(p.n, 0))), 'echo');
      const silent = await RawClient.connect(node.system.port);
      await silent.closedWithin(3000);
      expect(calls).toBe(1);
      const echo = peer.system.remoteRef<Ping>(node.system.hostPort, '/user/echo');
      expect((await peer.system.ask<Pong>(echo, r => new Ping(1, r), 2000)).n).toBe(1);
      // Heartbeats keep flowing on the connection, so it outlives several idle timeouts' worth of ticks.
      await until(() => (node.system.remoting.inboundHealth()[0]?.heartbeatAcks ?? 0) >= 3, 'heartbeats answered after the failure', 3000);
    } finally {
      await terminateAll(node, peer);
    }
  });
});
