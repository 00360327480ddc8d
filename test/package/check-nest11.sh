#!/usr/bin/env bash
# Loads the built package (dist/) into a Nest 11 application, from CommonJS and from an ES
# module, to check the peer range ^11 beside the Nest 12 the test suite runs on. Needs the
# npm registry (it installs Nest 11 into a temporary app). Run after `npm run build`.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
app=$(mktemp -d)
trap 'rm -rf "$app"' EXIT
cd "$app"
npm init -y >/dev/null
npm install --no-audit --no-fund --silent @nestjs/common@11 @nestjs/core@11 reflect-metadata rxjs msgpackr
mkdir -p node_modules/nestjs-receptionist
cp -r "$root/dist" "$root/package.json" node_modules/nestjs-receptionist/

cat > app.cjs <<'JS'
require('reflect-metadata');
const { Module, Injectable } = require('@nestjs/common');
const { NestFactory } = require('@nestjs/core');
const { ReceptionistModule, ReceptionistService, ServiceKey, Discoverable } = require('nestjs-receptionist');
const KEY = ServiceKey.of('echo');
class Echo { onMsg() {} }
Discoverable(KEY)(Echo.prototype, 'onMsg', Object.getOwnPropertyDescriptor(Echo.prototype, 'onMsg'));
Injectable()(Echo);
class AppModule {}
Module({ imports: [ReceptionistModule.forRoot({ systemName: 'cjs' })], providers: [Echo] })(AppModule);
(async () => {
  const app = await NestFactory.createApplicationContext(AppModule, { logger: ['error', 'warn'] });
  const listing = await app.get(ReceptionistService).find(KEY);
  if (listing.refs.length !== 1) throw new Error('expected the @Discoverable handler in the listing');
  await app.close();
  console.log(`Nest ${require('@nestjs/core/package.json').version}, CommonJS: ok`);
})().catch(e => { console.error(e); process.exit(1); });
JS

cat > app.mjs <<'JS'
import 'reflect-metadata';
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ReceptionistModule, ReceptionistService, ServiceKey, Behaviors } from 'nestjs-receptionist';
const KEY = ServiceKey.of('echo');
class AppModule {}
Module({ imports: [ReceptionistModule.forRoot({ systemName: 'esm' })] })(AppModule);
const app = await NestFactory.createApplicationContext(AppModule, { logger: ['error', 'warn'] });
const receptionist = app.get(ReceptionistService);
receptionist.system.spawn(Behaviors.discoverable(Behaviors.ignore, KEY), 'echo');
if ((await receptionist.find(KEY)).refs.length !== 1) throw new Error('expected one instance');
await app.close();
console.log('Nest 11, ES module: ok');
JS

node app.cjs
node app.mjs
