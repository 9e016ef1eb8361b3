#!/usr/bin/env bash
# The campaigns CI runs after the tests (called by ci/run.sh):
#   smoke.txt  one campaign per line, "<seeds> <run options>"; every seed must pass.
#   teeth.txt  one line per injectable bug, "<bug> <seeds> <run options>"; the campaign must
#              catch the bug (some seed fails a named check: `sim campaign --expect-catch`).
# Results go to $CAMPAIGN_OUT (default target/campaigns) as JSON lines, one file per line.
set -euo pipefail
cd "$(dirname "$0")/../.."

cargo build --release -p sim
sim="${CARGO_TARGET_DIR:-target}/release/sim"
out="${CAMPAIGN_OUT:-${CARGO_TARGET_DIR:-target}/campaigns}"
mkdir -p "$out"
rm -f "$out"/*.jsonl "$out"/*.txt
jobs="${CAMPAIGN_JOBS:-$(nproc 2>/dev/null || echo 2)}"

started=$SECONDS
line_no=0
while read -r seeds options; do
  [[ -z "${seeds}" || "${seeds}" == \#* ]] && continue
  line_no=$((line_no + 1))
  echo "-- smoke: --seeds ${seeds} ${options}"
  # shellcheck disable=SC2086
  "$sim" campaign --seeds "$seeds" $options --jobs "$jobs" --quiet \
    --seed-timeout-s 120 --out "$out/smoke-$line_no.jsonl"
done < ci/campaigns/smoke.txt
echo "smoke campaigns: $((SECONDS - started)) s"

started=$SECONDS
while read -r bug seeds options; do
  [[ -z "${bug}" || "${bug}" == \#* ]] && continue
  echo "-- teeth: --bug ${bug} --seeds ${seeds} ${options}"
  # shellcheck disable=SC2086
  if ! "$sim" campaign --bug "$bug" --seeds "$seeds" $options --jobs "$jobs" --quiet \
    --seed-timeout-s 60 --expect-catch --out "$out/teeth-$bug.jsonl" > "$out/teeth-$bug.txt"; then
    cat "$out/teeth-$bug.txt"
    echo "teeth: the checks did not catch --bug $bug on --seeds $seeds" >&2
    exit 1
  fi
  grep -E "^[0-9]+ seeds:" "$out/teeth-$bug.txt" || true
done < ci/campaigns/teeth.txt
echo "teeth checks: $((SECONDS - started)) s"
