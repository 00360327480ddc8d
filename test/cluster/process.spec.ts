/**
 * Cluster members in separate OS processes (test/cluster/fixtures/cluster-node.ts run by
 * tsx) beside two members in this process: a killed process is dropped at once (its port
 * refuses connections), a frozen one after the failure detector's timeout, and a frozen one
 * that resumes comes back by itself under a new incarnation.
 */
import { fileURLToPath } from 'node:url';
import { MemberDown, ServiceKey, type ClusterEvent } from '../../lib/index.js';
import { eventually, until } from '../support/eventually.js';
import { forkNode, request, stopNode, type ChildNode } from '../remote/support/child-node.js';
import { TEST_TIMINGS, TestCluster, listingOn, nodesOf, type Echo, type Member } from './support/cluster-nodes.js';

const ECHO = ServiceKey.of<Echo>('echo');
/** The failure detector's defaults (200 ms heartbeats, a 600 ms pause tolerated): what the stall test is about. */
const TIMINGS = { ...TEST_TIMINGS, monitorHeartbeatIntervalMs: 200, failureDetector: {} };
const fixture = fileURLToPath(new URL('./fixtures/cluster-node.ts', import.meta.url));

async function forkMember(seed: Member): Promise<ChildNode & { node: string }> {
  const child = await forkNode({ CLUSTER_SEEDS: seed.system.hostPort, CLUSTER_OPTIONS: JSON.stringify(TIMINGS) }, fixture);
  return Object.assign(child, { node: await request<string>(child, { whoami: true }, 'node') });
}

describe('ClusteredActorSystem with members in other OS processes', () => {
  let cluster: TestCluster;
  let child: (ChildNode & { node: string }) | undefined;
  let a: Member;
  let b: Member;

  beforeEach(async () => {
    cluster = new TestCluster();
    [a, b] = await cluster.startMany(2, TIMINGS);
    child = await forkMember(a);
    for (const m of [a, b]) await listingOn(m, ECHO, l => expect(nodesOf(l)).toEqual([child!.node]), 10_000);
  }, 30_000);

  afterEach(async () => {
    if (child && child.process.signalCode === null) child.process.kill('SIGCONT');
    await stopNode(child, 'SIGKILL');
    await cluster.terminate();
  });

  it('drops a process killed with SIGKILL from every survivor at once', async () => {
    const events: ClusterEvent[] = [];
    a.system.cluster.subscribe(e => events.push(e));
    await stopNode(child, 'SIGKILL');
    for (const m of [a, b]) await listingOn(m, ECHO, l => expect(l.allInstances).toEqual([]), 5000);
    expect(events.filter(e => e instanceof MemberDown).map(e => e.member.node)).toEqual([child!.node]);
    // Downed on the proof of death (its port refused a connect), not by the failure detectors' suspicions.
    const lines = [a, b].flatMap(m => m.logs.lines.map(l => l.message)).filter(l => l.startsWith(`${child!.node} is marked down`));
    expect(lines.length).toBeGreaterThan(0);
    expect(lines.every(l => l.includes('refuses connections'))).toBe(true);
  });

  it('drops a process frozen with SIGSTOP, and lists it again under a new incarnation after SIGCONT', async () => {
    const pid = child!.process.pid;
    child!.process.kill('SIGSTOP');
    for (const m of [a, b]) await listingOn(m, ECHO, l => expect(l.allInstances).toEqual([]), 10_000);
    child!.process.kill('SIGCONT');
    const renewed = await eventually(async () => {
      const node = await request<string>(child!, { whoami: true }, 'node', 2000);
      expect(node).not.toBe(child!.node);
      return node;
    }, 10_000);
    for (const m of [a, b]) {
      const listing = await listingOn(m, ECHO, l => expect(nodesOf(l)).toEqual([renewed]), 10_000);
      expect(await m.system.ask<string>(listing.refs[0]!, r => ['thawed', r] as Echo, 3000)).toMatch(/^thawed@/);
    }
    expect(child!.process.pid).toBe(pid);
  });

  it('keeps a process that stalls for 500 ms in every listing', async () => {
    const events: ClusterEvent[] = [];
    a.system.cluster.subscribe(e => events.push(e));
    b.system.cluster.subscribe(e => events.push(e));
    child!.process.kill('SIGSTOP');
    const stoppedAt = Date.now();
    await until(() => Date.now() - stoppedAt >= 500, '500 ms');
    child!.process.kill('SIGCONT');
    // Longer than the detector would need to down it: heartbeats resumed in time.
    const resumedAt = Date.now();
    await until(() => Date.now() - resumedAt >= 2000, 'two more seconds');
    expect(events.filter(e => e instanceof MemberDown)).toEqual([]);
    for (const m of [a, b]) expect(nodesOf(await m.system.lookup(ECHO), true)).toEqual([child!.node]);
    expect(await request<string>(child!, { whoami: true }, 'node')).toBe(child!.node);
  });
});
