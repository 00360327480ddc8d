/**
 * Nodes in their own OS process: forks a fixture under test/remote/fixtures with tsx,
 * waits for its `{ ready: port }` report, and stops it gracefully or with a signal.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export interface ChildNode {
  process: ChildProcess;
  port: number;
  stderr: string[];
}

/** The path of a fixture script in test/remote/fixtures. */
export function fixturePath(name: string): string {
  return fileURLToPath(new URL(`../fixtures/${name}`, import.meta.url));
}

/** Forks the fixture and waits for it to report the port it listens on. */
export function forkNode(env: Record<string, string> = {}, fixture = fixturePath('node.ts')): Promise<ChildNode> {
  const child = fork(fixture, [], {
    execArgv: ['--import', 'tsx'],
    env: { ...process.env, NODE_OPTIONS: '', ...env },
    stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
  });
  const stderr: string[] = [];
  child.stderr?.on('data', chunk => stderr.push(String(chunk)));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`child node did not start: ${stderr.join('')}`)), 20_000);
    const onMessage = (message: unknown) => {
      if (typeof (message as { ready?: unknown }).ready !== 'number') return;
      clearTimeout(timer);
      child.off('message', onMessage);
      resolve({ process: child, port: (message as { ready: number }).ready, stderr });
    };
    child.on('message', onMessage);
    child.once('exit', code => {
      clearTimeout(timer);
      reject(new Error(`child node exited with ${code}: ${stderr.join('')}`));
    });
  });
}

/** Stops the child gracefully (or with `signal`) and waits for it to exit. */
export async function stopNode(child: ChildNode | undefined, signal?: NodeJS.Signals): Promise<void> {
  if (!child || child.process.exitCode !== null || child.process.signalCode !== null) return;
  const exited = new Promise(resolve => child.process.once('exit', resolve));
  if (signal) child.process.kill(signal);
  else child.process.send({ stop: true });
  const timer = setTimeout(() => child.process.kill('SIGKILL'), 5000);
  await exited;
  clearTimeout(timer);
}

/** Sends `request` to the child over IPC and resolves with its first reply that has `field`. */
export function request<T>(child: ChildNode, message: object, field: string, timeoutMs = 20_000): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.process.off('message', onMessage);
      reject(new Error(`child did not answer ${JSON.stringify(message)} with ${field}: ${child.stderr.join('')}`));
    }, timeoutMs);
    const onMessage = (reply: unknown) => {
      if (reply === null || typeof reply !== 'object' || !(field in reply)) return;
      clearTimeout(timer);
      child.process.off('message', onMessage);
      resolve((reply as Record<string, T>)[field]);
    };
    child.process.on('message', onMessage);
    child.process.send(message);
  });
}
