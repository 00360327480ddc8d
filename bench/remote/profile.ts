/**
 * Ad hoc profiling of the remote benchmark's hottest phase (not part of run-all): remote asks
 * (or the plain loop) at one concurrency for a few seconds, the peer process under --cpu-prof.
 * Run the asker under --cpu-prof too, e.g. compiled for readable line numbers:
 *   npx tsc -p tsconfig.json --outDir /tmp/build && node --cpu-prof --cpu-prof-dir=/tmp/prof /tmp/build/bench/remote/profile.js
 * Environment: PROF_MODE=ask|plain, PROF_C (128), PROF_SECONDS (5), PROF_DIR (/tmp/prof), PROF_CPU=0 (no profile).
 */
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { RemoteActorSystem } from '../../lib/index.js';
import { Ping, type Pong } from './messages.js';
import { PlainClient } from './plain-loop.js';
import { ProcessMeter, type WindowCost } from '../support/process-meter.js';

const dir = process.env.PROF_DIR ?? '/tmp/prof';
const seconds = Number(process.env.PROF_SECONDS ?? 5);
const concurrency = Number(process.env.PROF_C ?? 128);
const mode = process.env.PROF_MODE ?? 'ask';
const compiled = import.meta.url.endsWith('.js');
const peerFile = fileURLToPath(new URL(compiled ? './peer.js' : './peer.ts', import.meta.url));
const child = fork(peerFile, [], {
  execArgv: [...(compiled ? [] : ['--import', 'tsx']), ...(process.env.PROF_CPU === '0' ? [] : ['--cpu-prof', `--cpu-prof-dir=${dir}`, `--cpu-prof-name=${mode}-peer.cpuprofile`])],
  stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
});
await new Promise(resolve => child.once('message', resolve));
let id = 0;
const call = <T>(command: object) =>
  new Promise<T>(resolve => {
    const mine = id++;
    const on = (m: { id: number; result: T }) => {
      if (m.id !== mine) return;
      child.off('message', on);
      resolve(m.result);
    };
    child.on('message', on);
    child.send({ id: mine, command });
  });

let request: () => Promise<unknown>;
let close: () => Promise<void>;
if (mode === 'plain') {
  const port = await call<number>({ cmd: 'start-plain', flushBytes: Number(process.env.PROF_FLUSH ?? 0) });
  const client = await PlainClient.connect(port, Number(process.env.PROF_FLUSH ?? 0));
  request = () => client.request(1);
  close = async () => {
    client.close();
    await call({ cmd: 'stop-plain' });
  };
} else {
  const port = await call<number>({ cmd: 'start-system' });
  const system = await RemoteActorSystem.start({ name: 'bench', logLevel: 'warn' });
  const echo = system.remoteRef<Ping>(`127.0.0.1:${port}`, '/user/echo');
  request = () => system.ask<Pong>(echo, r => new Ping(1, r), 5000);
  close = async () => {
    await system.terminate();
    await call({ cmd: 'stop-system' });
  };
}
const meter = new ProcessMeter();
await call({ cmd: 'meter-start' });
meter.start();
const end = performance.now() + seconds * 1000;
let done = 0;
await Promise.all(
  Array.from({ length: concurrency }, async () => {
    while (performance.now() < end) {
      await request();
      done++;
    }
  }),
);
const here = meter.stop();
// With the heap-sample preload (see /tmp notes in the report), the allocation profile ends with the measured window.
await (globalThis as { __stopHeap?: () => Promise<void> }).__stopHeap?.();
const there = await call<WindowCost>({ cmd: 'meter-stop' });
const us = (ms: number) => ((ms * 1000) / done).toFixed(2);
console.log(
  `${mode} c=${concurrency}: ${Math.round(done / seconds)} round trips/s; CPU per round trip ${us(here.cpuMs)} + ${us(there.cpuMs)} µs; ` +
    `heap ${Math.round(here.allocatedBytes / done)} + ${Math.round(there.allocatedBytes / done)} B; GC ${here.totalMs.toFixed(0)} + ${there.totalMs.toFixed(0)} ms`,
);
await close();
await call({ cmd: 'exit' });
