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
import { Behaviors, ClusteredActorSystem, ServiceKey } from '../../lib/index.js';
import { CountingTransport } from './counting-transport.js';
import { ListingTimeline } from './listing-timeline.js';

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

const timeline = new ListingTimeline(system, KEY, now);

let spawned = 0;
function relistedAfter(old: string): number | undefined {
  const hostPort = old.slice(0, old.lastIndexOf('#') + 1);
  for (const [node, at] of timeline.firstListedAt) if (node !== old && node.startsWith(hostPort)) return at;
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
  } else if (typeof m.seen === 'string') process.send!({ seen: await timeline.when(() => timeline.seenAt.get(m.seen!)), ref: m.seen });
  else if (typeof m.gone === 'string') process.send!({ gone: await timeline.when(() => timeline.goneAt.get(m.gone!)), node: m.gone });
  else if (typeof m.relisted === 'string') process.send!({ relisted: await timeline.when(() => relistedAfter(m.relisted!)), old: m.relisted });
  else if (m.count) process.send!({ count: timeline.count });
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
