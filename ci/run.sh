#!/usr/bin/env bash
# What CI runs on a fresh clone (called by .ci/run). Needs only the Rust toolchain.
set -euo pipefail
cd "$(dirname "$0")/.."

echo "== cargo fmt"
cargo fmt --all --check

echo "== cargo clippy"
cargo clippy --workspace --all-targets -- -D warnings

echo "== tests (the README's command)"
cargo test --workspace --release

echo "== campaigns (ci/campaigns: smoke, then teeth)"
ci/campaigns/run.sh

ci/fuzz.sh  # coverage-guided fuzzing, 12 s per target (skipped without nightly)
