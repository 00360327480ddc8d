/**
 * The two sides of a flood, each in its own OS process: the slowloris attacker
 * (fixtures/slowloris.ts) and the node under attack (fixtures/admission-node.ts). Separate
 * processes make the node's event loop serve only the node, as in production, and keep the
 * test's own client out of it. Used by the admission tests and the slowloris benchmark.
 * Either can be frozen (SIGSTOP) and thawed, as a descheduled or paused process would be.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { RemoteActorSystemOptions } from '../../../lib/index.js';
import type { AdmissionStats } from '../../../lib/remote/admission.js';
import { until } from '../../support/eventually.js';

const fixture = fileURLToPath(new URL('../fixtures/slowloris.ts', import.meta.url));
const nodeFixture = fileURLToPath(new URL('../fixtures/admission-node.ts', import.meta.url));

function request<T>(child: ChildProcess, ask: object, key: string): Promise<T> {
  return new Promise(resolve => {
    const onMessage = (message: unknown) => {
      if (!(message && typeof message === 'object' && key in message)) return;
      child.off('message', onMessage);
      resolve(message as T);
    };
    child.on('message', onMessage);
    child.send(ask);
  });
}

/** The process state letter of /proc/<pid>/stat (Linux): `T` once a SIGSTOP has taken effect. */
function processState(pid: number): string {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
}

const frozen = new WeakSet<ChildProcess>();

/** Resolves once the child is stopped: from then on it neither accepts, reads nor writes. */
async function freezeChild(child: ChildProcess): Promise<void> {
  child.kill('SIGSTOP');
  frozen.add(child);
  await until(() => processState(child.pid!) === 'T', `process ${child.pid} to stop`, 5000);
}

function thawChild(child: ChildProcess): void {
  if (!frozen.delete(child)) return;
  child.kill('SIGCONT');
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  thawChild(child);
  const exited = new Promise(resolve => child.once('exit', resolve));
  child.send({ stop: true });
  const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
  await exited;
  clearTimeout(timer);
}

/** A node (with an echo actor at /user/echo) in its own process. */
export class NodeProcess {
  private constructor(
    private readonly child: ChildProcess,
    readonly port: number,
  ) {}

  static async start(options: Partial<RemoteActorSystemOptions> = {}): Promise<NodeProcess> {
    const child = fork(nodeFixture, [], {
      execArgv: ['--import', 'tsx'],
      env: { ...process.env, NODE_OPTIONS: '', NODE_OPTIONS_JSON: JSON.stringify(options) },
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
    });
    const stderr: string[] = [];
    child.stderr?.on('data', chunk => stderr.push(String(chunk)));
    const port = await new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`node did not start: ${stderr.join('')}`)), 20_000);
      child.once('message', message => {
        clearTimeout(timer);
        resolve((message as { ready: number }).ready);
      });
      child.once('exit', code => {
        clearTimeout(timer);
        reject(new Error(`node exited with ${code}: ${stderr.join('')}`));
      });
    });
    return new NodeProcess(child, port);
  }

  get hostPort(): string {
    return `127.0.0.1:${this.port}`;
  }

  /** Admission counters, and how many warnings (and admission summaries) the node logged. */
  stats(): Promise<{ admission: AdmissionStats; lines: { warn: number; summaries: number } }> {
    return request(this.child, { stats: true }, 'admission');
  }

  /** Connections the kernel completed on the node's port that the node has not accepted yet (Linux, IPv4). */
  acceptQueue(): number {
    const port = this.port.toString(16).toUpperCase().padStart(4, '0');
    for (const line of readFileSync('/proc/net/tcp', 'utf8').split('\n').slice(1)) {
      const [, local, , state, queues] = line.trim().split(/\s+/);
      // A listening socket's rx_queue is the length of its accept queue.
      if (local?.endsWith(`:${port}`) && state === '0A') return parseInt(queues.split(':')[1], 16);
    }
    throw new Error(`no listening socket on port ${this.port}`);
  }

  /** Stops the node's process where it stands; the kernel still completes connections to its port (up to the listen backlog). */
  freeze(): Promise<void> {
    return freezeChild(this.child);
  }

  thaw(): void {
    thawChild(this.child);
  }

  stop(): Promise<void> {
    return stopChild(this.child);
  }
}

export type AttackMode = 'silent' | 'slow-hello' | 'hello';

export interface AttackerStats {
  opened: number;
  closedByNode: number;
  open: number;
}

export class Attacker {
  private constructor(private readonly child: ChildProcess) {}

  /** Forks the attacker and resolves once it has opened `sockets` connections to `port`. */
  static async start(port: number, sockets: number, mode: AttackMode, durationMs = 30_000): Promise<Attacker> {
    const child = fork(fixture, [], {
      execArgv: ['--import', 'tsx'],
      env: { ...process.env, NODE_OPTIONS: '', TARGET_PORT: String(port), SOCKETS: String(sockets), MODE: mode, DURATION_MS: String(durationMs) },
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
    });
    const stderr: string[] = [];
    child.stderr?.on('data', chunk => stderr.push(String(chunk)));
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        reject(new Error(`attacker did not open ${sockets} sockets: ${stderr.join('')}`));
      }, 30_000);
      child.once('message', () => {
        clearTimeout(timer);
        resolve();
      });
      child.once('exit', code => {
        clearTimeout(timer);
        reject(new Error(`attacker exited with ${code}: ${stderr.join('')}`));
      });
    });
    return new Attacker(child);
  }

  async stats(): Promise<AttackerStats> {
    return (await request<{ stats: AttackerStats }>(this.child, { report: true }, 'stats')).stats;
  }

  /** Pauses the flood: the attacker's sockets stay open, and none is opened or written until `thaw`. */
  freeze(): Promise<void> {
    return freezeChild(this.child);
  }

  thaw(): void {
    thawChild(this.child);
  }

  /** Closes every attacking socket and waits for the process to exit. */
  stop(): Promise<void> {
    return stopChild(this.child);
  }
}
