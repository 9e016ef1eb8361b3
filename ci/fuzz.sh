#!/usr/bin/env bash
# Coverage-guided fuzzing (fuzz/, cargo-fuzz on nightly): every target for a bounded time,
# starting from the committed seeds (fuzz/seeds/<target>) plus a scratch corpus.
#
#   ci/fuzz.sh                       # CI: FUZZ_SECONDS (default 12) per target
#   FUZZ_SECONDS=600 ci/fuzz.sh      # a long session (see README "Fuzzing")
#   ci/fuzz.sh sst_reader wal_segment  # only these targets
#
# Needs the nightly toolchain (rustup) and cargo-fuzz; installs cargo-fuzz when missing
# (about 70 s on 2 cores; CI may cache ~/.cargo/bin). Without nightly it says so and
# exits 0. Exit 1 if a target crashed, hung (-timeout), or allocated past its limits; the
# input is kept under fuzz/artifacts/<target>/ and printed with the command that replays it.
set -euo pipefail
cd "$(dirname "$0")/.."

seconds="${FUZZ_SECONDS:-12}"
scratch="${FUZZ_CORPUS_DIR:-${TMPDIR:-/tmp}/sediment-fuzz-corpus}"

if ! rustup toolchain list 2>/dev/null | grep -q '^nightly'; then
    echo "== fuzz: SKIPPED: no nightly toolchain (cargo-fuzz needs it: rustup toolchain install nightly)"
    exit 0
fi
if ! cargo +nightly fuzz --version >/dev/null 2>&1; then
    echo "== fuzz: installing cargo-fuzz (about 70 s on 2 cores)"
    cargo +nightly install cargo-fuzz --locked --version 0.13.2
fi

# sim only compiles with `--cfg madsim`; cargo-fuzz appends RUSTFLAGS from the environment
# to its own (and a RUSTFLAGS variable replaces .cargo/config.toml's build.rustflags).
export RUSTFLAGS="--cfg madsim"
cd fuzz
if [ "$#" -gt 0 ]; then targets=("$@"); else mapfile -t targets < <(cargo +nightly fuzz list); fi

echo "== fuzz: building ${#targets[@]} targets"
build_start=$SECONDS
cargo +nightly fuzz build
echo "   built in $((SECONDS - build_start)) s"

# Allocation and memory bounds: any single allocation past 64 MiB or a process past 2 GiB
# is a finding (decoders must bound what they allocate by their input's length).
limits=(-max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -malloc_limit_mb=64
    -print_final_stats=1)
total=0
failed=()
printf '   %-24s %14s %10s\n' target executions exec/s
for target in "${targets[@]}"; do
    corpus="$scratch/$target"
    mkdir -p "$corpus"
    dirs=("$corpus")
    [ -d "seeds/$target" ] && dirs+=("seeds/$target")
    log="$scratch/$target.log"
    if cargo +nightly fuzz run "$target" "${dirs[@]}" -- "${limits[@]}" >"$log" 2>&1; then
        status=ok
    else
        status=FAILED
        failed+=("$target")
    fi
    runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' | tail -1)
    runs="${runs:-0}"
    total=$((total + runs))
    printf '   %-24s %14s %10s %s\n' "$target" "$runs" "$((runs / seconds))" "$status"
    if [ "$status" = FAILED ]; then
        grep -E 'panicked|ERROR|SUMMARY|Test unit written|artifact_prefix|Reproduce' "$log" | head -20 || true
        echo "   log: $log; replay: (cd fuzz && RUSTFLAGS='--cfg madsim' cargo +nightly fuzz run $target fuzz/artifacts/$target/<file>)"
    fi
done
echo "   total executions: $total"
if [ "${#failed[@]}" -gt 0 ]; then
    echo "== fuzz: FAILED: ${failed[*]}"
    exit 1
fi
echo "== fuzz: ok"
