/**
 * A cluster member in its own process, driven over IPC by bench/cluster.ts. Timestamps it
 * reports are `performance.timeOrigin + performance.now()` (the parent calibrates the offset).
 *   { clock }                 -> { clock: now }
 *   { whoami: true }          -> { node: this node's current incarnation }
 *   { register: n }           -> spawns n actors under `bench`; { registered: [refs], at }
 *   { seen: ref }             -> { seen: when this node's listing first held it } (waits)
 *   { gone: node }            -> { gone: when no instance of that node was listed any more } (waits)
 *   { relisted: old }         -> { relisted: when a new incarnation of that node's host:port was first listed } (waits)
 *   { count: true }           -> { count: instances of `bench` listed here }
 *   { bytes: true }           -> { bytes: bytes this node wrote so far }
 *   { leave: true }           -> { leaving: now }, then terminates (leaving the cluster) and exits
 */
import { Behaviors, ClusteredActorSystem, ServiceKey, Subscribe, type Listing } from '../../lib/index.js';
import { CountingTransport } from './counting-transport.js';

const KEY = ServiceKey.of<string>('bench');
const now = () => performance.timeOrigin + performance.now();
const transport = new CountingTransport();
const system = await ClusteredActorSystem.start({
  name: 'bench',
  port: Number(process.env.NODE_PORT ?? 0),
  seeds: (process.env.CLUSTER_SEEDS ?? '').split(',').filter(Boolean),
  logLevel: 'error',
  transport,
});

const seenAt = new Map<string, number>();
const nodesListed = new Set<string>();
const goneAt = new Map<string, number>();
const firstListedAt = new Map<string, number>();
const waiters: (() => void)[] = [];
let count = 0;
const watcher = system.spawn(
  Behaviors.receiveMessage<Listing<string>>(listing => {
    const t = now();
    const nodes = new Set<string>();
    for (const instance of listing.allInstances) {
      const ref = instance.ref.toString();
      if (!seenAt.has(ref)) seenAt.set(ref, t);
      nodes.add(instance.node);
    }
    for (const node of nodesListed) if (!nodes.has(node) && !goneAt.has(node)) goneAt.set(node, t);
    for (const node of nodes) {
      nodesListed.add(node);
      if (!firstListedAt.has(node)) firstListedAt.set(node, t);
    }
    count = listing.allInstances.length;
    for (const wake of waiters.splice(0)) wake();
  }),
  'watcher',
);
system.receptionist.tell(new Subscribe(KEY, watcher));

function when<T>(read: () => T | undefined): Promise<T> {
  return new Promise(resolve => {
    const check = () => {
      const value = read();
      if (value === undefined) waiters.push(check);
      else resolve(value);
    };
    check();
  });
}

let spawned = 0;
function relistedAfter(old: string): number | undefined {
  const hostPort = old.slice(0, old.lastIndexOf('#') + 1);
  for (const [node, at] of firstListedAt) if (node !== old && node.startsWith(hostPort)) return at;
  return undefined;
}

process.on('message', async (m: { clock?: true; register?: number; seen?: string; gone?: string; relisted?: string; whoami?: true; count?: true; bytes?: true; leave?: true }) => {
  if (m.clock) process.send!({ clock: now() });
  else if (m.whoami) process.send!({ node: system.selfNode });
  else if (typeof m.register === 'number') {
    const at = now();
    const refs: string[] = [];
    for (let i = 0; i < m.register; i++) {
      refs.push(system.spawn(Behaviors.discoverable(Behaviors.ignore as never, KEY), `b${spawned++}`).toString());
    }
    process.send!({ registered: refs, at });
  } else if (typeof m.seen === 'string') process.send!({ seen: await when(() => seenAt.get(m.seen!)), ref: m.seen });
  else if (typeof m.gone === 'string') process.send!({ gone: await when(() => goneAt.get(m.gone!)), node: m.gone });
  else if (typeof m.relisted === 'string') process.send!({ relisted: await when(() => relistedAfter(m.relisted!)), old: m.relisted });
  else if (m.count) process.send!({ count });
  else if (m.bytes) process.send!({ bytes: transport.bytesWritten });
  else if (m.leave) {
    process.send!({ leaving: now() });
    await system.terminate();
    process.exit(0);
  }
});
process.on('disconnect', () => void system.terminate().then(() => process.exit(0)));
await system.cluster.whenUp();
process.send!({ ready: system.port, node: system.selfNode });
