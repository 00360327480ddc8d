/**
 * The layering of lib/ as a test over its import graph: every import between folders points
 * down the stack of ARCHITECTURE.md and goes through the target folder's index.ts, so no
 * import circle can cross folders. Type-only imports count: they couple the layers as well.
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';

const LIB = resolve('lib');
/** Bottom to top: a folder may import the folders before it, never the ones after it. */
const LAYERS = ['actor', 'receptionist', 'remote', 'cluster', 'client', 'nest'];

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap(name => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return path.endsWith('.ts') ? [path] : [];
  });
}

/** Relative module specifiers of every import and re-export, including `import type` and dynamic imports. */
function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const found: string[] = [];
  for (const match of text.matchAll(/(?:^|\n)\s*(?:import|export)\b[^'";]*?from\s*'([^']+)'/g)) found.push(match[1]);
  for (const match of text.matchAll(/(?:^|\n)\s*import\s*'([^']+)'/g)) found.push(match[1]);
  for (const match of text.matchAll(/\bimport\(\s*'([^']+)'\s*\)/g)) found.push(match[1]);
  return found.filter(spec => spec.startsWith('.'));
}

function layerOf(file: string): string | undefined {
  const rel = relative(LIB, file);
  return rel.includes(sep) ? rel.split(sep)[0] : undefined;
}

interface Edge {
  readonly from: string;
  readonly to: string;
}

function crossFolderEdges(): Edge[] {
  const edges: Edge[] = [];
  for (const file of sourceFiles(LIB)) {
    for (const spec of importsOf(file)) {
      const target = resolve(dirname(file), spec.replace(/\.js$/, '.ts'));
      if (layerOf(file) !== layerOf(target)) edges.push({ from: relative(LIB, file), to: relative(LIB, target) });
    }
  }
  return edges;
}

describe('Layering of lib/', () => {
  const edges = crossFolderEdges();

  it('finds the imports it checks', () => {
    // Guards the parser: the package root and the upper layers import the lower ones.
    expect(edges.some(e => e.from === 'index.ts' && e.to === join('actor', 'index.ts'))).toBe(true);
    expect(edges.some(e => e.from.startsWith(`remote${sep}`) && e.to === join('actor', 'index.ts'))).toBe(true);
  });

  it('has every folder in the layer stack', () => {
    const folders = readdirSync(LIB).filter(name => statSync(join(LIB, name)).isDirectory());
    expect(folders.filter(f => !LAYERS.includes(f))).toEqual([]);
  });

  it('imports only downwards between folders', () => {
    const upward = edges.filter(e => {
      const from = layerOf(join(LIB, e.from));
      const to = layerOf(join(LIB, e.to));
      return from !== undefined && to !== undefined && LAYERS.indexOf(to) >= LAYERS.indexOf(from);
    });
    expect(upward).toEqual([]);
  });

  it('imports another folder only through its index.ts', () => {
    const throughInternals = edges.filter(e => layerOf(join(LIB, e.to)) !== undefined && !/^[a-z]+[\\/]index\.ts$/.test(e.to));
    expect(throughInternals).toEqual([]);
  });
});
