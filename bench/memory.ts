/**
 * Memory per registered entry. Registers N actors through the receptionist, in two layouts
 * (N entries under one key, and N keys with one entry each), and reports bytes per entry from
 * the V8 heap after forced full GCs:
 *  - the actor itself (spawned with Behaviors.ignore);
 *  - the address string a ref gets on first registration (it is the registry's index key);
 *  - the registry alone (a standalone ServiceRegistry holding the same refs);
 *  - the cached listing, per instance;
 *  - the receptionist entry (Register through the actor: registry + death-watch bookkeeping);
 *  - actor + entry, and actor + entry + cached listing.
 *
 * Needs --expose-gc: run `node --expose-gc --import tsx bench/memory.ts`; started any other way
 * (`npx tsx bench/memory.ts`) it re-runs itself with that flag.
 */
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ActorSystem, Behaviors, Register, Registered, ServiceKey, type ActorRef } from '../lib/index.js';
import { ServiceRegistry } from '../lib/receptionist/index.js';
import { report, type Row } from './support/report.js';

const N = 100_000;

const gc = (globalThis as { gc?: () => void }).gc;

async function heapUsed(): Promise<number> {
  for (let i = 0; i < 3; i++) {
    await new Promise(resolve => setImmediate(resolve));
    gc!();
  }
  return process.memoryUsage().heapUsed;
}

type Layout = 'one key' | 'key per entry';

async function measure(layout: Layout): Promise<Record<string, number>> {
  // Everything a user would hold anyway (keys, the array of refs) exists before the baseline.
  const keys = layout === 'one key' ? [ServiceKey.of<never>('mem')] : Array.from({ length: N }, (_, i) => ServiceKey.of<never>(`mem-${i}`));
  const keyOf = (i: number) => (layout === 'one key' ? keys[0] : keys[i]);
  const actors: ActorRef<never>[] = new Array(N).fill(undefined);
  const system = ActorSystem.create('bench-memory', { logLevel: 'warn' });
  await system.ask<Registered<never>>(system.receptionist, r => new Register(ServiceKey.of<never>('warm'), system.receptionist as ActorRef<never>, r));

  const h0 = await heapUsed();
  for (let i = 0; i < N; i++) actors[i] = system.spawn(Behaviors.ignore, `a${i}`);
  const h1 = await heapUsed();
  for (let i = 0; i < N; i++) actors[i].toString();
  const h2 = await heapUsed();

  let registry: ServiceRegistry | undefined = new ServiceRegistry();
  for (let i = 0; i < N; i++) registry.add(keyOf(i), actors[i]);
  const h3 = await heapUsed();
  for (const key of keys) registry.listing(key);
  const h4 = await heapUsed();
  if (registry.listing(keys[0]).refs.length !== (layout === 'one key' ? N : 1)) throw new Error('registry listing has the wrong size');
  registry = undefined;
  const h5 = await heapUsed();

  for (let i = 0; i < N; i++) system.receptionist.tell(new Register(keyOf(i), actors[i]));
  await system.ask<Registered<never>>(system.receptionist, r => new Register(keyOf(0), actors[0], r), 60_000);
  const h6 = await heapUsed();
  for (const key of keys) {
    const listing = await system.lookup(key, 60_000);
    if (key === keys[0] && listing.refs.length !== (layout === 'one key' ? N : 1)) throw new Error('lookup has the wrong size');
  }
  const h7 = await heapUsed();

  await system.terminate();
  return {
    actor: (h1 - h0) / N,
    addressString: (h2 - h1) / N,
    registryAlone: (h3 - h2) / N,
    registryListing: (h4 - h3) / N,
    receptionistEntry: (h6 - h5) / N,
    receptionistListing: (h7 - h6) / N,
    actorPlusEntry: (h6 - h5 + h2 - h0) / N,
    actorPlusEntryPlusListing: (h7 - h5 + h2 - h0) / N,
  };
}

async function main(): Promise<void> {
  const one = await measure('one key');
  const many = await measure('key per entry');
  const items: [keyof typeof one, string][] = [
    ['actor', 'actor (Behaviors.ignore, spawned)'],
    ['addressString', 'address string (made on first registration)'],
    ['registryAlone', 'registry entry alone (ServiceRegistry.add)'],
    ['registryListing', 'cached listing, per instance'],
    ['receptionistEntry', 'receptionist entry (Register via the actor, incl. watch)'],
    ['actorPlusEntry', 'actor + address string + receptionist entry'],
    ['actorPlusEntryPlusListing', 'actor + entry + cached listing'],
  ];
  const rows: Row[] = items.map(([field, label]) => ({
    item: label,
    [`B/entry, 1 key x ${N.toLocaleString('en-US')}`]: Math.round(one[field]),
    [`B/entry, ${N.toLocaleString('en-US')} keys x 1`]: Math.round(many[field]),
  }));
  const summary = [
    `memory, registry entry alone: ${Math.round(one.registryAlone)} B (1 key), ${Math.round(many.registryAlone)} B (1 key per entry)`,
    `memory, receptionist entry (registry + watch): ${Math.round(one.receptionistEntry)} B (1 key), ${Math.round(many.receptionistEntry)} B (1 key per entry)`,
    `memory, actor + entry: ${Math.round(one.actorPlusEntry)} B (1 key), ${Math.round(many.actorPlusEntry)} B (1 key per entry); actor alone ${Math.round(one.actor)} B`,
  ];
  report('memory', `Memory per registered entry (V8 heap after forced GC, N = ${N.toLocaleString('en-US')})`, rows, {
    summary,
    raw: { oneKey: one, keyPerEntry: many },
    notes:
      'Heap deltas after gc() between steps, divided by N. The address string is the ref\'s cached text, made when the ref is first ' +
      'registered and used as its index key. The cached listing of the receptionist is made by the first Find after a change.',
  });
}

if (gc) {
  await main();
} else {
  const self = fileURLToPath(import.meta.url);
  const result = spawnSync(process.execPath, ['--expose-gc', '--import', 'tsx', self], {
    stdio: 'inherit',
    cwd: join(dirname(self), '..'),
  });
  process.exitCode = result.status ?? 1;
}
