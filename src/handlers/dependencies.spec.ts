import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

const SRC = resolve(__dirname, '..');
/** The files that assemble the application: they alone may import the gateway from outside it. */
const BOOTSTRAP = new Set(['main.ts', 'app.module.ts', 'app.factory.ts']);

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sources(path);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.spec.ts') ? [path] : [];
  });
}

/** The files of src/ that each file imports, by path within src/ (packages are left out). */
function imports(): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const file of sources(SRC)) {
    const text = readFileSync(file, 'utf8');
    const targets = [...text.matchAll(/from '(\.{1,2}\/[^']+)'/g)].map((match) => relative(SRC, resolve(dirname(file), match[1])) + '.ts');
    graph.set(relative(SRC, file), targets);
  }
  // `from './migrations'` names a folder's index.
  for (const [file, targets] of graph)
    graph.set(
      file,
      targets.map((t) => (graph.has(t) ? t : t.replace(/\.ts$/, '/index.ts'))),
    );
  return graph;
}

/** A cycle of the graph as a list of files, or null. */
function findCycle(graph: Map<string, string[]>): string[] | null {
  const state = new Map<string, 'open' | 'done'>();
  const path: string[] = [];
  const visit = (file: string): string[] | null => {
    if (state.get(file) === 'done') return null;
    if (state.get(file) === 'open') return [...path.slice(path.indexOf(file)), file];
    state.set(file, 'open');
    path.push(file);
    for (const target of graph.get(file) ?? []) {
      const cycle = visit(target);
      if (cycle) return cycle;
    }
    path.pop();
    state.set(file, 'done');
    return null;
  };
  for (const file of graph.keys()) {
    const cycle = visit(file);
    if (cycle) return cycle;
  }
  return null;
}

describe('dependencies of src/', () => {
  const graph = imports();

  it('features reach the gateway through the handler port only: nothing outside src/gateway imports it but the bootstrap', () => {
    const offenders = [...graph].filter(
      ([file, targets]) => !file.startsWith('gateway/') && !BOOTSTRAP.has(file) && targets.some((t) => t.startsWith('gateway/')),
    );
    expect(offenders.map(([file]) => file)).toEqual([]);
  });

  it('src/protocol depends on nothing: its files import one another only, no package and nothing else of src/', () => {
    const outside = sources(join(SRC, 'protocol')).flatMap((file) =>
      [...readFileSync(file, 'utf8').matchAll(/from '([^']+)'/g)]
        .map((match) => match[1])
        .filter((target) => !target.startsWith('./'))
        .map((target) => `${relative(SRC, file)} imports ${target}`),
    );
    expect(outside).toEqual([]);
  });

  it('has no import cycles', () => {
    expect(findCycle(graph)).toBeNull();
  });
});
