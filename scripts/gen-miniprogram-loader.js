#!/usr/bin/env node
// gen-miniprogram-loader.js - turn wasm-bindgen's `--target web` output into a
// WeChat mini-program module (CommonJS) that loads the wasm with
// WXWebAssembly.instantiate(PACKAGE_PATH, imports).
//
// Usage:
//   node scripts/gen-miniprogram-loader.js [--in DIR] [--out DIR] [--lib NAME]
//        [--package-path PATH] [--js-name FILE] [--no-raw-wasm]
//
//   --in            wasm-pack --target web output   (default: <repo>/wasm/pkg/web)
//   --out           mini-program directory to write (default: <repo>/miniprogram/lib/rules)
//   --lib           crate lib name                  (default: mall_rules_wasm)
//   --package-path  path of the wasm inside the code package, as given to
//                   WXWebAssembly.instantiate       (default: /lib/rules/<lib>_bg.wasm.br)
//   --js-name       loader file name                (default: index.js)
//   --no-raw-wasm   do not copy the uncompressed <lib>_bg.wasm (only the .br)
//
// Writes OUT/index.js (the patched glue), OUT/<lib>_bg.wasm.br and OUT/<lib>_bg.wasm.
// The glue is patched by this script only (never edit the output by hand):
//   * ESM -> CommonJS: `export function|class|const` lose `export`, and
//     module.exports = { init, ...every wasm export };
//   * the web loader (its network/URL/streaming code, initSync and the default
//     init) is removed and replaced by init(): a memoised promise around
//     WXWebAssembly.instantiate that accepts both result shapes
//     ({instance, module} or a bare instance);
//   * TextEncoder/TextDecoder come from the globals when they exist, otherwise
//     from a small UTF-8 polyfill;
//   * comments are stripped (smaller package, and no false positives below).
// The script fails if a forbidden token survives (see FORBIDDEN), if the result
// does not parse, or if the glue no longer has the shape this patch expects
// (re-check after every wasm-bindgen upgrade).
'use strict';
const fs = require('fs');
const path = require('path');
const vm = require('vm');

const REPO = path.resolve(__dirname, '..');

// Tokens that must not survive in the generated loader (checked on the whole file).
const FORBIDDEN = [
  ['fetch', /\bfetch\b/],
  ['import.meta', /\bimport\s*\.\s*meta\b/],
  ['new URL', /\bnew\s+URL\b/],
  ['instantiateStreaming', /\binstantiateStreaming\b/],
  ['global WebAssembly', /(?<![\w$])WebAssembly\b/], // WXWebAssembly is fine
  ['initSync', /\binitSync\b/],
  ['ESM export', /^\s*export\b/m],
  ['ESM import', /^\s*import\b|\bimport\s*\(/m],
  ['eval', /\beval\s*\(/],
  ['new Function', /\bnew\s+Function\b/],
  ['unguarded new TextDecoder', /\bnew\s+TextDecoder\b/],
  ['unguarded new TextEncoder', /\bnew\s+TextEncoder\b/],
];

function parseArgs(argv) {
  const o = { in: null, out: null, lib: 'mall_rules_wasm', packagePath: null, jsName: 'index.js', rawWasm: true };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const val = () => {
      if (i + 1 >= argv.length) throw new Error(`${a} needs a value`);
      return argv[++i];
    };
    if (a === '--in') o.in = path.resolve(val());
    else if (a === '--out') o.out = path.resolve(val());
    else if (a === '--lib') o.lib = val();
    else if (a === '--package-path') o.packagePath = val();
    else if (a === '--js-name') o.jsName = val();
    else if (a === '--no-raw-wasm') o.rawWasm = false;
    else if (a === '-h' || a === '--help') {
      process.stdout.write(fs.readFileSync(__filename, 'utf8').split('\n').slice(1, 17).map((l) => l.replace(/^\/\/ ?/, '')).join('\n') + '\n');
      process.exit(0);
    } else throw new Error(`unknown argument ${a}`);
  }
  o.in = o.in || path.join(REPO, 'wasm', 'pkg', 'web');
  o.out = o.out || path.join(REPO, 'miniprogram', 'lib', 'rules');
  o.packagePath = o.packagePath || `/lib/rules/${o.lib}_bg.wasm.br`;
  if (!/^[A-Za-z_$][\w$]*$/.test(o.lib)) throw new Error(`bad lib name ${o.lib}`);
  return o;
}

// ---------------------------------------------------------------- tiny JS scanner
// Splits source into code / string / template / comment / regex spans well enough
// for wasm-bindgen glue: enough to strip comments and to find the matching brace
// of a function body without being fooled by braces inside strings.
function scan(src) {
  const spans = [];
  let i = 0;
  let code = 0; // start of the current code span
  const n = src.length;
  const push = (kind, a, b) => { if (b > a) spans.push({ kind, text: src.slice(a, b) }); };
  const lastSignificant = () => { // previous non-space char in code, for the regex heuristic
    for (let k = i - 1; k >= 0; k--) if (!/\s/.test(src[k])) return src[k];
    return '';
  };
  const tmplStack = []; // brace depth at each `${`, for nested templates
  let depth = 0;
  while (i < n) {
    const c = src[i];
    const d = src[i + 1];
    if (c === '/' && d === '/') {
      push('code', code, i);
      let j = src.indexOf('\n', i);
      if (j < 0) j = n;
      push('comment', i, j); i = code = j; continue;
    }
    if (c === '/' && d === '*') {
      push('code', code, i);
      const j = src.indexOf('*/', i + 2);
      if (j < 0) throw new Error('unterminated comment');
      push('comment', i, j + 2); i = code = j + 2; continue;
    }
    if (c === '"' || c === "'") {
      push('code', code, i);
      let j = i + 1;
      while (j < n && src[j] !== c) { if (src[j] === '\\') j++; if (src[j] === '\n') throw new Error('unterminated string'); j++; }
      push('string', i, j + 1); i = code = j + 1; continue;
    }
    if (c === '`' || (c === '}' && tmplStack.length && tmplStack[tmplStack.length - 1] === depth)) {
      // template literal text, from ` or from the } closing a ${ } up to ` or ${
      if (c === '}') tmplStack.pop();
      push('code', code, i);
      let j = i + 1;
      for (;;) {
        if (j >= n) throw new Error('unterminated template literal');
        if (src[j] === '\\') { j += 2; continue; }
        if (src[j] === '`') { j++; break; }
        if (src[j] === '$' && src[j + 1] === '{') { j += 2; tmplStack.push(depth); break; }
        j++;
      }
      push('template', i, j); i = code = j; continue;
    }
    if (c === '/' && /^$|[(,=:[!&|?{};+\-*%<>~^]$/.test(lastSignificant())) {
      // regex literal
      push('code', code, i);
      let j = i + 1;
      let cls = false;
      while (j < n) {
        if (src[j] === '\\') { j += 2; continue; }
        if (src[j] === '\n') throw new Error('unterminated regex');
        if (src[j] === '[') cls = true; else if (src[j] === ']') cls = false;
        else if (src[j] === '/' && !cls) break;
        j++;
      }
      j++;
      while (j < n && /[a-z]/i.test(src[j])) j++;
      push('regex', i, j); i = code = j; continue;
    }
    if (c === '{') depth++;
    else if (c === '}') depth--;
    i++;
  }
  push('code', code, n);
  return spans;
}

function stripComments(src) {
  const out = scan(src).map((s) => (s.kind === 'comment' ? (s.text.startsWith('//') ? '' : ' ') : s.text)).join('');
  return out.replace(/[ \t]+$/gm, '').replace(/\n{3,}/g, '\n\n').trim() + '\n';
}

// Index of the `}` matching the `{` at `open`. Only code spans count: a template's
// `${` and the `}` closing it both sit inside template spans, so they cancel out.
function matchingBrace(src, open) {
  if (src[open] !== '{') throw new Error('internal: not a brace');
  let depth = 0;
  let pos = 0;
  for (const s of scan(src)) {
    const end = pos + s.text.length;
    if (s.kind === 'code' && end > open) {
      for (let k = Math.max(pos, open); k < end; k++) {
        if (s.text[k - pos] === '{') depth++;
        else if (s.text[k - pos] === '}' && --depth === 0) return k;
      }
    }
    pos = end;
  }
  throw new Error('unbalanced braces');
}

// Remove the top-level `[async ]function NAME(...) {...}`; returns the new source.
function removeFunction(src, name, { required = true } = {}) {
  const re = new RegExp(`^(?:async\\s+)?function\\s+${name.replace(/\$/g, '\\$')}\\s*\\(`, 'm');
  const m = re.exec(src);
  if (!m) {
    if (required) throw new Error(`glue shape changed: top-level function ${name} not found`);
    return src;
  }
  const open = src.indexOf('{', m.index + m[0].length);
  const close = matchingBrace(src, open);
  return src.slice(0, m.index) + src.slice(close + 1);
}

// ---------------------------------------------------------------- polyfill + loader
const POLYFILL = String.raw`
// UTF-8 TextEncoder/TextDecoder, used only where the globals are absent
// (the mini-program runtime has none).
function __Utf8Decoder(label, options) {
  this.encoding = 'utf-8';
  this.fatal = false;
  this.ignoreBOM = !!(options && options.ignoreBOM);
}
__Utf8Decoder.prototype.decode = function (input) {
  if (input === undefined || input === null) return '';
  var bytes = input instanceof Uint8Array ? input
    : ArrayBuffer.isView(input) ? new Uint8Array(input.buffer, input.byteOffset, input.byteLength)
    : new Uint8Array(input);
  var n = bytes.length, i = 0, out = '', units = [];
  if (!this.ignoreBOM && n >= 3 && bytes[0] === 0xEF && bytes[1] === 0xBB && bytes[2] === 0xBF) i = 3;
  while (i < n) {
    var b = bytes[i++], cp, need = 0, lo = 0x80, hi = 0xBF;
    if (b < 0x80) cp = b;
    else if (b >= 0xC2 && b <= 0xDF) { need = 1; cp = b & 0x1F; }
    else if (b >= 0xE0 && b <= 0xEF) { need = 2; cp = b & 0x0F; if (b === 0xE0) lo = 0xA0; if (b === 0xED) hi = 0x9F; }
    else if (b >= 0xF0 && b <= 0xF4) { need = 3; cp = b & 0x07; if (b === 0xF0) lo = 0x90; if (b === 0xF4) hi = 0x8F; }
    else cp = 0xFFFD;
    while (need > 0) {
      var c = i < n ? bytes[i] : -1;
      if (c < lo || c > hi) { cp = 0xFFFD; break; }
      cp = (cp << 6) | (c & 0x3F); i++; need--; lo = 0x80; hi = 0xBF;
    }
    if (cp > 0xFFFF) { cp -= 0x10000; units.push(0xD800 | (cp >> 10), 0xDC00 | (cp & 0x3FF)); }
    else units.push(cp);
    if (units.length >= 8192) { out += String.fromCharCode.apply(null, units); units = []; }
  }
  return out + String.fromCharCode.apply(null, units);
};
function __Utf8Encoder() { this.encoding = 'utf-8'; }
__Utf8Encoder.prototype.encodeInto = function (str, dest) {
  str = String(str);
  var n = str.length, i = 0, w = 0, cap = dest.length;
  while (i < n) {
    var cp = str.charCodeAt(i), units = 1;
    if (cp >= 0xD800 && cp <= 0xDBFF && i + 1 < n) {
      var lo = str.charCodeAt(i + 1);
      if (lo >= 0xDC00 && lo <= 0xDFFF) { cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00); units = 2; }
    }
    if (cp >= 0xD800 && cp <= 0xDFFF) cp = 0xFFFD; // lone surrogate
    var len = cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
    if (w + len > cap) break;
    if (len === 1) dest[w++] = cp;
    else if (len === 2) { dest[w++] = 0xC0 | (cp >> 6); dest[w++] = 0x80 | (cp & 0x3F); }
    else if (len === 3) { dest[w++] = 0xE0 | (cp >> 12); dest[w++] = 0x80 | ((cp >> 6) & 0x3F); dest[w++] = 0x80 | (cp & 0x3F); }
    else { dest[w++] = 0xF0 | (cp >> 18); dest[w++] = 0x80 | ((cp >> 12) & 0x3F); dest[w++] = 0x80 | ((cp >> 6) & 0x3F); dest[w++] = 0x80 | (cp & 0x3F); }
    i += units;
  }
  return { read: i, written: w };
};
__Utf8Encoder.prototype.encode = function (str) {
  str = str === undefined ? '' : String(str);
  var buf = new Uint8Array(str.length * 3);
  var r = this.encodeInto(str, buf);
  return new Uint8Array(buf.subarray(0, r.written));
};
var __TextDecoder = typeof TextDecoder === 'undefined' ? __Utf8Decoder : TextDecoder;
var __TextEncoder = typeof TextEncoder === 'undefined' ? __Utf8Encoder : TextEncoder;
`;

function loaderTail(packagePath, exportNames) {
  const wrapped = exportNames.map((e) => `  ${JSON.stringify(e.name)}: ${e.kind === 'function' ? `__wbg_guard(${JSON.stringify(e.name)}, ${e.local})` : e.local},`);
  return `
// ---- WeChat loader (generated) ----
var PACKAGE_PATH = ${JSON.stringify(packagePath)};
var __wx_init_promise;

function __wbg_guard(name, f) {
  return function () {
    if (wasm === undefined) {
      var e = new Error(name + '() called before init() resolved');
      e.code = 'WASM_NOT_INITIALIZED';
      throw e;
    }
    return f.apply(this, arguments);
  };
}

// Instantiates the wasm once; resolves to this module's exports. A failed attempt
// is forgotten, so init() can be retried. packagePath overrides PACKAGE_PATH.
function init(packagePath) {
  if (__wx_init_promise === undefined) {
    __wx_init_promise = new Promise(function (resolve) {
      if (typeof WXWebAssembly === 'undefined') {
        throw new Error('WXWebAssembly is not available (WeChat base library >= 2.14.0 is needed for .wasm.br)');
      }
      resolve(WXWebAssembly.instantiate(packagePath || PACKAGE_PATH, __wbg_get_imports()));
    }).then(function (result) {
      // WXWebAssembly.instantiate resolves to {instance, module} or to a bare instance.
      var instance = result && result.instance ? result.instance : result;
      if (!instance || !instance.exports) throw new Error('WXWebAssembly.instantiate gave no instance');
      __wbg_finalize_init(instance, result && result.instance ? result.module : undefined);
      return module.exports;
    });
    __wx_init_promise.catch(function () { __wx_init_promise = undefined; });
  }
  return __wx_init_promise;
}

module.exports = {
  init: init,
${wrapped.join('\n')}
};
Object.defineProperty(module.exports, '__utf8', { enumerable: false, value: { Decoder: __Utf8Decoder, Encoder: __Utf8Encoder } });
`;
}

function patchGlue(glue, { lib, packagePath }) {
  let src = stripComments(glue);

  // 1. web loader -> removed (replaced by init() below).
  for (const f of ['__wbg_load', 'initSync', '__wbg_init', '__wbg_init_once']) src = removeFunction(src, f);
  src = src.replace(/^let __wbg_init_promise;\n/m, '');
  for (const f of ['__wbg_get_imports', '__wbg_finalize_init']) {
    if (!new RegExp(`^function ${f}\\(`, 'm').test(src)) throw new Error(`glue shape changed: ${f} not found`);
  }
  if (!/^let wasmModule, wasmInstance, wasm;$|^let wasm(?:;|,)/m.test(src) && !/\bwasm\s*=\s*instance\.exports\b/.test(src)) {
    throw new Error('glue shape changed: no `wasm = instance.exports`');
  }

  // 2. ESM -> CommonJS
  const exportsList = [];
  const names = new Set();
  const add = (name, local, kind) => {
    if (name === 'init' || name === 'default') throw new Error(`a wasm export is named ${name}; rename it (js_name)`);
    if (names.has(name)) throw new Error(`duplicate export ${name}`);
    names.add(name);
    exportsList.push({ name, local, kind });
  };
  src = src.replace(/^export\s+\{([^}]*)\};?[ \t]*$/gm, (_, body) => {
    for (const part of body.split(',').map((s) => s.trim()).filter(Boolean)) {
      const m = /^([\w$]+)(?:\s+as\s+([\w$]+))?$/.exec(part);
      if (!m) throw new Error(`cannot parse export clause ${part}`);
      const [, local, as] = m;
      if (local === 'initSync' || (local === '__wbg_init' && as === 'default')) continue;
      add(as || local, local, 'value');
    }
    return '';
  });
  src = src.replace(/^export\s+(async\s+function\*?|function\*?|class|const|let|var)\s+([\w$]+)/gm, (_, kw, name) => {
    add(name, name, /function/.test(kw) ? 'function' : 'value');
    return `${kw} ${name}`;
  });
  if (/^\s*import\b/m.test(src)) throw new Error('glue imports JS snippets/modules (wasm_bindgen(module=...)); not supported by this loader');
  if (exportsList.length === 0) throw new Error('no wasm exports found in the glue');

  // 3. TextEncoder/TextDecoder -> guarded aliases
  src = src.replace(/\bnew\s+TextDecoder\b/g, 'new __TextDecoder').replace(/\bnew\s+TextEncoder\b/g, 'new __TextEncoder');

  const header = `// GENERATED by scripts/gen-miniprogram-loader.js from wasm-bindgen's web glue (${lib}.js).
// Do not edit: re-run \`npm run build:wasm\`. CommonJS; needs WeChat base library >= 2.14.0.
'use strict';
`;
  return header + POLYFILL + '\n' + src.trim() + '\n' + loaderTail(packagePath, exportsList);
}

function check(out, file) {
  const bad = FORBIDDEN.filter(([, re]) => re.test(out)).map(([label, re]) => {
    const line = out.split('\n').findIndex((l) => re.test(l));
    return `${label} (line ${line + 1}: ${out.split('\n')[line] ?? ''})`;
  });
  if (bad.length) throw new Error(`forbidden tokens survived the patch in ${file}:\n  ${bad.join('\n  ')}`);
  // Must parse as a CommonJS module body.
  new vm.Script(`(function (exports, require, module, __filename, __dirname) {${out}\n})`, { filename: file });
}

function main() {
  const o = parseArgs(process.argv.slice(2));
  const glueFile = path.join(o.in, `${o.lib}.js`);
  const wasmFile = path.join(o.in, `${o.lib}_bg.wasm`);
  const brFile = `${wasmFile}.br`;
  for (const f of [glueFile, wasmFile, brFile]) {
    if (!fs.existsSync(f)) throw new Error(`${f} not found (run scripts/build-wasm.sh first)`);
  }
  const outJs = path.join(o.out, o.jsName);
  const out = patchGlue(fs.readFileSync(glueFile, 'utf8'), o);
  check(out, outJs);
  fs.mkdirSync(o.out, { recursive: true });
  fs.writeFileSync(outJs, out);
  fs.copyFileSync(brFile, path.join(o.out, path.basename(brFile)));
  if (o.rawWasm) fs.copyFileSync(wasmFile, path.join(o.out, path.basename(wasmFile)));
  else fs.rmSync(path.join(o.out, path.basename(wasmFile)), { force: true });
  const names = Object.keys(evalModule(outJs, out)).join(', ');
  console.error(`gen-miniprogram-loader: wrote ${outJs} (${out.length} B; exports ${names}), package path ${o.packagePath}`);
}

// Evaluates the generated module body (no WXWebAssembly needed until init()),
// to list its exports and prove it loads.
function evalModule(file, src) {
  const m = { exports: {} };
  const fn = vm.runInThisContext(`(function (exports, require, module, __filename, __dirname) {${src}\n})`, { filename: file });
  fn(m.exports, require, m, file, path.dirname(file));
  return m.exports;
}

if (require.main === module) {
  try {
    main();
  } catch (e) {
    console.error(`gen-miniprogram-loader: ERROR: ${e.message}`);
    process.exit(1);
  }
} else {
  module.exports = { patchGlue, FORBIDDEN, stripComments };
}
