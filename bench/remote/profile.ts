/**
 * Ad hoc profiling of one phase of the remote benchmark (not part of run-all): remote asks,
 * the plain loop, or remote tells, for a few seconds, printing CPU time, heap bytes and GC per
 * operation of both processes; the peer runs under --cpu-prof unless PROF_CPU=0. Profile the
 * asker too, compiled for readable line numbers:
 *   npx tsc -p tsconfig.json && node --cpu-prof --cpu-prof-dir=/tmp/prof dist-all/bench/remote/profile.js
 * Environment: PROF_MODE=ask|plain|tell, PROF_C (128), PROF_SECONDS (5), PROF_DIR (/tmp/prof),
 * PROF_CPU=0 (no profile of the peer), PROF_FLUSH (the plain loop's early-write bytes, 0).
 */
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Behaviors, RemoteActorSystem } from '../../lib/index.js';
import { ProcessMeter, type WindowCost } from '../support/process-meter.js';
import { Ack, Ping, StartAcks, Tick, type Pong } from './messages.js';
import { PlainClient } from './plain-loop.js';

const dir = process.env.PROF_DIR ?? '/tmp/prof';
const seconds = Number(process.env.PROF_SECONDS ?? 5);
const concurrency = Number(process.env.PROF_C ?? 128);
const mode = process.env.PROF_MODE ?? 'ask';
const flushBytes = Number(process.env.PROF_FLUSH ?? 0);
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

/** Runs the phase until `end`; returns the operations done. */
let run: (end: number) => Promise<number>;
let close: () => Promise<void>;
if (mode === 'plain') {
  const port = await call<number>({ cmd: 'start-plain', flushBytes });
  const client = await PlainClient.connect(port, flushBytes);
  run = end => roundTrips(end, () => client.request(1));
  close = async () => {
    client.close();
    await call({ cmd: 'stop-plain' });
  };
} else {
  const port = await call<number>({ cmd: 'start-system' });
  const system = await RemoteActorSystem.start({ name: 'bench', logLevel: 'warn' });
  const node = `127.0.0.1:${port}`;
  if (mode === 'tell') {
    const sink = system.remoteRef<Tick | StartAcks>(node, '/user/sink');
    run = end =>
      new Promise<number>(resolve => {
        let acked = 0;
        let sent = 0;
        const pump = () => {
          if (performance.now() >= end) return resolve(acked);
          for (let budget = 8192; budget > 0 && sent - acked < 64 * 1024; budget--) sink.tell(new Tick(sent++));
          if (sent - acked < 64 * 1024) setImmediate(pump);
        };
        const acker = system.spawn(
          Behaviors.receiveMessage<Ack>(ack => {
            const blocked = sent - acked >= 64 * 1024;
            acked = ack.count;
            if (blocked) setImmediate(pump);
          }),
        );
        sink.tell(new StartAcks(acker));
        setImmediate(pump);
      });
  } else {
    const echo = system.remoteRef<Ping>(node, '/user/echo');
    run = end => roundTrips(end, () => system.ask<Pong>(echo, r => new Ping(1, r), 5000));
  }
  close = async () => {
    await system.terminate();
    await call({ cmd: 'stop-system' });
  };
}

async function roundTrips(end: number, request: () => Promise<unknown>): Promise<number> {
  let done = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < end) {
        await request();
        done++;
      }
    }),
  );
  return done;
}

const meter = new ProcessMeter();
await call({ cmd: 'meter-start' });
meter.start();
const done = await run(performance.now() + seconds * 1000);
const here = meter.stop();
// A preload that samples allocations may define this hook, to end its profile with the window.
await (globalThis as { __stopHeap?: () => Promise<void> }).__stopHeap?.();
const there = await call<WindowCost>({ cmd: 'meter-stop' });
const us = (ms: number) => ((ms * 1000) / done).toFixed(2);
console.log(
  `${mode}${mode === 'tell' ? '' : ` c=${concurrency}`}: ${Math.round(done / seconds)}/s; CPU per op ${us(here.cpuMs)} + ${us(there.cpuMs)} µs; ` +
    `heap ${Math.round(here.allocatedBytes / done)} + ${Math.round(there.allocatedBytes / done)} B; GC ${here.totalMs.toFixed(0)} + ${there.totalMs.toFixed(0)} ms`,
);
await close();
await call({ cmd: 'exit' });
