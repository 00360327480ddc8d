/**
 * The fixture node (test/remote/fixtures/node.ts) in its own OS process, for cases about a
 * process: killed, frozen, restarted. Forked with `--import tsx`; reports its port over IPC.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const fixture = fileURLToPath(new URL('../fixtures/node.ts', import.meta.url));

export interface ChildNode {
  process: ChildProcess;
  port: number;
  stderr: string[];
}

/** Forks the fixture node and waits for it to report its port. */
export function forkNode(env: Record<string, string> = {}): Promise<ChildNode> {
  const child = fork(fixture, [], {
    execArgv: ['--import', 'tsx'],
    env: { ...process.env, NODE_OPTIONS: '', ...env },
    stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
  });
  const stderr: string[] = [];
  child.stderr?.on('data', chunk => stderr.push(String(chunk)));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`child node did not start: ${stderr.join('')}`)), 20_000);
    child.once('message', message => {
      clearTimeout(timer);
      resolve({ process: child, port: (message as { ready: number }).ready, stderr });
    });
    child.once('exit', code => {
      clearTimeout(timer);
      reject(new Error(`child node exited with ${code}: ${stderr.join('')}`));
    });
  });
}

/** Kills the child (resuming it first if it was stopped) and waits for it to exit. */
export async function killNode(child: ChildNode | undefined): Promise<void> {
  if (!child || child.process.exitCode !== null || child.process.signalCode !== null) return;
  const exited = new Promise(resolve => child.process.once('exit', resolve));
  child.process.kill('SIGKILL');
  await exited;
}
