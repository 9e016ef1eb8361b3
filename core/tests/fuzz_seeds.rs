//! The seed corpora of the fuzz targets (`fuzz/seeds/<target>/`), produced by the project's
//! own builders: SSTs, WAL segments, manifests and remote job and result messages.
//!
//! `FUZZ_SEEDS_WRITE=1 cargo test --release -p lsm-core --test fuzz_seeds` (re)writes them;
//! without it the test checks that every committed seed still decodes, so a format change
//! that leaves the fuzzers starting from garbage is noticed.
#![allow(clippy::unwrap_used)]

mod manifest_support;

use bytes::Bytes;
use lsm_core::compaction::{
    CompactionPlan, CompactionReason, CompactionStats, OutputTime, PlanInput, PlanKind,
};
use lsm_core::entry::Entry;
use lsm_core::ids::{Epoch, ManifestVersion, SeqNum, SstId, WalId};
use lsm_core::manifest::{Manifest, decode_manifest, encode_manifest};
use lsm_core::roles::compaction_job::OutputIds;
use lsm_core::roles::remote::{
    RemoteJob, RemoteJobId, RemoteOutcome, RemoteResult, decode_job, decode_result, encode_job,
    encode_result,
};
use lsm_core::sst::{SstOptions, SstReader, build_sst};
use lsm_core::wal::{WalBatch, WalSegmentHeader, decode_segment, encode_segment};
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::TestRunner;
use std::path::{Path, PathBuf};

fn seeds_dir(target: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../fuzz/seeds")
        .join(target)
}

fn entries(count: u64, with_deletes: bool) -> Vec<Entry> {
    (0..count)
        .map(|i| {
            let key = format!("key{i:03}");
            let seq = SeqNum(1000 - i);
            match i % 4 {
                1 if with_deletes => Entry::delete(key, seq),
                2 => Entry::put_expiring(key, seq, format!("value-{i}"), 5_000 + i),
                _ => Entry::put(key, seq, format!("value-{i}")),
            }
        })
        .collect()
}

fn ssts() -> Vec<(&'static str, Bytes)> {
    let small = SstOptions {
        block_size_bytes: 64,
        bloom_bits_per_key: 10,
        // Short runs, so the seed holds delta-encoded keys and several restart points.
        block_restart_interval: std::num::NonZeroU32::new(2).unwrap(),
    };
    let no_filter = SstOptions {
        block_size_bytes: 256,
        bloom_bits_per_key: 0,
        ..SstOptions::default()
    };
    let one = [Entry::put(&b""[..], SeqNum(7), &b"v"[..])];
    let versions = [
        Entry::put("k", SeqNum(9), "new"),
        Entry::delete("k", SeqNum(8)),
        Entry::put("k", SeqNum(3), "old"),
    ];
    let build = |options: &SstOptions, entries: &[Entry]| {
        build_sst(options, entries, SstId(1), 0).unwrap().0
    };
    vec![
        ("one-entry-empty-key", build(&SstOptions::default(), &one)),
        ("versions-of-one-key", build(&no_filter, &versions)),
        ("many-blocks-filter", build(&small, &entries(24, true))),
        ("no-filter", build(&no_filter, &entries(12, false))),
    ]
}

fn wal_segments() -> Vec<(&'static str, Bytes)> {
    let header = WalSegmentHeader {
        writer_epoch: Epoch(3),
        segment_id: WalId(42),
    };
    let batch = |seqs: std::ops::Range<u64>| {
        WalBatch::new(
            seqs.map(|seq| match seq % 3 {
                0 => Entry::delete(format!("k{seq}"), SeqNum(seq)),
                1 => Entry::put_expiring(format!("k{seq}"), SeqNum(seq), "v", 900 + seq),
                _ => Entry::put(format!("k{seq}"), SeqNum(seq), format!("value{seq}")),
            })
            .collect(),
        )
    };
    vec![
        ("fencing-empty", encode_segment(header, &[]).unwrap()),
        ("one-batch", encode_segment(header, &[batch(1..2)]).unwrap()),
        (
            "three-batches",
            encode_segment(header, &[batch(1..4), batch(4..5), batch(5..9)]).unwrap(),
        ),
    ]
}

/// A manifest from 60 of the manifest tests' random steps, the same on every run.
fn busy_manifest() -> Manifest {
    let mut runner = TestRunner::deterministic();
    let steps = prop::collection::vec(manifest_support::step_strategy(), 60)
        .new_tree(&mut runner)
        .unwrap()
        .current();
    manifest_support::build(&steps).0
}

fn manifests() -> Vec<(&'static str, Bytes)> {
    vec![
        ("initial", encode_manifest(&Manifest::initial()).unwrap()),
        ("busy", encode_manifest(&busy_manifest()).unwrap()),
    ]
}

fn job() -> RemoteJob {
    let id = RemoteJobId {
        compactor_epoch: Epoch(2),
        counter: 5,
    };
    RemoteJob {
        id,
        manifest_version: ManifestVersion(17),
        plan: CompactionPlan {
            kind: PlanKind::Merge,
            reason: CompactionReason::LevelL0FilesNum,
            inputs: vec![
                PlanInput {
                    level: 0,
                    ids: vec![SstId(9), SstId(8)],
                },
                PlanInput {
                    level: 1,
                    ids: vec![SstId(3)],
                },
            ],
            output_level: 1,
            bottommost: true,
            target_file_size_bytes: 1 << 20,
            output_time: OutputTime::BuildTime,
            round_robin_cursor: Some(Bytes::from_static(b"key050")),
            grandparents: None,
        },
        output_ids: OutputIds {
            compactor_epoch: Epoch(2),
            first_counter: 100,
            count_max: 8,
        },
        sst: SstOptions::default(),
        now_ms: 1_700_000_000_000,
        expire_by_ttl: true,
        output_prefix: id.tmp_prefix(),
    }
}

fn remote_results() -> Vec<(&'static str, Bytes)> {
    let job = job();
    let (_, meta) = build_sst(&SstOptions::default(), entries(8, true), SstId(100), 1).unwrap();
    let mut stats = CompactionStats::empty(PlanKind::Merge, CompactionReason::LevelL0FilesNum, 1);
    stats.input_files = 3;
    stats.output_files = 1;
    stats.output_bytes = meta.size_bytes;
    let compacted = RemoteResult {
        job: job.id,
        outcome: RemoteOutcome::Compacted {
            outputs: vec![meta],
            stats,
        },
    };
    let failed = RemoteResult {
        job: job.id,
        outcome: RemoteOutcome::Failed {
            detail: "input sst/9.sst: not found".to_string(),
        },
    };
    vec![
        ("compacted", encode_result(&compacted).unwrap()),
        ("failed", encode_result(&failed).unwrap()),
    ]
}

/// The seeds of one target: (file name, bytes) pairs, and the decoder that must accept them.
type TargetSeeds = (&'static str, Vec<(&'static str, Bytes)>, fn(&[u8]) -> bool);

/// Every seed, by target, each checked by the decoder its target fuzzes.
fn all_seeds() -> Vec<TargetSeeds> {
    vec![
        ("sst_reader", ssts(), |bytes| {
            SstReader::open(Bytes::copy_from_slice(bytes))
                .and_then(|reader| reader.verify_blocks())
                .is_ok()
        }),
        ("wal_segment", wal_segments(), |bytes| {
            decode_segment(bytes).is_ok()
        }),
        ("manifest_decode", manifests(), |bytes| {
            decode_manifest(bytes).is_ok()
        }),
        (
            "remote_job",
            vec![("merge", encode_job(&job()).unwrap())],
            |bytes| decode_job(bytes).is_ok(),
        ),
        ("remote_result", remote_results(), |bytes| {
            decode_result(bytes).is_ok()
        }),
    ]
}

#[test]
fn committed_seeds_decode_or_are_rewritten() {
    let write = std::env::var_os("FUZZ_SEEDS_WRITE").is_some();
    for (target, seeds, decodes) in all_seeds() {
        let dir = seeds_dir(target);
        for (name, bytes) in seeds {
            assert!(decodes(&bytes), "{target}/{name}: the builder's own output");
            let path = dir.join(name);
            if write {
                std::fs::create_dir_all(&dir).unwrap();
                std::fs::write(&path, &bytes).unwrap();
            }
            let committed = std::fs::read(&path).unwrap_or_else(|error| {
                panic!("{}: {error}; run with FUZZ_SEEDS_WRITE=1", path.display())
            });
            assert!(
                decodes(&committed),
                "{} no longer decodes; rewrite the seeds with FUZZ_SEEDS_WRITE=1",
                path.display()
            );
        }
    }
}
