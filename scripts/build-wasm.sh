#!/usr/bin/env bash
# build-wasm.sh [CRATE_DIR] [OUT_DIR] - build a wasm-bindgen crate as an MVP-only
# WebAssembly package for Node (OUT_DIR/node, CommonJS) and for the web target
# (OUT_DIR/web, input of scripts/gen-miniprogram-loader.js), verify every .wasm is
# WebAssembly 1.0 (MVP) only, write brotli copies (*_bg.wasm.br) and print sizes.
#
#   CRATE_DIR  default: wasm        (relative to the repo root when defaulted,
#   OUT_DIR    default: wasm/pkg     to the current directory when given)
#
# Environment:
#   WASM_TOOLCHAIN_PREFIX  toolchain prefix (default /opt/rust-wasm), installed
#                          on demand by scripts/setup-wasm-toolchain.sh (fast no-op
#                          when already there).
#   WASM_TARGET_DIR        cargo target dir (default: the crate's workspace target
#                          dir from `cargo metadata`, i.e. the repo's target/ for a
#                          workspace member, so native and wasm builds share it).
# RUSTFLAGS / CARGO_ENCODED_RUSTFLAGS are unset: they would replace the
# [target.wasm32-unknown-unknown] rustflags of .cargo/config.toml and silently
# drop -C target-cpu=mvp (shared/notes/toolchain.md §7.2).
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PREFIX=${WASM_TOOLCHAIN_PREFIX:-/opt/rust-wasm}
W=$PREFIX/bin

log() { printf '[build-wasm %s] %s\n' "$(date +%T)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }
set -E
trap 'log "command failed (line $LINENO): $BASH_COMMAND"' ERR
# shellcheck disable=SC2154  # st is assigned inside the trap string
trap 'st=$?; ((st == 0)) || log "FAILED (exit $st)"' EXIT

abs_dir() { # abs_dir PATH [BASE]: absolute path (need not exist yet)
  local p=$1 base=${2:-$PWD}
  [[ $p == /* ]] || p=$base/$p
  printf '%s\n' "$p"
}
if [[ $# -ge 1 && -n $1 ]]; then CRATE_DIR=$(abs_dir "$1"); else CRATE_DIR=$REPO/wasm; fi
if [[ $# -ge 2 && -n $2 ]]; then OUT_DIR=$(abs_dir "$2"); else OUT_DIR=$REPO/wasm/pkg; fi
[[ -f $CRATE_DIR/Cargo.toml ]] || die "no Cargo.toml in $CRATE_DIR"
CRATE_DIR=$(cd "$CRATE_DIR" && pwd)

unset RUSTFLAGS CARGO_ENCODED_RUSTFLAGS

"$REPO/scripts/setup-wasm-toolchain.sh"

# shellcheck source=scripts/lib/cargo-path.sh
source "$REPO/scripts/lib/cargo-path.sh"

# Target dir, lib name, and the resolved wasm-bindgen version (must equal the CLI's,
# or wasm-pack would silently try to install another CLI).
meta=$(cd "$CRATE_DIR" && cargo metadata --format-version 1 --filter-platform wasm32-unknown-unknown) ||
  die "cargo metadata failed in $CRATE_DIR"
read -r TARGET_DIR LIB_NAME BINDGEN_VERSION < <(CRATE_MANIFEST=$CRATE_DIR/Cargo.toml node -e '
  let s = ""; process.stdin.on("data", d => s += d).on("end", () => {
    const m = JSON.parse(s);
    const pkg = m.packages.find(p => p.manifest_path === process.env.CRATE_MANIFEST);
    if (!pkg) { console.error("crate not found in cargo metadata"); process.exit(1); }
    const lib = pkg.targets.find(t => t.kind.includes("cdylib"));
    if (!lib) { console.error(pkg.name + " has no cdylib target"); process.exit(1); }
    const wb = m.packages.find(p => p.name === "wasm-bindgen");
    console.log(m.target_directory, lib.name.replace(/-/g, "_"), wb ? wb.version : "none");
  });' <<<"$meta") || die "cannot read cargo metadata"
TARGET_DIR=${WASM_TARGET_DIR:-$TARGET_DIR}
cli_version=$("$W/wasm-bindgen" --version | awk '{print $2}')
[[ $BINDGEN_VERSION == "$cli_version" ]] ||
  die "crate resolves wasm-bindgen $BINDGEN_VERSION but the CLI is $cli_version: pin wasm-bindgen = \"=$cli_version\" (or set WASM_BINDGEN_VERSION for setup)"

log "crate $CRATE_DIR (lib $LIB_NAME), out $OUT_DIR, target dir $TARGET_DIR"
mkdir -p "$OUT_DIR"
declare -A SUB=([nodejs]=node [web]=web)
for target in nodejs web; do
  out=$OUT_DIR/${SUB[$target]}
  rm -rf "$out"
  log "wasm-pack build --release --target $target -> $out"
  (cd "$CRATE_DIR" &&
    "$W/wasm-env" wasm-pack --log-level warn build --release --target "$target" --out-dir "$out" \
      -- --target-dir "$TARGET_DIR") || die "wasm-pack build --target $target failed"
  [[ -f $out/${LIB_NAME}_bg.wasm ]] || die "wasm-pack produced no $out/${LIB_NAME}_bg.wasm"
done

shopt -s nullglob
wasms=("$OUT_DIR"/node/*.wasm "$OUT_DIR"/web/*.wasm)
((${#wasms[@]})) || die "no .wasm produced"
"$W/wasm-check-mvp" "${wasms[@]}" || die "a .wasm uses post-MVP features (is RUSTFLAGS set, or .cargo/config.toml missing target-cpu=mvp?)"

# Brotli copies (quality 11, what WXWebAssembly loads as .wasm.br); Node's zlib, no extra install.
node - "${wasms[@]}" <<'EOF'
const fs = require('fs'), zlib = require('zlib');
for (const f of process.argv.slice(2)) {
  const raw = fs.readFileSync(f);
  const br = zlib.brotliCompressSync(raw, { params: {
    [zlib.constants.BROTLI_PARAM_QUALITY]: 11,
    [zlib.constants.BROTLI_PARAM_MODE]: zlib.constants.BROTLI_MODE_GENERIC,
    [zlib.constants.BROTLI_PARAM_SIZE_HINT]: raw.length } });
  if (!zlib.brotliDecompressSync(br).equals(raw)) throw new Error(`brotli round trip failed for ${f}`);
  fs.writeFileSync(f + '.br', br);
  console.error(`${f}.br: ${br.length} B`);
}
EOF

node "$REPO/scripts/wasm-size.js" --pkg "$OUT_DIR/web" --lib "$LIB_NAME" \
  --raw "$TARGET_DIR/wasm32-unknown-unknown/release/$LIB_NAME.wasm" ||
  die "wasm-size.js failed"
log "done: $OUT_DIR/node (CommonJS for Node), $OUT_DIR/web (input of gen-miniprogram-loader.js)"
