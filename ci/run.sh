#!/usr/bin/env bash
# What CI runs on a fresh clone (called by .ci/run). Needs only the Rust toolchain.
set -euo pipefail
cd "$(dirname "$0")/.."

echo "== cargo fmt"
cargo fmt --all --check

echo "== import cycles in sim/src/world"
python3 ci/world_cycles.py

echo "== assertion density of core (DESIGN.md, \"Assertions and errors\")"
python3 ci/assert_density.py --min 0.33 core/src

echo "== cargo clippy"
cargo clippy --workspace --all-targets -- -D warnings

echo "== moto S3 server for the store conformance suite's S3 leg (into target/moto-venv)"
ci/moto-venv.sh

echo "== tests (the README's command)"
cargo test --workspace --release

echo "== campaigns (ci/campaigns: smoke, then teeth)"
ci/campaigns/run.sh

ci/fuzz.sh  # coverage-guided fuzzing, 12 s per target (skipped without nightly)
