// Imports a dependency-free TypeScript module of src/ for node --test: the
// TypeScript compiler (a devDependency) strips the types, the result is
// written to a temp file and imported. No test framework needed.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import ts from 'typescript';

const src = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'src');
const out = mkdtempSync(join(tmpdir(), 'console-unit-'));

export async function importTs(name) {
  const js = ts.transpileModule(readFileSync(join(src, name), 'utf8'), {
    compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2020 },
  }).outputText;
  const file = join(out, name.replace(/\.ts$/, '.mjs'));
  writeFileSync(file, js);
  return import(pathToFileURL(file).href);
}
