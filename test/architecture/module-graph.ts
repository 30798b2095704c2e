/**
 * The import graph of src/, by module: a top-level folder of src/ (`engine/`) or a file directly in
 * src/ (`errors`). Imports are read with the TypeScript compiler's own pre-processor, so static
 * imports, `import type`, re-exports and `import('...')` with a literal all count; a type-only
 * import is a dependency like any other.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

export const SRC = fileURLToPath(new URL('../../src', import.meta.url));

/** The module a file of src/ belongs to. */
export function moduleOf(file: string): string {
  const parts = relative(SRC, file).split('/');
  return parts.length > 1 ? `${parts[0]}/` : (parts[0] as string).replace(/(\.d)?\.ts$/, '');
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return path.endsWith('.ts') ? [path] : [];
  });
}

export interface ImportEdge {
  readonly from: string;
  readonly to: string;
  /** The importing file and the specifier, relative to src/. */
  readonly where: string;
}

/** Every import of one module by another (imports inside a module are left out). */
export function moduleImports(): ImportEdge[] {
  const edges: ImportEdge[] = [];
  for (const file of sourceFiles(SRC)) {
    const info = ts.preProcessFile(readFileSync(file, 'utf8'), true, true);
    for (const imported of info.importedFiles) {
      if (!imported.fileName.startsWith('.')) continue;
      const target = resolve(dirname(file), imported.fileName.replace(/\.js$/, '.ts'));
      const from = moduleOf(file);
      const to = moduleOf(target);
      if (from !== to) edges.push({ from, to, where: `${relative(SRC, file)} imports ${imported.fileName}` });
    }
  }
  return edges;
}
