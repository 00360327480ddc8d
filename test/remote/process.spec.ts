/**
 * Remoting with a node in a separate OS process (test/remote/fixtures/node.ts run by tsx).
 */
import { ActorAddress, DeadLetter, RemoteActorRef, type ActorRef } from '../../lib/index.js';
import { eventually } from '../support/eventually.js';
import { TestProbe } from '../support/probe.js';
import { Nested, Ping, Pong, Seq, Tally, TallyResult } from './fixtures/messages.js';
import { forkNode, stopNode, type ChildNode } from './support/child-node.js';
import { startNode, terminateAll, type TestNode } from './support/nodes.js';

describe('Remoting with a node in another OS process', () => {
  let local: TestNode;
  let child: ChildNode;
  let restarted: ChildNode | undefined;

  beforeAll(async () => {
    [local, child] = await Promise.all([startNode(), forkNode()]);
  }, 30_000);

  afterAll(async () => {
    await Promise.all([stopNode(child, 'SIGKILL'), stopNode(restarted, 'SIGKILL')]);
    await terminateAll(local);
  });

  const node = () => `127.0.0.1:${child.port}`;

  it('tells and asks an actor in the other process', async () => {
    const echo = local.system.remoteRef<Ping>(node(), '/user/echo');
    const pong = await local.system.ask<Pong>(echo, r => new Ping(1, r), 5000);
    expect(pong).toBeInstanceOf(Pong);
    expect(pong).toEqual(new Pong(1, child.process.pid!));
    const probe = new TestProbe<Pong>(local.system);
    echo.tell(new Ping(2, probe.ref));
    expect(await probe.expectMessage()).toEqual(new Pong(2, child.process.pid!));
  });

  it('replies to refs nested inside a message', async () => {
    const first = new TestProbe<string>(local.system);
    const second = new TestProbe<string>(local.system);
    local.system.remoteRef<Nested>(node(), '/user/nested').tell(new Nested({ deep: { replyTo: [first.ref, second.ref] } }));
    expect(await first.expectMessage()).toBe(`nested reply from ${child.process.pid}`);
    expect(await second.expectMessage()).toBe(`nested reply from ${child.process.pid}`);
  });

  it('keeps the order of 10,000 messages', async () => {
    const sink = local.system.remoteRef<Seq | Tally>(node(), '/user/sink');
    for (let i = 0; i < 10_000; i++) sink.tell(new Seq(i));
    const tally = await local.system.ask<TallyResult>(sink, r => new Tally(r), 10_000);
    expect(tally).toMatchObject({ count: 10_000, inOrder: true });
  });

  it('dead-letters messages for unknown actors in the other process, which keeps serving', async () => {
    const sink = local.system.remoteRef<Seq | Tally>(node(), '/user/sink');
    const before = (await local.system.ask<TallyResult>(sink, r => new Tally(r), 5000)).deadLetters;
    const missing = local.system.resolveRef<string>(new ActorAddress('test', '/user/missing', 1, '127.0.0.1', child.port));
    expect(missing).toBeInstanceOf(RemoteActorRef);
    missing.tell('nobody home');
    missing.tell('still nobody');
    await eventually(async () => {
      const after = (await local.system.ask<TallyResult>(sink, r => new Tally(r), 5000)).deadLetters;
      expect(after - before).toBe(2);
    });
  });

  it('reconnects when the other process restarts on the same port', async () => {
    const echo: ActorRef<Ping> = local.system.remoteRef<Ping>(node(), '/user/echo');
    const oldPid = child.process.pid!;
    await stopNode(child, 'SIGKILL'); // no goodbye: the connection just breaks
    await eventually(() => expect(local.system.remoteStats().peers.find(p => p.node === node())?.connected).toBe(false));
    const dead: DeadLetter[] = [];
    local.system.eventStream.subscribe(DeadLetter, e => dead.push(e));
    const probe = new TestProbe<Pong>(local.system);
    echo.tell(new Ping(3, probe.ref)); // queued while the port is closed
    restarted = await forkNode({ NODE_PORT: String(child.port) });
    const pong = await probe.expectMessage(10_000);
    expect(pong.n).toBe(3);
    expect(pong.pid).toBe(restarted.process.pid);
    expect(pong.pid).not.toBe(oldPid);
    expect(await local.system.ask<Pong>(echo, r => new Ping(4, r), 5000)).toEqual(new Pong(4, restarted.process.pid!));
    expect(dead).toEqual([]);
  }, 30_000);
});
