#!/usr/bin/env bash
# Loads the built package (dist/) by its name from a CommonJS app (require) and from an ES
# module app (import), as users install it. Run after `npm run build`.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
app=$(mktemp -d)
trap 'rm -rf "$app"' EXIT
mkdir -p "$app/node_modules"
ln -s "$root" "$app/node_modules/nestjs-receptionist"

cat > "$app/cjs-app.cjs" <<'JS'
const { ActorSystem, Behaviors, ServiceKey, ReceptionistModule } = require('nestjs-receptionist');
const KEY = ServiceKey.of('echo');
(async () => {
  const system = ActorSystem.create('cjs', { logLevel: 'warn' });
  system.spawn(Behaviors.discoverable(Behaviors.ignore, KEY), 'echo');
  const listing = await system.lookup(KEY);
  if (listing.refs.length !== 1) throw new Error('CommonJS app: expected one instance');
  if (typeof ReceptionistModule !== 'function') throw new Error('CommonJS app: ReceptionistModule missing');
  await system.terminate();
  console.log('CommonJS require: ok');
})().catch(e => { console.error(e); process.exit(1); });
JS

cat > "$app/esm-app.mjs" <<'JS'
import { ActorSystem, Behaviors, ServiceKey, ReceptionistModule } from 'nestjs-receptionist';
const KEY = ServiceKey.of('echo');
const system = ActorSystem.create('esm', { logLevel: 'warn' });
system.spawn(Behaviors.discoverable(Behaviors.ignore, KEY), 'echo');
const listing = await system.lookup(KEY);
if (listing.refs.length !== 1) throw new Error('ESM app: expected one instance');
if (typeof ReceptionistModule !== 'function') throw new Error('ESM app: ReceptionistModule missing');
await system.terminate();
console.log('ES module import: ok');
JS

node "$app/cjs-app.cjs"
node "$app/esm-app.mjs"
