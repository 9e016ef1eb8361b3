#!/usr/bin/env bash
# A campaign across machines with GNU parallel over ssh: shard K of N runs on whichever host
# is free (one shard per host at a time, each using all of that host's cores), its results
# file comes back here, and `sim campaign merge` prints the one summary.
#
#   ci/scale-out/parallel.sh SEEDS SHARDS 'RUN OPTIONS' HOST[,HOST...]
#   ci/scale-out/parallel.sh 0..10000 16 '--ops 2000' alice@box1,box2,:   # ':' is this machine
#
# Every host needs `sim` on its PATH (`cargo install --path sim` in a checkout of the same
# commit). A shard whose seeds fail still returns its results (exit 1 is a result); a shard
# that could not run fails the script after the others finish. Results go to
# ${CAMPAIGN_OUT:-campaign-results}; rerunning resumes each shard's file where it stopped.
set -euo pipefail

if [[ $# -ne 4 ]]; then
  echo "usage: $0 SEEDS SHARDS 'RUN OPTIONS' HOST[,HOST...]" >&2
  exit 2
fi
seeds=$1 shards=$2 options=$3 hosts=$4
out="${CAMPAIGN_OUT:-campaign-results}"
mkdir -p "$out"
cd "$out"
# Each shard's file goes out with it (so a rerun resumes it) and comes back with its results.
for shard in $(seq 1 "$shards"); do touch "shard-$shard.jsonl"; done

# {} is the shard number, 1..SHARDS (`--shard K/N` counts from 1).
# shellcheck disable=SC2016
parallel --sshlogin "$hosts" --jobs 1 --line-buffer --tag \
  --transferfile 'shard-{}.jsonl' --return 'shard-{}.jsonl' --cleanup \
  "sim campaign --seeds $seeds --shard {}/$shards $options --quiet \
     --out shard-{}.jsonl --resume; status=\$?; [ \$status -le 1 ]" \
  ::: $(seq 1 "$shards")

sim campaign merge shard-*.jsonl
