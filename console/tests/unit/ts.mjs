// Imports a TypeScript module of src/ for node --test: the TypeScript
// compiler (a devDependency) strips the types, the result (and the sibling
// modules it imports, e.g. ./money) is written to a temp folder and imported.
// No test framework needed.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import ts from 'typescript';

const src = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'src');
const out = mkdtempSync(join(tmpdir(), 'console-unit-'));

export async function importTs(name) {
  write(name);
  return import(pathToFileURL(join(out, name.replace(/\.ts$/, '.mjs'))).href);
}

/** Transpiles `name` and, first, the sibling modules it imports (`./money` → `./money.mjs`). */
function write(name, done = new Set()) {
  if (done.has(name)) return;
  done.add(name);
  let js = ts.transpileModule(readFileSync(join(src, name), 'utf8'), {
    compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2020 },
  }).outputText;
  js = js.replace(/from '\.\/([\w-]+)'/g, (_, dep) => {
    write(`${dep}.ts`, done);
    return `from './${dep}.mjs'`;
  });
  writeFileSync(join(out, name.replace(/\.ts$/, '.mjs')), js);
}
