/**
 * The cluster on loopback, with the default timings (heartbeats 200 ms, gossip 1 s):
 *  - registration-to-visible-on-every-node (p50, p99, max), for 3 members as separate
 *    processes and 10 in this process;
 *  - killed-to-pruned (the process dies: sockets reset, port closed), frozen-to-pruned
 *    (SIGSTOP: sockets open, silent), thaw-to-relisted (SIGCONT: it rejoins as a new
 *    incarnation) and leave-to-pruned (graceful terminate), until every survivor's listing
 *    has dropped (or listed again) the node;
 *  - bytes each node writes per second at rest, with 0 and with 10,000 entries.
 * Timestamps of other processes are brought onto this process's clock by an IPC round trip.
 * Bounded: about 40 s in all.
 *
 * Run: npx tsx bench/cluster.ts   (or through bench/run-all.ts)
 */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Behaviors, ClusteredActorSystem, ServiceKey, type ActorRef } from '../lib/index.js';
import { CountingTransport } from './cluster/counting-transport.js';
import { ListingTimeline } from './cluster/listing-timeline.js';
import { percentiles, printTable, report, type Row } from './support/report.js';

const KEY = ServiceKey.of<string>('bench');
const REGISTRATIONS = 100;
const AT_REST_MS = 3000;
const ENTRIES = 10_000;
const now = () => performance.timeOrigin + performance.now();
const sleep = (ms: number) => new Promise(resolve => setTimeout(resolve, ms));

function latencyRow(setup: string, figure: string, samples: number[]): Row {
  const { p50, p99 } = percentiles(samples);
  return { setup, figure, samples: samples.length, 'p50 ms': round(p50!), 'p99 ms': round(p99!), 'max ms': round(Math.max(...samples)) };
}

function round(ms: number): number {
  return Math.round(ms * 100) / 100;
}

// ---- members as separate processes ------------------------------------------------------------

class Child {
  private offsetMs = 0;
  node = '';
  port = 0;

  private constructor(readonly process: ChildProcess) {}

  static async start(seeds: string[], port = 0): Promise<Child> {
    const file = fileURLToPath(new URL('./cluster/member.ts', import.meta.url));
    const child = fork(file, [], {
      execArgv: ['--import', 'tsx'],
      env: { ...process.env, NODE_OPTIONS: '', NODE_PORT: String(port), CLUSTER_SEEDS: seeds.join(',') },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    const member = new Child(child);
    const ready = await member.request<{ ready: number; node: string }>(undefined, 'ready', 30_000);
    member.port = ready.ready;
    member.node = ready.node;
    await member.calibrate();
    return member;
  }

  get hostPort(): string {
    return `127.0.0.1:${this.port}`;
  }

  request<T>(message: object | undefined, field: string, timeoutMs = 20_000, match: (reply: Record<string, unknown>) => boolean = () => true): Promise<T> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`member did not answer with ${field} in ${timeoutMs} ms`)), timeoutMs);
      const onMessage = (reply: Record<string, unknown>) => {
        if (!(field in reply) || !match(reply)) return;
        clearTimeout(timer);
        this.process.off('message', onMessage);
        resolve(reply as T);
      };
      this.process.on('message', onMessage);
      if (message) this.process.send(message);
    });
  }

  /** This process's clock minus the child's, from the fastest of a few round trips. */
  private async calibrate(): Promise<void> {
    let best = Infinity;
    for (let i = 0; i < 8; i++) {
      const sent = now();
      const { clock } = await this.request<{ clock: number }>({ clock: true }, 'clock');
      const back = now();
      if (back - sent < best) {
        best = back - sent;
        this.offsetMs = (sent + back) / 2 - clock;
      }
    }
  }

  /** A timestamp of the child on this process's clock. */
  local(childTime: number): number {
    return childTime + this.offsetMs;
  }

  async register(n: number): Promise<{ refs: string[]; at: number }> {
    const { registered, at } = await this.request<{ registered: string[]; at: number }>({ register: n }, 'registered');
    return { refs: registered, at: this.local(at) };
  }

  async seen(ref: string): Promise<number> {
    const { seen } = await this.request<{ seen: number }>({ seen: ref }, 'seen', 20_000, r => r.ref === ref);
    return this.local(seen);
  }

  async gone(node: string): Promise<number> {
    const { gone } = await this.request<{ gone: number }>({ gone: node }, 'gone', 20_000, r => r.node === node);
    return this.local(gone);
  }

  async relisted(old: string): Promise<number> {
    const { relisted } = await this.request<{ relisted: number }>({ relisted: old }, 'relisted', 20_000, r => r.old === old);
    return this.local(relisted);
  }

  signal(signal: NodeJS.Signals): void {
    this.process.kill(signal);
  }

  async count(): Promise<number> {
    return (await this.request<{ count: number }>({ count: true }, 'count')).count;
  }

  async bytes(): Promise<number> {
    return (await this.request<{ bytes: number }>({ bytes: true }, 'bytes')).bytes;
  }

  async leave(): Promise<number> {
    const exited = new Promise(resolve => this.process.once('exit', resolve));
    const { leaving } = await this.request<{ leaving: number }>({ leave: true }, 'leaving');
    await exited;
    return this.local(leaving);
  }

  kill(): Promise<void> {
    const exited = new Promise<void>(resolve => this.process.once('exit', () => resolve()));
    this.process.kill('SIGKILL');
    return exited;
  }

  stop(): void {
    if (this.process.exitCode === null && this.process.signalCode === null) this.process.kill('SIGKILL');
  }
}

async function untilAll(check: () => Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('the cluster did not converge in time');
    await sleep(20);
  }
}

async function restBytesPerSecond(read: () => Promise<number[]>): Promise<number> {
  const before = await read();
  const started = performance.now();
  await sleep(AT_REST_MS);
  const after = await read();
  const seconds = (performance.now() - started) / 1000;
  const perNode = after.map((b, i) => (b - before[i]!) / seconds);
  return Math.round(perNode.reduce((a, b) => a + b, 0) / perNode.length);
}

async function processes(rows: Row[]): Promise<Record<string, number>> {
  const children: Child[] = [];
  try {
    const first = await Child.start([]);
    children.push(first, ...(await Promise.all([Child.start([first.hostPort]), Child.start([first.hostPort])])));
    await untilAll(async () => (await Promise.all(children.map(c => c.register(0).then(() => true)))).every(Boolean));
    const restEmpty = await restBytesPerSecond(() => Promise.all(children.map(c => c.bytes())));

    const visible: number[] = [];
    for (let i = 0; i < REGISTRATIONS; i++) {
      const { refs, at } = await children[i % 3]!.register(1);
      const seen = await Promise.all(children.map(c => c.seen(refs[0]!)));
      visible.push(Math.max(...seen) - at);
    }
    rows.push(latencyRow('3 processes', 'registration visible on every node', visible));

    await children[0]!.register(ENTRIES);
    const total = REGISTRATIONS + ENTRIES;
    await untilAll(async () => (await Promise.all(children.map(c => c.count()))).every(n => n === total), 30_000);
    await sleep(1000);
    const restFull = await restBytesPerSecond(() => Promise.all(children.map(c => c.bytes())));

    // Graceful leave of the third member, then a new third member killed.
    const leaver = children[2]!;
    const waitGone = children.slice(0, 2).map(c => c.gone(leaver.node));
    const leftAt = await leaver.leave();
    const leftPruned = Math.max(...(await Promise.all(waitGone))) - leftAt;
    children.pop();
    const victim = await Child.start([first.hostPort]);
    children.push(victim);
    // Frozen, then thawed: pruned by the failure detectors, then listed again as a new incarnation.
    const frozenRef = (await victim.register(1)).refs[0]!;
    await Promise.all(children.slice(0, 2).map(c => c.seen(frozenRef)));
    const waitFrozen = children.slice(0, 2).map(c => c.gone(victim.node));
    const frozenAt = now();
    victim.signal('SIGSTOP');
    const frozenPruned = Math.max(...(await Promise.all(waitFrozen))) - frozenAt;
    const waitRelisted = children.slice(0, 2).map(c => c.relisted(victim.node));
    const thawedAt = now();
    victim.signal('SIGCONT');
    const relisted = Math.max(...(await Promise.all(waitRelisted))) - thawedAt;
    await sleep(500);
    const victimRef = (await victim.register(1)).refs[0]!;
    await Promise.all(children.slice(0, 2).map(c => c.seen(victimRef)));
    const { node: victimNode } = await victim.request<{ node: string }>({ whoami: true }, 'node');
    const waitKilled = children.slice(0, 2).map(c => c.gone(victimNode));
    const killedAt = now();
    await victim.kill();
    const killedPruned = Math.max(...(await Promise.all(waitKilled))) - killedAt;
    rows.push({ setup: '3 processes', figure: 'leave to pruned on every survivor', samples: 1, 'max ms': round(leftPruned) });
    rows.push({ setup: '3 processes', figure: 'frozen (SIGSTOP) to pruned on every survivor', samples: 1, 'max ms': round(frozenPruned) });
    rows.push({ setup: '3 processes', figure: 'thawed (SIGCONT) to listed again on every survivor', samples: 1, 'max ms': round(relisted) });
    rows.push({ setup: '3 processes', figure: 'killed (SIGKILL) to pruned on every survivor', samples: 1, 'max ms': round(killedPruned) });
    return { restEmpty, restFull };
  } finally {
    for (const child of children) child.stop();
  }
}

// ---- members in this process ------------------------------------------------------------------

interface Local {
  system: ClusteredActorSystem;
  transport: CountingTransport;
  timeline: ListingTimeline;
}

async function startLocal(seeds: string[]): Promise<Local> {
  const transport = new CountingTransport();
  const system = await ClusteredActorSystem.start({ name: 'bench', seeds, logLevel: 'error', transport });
  return { system, transport, timeline: new ListingTimeline(system, KEY, now) };
}

async function inProcess(rows: Row[]): Promise<Record<string, number>> {
  const nodes: Local[] = [];
  try {
    nodes.push(await startLocal([]));
    const seeds = [nodes[0]!.system.hostPort];
    nodes.push(...(await Promise.all(Array.from({ length: 9 }, () => startLocal(seeds)))));
    await untilAll(async () => nodes.every(n => n.system.cluster.members.filter(m => m.status === 'up').length === 10));
    await sleep(1000);
    const restEmpty = await restBytesPerSecond(async () => nodes.map(n => n.transport.bytesWritten));

    const visible: number[] = [];
    const spawnOn = (n: Local, name: string): ActorRef<string> => n.system.spawn(Behaviors.discoverable(Behaviors.ignore as never, KEY), name);
    for (let i = 0; i < REGISTRATIONS * 2; i++) {
      const at = now();
      const ref = spawnOn(nodes[i % nodes.length]!, `r${i}`).toString();
      await untilAll(async () => nodes.every(n => n.timeline.seenAt.has(ref)));
      visible.push(Math.max(...nodes.map(n => n.timeline.seenAt.get(ref)!)) - at);
    }
    rows.push(latencyRow('10 in one process', 'registration visible on every node', visible));

    for (let i = 0; i < ENTRIES; i++) spawnOn(nodes[i % nodes.length]!, `e${i}`);
    const total = REGISTRATIONS * 2 + ENTRIES;
    await untilAll(async () => nodes.every(n => n.timeline.count === total), 30_000);
    await sleep(1000);
    const restFull = await restBytesPerSecond(async () => nodes.map(n => n.transport.bytesWritten));

    const leaver = nodes.pop()!;
    const leftAt = now();
    await leaver.system.terminate();
    await untilAll(async () => nodes.every(n => n.timeline.goneAt.has(leaver.system.selfNode)));
    const leftPruned = Math.max(...nodes.map(n => n.timeline.goneAt.get(leaver.system.selfNode)!)) - leftAt;

    const victim = nodes.pop()!;
    const killedAt = now();
    await victim.transport.kill();
    await untilAll(async () => nodes.every(n => n.timeline.goneAt.has(victim.system.selfNode)));
    const killedPruned = Math.max(...nodes.map(n => n.timeline.goneAt.get(victim.system.selfNode)!)) - killedAt;
    await victim.system.terminate();
    rows.push({ setup: '10 in one process', figure: 'leave to pruned on every survivor', samples: 1, 'max ms': round(leftPruned) });
    rows.push({ setup: '10 in one process', figure: 'killed (sockets reset, port closed) to pruned on every survivor', samples: 1, 'max ms': round(killedPruned) });
    return { restEmpty, restFull };
  } finally {
    await Promise.all(nodes.map(n => n.system.terminate()));
  }
}

const rows: Row[] = [];
const started = performance.now();
const proc = await processes(rows);
const local = await inProcess(rows);
const rest: Row[] = [
  { setup: '3 processes', 'entries': 0, 'bytes/node/s': proc.restEmpty },
  { setup: '3 processes', 'entries': ENTRIES + REGISTRATIONS, 'bytes/node/s': proc.restFull },
  { setup: '10 in one process', 'entries': 0, 'bytes/node/s': local.restEmpty },
  { setup: '10 in one process', 'entries': ENTRIES + REGISTRATIONS * 2, 'bytes/node/s': local.restFull },
];
printTable('Bytes each node writes per second at rest (heartbeats every 200 ms to the monitored members, every 1 s on other connections, a digest every 1 s)', rest);
const summary = [
  ...rows.map(r => `cluster ${r.setup}: ${r.figure}: ${r['p50 ms'] !== undefined ? `p50 ${r['p50 ms']} ms, p99 ${r['p99 ms']} ms, max ${r['max ms']} ms` : `${r['max ms']} ms`}`),
  ...rest.map(r => `cluster ${r.setup}: at rest with ${r.entries} entries: ${r['bytes/node/s']} bytes/node/s`),
];
report('cluster', 'Cluster on loopback: registration to visible, pruning, bytes at rest', rows, { rest, summary, seconds: Math.round((performance.now() - started) / 1000) });
process.exit(0);
