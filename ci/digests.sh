#!/usr/bin/env bash
# Prints one line per run of a fixed matrix: "<seed> <style> <topology> <durability> <digest> <verdict>".
# Diff the output of two commits to show that a refactoring kept every trace digest:
#   ci/digests.sh > /tmp/before.txt   (on the old commit)
#   ci/digests.sh > /tmp/after.txt    (on the new one);  diff /tmp/before.txt /tmp/after.txt
# SIM overrides the binary (default: target/release/sim, built first).
set -euo pipefail
cd "$(dirname "$0")/.."
if [[ -z "${SIM:-}" ]]; then
  cargo build --release -p sim -q
  SIM="${CARGO_TARGET_DIR:-target}/release/sim"
fi
seeds="${DIGEST_SEEDS:-12}"
for style in leveled universal fifo log; do
  for topology in embedded standalone remote; do
    for durability in wal checkpoint; do
      for ((seed = 0; seed < seeds; seed++)); do
        line=$("$SIM" --seed "$seed" --style "$style" --topology "$topology" \
          --durability "$durability" --ops 2000 --json 2>/dev/null || true)
        printf '%s %s %s %s %s\n' "$seed" "$style" "$topology" "$durability" \
          "$(printf '%s' "$line" | python3 -c 'import json,sys
try:
    d = json.load(sys.stdin); print(d["digest"], d["verdict"])
except Exception as e:
    print("error", type(e).__name__)')"
      done
    done
  done
done
