#!/usr/bin/env bash
# Sets up everything the tests need on a fresh Debian 12 machine (as root) and
# runs every test:
#   1. cargo fmt --check, cargo clippy -D warnings
#   2. the rules core: unit tests, property tests, every shared vector (native)
#   3. the wasm build (toolchain installed by scripts/setup-wasm-toolchain.sh),
#      checked MVP-only, plus the mini-program loader generated from it
#   4. under Node: every shared vector through wasm, the native/wasm differential
#      test (10,000+ random scenarios), the mini-program loader tests, the
#      TypeScript declarations (tsc --strict); the mini-program pages under
#      miniprogram-simulate with the real wasm, and its package sizes
#   5. the server: fmt, clippy (also of the production build, which must contain no
#      fake and refuse to start without WeChat settings), its unit and HTTP suite on
#      SQLite (incl. full-disk and read-only faults on tmpfs, which need root as CI
#      runs, and two instances on one database; the flash sale's kill -9 of the
#      real binary; its Redis-mode tests on Redis, installed from Debian and
#      started on 127.0.0.1 by scripts/start-redis.sh), schemathesis against the
#      served OpenAPI; then the same HTTP suite and schemathesis on PostgreSQL,
#      installed from Debian's packages and started on 127.0.0.1 by
#      scripts/start-postgres.sh (WITH_POSTGRES=0 skips that part)
#   6. the merchant console (console/): built by scripts/build-console.sh, its
#      types checked (vue-tsc), unit tests, the shell's bundle-size budget, and
#      its browser tests: playwright-core driving Debian's chromium (installed
#      with fonts-noto-cjk by scripts/install-browser.sh), each file against its
#      own server on a fresh SQLite database
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/lib/cargo-path.sh
source scripts/lib/cargo-path.sh

step() { printf '\n==> %s\n' "$*"; }

step "cargo fmt --check"
cargo fmt --all -- --check
step "cargo clippy -D warnings"
cargo clippy --workspace --all-targets -- -D warnings
step "cargo test (core unit, property and shared vectors)"
cargo test --workspace --exclude mall-server
step "wasm build (installs the wasm toolchain on first run)"
bash scripts/build-wasm.sh
node scripts/gen-miniprogram-loader.js
step "JS tests: vectors through wasm, native/wasm parity, mini-program loader"
cargo build -p mall-rules-cli
npm ci --no-audit --no-fund
npm run test:js
step "mini-program: pages under miniprogram-simulate (real wasm), package sizes"
npm run test:mp
node scripts/mp-size.js
step "merchant console: build (npm ci + vite), unit tests, bundle size"
bash scripts/build-console.sh
(cd console && npm run typecheck && npm run test:unit)
bash scripts/console-size.sh
step "mini-program end to end: the pages against the real server binary"
cargo build -p mall-server --features demo
MALL_SERVER_BIN=${CARGO_TARGET_DIR:-target}/debug/mall-server npm run test:e2e
step "merchant console in Chromium: every page and flow against the real server (playwright-core, Debian's chromium)"
bash scripts/install-browser.sh
(cd console && MALL_SERVER_BIN=$PWD/../${CARGO_TARGET_DIR:-target}/debug/mall-server npm run test:browser)
step "server: HTTP suite on SQLite and PostgreSQL"
WITH_POSTGRES=${WITH_POSTGRES:-1} bash scripts/test-server.sh
