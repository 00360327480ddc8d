/**
 * Actor-level remote death watch: Terminated when a remote actor stops while its node lives
 * on, when it never existed, when its node goes; watch state bounded and cleaned up on both
 * sides; hostile watch messages refused; the receptionist dropping a remote subscriber.
 */
import {
  ActorAddress,
  Behaviors,
  Listing,
  Register,
  ServiceKey,
  Subscribe,
  Terminated,
  type ActorRef,
  type Behavior,
  type ReceptionistCommand,
} from '../../lib/index.js';
import { GetReceptionistStats, type ReceptionistMessage, type ReceptionistStats } from '../../lib/receptionist/receptionist.js';
import { REMOTE_WATCHER_PATH, Unwatch, Watch, WatchedTerminated } from '../../lib/remote/remote-watch-protocol.js';
import { eventually, until } from '../support/eventually.js';
import { TestProbe } from '../support/probe.js';
import { Burst, Seq } from './fixtures/messages.js';
import { fixturePath, forkNode, request, stopNode, type ChildNode } from './support/child-node.js';
import { LossyTransport } from './support/lossy-transport.js';
import { startNode, terminateAll, type TestNode } from './support/nodes.js';
import { spawnWatcher } from './support/watchers.js';

/** A message whose fields have the types a hostile peer chose (the codecs write them as they are). */
function forged<T extends object>(cls: { prototype: T }, fields: Record<string, unknown>): T {
  return Object.assign(Object.create(cls.prototype) as T, fields);
}

describe('Remote death watch', () => {
  let a: TestNode;
  let b: TestNode;
  const children: ChildNode[] = [];

  beforeEach(async () => {
    [a, b] = await Promise.all([startNode(), startNode()]);
  });

  afterEach(async () => {
    await Promise.all(children.splice(0).map(c => stopNode(c, 'SIGKILL')));
    await terminateAll(a, b);
  });

  async function child(): Promise<ChildNode> {
    const node = await forkNode({}, fixturePath('watch-node.ts'));
    children.push(node);
    return node;
  }

  /** `ref` (an actor of `owner`) as `viewer` sees it: a remote ref naming its uid. */
  const seenFrom = (viewer: TestNode, owner: TestNode, ref: ActorRef<unknown>) =>
    viewer.system.resolveRef<never>(new ActorAddress('test', ref.path, ref.address.uid, owner.system.host, owner.system.port));
  const statsOf = (node: TestNode) => node.system.remoteStats();
  const connected = (from: TestNode, to: TestNode) => statsOf(from).peers.some(p => p.node === to.system.hostPort && p.connected);

  describe('when the actor stops or never existed', () => {
    it('delivers Terminated when the watched actor stops on a node that stays up', async () => {
      const target = b.system.spawn(Behaviors.ignore, 'target');
      const probe = new TestProbe<string>(a.system);
      spawnWatcher(a.system, seenFrom(a, b, target), probe);
      await until(() => statsOf(b).watchedForPeers === 1, 'the watch to arrive');
      b.system.stop(target);
      expect(await probe.expectMessage()).toBe(`terminated /user/target@${b.system.port}`);
      expect(statsOf(a)).toMatchObject({ remoteWatches: 0, remoteWatchedActors: 0 });
      await until(() => statsOf(b).watchedForPeers === 0 && statsOf(b).watchingPeers === 0, 'the watched side to forget it');
      expect(connected(a, b)).toBe(true);
    });

    it('delivers Terminated for a path with no actor, and for an earlier incarnation of a live actor', async () => {
      const target = b.system.spawn(Behaviors.ignore, 'target');
      const nobody = new TestProbe<string>(a.system);
      const earlier = new TestProbe<string>(a.system);
      spawnWatcher(a.system, a.system.remoteRef<never>(b.system.hostPort, '/user/nobody'), nobody);
      const stale = a.system.resolveRef<never>(new ActorAddress('test', '/user/target', target.address.uid + 1, b.system.host, b.system.port));
      spawnWatcher(a.system, stale, earlier);
      expect(await nobody.expectMessage()).toBe(`terminated /user/nobody@${b.system.port}`);
      expect(await earlier.expectMessage()).toBe(`terminated /user/target@${b.system.port}`);
      expect(statsOf(a)).toMatchObject({ remoteWatches: 0, remoteWatchedActors: 0 });
      expect(statsOf(b).watchedForPeers).toBe(0);
      expect(b.system.resolveLocal('/user/target')).toBeDefined();
    });

    it('delivers Terminated only after every message the actor sent before it stopped', async () => {
      const n = 3000;
      const bursty = b.system.spawn(
        Behaviors.receiveMessage<Burst>(burst => {
          for (let i = 0; i < burst.n; i++) burst.to.tell(new Seq(i));
          return Behaviors.stopped;
        }),
        'bursty',
      );
      const probe = new TestProbe<string>(a.system);
      const remoteBursty = seenFrom(a, b, bursty);
      const receiver = a.system.spawn(
        Behaviors.setup<Seq>(ctx => {
          ctx.watch(remoteBursty);
          let count = 0;
          let inOrder = true;
          return Behaviors.receive<Seq>((_ctx, seq) => {
            if (seq.n !== count) inOrder = false;
            count++;
            // A little work per message, so the mailbox still holds some when the end of the watch arrives.
            const until = performance.now() + 0.02;
            while (performance.now() < until);
          }).receiveSignal((_ctx, signal) => {
            if (signal instanceof Terminated) probe.ref.tell(`terminated after ${count} in order ${inOrder}`);
          });
        }),
        'receiver',
      );
      await until(() => statsOf(b).watchedForPeers === 1, 'the watch to arrive');
      (remoteBursty as unknown as ActorRef<Burst>).tell(new Burst(n, receiver));
      expect(await probe.expectMessage(10_000)).toBe(`terminated after ${n} in order true`);
    });
  });

  describe('bookkeeping', () => {
    it('stops delivering after unwatch, and frees the watch on both sides', async () => {
      const target = b.system.spawn(Behaviors.ignore, 'target');
      const leaving = new TestProbe<string>(a.system);
      const staying = new TestProbe<string>(a.system);
      const leaver = spawnWatcher(a.system, seenFrom(a, b, target), leaving);
      const stayer = spawnWatcher(a.system, seenFrom(a, b, target), staying);
      await until(() => statsOf(b).watchedForPeers === 1, 'the watch to arrive');
      expect(statsOf(a)).toMatchObject({ remoteWatches: 2, remoteWatchedActors: 1 });

      leaver.tell('unwatch');
      expect(await leaving.expectMessage()).toBe('did unwatch');
      expect(statsOf(a)).toMatchObject({ remoteWatches: 1, remoteWatchedActors: 1 });
      stayer.tell('unwatch');
      expect(await staying.expectMessage()).toBe('did unwatch');
      expect(statsOf(a)).toMatchObject({ remoteWatches: 0, remoteWatchedActors: 0 });
      await until(() => statsOf(b).watchedForPeers === 0 && statsOf(b).watchingPeers === 0, 'the watched side to drop it');

      // Watched again by one of them only: the stop reaches that one, never the other.
      const again = spawnWatcher(a.system, seenFrom(a, b, target), staying);
      await until(() => statsOf(b).watchedForPeers === 1, 'the new watch to arrive');
      b.system.stop(target);
      expect(await staying.expectMessage()).toBe(`terminated /user/target@${b.system.port}`);
      leaver.tell('ping');
      expect(await leaving.expectMessage()).toBe('did ping');
      again.tell('ping');
      expect(await staying.expectMessage()).toBe('did ping');
    });

    it('sends one watch over the wire for many local watchers of one remote actor', async () => {
      const target = b.system.spawn(Behaviors.ignore, 'target');
      const watchers = 20;
      const probe = new TestProbe<string>(a.system);
      const remoteTarget = seenFrom(a, b, target);
      for (let i = 0; i < watchers; i++) spawnWatcher(a.system, remoteTarget, probe);
      await until(() => statsOf(b).watchedForPeers === 1, 'the watch to arrive');
      expect(statsOf(a)).toMatchObject({ remoteWatches: watchers, remoteWatchedActors: 1 });
      // Only watch messages went from a to b: one Watch.
      expect(statsOf(b).messagesReceived).toBe(1);

      b.system.stop(target);
      for (let i = 0; i < watchers; i++) expect(await probe.expectMessage()).toBe(`terminated /user/target@${b.system.port}`);
      expect(statsOf(a)).toMatchObject({ remoteWatches: 0, remoteWatchedActors: 0 });
      // One answer for all of them.
      expect(statsOf(a).messagesReceived).toBe(1);
    });

    it('refuses watches beyond maxWatchesPerPeer, and takes new ones once held ones end', async () => {
      await terminateAll(b);
      b = await startNode({ maxWatchesPerPeer: 3 });
      const targets = Array.from({ length: 5 }, (_, i) => b.system.spawn(Behaviors.ignore, `t${i}`));
      const probe = new TestProbe<string>(a.system);
      for (const target of targets) spawnWatcher(a.system, seenFrom(a, b, target), probe);
      const refused = [await probe.expectMessage(), await probe.expectMessage()];
      expect(refused.every(m => m.startsWith('terminated /user/t'))).toBe(true);
      expect(statsOf(b)).toMatchObject({ watchedForPeers: 3, watchingPeers: 1, watchesRefused: 2 });
      expect(statsOf(a)).toMatchObject({ remoteWatches: 3, remoteWatchedActors: 3 });
      expect(b.logs.text()).toContain('(maxWatchesPerPeer)');
      expect(a.logs.text()).toContain('refused the watch');
      // The refused ones live on.
      for (const target of targets) expect(b.system.resolveLocal(target.path)).toBeDefined();

      const held = targets.find(t => !refused.includes(`terminated ${t.path}@${b.system.port}`))!;
      b.system.stop(held);
      expect(await probe.expectMessage()).toBe(`terminated ${held.path}@${b.system.port}`);
      await until(() => statsOf(b).watchedForPeers === 2, 'the ended watch to free its place');
      spawnWatcher(a.system, seenFrom(a, b, b.system.spawn(Behaviors.ignore, 'late')), probe);
      await until(() => statsOf(b).watchedForPeers === 3, 'a new watch to be held');
      expect(statsOf(b).watchesRefused).toBe(2);
    });
    it('watches again after a reconnect, so an answer lost with the old connection still arrives', async () => {
      await terminateAll(b);
      const transport = new LossyTransport();
      b = await startNode({ transport });
      const target = b.system.spawn(Behaviors.ignore, 'target');
      const probe = new TestProbe<string>(a.system);
      spawnWatcher(a.system, seenFrom(a, b, target), probe);
      // b's own connection to a, the one that carries its answers.
      const inbox = new TestProbe<string>(a.system);
      const inboxOfA = seenFrom(b, a, inbox.ref) as unknown as ActorRef<string>;
      inboxOfA.tell('hello');
      expect(await inbox.expectMessage()).toBe('hello');
      await until(() => statsOf(b).watchedForPeers === 1, 'the watch to arrive');

      const sentBefore = statsOf(b).messagesSent;
      transport.swallow();
      b.system.stop(target);
      // Written to the socket (and lost), not merely queued: a queued frame would survive the reconnect by itself.
      await until(() => statsOf(b).watchedForPeers === 0 && statsOf(b).messagesSent === sentBefore + 1, 'the answer to be written');
      // The lost connection closes; b's next message to a opens another, and a watches again over its own.
      b.system.remoting.disconnect(a.system.hostPort, 'test: connection lost');
      inboxOfA.tell('again');
      expect(await inbox.expectMessage(5000)).toBe('again');
      expect(await probe.expectMessage(5000)).toBe(`terminated /user/target@${b.system.port}`);
      expect(statsOf(a)).toMatchObject({ remoteWatches: 0, remoteWatchedActors: 0 });
    });
  });

  describe('hostile peers', () => {
    it('drops malformed watch messages with a logged reason and keeps serving', async () => {
      const endpoint = a.system.remoteRef<unknown>(b.system.hostPort, REMOTE_WATCHER_PATH);
      const hostile: unknown[] = [
        forged(Watch, { id: 'one', path: '/user/x', uid: 0 }),
        forged(Watch, { id: 1, path: 42, uid: 0 }),
        forged(Watch, { id: 1, path: '/user/x', uid: -1 }),
        forged(Watch, { id: 2 ** 60, path: '/user/x', uid: 0 }),
        forged(Watch, { id: 1, path: `/${'a'.repeat(100_000)}`, uid: 0 }),
        forged(Watch, { id: 1, path: 'user/x', uid: 0 }),
        forged(Unwatch, { id: { nested: true } }),
        forged(WatchedTerminated, { id: 1, end: 'exploded' }),
        'hello',
        [1, 2, 3],
      ];
      for (const message of hostile) endpoint.tell(message);
      await until(() => statsOf(b).watchMessagesMalformed === hostile.length, 'every hostile message to be dropped');
      expect(b.logs.text()).toContain('Dropped a malformed remote-watch message');
      expect(b.logs.text()).not.toContain('a'.repeat(1000));
      expect(statsOf(b)).toMatchObject({ watchedForPeers: 0, watchesRefused: 0 });

      // Still serving: a real watch works.
      const target = b.system.spawn(Behaviors.ignore, 'target');
      const probe = new TestProbe<string>(a.system);
      spawnWatcher(a.system, seenFrom(a, b, target), probe);
      await until(() => statsOf(b).watchedForPeers === 1, 'a real watch');
      b.system.stop(target);
      expect(await probe.expectMessage()).toBe(`terminated /user/target@${b.system.port}`);
    });

    it('refuses a watch of a path peers may not message, answering it as ended', async () => {
      const secret = b.system.systemActorOf(Behaviors.ignore, 'secret');
      const probe = new TestProbe<string>(a.system);
      spawnWatcher(a.system, seenFrom(a, b, secret), probe);
      expect(await probe.expectMessage()).toBe(`terminated /system/secret@${b.system.port}`);
      expect(statsOf(b)).toMatchObject({ watchedForPeers: 0, watchesRefused: 1 });
      expect(b.logs.text()).toContain('remote peers may not message that path');
      expect(b.system.resolveLocal('/system/secret')).toBeDefined();
    });

    it('lets no peer end the watches of another node\'s actors', async () => {
      const c = await startNode();
      try {
        const target = b.system.spawn(Behaviors.ignore, 'target');
        const probe = new TestProbe<string>(a.system);
        const watcher = spawnWatcher(a.system, seenFrom(a, b, target), probe);
        await until(() => statsOf(b).watchedForPeers === 1, 'the watch to arrive');
        // c guesses a's watch ids and claims they ended.
        const endpoint = c.system.remoteRef<unknown>(a.system.hostPort, REMOTE_WATCHER_PATH);
        for (let id = 1; id <= 20; id++) endpoint.tell(new WatchedTerminated(id, 'stopped'));
        await until(() => statsOf(a).messagesReceived >= 20, 'the forged answers to arrive');
        watcher.tell('ping');
        expect(await probe.expectMessage()).toBe('did ping');
        expect(statsOf(a)).toMatchObject({ remoteWatches: 1, remoteWatchedActors: 1 });
      } finally {
        await terminateAll(c);
      }
    });
    it('ignores an answer addressed to an earlier incarnation of the watching node', async () => {
      const target = b.system.spawn(Behaviors.ignore, 'target');
      const probe = new TestProbe<string>(a.system);
      const watcher = spawnWatcher(a.system, seenFrom(a, b, target), probe);
      await until(() => statsOf(b).watchedForPeers === 1, 'the watch to arrive');
      const answerTo = (nodeUid: number) =>
        b.system.remoting.remoteRef<WatchedTerminated>(new ActorAddress('test', REMOTE_WATCHER_PATH, 0, a.system.host, a.system.port), nodeUid);
      // The first watch a's remoting made has id 1: an earlier incarnation of a used the same ids.
      const received = statsOf(a).messagesReceived;
      answerTo(a.system.identity.uid + 1).tell(new WatchedTerminated(1, 'stopped'));
      await until(() => statsOf(a).messagesReceived === received + 1, 'the stale answer to arrive');
      watcher.tell('ping');
      expect(await probe.expectMessage()).toBe('did ping');
      expect(statsOf(a).remoteWatchedActors).toBe(1);
      answerTo(a.system.identity.uid).tell(new WatchedTerminated(1, 'stopped'));
      expect(await probe.expectMessage()).toBe(`terminated /user/target@${b.system.port}`);
    });
  });

  describe('separate processes', () => {
    it('delivers Terminated when the actor stops in another process, and when that process is killed', async () => {
      const c = await child();
      await request(c, { spawn: 'first' }, 'spawned');
      await request(c, { spawn: 'second' }, 'spawned');
      const node = `127.0.0.1:${c.port}`;
      const probe = new TestProbe<string>(a.system);
      spawnWatcher(a.system, a.system.remoteRef<never>(node, '/user/first'), probe);
      spawnWatcher(a.system, a.system.remoteRef<never>(node, '/user/second'), probe);
      expect(statsOf(a).remoteWatchedActors).toBe(2);
      const heldThere = async () => (await request<{ watchedForPeers: number }>(c, { stats: true }, 'stats')).watchedForPeers;
      await eventually(async () => expect(await heldThere()).toBe(2));

      await request(c, { stopActor: 'first' }, 'stoppedActor');
      expect(await probe.expectMessage(5000)).toBe(`terminated /user/first@${c.port}`);
      await stopNode(c, 'SIGKILL');
      expect(await probe.expectMessage(5000)).toBe(`terminated /user/second@${c.port}`);
      expect(statsOf(a)).toMatchObject({ remoteWatches: 0, remoteWatchedActors: 0 });
    });

    it('drops what a peer watched here when that peer\'s process is killed', async () => {
      const c = await child();
      const count = 10;
      for (let i = 0; i < count; i++) a.system.spawn(Behaviors.ignore, `watched-${i}`);
      for (let i = 0; i < count; i++) await request(c, { watch: { node: a.system.hostPort, path: `/user/watched-${i}` } }, 'watching');
      await until(() => statsOf(a).watchedForPeers === count && statsOf(a).watchingPeers === 1, 'the peer\'s watches');
      await stopNode(c, 'SIGKILL');
      await until(() => statsOf(a).watchedForPeers === 0 && statsOf(a).watchingPeers === 0, 'the gone peer\'s watches to be dropped');
      for (let i = 0; i < count; i++) expect(a.system.resolveLocal(`/user/watched-${i}`)).toBeDefined();
    });

    it('tells a peer when one of the actors it watches stops', async () => {
      const c = await child();
      const ended: string[] = [];
      c.process.on('message', m => {
        const path = (m as { terminated?: string }).terminated;
        if (path !== undefined) ended.push(path);
      });
      a.system.spawn(Behaviors.ignore, 'kept');
      const going = a.system.spawn(Behaviors.ignore, 'going');
      await request(c, { watch: { node: a.system.hostPort, path: '/user/kept' } }, 'watching');
      await request(c, { watch: { node: a.system.hostPort, path: '/user/going' } }, 'watching');
      await until(() => statsOf(a).watchedForPeers === 2, 'both watches');
      a.system.stop(going);
      await until(() => ended.length > 0, 'the peer to learn of the stop', 5000);
      expect(ended).toEqual(['/user/going']);
      await until(() => statsOf(a).watchedForPeers === 1, 'the ended watch to be dropped');
    });
  });

  describe('Receptionist', () => {
    const KEY = ServiceKey.of<never>('remote-death-watch-subscribed');
    const receptionistStats = (node: TestNode) =>
      node.system.ask<ReceptionistStats>(node.system.receptionist as unknown as ActorRef<ReceptionistMessage>, r => new GetReceptionistStats(r), 3000);

    it('drops a remote subscriber whose actor stopped while its node stays up', async () => {
      const listings = new TestProbe<Listing<never>>(a.system);
      const receptionistOfB = a.system.remoteRef<ReceptionistCommand>(b.system.hostPort, '/system/receptionist');
      receptionistOfB.tell(new Subscribe(KEY, listings.ref as ActorRef<Listing<never>>));
      expect(await listings.expectMessage()).toBeInstanceOf(Listing);
      expect(await receptionistStats(b)).toMatchObject({ subscriptions: 1, subscribers: 1, watched: 1 });

      a.system.stop(listings.ref as ActorRef<never>);
      await until(() => statsOf(b).remoteWatchedActors === 0, 'the receptionist\'s watch to end');
      expect(await receptionistStats(b)).toMatchObject({ subscriptions: 0, subscribers: 0, watched: 0 });
      expect(statsOf(a).watchedForPeers).toBe(0);
      expect(connected(b, a)).toBe(true);
    });

    it('keeps a remote subscriber that lives on', async () => {
      const kept = new TestProbe<Listing<never>>(a.system);
      const receptionistOfB = a.system.remoteRef<ReceptionistCommand>(b.system.hostPort, '/system/receptionist');
      receptionistOfB.tell(new Subscribe(KEY, kept.ref as ActorRef<Listing<never>>));
      expect(await kept.expectMessage()).toBeInstanceOf(Listing);
      await until(() => statsOf(a).watchedForPeers === 1, 'the receptionist\'s watch to arrive');
      b.system.receptionist.tell(new Register(KEY, b.system.spawn(Behaviors.ignore as Behavior<never>)));
      expect((await kept.expectMessage()).allInstances).toHaveLength(1);
      expect(await receptionistStats(b)).toMatchObject({ subscriptions: 1, watched: 2 });
    });
  });
});
