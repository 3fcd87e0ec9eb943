#!/usr/bin/env bash
# Sets up everything the tests need on a fresh Debian 12 machine and runs every
# test: formatting, lints, the rules core (unit, property and shared vectors).
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n==> %s\n' "$*"; }

step "cargo fmt --check"
cargo fmt --all -- --check
step "cargo clippy -D warnings"
cargo clippy --workspace --all-targets -- -D warnings
step "cargo test (core: unit, property, shared vectors)"
cargo test --workspace
