/**
 * What a peer sends to `/system/cluster` is untrusted: a message of another format version,
 * a malformed chunk, an entry naming another node's actor or something that is no cluster
 * message at all is dropped with a warning, and the member goes on working.
 */
import { CLUSTER_STATE_VERSION, GossipPush, GossipRecords, registerClusterMessages } from '../../lib/cluster/index.js';
import { Behaviors, ServiceKey, type ActorRef } from '../../lib/index.js';
import { eventually } from '../support/eventually.js';
import { startNode, type TestNode } from '../remote/support/nodes.js';
import { TestCluster, listingOn, nodesOf, spawnEcho, type Echo, type Member } from './support/cluster-nodes.js';

const ECHO = ServiceKey.of<Echo>('echo');

describe('A cluster member receiving hostile gossip', () => {
  let cluster: TestCluster;
  let member: Member;
  let rogue: TestNode;
  let from: ActorRef<never>;
  let target: ActorRef<unknown>;
  let rogueKey: string;

  beforeEach(async () => {
    cluster = new TestCluster();
    [member] = await cluster.startMany(1);
    spawnEcho(member, ECHO, 'echo');
    rogue = await startNode({ name: 'test' });
    registerClusterMessages(rogue.system.serialization);
    from = rogue.system.spawn(Behaviors.ignore, 'rogue');
    target = rogue.system.remoteRef(member.system.hostPort, '/system/cluster');
    rogueKey = `${rogue.system.hostPort}#${rogue.system.identity.uid}`;
  });

  afterEach(async () => {
    await rogue.system.terminate();
    await cluster.terminate();
  });

  const warnings = () => member.logs.lines.filter(l => l.level === 'warn').map(l => l.message);
  const stillWorks = () => listingOn(member, ECHO, l => expect(nodesOf(l)).toEqual([member.system.selfNode]));

  it('drops a delta of another format version with a warning naming it', async () => {
    target.tell(new GossipPush(from as never, [{ v: 99, node: rogueKey, from: 0, to: 1 } as never]));
    await eventually(() => expect(warnings().join('\n')).toMatch(/Dropped a malformed cluster\.Gossip message: .*format version 99/));
    await stillWorks();
    expect(member.system.cluster.members).toHaveLength(1);
  });

  it('drops a record chunk that claims a place beyond its count', async () => {
    const chunk = { v: CLUSTER_STATE_VERSION, node: rogueKey, version: 1, status: 'up', unreachable: [], index: 3, count: 2, entries: [] };
    target.tell(new GossipRecords(from as never, [chunk as never]));
    await eventually(() => expect(warnings().join('\n')).toMatch(/Dropped a malformed cluster\.Records message: .*chunk index is beyond its count/));
    await stillWorks();
  });

  it("lists a peer's own actors, and refuses its entries for actors of other nodes", async () => {
    const own = rogue.system.spawn(Behaviors.ignore, 'own');
    const entries = [
      { id: 1, key: 'echo', ref: own.address.toString() },
      { id: 2, key: 'echo', ref: `actor://test@127.0.0.1:1/user/elsewhere#7` },
      { id: 3, key: 'echo', ref: `actor://test@${member.system.hostPort}/user/echo#1` },
    ];
    target.tell(new GossipPush(from as never, [{ v: CLUSTER_STATE_VERSION, node: rogueKey, from: 0, to: 1, status: 'up', added: entries } as never]));
    await listingOn(member, ECHO, l => expect(nodesOf(l)).toEqual([rogueKey, member.system.selfNode].sort()));
    const listing = await member.system.lookup(ECHO);
    expect(listing.allInstances.filter(i => i.node === rogueKey).map(i => i.ref.toString())).toEqual([own.address.toString()]);
    expect(warnings().filter(w => w.includes('which is not its own actor'))).toHaveLength(2);
  });

  it('drops what is no cluster message at all', async () => {
    target.tell('hello');
    target.tell({ from: 'nobody', deltas: [] });
    await eventually(() => expect(warnings().filter(w => w.startsWith('Dropped a message that is no cluster message'))).toHaveLength(2));
    await stillWorks();
  });
});
