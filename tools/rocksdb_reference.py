#!/usr/bin/env python3
"""Reference figures from real RocksDB for `compaction-sim`'s fidelity test.

Runs the same put streams as `sim compaction-sim` (written by its `--dump-stream`, so both
sides replay byte-identical keys, values and deletes) through real RocksDB (the `rocksdict`
wheel from PyPI), with the same options, in two schedules:

- quiesced: after every flush the writer waits until RocksDB is idle (no flush or
  compaction running or pending), as `compaction-sim --schedule quiesced` does;
- concurrent: the writer puts as fast as it can while one flush thread and one compaction
  thread (max_background_jobs = 2) run beside it, several times for a band.

Every byte figure is exact, from the LOG's event lines (`table_file_creation` for flushes,
`compaction_finished` for compaction outputs by output level); stall time is the
`rocksdb.stall.micros` ticker. The rates compaction-sim's concurrent schedule runs at come
from the same lines: the merge rate is input + output bytes over `compaction_time_micros`,
the flush rate is the flushed tables' bytes over the time from each `flush_started` to its
`flush_finished`, and `table_delete_us` is the time from a job's `compaction_finished` to its last
`table_file_deletion`, per table deleted (the compaction thread unlinks its inputs before it
takes the next job). Space amplification is `rocksdb.live-sst-files-size` over the
key + value bytes of the live keys, sampled every `--space-sample-every-puts` puts (after
waiting for idle in the quiesced schedule) and averaged over the second half of the run.

Usage (needs a release build of `sim` and a virtualenv with rocksdict):

    python3 -m venv /tmp/rdb && /tmp/rdb/bin/pip install rocksdict
    cargo build --release -p sim
    /tmp/rdb/bin/python tools/rocksdb_reference.py --sim target/release/sim \\
        --out sim/testdata/rocksdb_reference.json [--concurrent-runs 5] [--rows NAME,...]

Run it on an otherwise idle machine: compaction-sim replays each concurrent run at one
steady writer and merge rate, and on a shared machine RocksDB's rates swing within a run, so
its most sorted runs (set by the worst moment) come out higher than any steady rate gives.
Each run records the 1-minute load average it started at.

`cargo test` never runs this: it reads the committed JSON.
"""

import argparse
import json
import os
import re
import shutil
import struct
import subprocess
import sys
import tempfile
import time

import rocksdict

# The reference scale: the presets' options and stream divided by 4 (memtable 1 MiB, base
# level 4 MiB, target file 1 MiB, 1 M writes, 125 k keys where the preset has 500 k), so the
# tree has the presets' shape (as many flushes, the same levels) at a quarter of the CPU:
# 2 cores shared by many jobs cannot afford 9 rows x 4 runs at 4 M puts.
SCALE = {
    "updates": 1_000_000,
    "memtable_bytes": 1 << 20,
    "base_bytes": 4 << 20,
    "target_file_bytes": 1 << 20,
    "trigger": 4,
    "multiplier": 10.0,
    "num_levels": 7,
    "value_bytes": 100,
    "max_size_amp_percent": 200,
    "size_ratio": 1,
    # FIFO: small enough that the oldest tables are dropped during the run.
    "fifo_max_table_files_bytes": 32 << 20,
    "space_sample_every_puts": 16_384,
}

# (name, style, workload, key space): the presets.
ROWS = [
    ("leveled-uniform-overwrite", "leveled", "uniform-overwrite", 125_000),
    ("leveled-insert-random", "leveled", "insert-random", 1_000_000),
    ("universal-uniform-overwrite", "universal", "uniform-overwrite", 125_000),
    ("universal-insert-random", "universal", "insert-random", 1_000_000),
    ("leveled-ycsb-a", "leveled", "ycsb-a", 125_000),
    ("universal-ycsb-a", "universal", "ycsb-a", 125_000),
    ("leveled-delete-heavy", "leveled", "delete-heavy", 125_000),
    ("universal-delete-heavy", "universal", "delete-heavy", 125_000),
    ("fifo-insert-random", "fifo", "insert-random", 1_000_000),
]

# How often the quiesced writer checks whether RocksDB flushed (a memtable holds ~7,000
# puts at this scale, so no flush is ever missed).
CHECK_EVERY_PUTS = 1024
IDLE_PROPERTIES = [
    "rocksdb.num-immutable-mem-table",
    "rocksdb.mem-table-flush-pending",
    "rocksdb.num-running-flushes",
    "rocksdb.num-running-compactions",
    "rocksdb.compaction-pending",
]
# compaction-pending may stay 1 when every candidate is busy or unpickable: with nothing
# running for this long, RocksDB is idle.
PENDING_GRACE_S = 0.5
EVENT_RE = re.compile(r"EVENT_LOG_v1 (\{.*\})\s*$")
VERSION_RE = re.compile(r"RocksDB version: (\S+)")


def sim_args(style, workload, keys):
    """compaction-sim's arguments for a row (the fidelity test uses the same)."""
    args = [
        "--style", style, "--workload", workload, "--keys", str(keys),
        "--updates", str(SCALE["updates"]),
        "--memtable-bytes", str(SCALE["memtable_bytes"]),
        "--base-bytes", str(SCALE["base_bytes"]),
        "--target-file-bytes", str(SCALE["target_file_bytes"]),
        "--fifo-max-table-files-bytes", str(SCALE["fifo_max_table_files_bytes"]),
    ]
    return args


def dump_stream(sim, style, workload, keys, path):
    cmd = [sim, "compaction-sim", *sim_args(style, workload, keys), "--dump-stream", path]
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    with open(path, "rb") as f:
        data = f.read()
    return [(tag, key) for tag, key in struct.iter_unpack(">cQ", data)]


def options(style):
    opts = rocksdict.Options(raw_mode=True)
    opts.create_if_missing(True)
    opts.set_write_buffer_size(SCALE["memtable_bytes"])
    opts.set_max_write_buffer_number(2)
    opts.set_level_zero_file_num_compaction_trigger(SCALE["trigger"])
    opts.set_num_levels(SCALE["num_levels"])
    opts.set_target_file_size_base(SCALE["target_file_bytes"])
    opts.set_max_bytes_for_level_base(SCALE["base_bytes"])
    opts.set_max_bytes_for_level_multiplier(SCALE["multiplier"])
    opts.set_level_compaction_dynamic_level_bytes(True)
    opts.set_max_compaction_bytes(25 * SCALE["target_file_bytes"])
    opts.set_compression_type(rocksdict.DBCompressionType.none())
    opts.set_bottommost_compression_type(rocksdict.DBCompressionType.none())
    opts.set_max_background_jobs(2)
    opts.set_max_subcompactions(1)
    opts.set_stats_dump_period_sec(0)
    opts.set_max_log_file_size(0)
    opts.enable_statistics()
    table = rocksdict.BlockBasedOptions()
    table.set_block_size(4096)
    table.set_bloom_filter(10, False)
    opts.set_block_based_table_factory(table)
    if style == "universal":
        opts.set_compaction_style(rocksdict.DBCompactionStyle.universal())
        uni = rocksdict.UniversalCompactOptions()
        uni.size_ratio = SCALE["size_ratio"]
        uni.min_merge_width = 2
        uni.max_size_amplification_percent = SCALE["max_size_amp_percent"]
        opts.set_universal_compaction_options(uni)
    elif style == "fifo":
        opts.set_compaction_style(rocksdict.DBCompactionStyle.fifo())
        fifo = rocksdict.FifoCompactOptions()
        fifo.max_table_files_size = SCALE["fifo_max_table_files_bytes"]
        opts.set_fifo_compaction_options(fifo)
    else:
        opts.set_compaction_style(rocksdict.DBCompactionStyle.level())
    return opts


def is_idle(db):
    return all(db.property_int_value(name) == 0 for name in IDLE_PROPERTIES[:4])


def wait_idle(db):
    """Waits until no flush or compaction runs or is pending."""
    quiet_since = None
    while True:
        values = [db.property_int_value(name) for name in IDLE_PROPERTIES]
        if all(v == 0 for v in values):
            # Twice in a row, a moment apart, so a job about to be scheduled is not missed.
            time.sleep(0.002)
            if all(db.property_int_value(name) == 0 for name in IDLE_PROPERTIES):
                return
            continue
        if is_idle(db):
            quiet_since = quiet_since or time.monotonic()
            if time.monotonic() - quiet_since > PENDING_GRACE_S:
                return
        else:
            quiet_since = None
        time.sleep(0.001)


def run_once(style, stream, schedule):
    path = tempfile.mkdtemp(prefix="rdb-ref-")
    opts = options(style)
    db = rocksdict.Rdict(path, opts)
    write_opts = rocksdict.WriteOptions()
    write_opts.disable_wal = True
    db.set_write_options(write_opts)
    value = b"v" * SCALE["value_bytes"]
    key_bytes = 16
    live = set()
    samples = []
    sample_every = SCALE["space_sample_every_puts"]
    quiesced = schedule == "quiesced"
    # The concurrent figures hold only on an otherwise idle machine: compaction-sim runs at
    # one steady writer and merge rate, and a shared machine makes RocksDB's rates swing
    # within a run (the most sorted runs is set by the worst moment).
    load_before = os.getloadavg()[0]
    put_s = 0.0
    start = time.monotonic()
    for index, (tag, key_id) in enumerate(stream, start=1):
        key = key_id.to_bytes(8, "big") + bytes(8)
        if tag == b"P":
            db.put(key, value)
            live.add(key_id)
        else:
            db.delete(key)
            live.discard(key_id)
        if quiesced and index % CHECK_EVERY_PUTS == 0:
            put_s += time.monotonic() - start
            wait_idle(db)
            start = time.monotonic()
        if index % sample_every == 0:
            live_bytes = len(live) * (key_bytes + SCALE["value_bytes"])
            sst = db.property_int_value("rocksdb.live-sst-files-size")
            samples.append((index, sst / live_bytes if live_bytes else 0.0))
    put_s += time.monotonic() - start
    db.flush()
    wait_idle(db)
    stats = opts.get_statistics() or ""
    final_sst = db.property_int_value("rocksdb.live-sst-files-size")
    db.close()
    log = open(os.path.join(path, "LOG"), encoding="utf-8", errors="replace").read()
    shutil.rmtree(path, ignore_errors=True)
    figures = parse_log(log, style)
    user_bytes = sum(
        key_bytes + (SCALE["value_bytes"] if tag == b"P" else 0) for tag, _ in stream
    )
    half = len(stream) // 2
    second = [ratio for puts, ratio in samples if puts > half]
    live_bytes = len(live) * (key_bytes + SCALE["value_bytes"])
    written = sum(figures["level_bytes_written"])
    flush = figures["level_bytes_written"][0]
    stall_us = ticker(stats, "rocksdb.stall.micros")
    figures.update(
        {
            "puts": len(stream),
            "user_bytes": user_bytes,
            "flush_bytes": flush,
            "write_amplification": written / user_bytes,
            "write_amplification_vs_flush": written / flush if flush else 0.0,
            "space_amplification_mean": sum(second) / len(second) if second else 0.0,
            "space_amplification_final": final_sst / live_bytes if live_bytes else 0.0,
            "stall_time_s": stall_us / 1e6,
            "load_avg_1m_before": load_before,
            # The writer's own rate: time in puts, less the time RocksDB held it back.
            "writer_puts_per_s": len(stream) / max(put_s - stall_us / 1e6, 1e-9),
        }
    )
    return figures


def ticker(stats, name):
    match = re.search(re.escape(name) + r" COUNT : (\d+)", stats)
    return int(match.group(1)) if match else 0


def parse_log(log, style):
    version = VERSION_RE.search(log)
    flush_started_us = {}
    flush_us = 0
    flush_bytes = 0
    flushes = 0
    by_level = [0] * SCALE["num_levels"]
    sorted_runs_max = 0
    merge_bytes = 0
    merge_us = 0
    compactions = 0
    started = {}
    # The compaction thread unlinks a finished job's inputs before it takes the next job:
    # from the job's compaction_finished to its last table_file_deletion.
    finished_us = {}
    last_deletion_us = {}
    deleted_tables = 0
    for line in log.splitlines():
        match = EVENT_RE.search(line)
        if not match:
            continue
        event = json.loads(match.group(1))
        kind = event.get("event")
        if kind == "flush_started":
            flush_started_us[event["job"]] = event["time_micros"]
        elif kind == "table_file_creation" and event.get("job") in flush_started_us:
            flush_bytes += event["file_size"]
            flushes += 1
        elif kind == "flush_finished":
            flush_us += event["time_micros"] - flush_started_us[event["job"]]
            lsm = event.get("lsm_state", [])
            runs = (lsm[0] if lsm else 0) + sum(1 for n in lsm[1:] if n > 0)
            sorted_runs_max = max(sorted_runs_max, runs)
        elif kind == "compaction_started":
            started[event["job"]] = event.get("input_data_size", 0)
        elif kind == "compaction_finished":
            level = event["output_level"]
            size = event.get("total_output_size", 0)
            by_level[level] += size
            compactions += 1
            merge_bytes += size + started.get(event["job"], 0)
            merge_us += event.get("compaction_time_micros", 0)
            finished_us[event["job"]] = event["time_micros"]
        elif kind == "table_file_deletion" and event.get("job") in finished_us:
            last_deletion_us[event["job"]] = event["time_micros"]
            deleted_tables += 1
    by_level[0] += flush_bytes
    deleting_us = sum(last_deletion_us[job] - finished_us[job] for job in last_deletion_us)
    return {
        "rocksdb_version": version.group(1) if version else "unknown",
        "flushes": flushes,
        "compactions": compactions,
        "level_bytes_written": by_level,
        "sorted_runs_max": sorted_runs_max,
        "merge_mib_per_s": (merge_bytes / (1 << 20)) / (merge_us / 1e6) if merge_us else 0.0,
        "flush_mib_per_s": (flush_bytes / (1 << 20)) / (flush_us / 1e6) if flush_us else 0.0,
        "table_delete_us": deleting_us / deleted_tables if deleted_tables else 0.0,
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sim", default="target/release/sim")
    parser.add_argument("--out", default="sim/testdata/rocksdb_reference.json")
    parser.add_argument("--concurrent-runs", type=int, default=5)
    parser.add_argument("--rows", default="", help="comma-separated row names (default all)")
    args = parser.parse_args()
    wanted = set(filter(None, args.rows.split(",")))
    existing = {}
    if os.path.exists(args.out):
        with open(args.out, encoding="utf-8") as f:
            existing = {row["name"]: row for row in json.load(f).get("rows", [])}
    rows = []
    version = "unknown"
    for name, style, workload, keys in ROWS:
        if wanted and name not in wanted:
            if name in existing:
                rows.append(existing[name])
            continue
        with tempfile.TemporaryDirectory() as tmp:
            stream = dump_stream(args.sim, style, workload, keys, os.path.join(tmp, "stream"))
        print(f"{name}: {len(stream)} writes", file=sys.stderr, flush=True)
        quiesced = run_once(style, stream, "quiesced")
        version = quiesced["rocksdb_version"]
        print(f"  quiesced: wa {quiesced['write_amplification']:.3f}", file=sys.stderr, flush=True)
        concurrent = []
        for run in range(args.concurrent_runs):
            figures = run_once(style, stream, "concurrent")
            print(
                f"  concurrent {run}: wa {figures['write_amplification']:.3f}"
                f" runs {figures['sorted_runs_max']} stall {figures['stall_time_s']:.2f}s",
                file=sys.stderr,
                flush=True,
            )
            concurrent.append(figures)
        rows.append(
            {
                "name": name,
                "style": style,
                "workload": workload,
                "keys": keys,
                "quiesced": quiesced,
                "concurrent": concurrent,
            }
        )
    out = {
        "generator": "tools/rocksdb_reference.py",
        "rocksdb_version": version,
        "rocksdict_version": rocksdict_version(),
        "scale": SCALE,
        "options": {
            "max_write_buffer_number": 2,
            "max_background_jobs": 2,
            "max_subcompactions": 1,
            "compression": "none",
            "block_size": 4096,
            "bloom_bits_per_key": 10,
            "level_compaction_dynamic_level_bytes": True,
            "max_compaction_bytes": 25 * SCALE["target_file_bytes"],
            "min_merge_width": 2,
            "wal": "disabled",
        },
        "rows": rows,
    }
    with open(args.out, "w", encoding="utf-8") as f:
        json.dump(out, f, indent=1, sort_keys=True)
        f.write("\n")


def rocksdict_version():
    try:
        from importlib.metadata import version

        return version("rocksdict")
    except Exception:  # noqa: BLE001 - the version is informative only
        return "unknown"


if __name__ == "__main__":
    main()
