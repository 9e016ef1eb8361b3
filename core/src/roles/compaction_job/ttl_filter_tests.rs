//! The TTL compaction filter in a job's merge, one test per rule: an expired put becomes a
//! tombstone above the bottommost level (and still shadows what lies below), is dropped at
//! it, an unexpired put is kept, and expiry is judged by the clock of the node running the
//! merge, not by the `now_ms` the job was stamped with where it was planned.
#![allow(clippy::unwrap_used)]

use super::*;
use crate::clock::Clock;
use crate::compaction::fifo::FifoOptions;
use crate::compaction::leveled::LeveledOptions;
use crate::compaction::log::LogOptions;
use crate::compaction::universal::UniversalOptions;
use crate::compaction::{OutputTime, PlanInput, PlanKind};
use crate::entry::{Entry, EntryKind};
use crate::ids::{IdRole, SeqNum};
use crate::layout::sst_path;
use crate::merge::{MergeOptions, MergingIterator, NoFilter};
use crate::sst::{SstReader, build_sst};
use crate::store::{Attributes, MemoryStore, ObjectStore, PutMode};
use std::pin::pin;
use std::task::{Context, Poll, Waker};
use std::time::Duration;

/// A key's expiry; the clocks below sit on either side of it.
const EXPIRY_MS: u64 = 1_000;

/// A node whose wall clock stands still at `wall_ms`.
struct FixedClock {
    wall_ms: u64,
}

impl Clock for FixedClock {
    fn monotonic(&self) -> Duration {
        Duration::ZERO
    }

    fn wall_ms(&self) -> u64 {
        self.wall_ms
    }

    fn sleep(&self, _duration: Duration) -> impl Future<Output = ()> + Send {
        std::future::ready(())
    }
}

/// The memory store answers at once: one poll loop completes a job.
fn block_on<F: Future>(future: F) -> F::Output {
    let mut future = pin!(future);
    let mut context = Context::from_waker(Waker::noop());
    for _ in 0..10_000 {
        if let Poll::Ready(output) = future.as_mut().poll(&mut context) {
            return output;
        }
    }
    panic!("a job on the memory store waits on nothing");
}

fn table(counter: u64, entries: &[Entry]) -> (SstMeta, SstReader) {
    let id = SstId::compose(IdRole::Writer, Epoch(1), counter).unwrap();
    let (bytes, meta) = build_sst(&SstOptions::default(), entries, id, 0).unwrap();
    (meta, SstReader::open(bytes).unwrap())
}

/// Table 1 (newer, L0) holds `k` expiring at [`EXPIRY_MS`] and `live`, which never
/// expires; table 2 (older, L1) holds an older `k`.
fn inputs() -> Vec<(SstMeta, SstReader)> {
    let newer = table(
        1,
        &[
            Entry::put_expiring(&b"k"[..], SeqNum(5), &b"new"[..], EXPIRY_MS),
            Entry::put(&b"live"[..], SeqNum(6), &b"v"[..]),
        ],
    );
    let older = table(2, &[Entry::put(&b"k"[..], SeqNum(1), &b"old"[..])]);
    vec![newer, older]
}

/// A leveled merge of [`inputs`] into L1, stamped with `now_ms`.
fn job(inputs: &[(SstMeta, SstReader)], bottommost: bool, now_ms: WallMs) -> CompactionJob {
    let plan = CompactionPlan {
        kind: PlanKind::Merge,
        reason: CompactionReason::LevelL0FilesNum,
        inputs: vec![
            PlanInput {
                level: 0,
                ids: vec![inputs[0].0.id],
            },
            PlanInput {
                level: 1,
                ids: vec![inputs[1].0.id],
            },
        ],
        output_level: 1,
        bottommost,
        target_file_size_bytes: u64::MAX,
        output_time: OutputTime::BuildTime,
        grandparents: None,
        round_robin_cursor: None,
    };
    CompactionJob {
        plan,
        inputs: inputs.iter().map(|(meta, _)| meta.clone()).collect(),
        newer_segments: Vec::new(),
        output_ids: OutputIds {
            compactor_epoch: Epoch(1),
            first_counter: 0,
            count_max: 8,
        },
        sst: SstOptions::default(),
        retry: RetryPolicy::default(),
        now_ms,
        expire_by_ttl: expires_by_ttl(&CompactionStyle::Leveled(LeveledOptions::default())),
        write_tag: "ttl-test".to_string(),
    }
}

fn entries(output: &JobOutput) -> Vec<Entry> {
    let mut all = Vec::new();
    for (bytes, _) in &output.outputs {
        let reader = SstReader::open(bytes.clone()).unwrap();
        all.extend(reader.iter().map(|entry| entry.unwrap()));
    }
    all
}

fn find<'a>(entries: &'a [Entry], user_key: &[u8]) -> Option<&'a Entry> {
    entries
        .iter()
        .find(|entry| &entry.key.user_key[..] == user_key)
}

#[test]
fn leveled_universal_and_fifo_run_the_ttl_filter_and_log_does_not() {
    assert!(expires_by_ttl(&CompactionStyle::Leveled(
        LeveledOptions::default()
    )));
    assert!(expires_by_ttl(&CompactionStyle::Universal(
        UniversalOptions::default()
    )));
    assert!(expires_by_ttl(&CompactionStyle::Fifo(
        FifoOptions::default()
    )));
    assert!(!expires_by_ttl(
        &CompactionStyle::Log(LogOptions::default())
    ));
}

#[test]
fn expired_put_above_bottom_becomes_a_tombstone_that_still_shadows_older_versions() {
    let inputs = inputs();
    let output = merge_inputs(&job(&inputs, false, 0), &inputs, None, EXPIRY_MS).unwrap();
    let out = entries(&output);
    let k = find(&out, b"k").unwrap();
    assert_eq!((k.kind, k.seq()), (EntryKind::Delete, SeqNum(5)));
    assert_eq!(output.stats.merge.filtered_to_tombstone, 1);
    // An older version left below the output (here, the same older table) stays hidden.
    let below = table(3, &[Entry::put(&b"k"[..], SeqNum(1), &b"old"[..])]);
    let sources = vec![
        out.iter().cloned().map(Ok).collect::<Vec<_>>().into_iter(),
        below.1.iter().collect::<Vec<_>>().into_iter(),
    ];
    let read = MergingIterator::new(sources, MergeOptions { bottommost: true }, NoFilter);
    let visible: Vec<Entry> = read.map(|entry| entry.unwrap()).collect();
    assert!(find(&visible, b"k").is_none());
    assert!(find(&visible, b"live").is_some());
}

#[test]
fn expired_put_at_the_bottommost_level_is_dropped_with_its_older_versions() {
    let inputs = inputs();
    let output = merge_inputs(&job(&inputs, true, 0), &inputs, None, EXPIRY_MS).unwrap();
    let out = entries(&output);
    assert!(find(&out, b"k").is_none());
    assert_eq!(find(&out, b"live").unwrap().kind, EntryKind::Put);
    assert_eq!(output.stats.merge.dropped_filtered, 1);
}

#[test]
fn unexpired_put_is_kept() {
    let inputs = inputs();
    for bottommost in [false, true] {
        let job = job(&inputs, bottommost, 0);
        let output = merge_inputs(&job, &inputs, None, EXPIRY_MS - 1).unwrap();
        let out = entries(&output);
        let k = find(&out, b"k").unwrap();
        assert_eq!((k.kind, &k.value[..]), (EntryKind::Put, &b"new"[..]));
        assert_eq!(k.expires_at_ms, Some(EXPIRY_MS));
        assert_eq!(output.stats.merge.filtered_to_tombstone, 0);
    }
}

/// Runs `job` on a node whose wall clock reads `node_wall_ms`; the output's `k`.
fn run_on_node(job: &CompactionJob, inputs: &[(SstMeta, SstReader)], node_wall_ms: u64) -> Entry {
    let store = MemoryStore::new();
    for (meta, reader) in inputs {
        let bytes = reader.bytes().clone();
        let path = sst_path(meta.id);
        let put = store.put(&path, bytes, PutMode::Create, Attributes::new());
        block_on(put).unwrap();
    }
    let clock = FixedClock {
        wall_ms: node_wall_ms,
    };
    let output = block_on(run(&store, &clock, job)).unwrap();
    let out = entries(&output);
    find(&out, b"k").unwrap().clone()
}

#[test]
fn the_filter_judges_by_the_applying_nodes_clock_not_the_planners() {
    let inputs = inputs();
    // Planned by a node whose clock said "not yet", run on one whose clock says "expired".
    let planned_early = job(&inputs, false, EXPIRY_MS - 500);
    let k = run_on_node(&planned_early, &inputs, EXPIRY_MS);
    assert_eq!(k.kind, EntryKind::Delete);
    // And the other way round: the planner's clock was ahead, the runner's is not.
    let planned_late = job(&inputs, false, EXPIRY_MS + 500);
    let k = run_on_node(&planned_late, &inputs, EXPIRY_MS - 1);
    assert_eq!(k.kind, EntryKind::Put);
}
