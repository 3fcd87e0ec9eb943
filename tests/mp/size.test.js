// scripts/mp-size.js: passes on the real tree, fails over a package limit,
// and never counts the raw .wasm.
'use strict';
const fs = require('fs');
const os = require('os');
const path = require('path');
const { spawnSync } = require('child_process');
const { MP } = require('./helpers');

const SCRIPT = path.resolve(__dirname, '..', '..', 'scripts', 'mp-size.js');
const run = (dir) => spawnSync(process.execPath, [SCRIPT, dir], { encoding: 'utf8' });

test('the mini-program fits, with the wasm counted as .wasm.br in the main package', () => {
  const r = run(MP);
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  expect(r.stdout).toMatch(/wasm: \/lib\/rules\/\S+\.wasm\.br .* in package main/);
  expect(r.stdout).toMatch(/ok {3}main package/);
  expect(r.stdout).toMatch(/ok {3}subpackage order \(pkg-order\/\)/);
  expect(r.stdout).not.toMatch(/lib\/rules\/\S+\.wasm\n/);
});

test('fails when a subpackage is over 2 MB; a big raw .wasm is not counted', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mp-size-'));
  try {
    fs.writeFileSync(path.join(dir, 'app.json'), JSON.stringify({ pages: ['pages/a/index'], subpackages: [{ root: 'sub', pages: ['b/index'] }] }));
    fs.mkdirSync(path.join(dir, 'pages', 'a'), { recursive: true });
    fs.writeFileSync(path.join(dir, 'pages', 'a', 'index.js'), '');
    fs.writeFileSync(path.join(dir, 'pages', 'a', 'x.wasm'), Buffer.alloc(5 * 1024 * 1024));
    expect(run(dir).status).toBe(0);
    fs.mkdirSync(path.join(dir, 'sub', 'b'), { recursive: true });
    fs.writeFileSync(path.join(dir, 'sub', 'b', 'big.js'), Buffer.alloc(2 * 1024 * 1024 + 1));
    const r = run(dir);
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(/FAIL subpackage sub/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
