import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

// Runs from dist/test/; the sources sit two levels up.
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/** One import of one source file: both as paths from the repository root (`src/boards/index.ts`). */
interface ImportEdge {
  from: string;
  to: string;
}

/**
 * Every relative import of the TypeScript sources under src/: `import`, `import type`,
 * `export ... from`, side-effect and dynamic imports, as TypeScript itself finds them (comments
 * and strings are not imports). A `.js` specifier names the `.ts` file it is compiled from.
 */
function importGraph(): ImportEdge[] {
  const files = readdirSync(path.join(root, 'src'), { recursive: true })
    .map((name) => path.posix.join('src', String(name).split(path.sep).join('/')))
    .filter((file) => file.endsWith('.ts') && !file.endsWith('.d.ts'));
  return files.flatMap((from) =>
    ts
      .preProcessFile(readFileSync(path.join(root, from), 'utf8'), true, true)
      .importedFiles.map((imported) => imported.fileName)
      .filter((specifier) => specifier.startsWith('.'))
      .map((specifier) => ({ from, to: path.posix.join(path.posix.dirname(from), specifier).replace(/\.js$/, '.ts') })),
  );
}

const under = (file: string, folder: string) => file.startsWith(`${folder}/`);

/** The imports from any of `sources` into any of `targets` (folders, or files such as `src/clock.ts`). */
function crossing(graph: ImportEdge[], sources: string[], targets: string[]): string[] {
  const inside = (file: string, places: string[]) => places.some((place) => file === place || under(file, place));
  return graph.filter((edge) => inside(edge.from, sources) && inside(edge.to, targets)).map((edge) => `${edge.from} -> ${edge.to}`);
}

describe('the import graph of src/ (issue 19)', () => {
  const graph = importGraph();

  it('is read: it holds import, import type and export-from edges that are known to exist', () => {
    const has = (from: string, to: string) => graph.some((edge) => edge.from === from && edge.to === to);
    assert.ok(has('src/storage/libsqlEventLogStorage.ts', 'src/routing/index.ts'), 'an import');
    assert.ok(has('src/server/upgradeGate.ts', 'src/clock.ts'), 'an import type');
    assert.ok(has('src/boards/index.ts', 'src/storage/index.ts'), 'an export-from');
    assert.ok(graph.length > 300, `found ${graph.length} imports`);
  });

  it('no file under src/storage/ imports from src/boards/: the backends know no sessions', () => {
    assert.deepEqual(crossing(graph, ['src/storage'], ['src/boards']), []);
  });

  it('no file under src/sync/ or src/routing/ imports from src/documents/ or src/boards/', () => {
    assert.deepEqual(crossing(graph, ['src/sync', 'src/routing'], ['src/documents', 'src/boards']), []);
  });

  it('the clock is its own module: src/clock.ts imports nothing, and lifecycle/ holds only the session state machine', () => {
    assert.deepEqual(crossing(graph, ['src/clock.ts'], ['src']), []);
    // The parts that need only time take it from src/clock.ts, not from the lifecycle.
    assert.deepEqual(crossing(graph, ['src/server', 'src/auth'], ['src/lifecycle']), []);
    const outOfLifecycle = graph.filter((edge) => under(edge.from, 'src/lifecycle') && !under(edge.to, 'src/lifecycle') && edge.to !== 'src/clock.ts');
    assert.deepEqual(outOfLifecycle, []);
  });
});
