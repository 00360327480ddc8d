/**
 * Shared output for every benchmark: a printed table and `bench/results/<name>.json`,
 * so figures can be compared across runs and machines.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export type Row = Record<string, string | number>;

const resultsDir = join(dirname(fileURLToPath(import.meta.url)), '..', 'results');

/** Prints `rows` as an aligned table under `title` and writes them to bench/results/<name>.json. */
export function report(name: string, title: string, rows: Row[], extra: Record<string, unknown> = {}): void {
  printTable(title, rows);
  mkdirSync(resultsDir, { recursive: true });
  const machine = { node: process.version, cpus: os.cpus().length, cpu: os.cpus()[0]?.model, platform: process.platform };
  writeFileSync(join(resultsDir, `${name}.json`), JSON.stringify({ name, title, date: new Date().toISOString(), machine, rows, ...extra }, null, 2) + '\n');
}

/** Prints `rows` as an aligned table under `title` (for tables that go into another table's JSON). */
export function printTable(title: string, rows: Row[]): void {
  const columns = [...new Set(rows.flatMap(r => Object.keys(r)))];
  const cells = rows.map(r => columns.map(c => formatCell(r[c])));
  const widths = columns.map((c, i) => Math.max(c.length, ...cells.map(row => row[i].length)));
  const line = (values: string[]) => values.map((v, i) => v.padStart(widths[i])).join('  ');
  console.log(`\n${title}`);
  console.log(line(columns));
  console.log(widths.map(w => '-'.repeat(w)).join('  '));
  for (const row of cells) console.log(line(row));
}

function formatCell(value: string | number | undefined): string {
  if (value === undefined) return '';
  if (typeof value === 'string') return value;
  if (Number.isInteger(value)) return value.toLocaleString('en-US');
  return value.toLocaleString('en-US', { maximumFractionDigits: 3 });
}

/** Latency percentiles (in the unit of `samples`) from unsorted samples. */
export function percentiles(samples: number[], ps: number[] = [50, 99]): Record<string, number> {
  const sorted = Float64Array.from(samples).sort();
  const out: Record<string, number> = {};
  for (const p of ps) out[`p${p}`] = sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
  return out;
}
