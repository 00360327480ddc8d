/**
 * The receptionist across a cluster of nodes in this process, on loopback sockets: what is
 * registered on one node is found and subscribed to on every node, and goes from every node
 * when its actor stops, is deregistered, or its node leaves or crashes.
 */
import { Behaviors, Deregister, Listing, MemberDown, Register, ServiceKey, Subscribe, type ClusterEvent } from '../../lib/index.js';
import { eventually } from '../support/eventually.js';
import { TestProbe } from '../support/probe.js';
import { TestCluster, listingOn, nodesOf, spawnEcho, type Echo } from './support/cluster-nodes.js';

const ECHO = ServiceKey.of<Echo>('echo');

describe('ClusteredActorSystem: the receptionist across nodes', () => {
  let cluster: TestCluster;

  beforeEach(() => {
    cluster = new TestCluster();
  });

  afterEach(async () => {
    await cluster.terminate();
  });

  it('joins nodes through a seed until every node sees every other as up', async () => {
    const [a, b, c] = await cluster.startMany(3);
    for (const m of [a, b, c]) {
      expect(m.system.cluster.self.status).toBe('up');
      expect(m.system.cluster.members.map(x => x.address).sort()).toEqual([a, b, c].map(x => x.system.hostPort).sort());
    }
  });

  it('finds a service registered on another node, and its ref reaches the actor there', async () => {
    const [a, b, c] = await cluster.startMany(3);
    spawnEcho(a, ECHO, 'echo');
    for (const other of [b, c]) {
      const listing = await listingOn(other, ECHO, l => expect(nodesOf(l)).toEqual([a.system.selfNode]));
      const reply = await other.system.ask<string>(listing.refs[0]!, r => ['ping', r] as Echo, 3000);
      expect(reply).toBe(`ping@${a.port}`);
    }
  });

  it('lists the instances of one key on several nodes on every node, each with its real node', async () => {
    const [a, b, c] = await cluster.startMany(3);
    spawnEcho(a, ECHO, 'e1');
    spawnEcho(a, ECHO, 'e2');
    spawnEcho(b, ECHO, 'e1');
    spawnEcho(c, ECHO, 'e1');
    const expected = [a, a, b, c].map(m => m.system.selfNode).sort();
    for (const m of [a, b, c]) {
      const listing = await listingOn(m, ECHO, l => expect(nodesOf(l)).toEqual(expected));
      const replies = await Promise.all(listing.refs.map(ref => m.system.ask<string>(ref, r => ['hi', r] as Echo, 3000)));
      expect(replies.sort()).toEqual([a, a, b, c].map(x => `hi@${x.port}`).sort());
    }
  });

  it('tells a subscriber on another node when instances join and leave', async () => {
    const [a, b, c] = await cluster.startMany(3);
    const probe = new TestProbe<Listing<Echo>>(b.system);
    b.system.receptionist.tell(new Subscribe(ECHO, probe.ref));
    expect((await probe.expectMessage()).allInstances).toEqual([]);
    const onA = spawnEcho(a, ECHO, 'echo');
    await probe.fishFor(l => nodesOf(l).join() === a.system.selfNode);
    spawnEcho(c, ECHO, 'echo');
    await probe.fishFor(l => nodesOf(l).join() === [a, c].map(m => m.system.selfNode).sort().join());
    a.system.stop(onA);
    await probe.fishFor(l => nodesOf(l).join() === c.system.selfNode);
  });

  it('removes an entry on every node when its actor stops', async () => {
    const [a, b, c] = await cluster.startMany(3);
    const echo = spawnEcho(a, ECHO, 'echo');
    await listingOn(c, ECHO, l => expect(l.refs).toHaveLength(1));
    a.system.stop(echo);
    for (const m of [a, b, c]) await listingOn(m, ECHO, l => expect(l.allInstances).toEqual([]));
  });

  it('removes an entry on every node when it is deregistered while its actor lives on', async () => {
    const [a, b, c] = await cluster.startMany(3);
    const echo = spawnEcho(a, ECHO, 'echo');
    await listingOn(b, ECHO, l => expect(l.refs).toHaveLength(1));
    await listingOn(c, ECHO, l => expect(l.refs).toHaveLength(1));
    a.system.receptionist.tell(new Deregister(ECHO, echo));
    for (const m of [b, c]) await listingOn(m, ECHO, l => expect(l.allInstances).toEqual([]));
    expect(await a.system.ask<string>(echo, r => ['alive', r] as Echo, 3000)).toBe(`alive@${a.port}`);
  });

  it('hands a Register of a ref on another member to that member, whose record then lists it', async () => {
    const [a, b, c] = await cluster.startMany(3);
    const echo = a.system.spawn(Behaviors.receiveMessage<Echo>(([text, r]) => r.tell(`${text}@${a.port}`)), 'unregistered');
    await listingOn(b, ECHO, l => expect(l.allInstances).toEqual([]));
    // b holds a remote ref of a's actor (as one arriving in a message); b's receptionist hands the Register to a's.
    const remote = b.system.resolveRef<Echo>(echo.address, a.system.identity.uid);
    const ack = new TestProbe<unknown>(b.system);
    b.system.receptionist.tell(new Register(ECHO, remote, ack.ref as never));
    for (const m of [a, b, c]) await listingOn(m, ECHO, l => expect(nodesOf(l)).toEqual([a.system.selfNode]));
    expect(await ack.expectMessage()).toMatchObject({ key: ECHO });
    b.system.receptionist.tell(new Deregister(ECHO, remote));
    for (const m of [a, b, c]) await listingOn(m, ECHO, l => expect(l.allInstances).toEqual([]));
  });

  it("removes a leaving node's entries on every other node before its leave completes", async () => {
    const [a, b, c] = await cluster.startMany(3);
    spawnEcho(a, ECHO, 'echo');
    spawnEcho(b, ECHO, 'echo');
    await listingOn(c, ECHO, l => expect(l.refs).toHaveLength(2));
    await a.system.leave();
    // No polling: the leave completed once b and c acknowledged it.
    for (const m of [b, c]) {
      expect(nodesOf(await m.system.lookup(ECHO))).toEqual([b.system.selfNode]);
      expect(m.system.cluster.members.map(x => x.node)).not.toContain(a.system.selfNode);
    }
    expect(a.system.cluster.self.status).toBe('removed');
  });

  it("removes a terminated node's entries on every other node before terminate() resolves", async () => {
    const [a, b, c] = await cluster.startMany(3);
    spawnEcho(c, ECHO, 'echo');
    await listingOn(a, ECHO, l => expect(l.refs).toHaveLength(1));
    await listingOn(b, ECHO, l => expect(l.refs).toHaveLength(1));
    await c.system.terminate();
    for (const m of [a, b]) {
      expect((await m.system.lookup(ECHO)).allInstances).toEqual([]);
      expect(m.system.cluster.members).toHaveLength(2);
    }
  });

  it("drops a crashed node (sockets destroyed, no leave) and its entries on every survivor", async () => {
    const [a, b, c] = await cluster.startMany(3);
    spawnEcho(c, ECHO, 'echo');
    spawnEcho(a, ECHO, 'echo');
    await listingOn(b, ECHO, l => expect(l.refs).toHaveLength(2));
    const downs: ClusterEvent[] = [];
    b.system.cluster.subscribe(e => {
      if (e instanceof MemberDown) downs.push(e);
    });
    await c.transport.kill();
    for (const m of [a, b]) {
      await listingOn(m, ECHO, l => expect(nodesOf(l, true)).toEqual([a.system.selfNode]), 3000);
      await eventually(() => expect(m.system.cluster.members.map(x => x.node)).not.toContain(c.system.selfNode));
    }
    expect(downs.map(e => e.member.node)).toEqual([c.system.selfNode]);
  });

  it('carries a record larger than a frame in chunks, to members and to a node that joins later', async () => {
    const small = { maxFrameSize: 16 * 1024 };
    const [a, b] = await cluster.startMany(2, small);
    // 2,000 registrations in one turn: their delta is far above a frame, so the record travels in chunks.
    const refs = Array.from({ length: 2000 }, (_, i) => spawnEcho(a, ECHO, `echo-${i}`));
    await listingOn(b, ECHO, l => expect(l.refs).toHaveLength(2000), 10_000);
    const late = await cluster.start(small);
    await late.system.cluster.whenUp();
    await listingOn(late, ECHO, l => expect(l.refs).toHaveLength(2000), 10_000);
    for (const ref of refs.slice(0, 1500)) a.system.stop(ref);
    for (const m of [b, late]) await listingOn(m, ECHO, l => expect(l.refs).toHaveLength(500), 10_000);
  });

  it('gives a node that joins later the whole registry', async () => {
    const members = await cluster.startMany(3);
    const keys = Array.from({ length: 5 }, (_, i) => ServiceKey.of<Echo>(`late-${i}`));
    for (const m of members) {
      for (let i = 0; i < 100; i++) spawnEcho(m, keys[i % keys.length]!, `e${i}`);
    }
    for (const m of members) await listingOn(m, keys[0]!, l => expect(l.refs).toHaveLength(60));
    const late = await cluster.start();
    await late.system.cluster.whenUp();
    for (const key of keys) await listingOn(late, key, l => expect(l.refs).toHaveLength(60));
    const listing = await late.system.lookup(keys[3]!);
    expect(new Set(listing.allInstances.map(i => i.node))).toEqual(new Set(members.map(m => m.system.selfNode)));
  });
});
