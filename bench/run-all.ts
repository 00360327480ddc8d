/**
 * Runs every benchmark in sequence, each in its own Node process (so GC and JIT state do not
 * leak from one into the next), then prints one line per figure from the results they wrote.
 *
 * Run: npm run bench   (= tsx bench/run-all.ts)
 * Only some: npm run bench -- ask receptionist
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

interface Bench {
  name: string;
  /** Extra node flags. */
  flags: string[];
  /** Optional benches run only when their file exists. */
  optional?: boolean;
}

const BENCHES: Bench[] = [
  { name: 'local-tell', flags: [] },
  { name: 'ask', flags: [] },
  { name: 'receptionist', flags: [] },
  { name: 'memory', flags: ['--expose-gc'] },
  { name: 'serialization', flags: [] },
  { name: 'remote', flags: [], optional: true },
  { name: 'slowloris', flags: [], optional: true },
  { name: 'associations', flags: [], optional: true },
  { name: 'hostile-frames', flags: [], optional: true },
  { name: 'backpressure', flags: [] },
  { name: 'fairness', flags: [] },
  { name: 'cluster', flags: [] },
];
/** Each child is stopped if it runs longer than this (the whole run should stay under 3 minutes). */
const CHILD_TIMEOUT_MS = 90_000;

const benchDir = dirname(fileURLToPath(import.meta.url));
const rootDir = join(benchDir, '..');
const resultsDir = join(benchDir, 'results');

interface ResultFile {
  name: string;
  title: string;
  rows: Record<string, string | number>[];
  summary?: unknown;
}

function resultMtimes(): Map<string, number> {
  const out = new Map<string, number>();
  if (!existsSync(resultsDir)) return out;
  for (const f of readdirSync(resultsDir)) if (f.endsWith('.json')) out.set(f, statSync(join(resultsDir, f)).mtimeMs);
  return out;
}

function runChild(bench: Bench): Promise<{ code: number | null; ms: number; timedOut: boolean }> {
  const file = join(benchDir, `${bench.name}.ts`);
  const started = performance.now();
  return new Promise(resolve => {
    const child = spawn(process.execPath, [...bench.flags, '--import', 'tsx', file], { cwd: rootDir, stdio: 'inherit' });
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, CHILD_TIMEOUT_MS);
    child.on('exit', code => {
      clearTimeout(timer);
      resolve({ code, ms: performance.now() - started, timedOut });
    });
    child.on('error', error => {
      clearTimeout(timer);
      console.error(`could not start ${bench.name}: ${error.message}`);
      resolve({ code: -1, ms: performance.now() - started, timedOut });
    });
  });
}

/** One line per figure: the bench's own summary lines, or else one line per table row. */
function summaryLines(result: ResultFile): string[] {
  if (Array.isArray(result.summary) && result.summary.every(s => typeof s === 'string')) return result.summary as string[];
  return (result.rows ?? []).map(row => `${result.name}: ${Object.entries(row).map(([k, v]) => `${k} ${typeof v === 'number' ? v.toLocaleString('en-US') : v}`).join(', ')}`);
}

async function main(): Promise<void> {
  const only = process.argv.slice(2);
  const unknown = only.filter(name => !BENCHES.some(b => b.name === name));
  if (unknown.length > 0) {
    console.error(`Unknown benchmark(s): ${unknown.join(', ')}; known: ${BENCHES.map(b => b.name).join(', ')}`);
    process.exitCode = 2;
    return;
  }
  const selected = BENCHES.filter(b => only.length === 0 || only.includes(b.name));
  const t0 = performance.now();
  const lines: string[] = [];
  const failures: string[] = [];
  for (const bench of selected) {
    if (!existsSync(join(benchDir, `${bench.name}.ts`))) {
      if (!bench.optional) failures.push(`${bench.name}: bench/${bench.name}.ts is missing`);
      else lines.push(`(${bench.name}: bench/${bench.name}.ts not present, skipped)`);
      continue;
    }
    console.log(`\n=== ${bench.name} ${'='.repeat(Math.max(0, 60 - bench.name.length))}`);
    const before = resultMtimes();
    const { code, ms, timedOut } = await runChild(bench);
    console.log(`(${bench.name}: ${(ms / 1000).toFixed(1)} s)`);
    if (code !== 0) failures.push(`${bench.name}: ${timedOut ? `stopped after ${CHILD_TIMEOUT_MS / 1000} s` : `exit code ${code}`}`);
    const written = [...resultMtimes()].filter(([file, mtime]) => before.get(file) !== mtime).sort((a, b) => a[1] - b[1]);
    for (const [file] of written) {
      try {
        lines.push(...summaryLines(JSON.parse(readFileSync(join(resultsDir, file), 'utf8')) as ResultFile));
      } catch (error) {
        failures.push(`${bench.name}: could not read results/${file}: ${(error as Error).message}`);
      }
    }
  }
  console.log(`\n=== Summary (${((performance.now() - t0) / 1000).toFixed(1)} s; figures in bench/results/*.json) ${'='.repeat(10)}`);
  for (const line of lines) console.log(`- ${line}`);
  if (failures.length > 0) {
    console.log('\nFailed:');
    for (const f of failures) console.log(`- ${f}`);
    process.exitCode = 1;
  }
}

await main();
