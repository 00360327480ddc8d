/**
 * Watching a remote actor, the node-level cases: Terminated arrives when the actor's node
 * (its incarnation) is gone. Actor-level cases are in remote-death-watch.spec.ts.
 */
import net from 'node:net';
import {
  ActorAddress,
  Behaviors,
  Register,
  ServiceKey,
  type ActorRef,
} from '../../lib/index.js';
import { GetReceptionistStats, type ReceptionistMessage, type ReceptionistStats } from '../../lib/receptionist/receptionist.js';
import { until } from '../support/eventually.js';
import { TestProbe } from '../support/probe.js';
import { Ping, Pong } from './fixtures/messages.js';
import { fixturePath, forkNode, request, stopNode, type ChildNode } from './support/child-node.js';
import { startNode, terminateAll, type TestNode } from './support/nodes.js';
import { spawnWatcher } from './support/watchers.js';

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise(resolve => server.close(resolve));
  return port;
}

describe('Remote watch when the node goes', () => {
  let local: TestNode;
  const children: ChildNode[] = [];

  beforeEach(async () => {
    local = await startNode();
  });

  afterEach(async () => {
    await Promise.all(children.splice(0).map(c => stopNode(c, 'SIGKILL')));
    await terminateAll(local);
  });

  async function child(env: Record<string, string> = {}, fixture?: string): Promise<ChildNode> {
    const node = await forkNode(env, fixture);
    children.push(node);
    return node;
  }

  const echoOf = (c: ChildNode) => local.system.remoteRef<Ping>(`127.0.0.1:${c.port}`, '/user/echo');
  const watches = () => local.system.remoteStats().remoteWatches;
  const connectedTo = (c: ChildNode) => local.system.remoteStats().peers.some(p => p.node === `127.0.0.1:${c.port}` && p.connected);

  it('delivers Terminated when the watched actor\'s process is killed', async () => {
    const c = await child();
    const probe = new TestProbe<string>(local.system);
    spawnWatcher(local.system, echoOf(c) as ActorRef<never>, probe);
    // Watching alone connects to the node: nothing has been sent to it.
    await until(() => watches() === 1 && connectedTo(c), 'the watch and its connection');
    await stopNode(c, 'SIGKILL');
    expect(await probe.expectMessage(5000)).toBe(`terminated /user/echo@${c.port}`);
    expect(watches()).toBe(0);
  });

  it('delivers Terminated when the watched actor\'s node terminates gracefully', async () => {
    const c = await child();
    const probe = new TestProbe<string>(local.system);
    spawnWatcher(local.system, echoOf(c) as ActorRef<never>, probe);
    await until(() => watches() === 1 && connectedTo(c), 'the watch and its connection');
    await stopNode(c);
    expect(await probe.expectMessage(5000)).toBe(`terminated /user/echo@${c.port}`);
    expect(watches()).toBe(0);
  });

  it('does not deliver Terminated for an actor of another node', async () => {
    const [c1, c2] = await Promise.all([child(), child()]);
    const first = new TestProbe<string>(local.system);
    const second = new TestProbe<string>(local.system);
    spawnWatcher(local.system, echoOf(c1) as ActorRef<never>, first);
    const secondWatcher = spawnWatcher(local.system, echoOf(c2) as ActorRef<never>, second);
    await until(() => watches() === 2 && connectedTo(c1) && connectedTo(c2), 'both watches and connections');
    await stopNode(c1, 'SIGKILL');
    expect(await first.expectMessage(5000)).toBe(`terminated /user/echo@${c1.port}`);
    // The other node still answers, and its watcher's next message comes before any Terminated
    // (one sent already would be in its mailbox ahead of the command, so it would show first).
    expect(await local.system.ask<Pong>(echoOf(c2), r => new Ping(1, r), 5000)).toEqual(new Pong(1, c2.process.pid!));
    secondWatcher.tell('ping');
    expect(await second.expectMessage()).toBe('did ping');
    expect(watches()).toBe(1);
  });

  it('stops delivering after unwatch', async () => {
    const c = await child();
    const leaving = new TestProbe<string>(local.system);
    const staying = new TestProbe<string>(local.system);
    const leaver = spawnWatcher(local.system, echoOf(c) as ActorRef<never>, leaving);
    spawnWatcher(local.system, echoOf(c) as ActorRef<never>, staying);
    await until(() => watches() === 2 && connectedTo(c), 'both watches');
    leaver.tell('unwatch');
    expect(await leaving.expectMessage()).toBe('did unwatch');
    expect(watches()).toBe(1);
    await stopNode(c, 'SIGKILL');
    expect(await staying.expectMessage(5000)).toBe(`terminated /user/echo@${c.port}`);
    leaver.tell('ping');
    expect(await leaving.expectMessage()).toBe('did ping');
    expect(watches()).toBe(0);
  });

  it('delivers Terminated when the node cannot be reached at all', async () => {
    await terminateAll(local);
    local = await startNode({ giveUpAfterMs: 300, maxConnectAttempts: 3, minBackoffMs: 20, maxBackoffMs: 50 });
    const port = await freePort();
    const nobody = local.system.remoteRef<never>(`127.0.0.1:${port}`, '/user/nobody');
    const probe = new TestProbe<string>(local.system);
    spawnWatcher(local.system, nobody, probe);
    expect(await probe.expectMessage(5000)).toBe(`terminated /user/nobody@${port}`);
    expect(watches()).toBe(0);
  });

  it('answers at once for a ref of an incarnation that a newer one on the same host:port replaced', async () => {
    const c = await child();
    await local.system.ask<Pong>(echoOf(c), r => new Ping(1, r), 5000);
    const oldUid = local.system.remoteStats().peers.find(p => p.node === `127.0.0.1:${c.port}`)!.uid!;
    await stopNode(c, 'SIGKILL');
    const restarted = await child({ NODE_PORT: String(c.port) });
    expect(await local.system.ask<Pong>(echoOf(restarted), r => new Ping(2, r), 10_000)).toEqual(new Pong(2, restarted.process.pid!));
    const stale = local.system.resolveRef<never>(new ActorAddress('test', '/user/echo', 0, '127.0.0.1', c.port), oldUid);
    const probe = new TestProbe<string>(local.system);
    spawnWatcher(local.system, stale, probe);
    expect(await probe.expectMessage()).toBe(`terminated /user/echo@${c.port}`);
    expect(watches()).toBe(0);
  });

  describe('Receptionist', () => {
    const KEY = ServiceKey.of<never>('remote-watch-subscribed');
    const stats = () =>
      local.system.ask<ReceptionistStats>(local.system.receptionist as unknown as ActorRef<ReceptionistMessage>, r => new GetReceptionistStats(r), 3000);

    it('drops the subscriptions a peer made with temporary refs once their asks settle, its node still up', async () => {
      const subscriber = await child({}, fixturePath('subscriber-node.ts'));
      const count = 50;
      expect(await request<number>(subscriber, { subscribe: { node: local.system.hostPort, key: KEY.id, count } }, 'subscribed')).toBe(count);
      // Each temporary ref is watched where it lives, which ends the watch once its ask has its first Listing.
      await until(() => watches() === 0, 'the watches of the settled temporary refs to end');
      expect(await stats()).toMatchObject({ subscriptions: 0, subscribers: 0, watched: 0 });
      // Nothing is sent to them any more: a change has nobody to notify.
      local.system.receptionist.tell(new Register(KEY, local.system.spawn(Behaviors.ignore)));
      await until(() => connectedTo(subscriber), 'the peer to stay connected');
      expect(await stats()).toMatchObject({ subscriptions: 0, subscribers: 0, watched: 1 });
    });
  });
});
