/**
 * Starting a cluster member: options checked with named errors, who forms a new cluster and
 * who waits for a seed, and the membership face (members, events, whenUp, leave).
 */
import {
  ClusterConfigurationError,
  ClusterEvent,
  ClusteredActorSystem,
  MemberJoined,
  MemberLeft,
  MemberRemoved,
  MemberUp,
  NotAMemberError,
  ServiceKey,
} from '../../lib/index.js';
import { resolveClusterSettings } from '../../lib/cluster/index.js';
import { eventually } from '../support/eventually.js';
import { TestProbe } from '../support/probe.js';
import { TEST_TIMINGS, TestCluster, listingOn, nodesOf, spawnEcho, type Echo } from './support/cluster-nodes.js';

describe('Cluster settings', () => {
  it('fills in the defaults', () => {
    const settings = resolveClusterSettings({ name: 'shop' });
    expect(settings).toMatchObject({
      seeds: [],
      monitorHeartbeatIntervalMs: 200,
      gossipIntervalMs: 1000,
      seedTimeoutMs: 5000,
      leaveTimeoutMs: 2000,
      monitorsPerNode: 5,
      deathProbeTimeoutMs: 1000,
      tombstoneTtlMs: 600_000,
      fullPushMaxPeers: 32,
      fanout: 6,
    });
    expect(settings.failureDetector).toMatchObject({ thresholdPhi: 8, acceptableHeartbeatPauseMs: 600, minStdDeviationMs: 100, firstHeartbeatEstimateMs: 200 });
  });

  it('names the option and what to write instead', () => {
    const bad: [object, RegExp][] = [
      [{ seeds: '127.0.0.1:1' }, /seeds must be a list/],
      [{ seeds: ['nowhere'] }, /seed "nowhere" is not "host:port"/],
      [{ seeds: ['127.0.0.1:0'] }, /port 0/],
      [{ host: '127.0.0.1', port: 25520, seeds: ['localhost:25520'] }, /write it as 127\.0\.0\.1:25520/],
      [{ gossipIntervalMs: 0 }, /gossipIntervalMs must be a positive number/],
      [{ joinRetryMinMs: 500, joinRetryMaxMs: 100 }, /joinRetryMaxMs \(100\) must be at least joinRetryMinMs \(500\)/],
      [{ monitorsPerNode: 0 }, /monitorsPerNode must be a whole number of at least 1/],
      [{ failureDetector: { thresholdPhi: -1 } }, /failureDetector\.thresholdPhi/],
    ];
    for (const [options, message] of bad) {
      expect(() => resolveClusterSettings({ name: 'shop', ...options } as never)).toThrow(ClusterConfigurationError);
      expect(() => resolveClusterSettings({ name: 'shop', ...options } as never)).toThrow(message);
    }
  });

  it('rejects start with invalid options, and create, which cannot join anything', async () => {
    await expect(ClusteredActorSystem.start({ name: 'shop', seeds: ['x'] })).rejects.toBeInstanceOf(ClusterConfigurationError);
    expect(() => ClusteredActorSystem.create('shop')).toThrow(/await ClusteredActorSystem\.start/);
  });
});

describe('Joining a cluster', () => {
  let cluster: TestCluster;

  beforeEach(() => {
    cluster = new TestCluster();
  });

  afterEach(async () => {
    await cluster.terminate();
  });

  it('forms a cluster at once when this node is its only seed, or has none', async () => {
    const port = await freePort();
    const self = await cluster.start({ port, seeds: [`127.0.0.1:${port}`] });
    const alone = await cluster.start({ seeds: [] });
    await Promise.all([self, alone].map(m => m.system.cluster.whenUp()));
    expect(self.system.cluster.members.map(m => m.node)).toEqual([self.system.selfNode]);
    expect(alone.system.cluster.members.map(m => m.node)).toEqual([alone.system.selfNode]);
  });

  it('lets only the first seed form a cluster, after no other seed answered; a later seed waits for it', async () => {
    const [firstPort, secondPort] = [await freePort(), await freePort()];
    const seeds = [`127.0.0.1:${firstPort}`, `127.0.0.1:${secondPort}`];
    const second = await cluster.start({ port: secondPort, seeds });
    let secondUp = false;
    void second.system.cluster.whenUp().then(() => (secondUp = true));
    // The second seed never forms a cluster by itself, however long it waits.
    const waitedFrom = Date.now();
    await eventually(() => expect(Date.now() - waitedFrom).toBeGreaterThan((TEST_TIMINGS.seedTimeoutMs ?? 0) * 2), 5000, 50);
    expect(secondUp).toBe(false);
    // A node started before its seed joins once the seed is up.
    const first = await cluster.start({ port: firstPort, seeds });
    await first.system.cluster.whenUp();
    await second.system.cluster.whenUp();
    await cluster.converged();
  });

  it('forms a cluster as the first seed when the other seeds stay silent', async () => {
    const [port, silent] = [await freePort(), await freePort()];
    const first = await cluster.start({ port, seeds: [`127.0.0.1:${port}`, `127.0.0.1:${silent}`] });
    await first.system.cluster.whenUp();
    expect(first.system.cluster.self.status).toBe('up');
  });

  it('publishes membership events on the event stream and to actors and callbacks', async () => {
    const [a] = await cluster.startMany(1);
    const probe = new TestProbe<ClusterEvent>(a.system);
    a.system.cluster.events.subscribe(probe.ref);
    const seen: string[] = [];
    const unsubscribe = a.system.cluster.subscribe(e => seen.push(`${e.constructor.name} ${e.member.status}`));
    const onStream: ClusterEvent[] = [];
    a.system.eventStream.subscribe(MemberUp, e => onStream.push(e));
    const b = await cluster.start();
    await cluster.converged();
    const joined = await probe.fishFor(e => e instanceof MemberJoined);
    expect(joined.member).toMatchObject({ node: b.system.selfNode, address: b.system.hostPort, uid: b.system.identity.uid, reachable: true });
    await probe.fishFor(e => e instanceof MemberUp && e.member.node === b.system.selfNode);
    expect(onStream.map(e => e.member.node)).toContain(b.system.selfNode);
    unsubscribe();
    await b.system.leave();
    await probe.fishFor(e => e instanceof MemberLeft && e.member.node === b.system.selfNode);
    await probe.fishFor(e => e instanceof MemberRemoved && e.member.node === b.system.selfNode);
    expect(seen).toEqual(['MemberJoined joining', 'MemberUp up']);
  });

  it('announces entries registered before the node joined, once it has', async () => {
    const seedPort = await freePort();
    const seeds = [`127.0.0.1:${seedPort}`];
    // Its seed is not up yet: it registers while joining.
    const early = await cluster.start({ seeds });
    const key = ServiceKey.of<Echo>('early');
    spawnEcho(early, key, 'echo');
    await listingOn(early, key, l => expect(l.refs).toHaveLength(1));
    expect(early.system.cluster.isUp).toBe(false);
    const seed = await cluster.start({ port: seedPort, seeds });
    await early.system.cluster.whenUp();
    await listingOn(seed, key, l => expect(nodesOf(l)).toEqual([early.system.selfNode]));
  });

  it('rejects whenUp with NotAMemberError when the node leaves before it joined', async () => {
    const lonely = await cluster.start({ seeds: [`127.0.0.1:${await freePort()}`] });
    const up = lonely.system.cluster.whenUp();
    await lonely.system.leave();
    await expect(up).rejects.toBeInstanceOf(NotAMemberError);
  });
});

/** A port nothing listens on (bound and released at once). */
async function freePort(): Promise<number> {
  const net = await import('node:net');
  return new Promise(resolve => {
    const server = net.createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}
