//! Shared by the compaction tests: table metadata in one line, hand-built versions, and a
//! small tree that runs plans with the real merge and the real manifest `apply`.
#![allow(dead_code, clippy::unwrap_used)]

pub mod leveled;

use bytes::Bytes;
use lsm_core::compaction::{
    Busy, CompactionJobInfo, CompactionListener, CompactionPlan, CompactionStyle, execute,
};
use lsm_core::entry::{Entry, EntryKind};
use lsm_core::ids::{Epoch, IdRole, SeqNum, SstId, WalId};
use lsm_core::manifest::{Edit, Manifest, apply, check_invariants};
use lsm_core::merge::{MergeOptions, MergingIterator, NoFilter, TtlFilter};
use lsm_core::sst::{SstMeta, SstOptions, SstReader, build_sst};
use std::collections::{BTreeMap, BTreeSet};

pub const MIB: u64 = 1 << 20;

/// Keys are four big-endian bytes, so key order is numeric order.
pub fn key(value: u32) -> Bytes {
    Bytes::copy_from_slice(&value.to_be_bytes())
}

/// Table metadata: keys `low..=high`, sequence numbers `seqs`, `size` bytes, no tombstones.
pub fn table(id: u64, low: u32, high: u32, seqs: (u64, u64), size: u64) -> SstMeta {
    SstMeta {
        id: SstId(id),
        smallest_key: key(low),
        largest_key: key(high),
        smallest_seq: SeqNum(seqs.0),
        largest_seq: SeqNum(seqs.1),
        entry_count: 1000,
        tombstone_count: 0,
        logical_bytes: size,
        size_bytes: size,
        created_at_ms: 1_000,
        object_crc32c: 0,
    }
}

/// A version with these tables (L0 newest first; `levels[i]` is L(i+1)), checked.
pub fn version(l0: Vec<SstMeta>, levels: Vec<Vec<SstMeta>>) -> Manifest {
    let mut manifest = Manifest::initial();
    manifest.l0 = l0;
    manifest.levels = levels;
    manifest.last_seq = manifest
        .all_live_ssts()
        .map(|sst| sst.largest_seq)
        .max()
        .unwrap_or(SeqNum(0));
    check_invariants(&manifest).unwrap();
    manifest
}

/// `levels` as a vector of 6 levels (L1..L6) with the given ones filled.
pub fn levels(filled: Vec<(usize, Vec<SstMeta>)>) -> Vec<Vec<SstMeta>> {
    let mut all = vec![Vec::new(); 6];
    for (level, tables) in filled {
        all[level - 1] = tables;
    }
    all
}

/// Ids of the plan's inputs at `level`.
pub fn input_ids(plan: &CompactionPlan, level: usize) -> Vec<u64> {
    plan.inputs
        .iter()
        .filter(|input| input.level == level)
        .flat_map(|input| input.ids.iter().map(|id| id.0))
        .collect()
}

/// A tree of real tables: flushes and plans go through `execute` and `apply`.
pub struct Tree {
    pub manifest: Manifest,
    pub store: BTreeMap<SstId, Bytes>,
    pub sst_options: SstOptions,
    pub next_seq: u64,
    flushes: u64,
    outputs: u64,
    jobs: u64,
}

impl Default for Tree {
    fn default() -> Self {
        Tree::new()
    }
}

impl Tree {
    pub fn new() -> Tree {
        Tree {
            manifest: Manifest::initial(),
            store: BTreeMap::new(),
            sst_options: SstOptions {
                block_size_bytes: 256,
                bloom_bits_per_key: 10,
                ..SstOptions::default()
            },
            next_seq: 1,
            flushes: 0,
            outputs: 0,
            jobs: 0,
        }
    }

    /// Flushes puts (`Some(value)`) and deletes (`None`), in order, as one L0 table that
    /// keeps the newest version of each key.
    pub fn flush(&mut self, writes: &[(u32, Option<Bytes>)], now_ms: u64) {
        if writes.is_empty() {
            return;
        }
        let mut entries: Vec<Entry> = Vec::new();
        for (k, value) in writes {
            let seq = SeqNum(self.next_seq);
            self.next_seq += 1;
            entries.push(match value {
                Some(value) => Entry::put(key(*k), seq, value.clone()),
                None => Entry::delete(key(*k), seq),
            });
        }
        entries.sort_by(|a, b| a.key.cmp(&b.key));
        let merged: Vec<Entry> = MergingIterator::new(
            vec![entries.into_iter().map(Ok)],
            MergeOptions { bottommost: false },
            NoFilter,
        )
        .map(|entry| entry.unwrap())
        .collect();
        self.flushes += 1;
        let id = SstId::compose(IdRole::Writer, Epoch(0), self.flushes).unwrap();
        let (bytes, meta) = build_sst(&self.sst_options, &merged, id, now_ms).unwrap();
        let edit = Edit::Flush {
            writer_epoch: self.manifest.writer_epoch,
            wal_replay_point: WalId(self.flushes),
            last_seq: self.manifest.last_seq.max(meta.largest_seq),
            sst: meta,
        };
        self.manifest = apply(&self.manifest, &edit).unwrap();
        self.store.insert(id, bytes);
    }

    /// The inputs of `plan` as `execute` takes them.
    pub fn inputs(&self, plan: &CompactionPlan) -> Vec<(SstMeta, SstReader)> {
        plan.input_ids()
            .into_iter()
            .map(|id| {
                let meta = self.manifest.find_live(id).unwrap().1.clone();
                let reader = SstReader::open(self.store[&id].clone()).unwrap();
                (meta, reader)
            })
            .collect()
    }

    /// Executes and installs `plan`, purging what it obsoleted; reports to `listener`.
    pub fn run(
        &mut self,
        plan: &CompactionPlan,
        now_ms: u64,
        listener: &mut dyn CompactionListener,
    ) {
        self.jobs += 1;
        let job = CompactionJobInfo {
            job_id: self.jobs,
            plan: plan.clone(),
            base_version: self.manifest.version,
        };
        listener.on_compaction_begin(&job);
        let inputs = self.inputs(plan);
        let counter = &mut self.outputs;
        let mut next_id = || {
            *counter += 1;
            SstId::compose(IdRole::Compactor, Epoch(0), *counter)
        };
        let output = execute(
            plan,
            &inputs,
            TtlFilter { now_ms },
            now_ms,
            &mut next_id,
            &self.sst_options,
        )
        .unwrap();
        let edit = plan
            .into_edit(
                &self.manifest,
                &output.output_metas(),
                self.manifest.compactor_epoch,
                false,
            )
            .unwrap();
        self.manifest = apply(&self.manifest, &edit)
            .unwrap_or_else(|error| panic!("{plan:?} refused: {error}"));
        for (bytes, meta) in output.outputs {
            self.store.insert(meta.id, bytes);
        }
        let pending: BTreeSet<SstId> = self.manifest.referenced_by_pending();
        if !pending.is_empty() {
            self.manifest = apply(
                &self.manifest,
                &Edit::PurgePending {
                    ids: pending.clone(),
                },
            )
            .unwrap();
            for id in pending {
                self.store.remove(&id);
            }
        }
        listener.on_compaction_completed(&job, &output.stats);
    }

    /// Picks and runs until the style is idle; panics past `bound` compactions. Checks the
    /// L1+ runs after every apply.
    pub fn compact(&mut self, style: &CompactionStyle, now_ms: u64, bound: usize) -> usize {
        let mut done = 0;
        let mut listener = lsm_core::compaction::NoListener;
        while let Some(plan) = style.pick(&self.manifest, &Busy::new(), now_ms) {
            assert!(done < bound, "no convergence after {done} compactions");
            self.run(&plan, now_ms, &mut listener);
            assert_levels_sorted(&self.manifest);
            done += 1;
        }
        done
    }

    /// Every live key's newest value, reading the tree as a point read would (L0 newest
    /// first, then the levels); tombstones hide older versions.
    pub fn contents(&self) -> BTreeMap<u32, Bytes> {
        let mut sources = Vec::new();
        for sst in self.manifest.all_live_ssts() {
            let reader = SstReader::open(self.store[&sst.id].clone()).unwrap();
            sources.push(reader.iter());
        }
        // Sources in read order; the merge keeps the newest version by sequence number.
        MergingIterator::new(sources, MergeOptions { bottommost: true }, NoFilter)
            .map(|entry| entry.unwrap())
            .filter(|entry| entry.kind == EntryKind::Put)
            .map(|entry| {
                let k = u32::from_be_bytes(entry.user_key().try_into().unwrap());
                (k, entry.value)
            })
            .collect()
    }
}

/// Every L1+ level sorted by smallest key with disjoint ranges, and every invariant.
pub fn assert_levels_sorted(manifest: &Manifest) {
    check_invariants(manifest).unwrap();
    for (index, run) in manifest.levels.iter().enumerate() {
        for pair in run.windows(2) {
            assert!(
                pair[0].largest_key < pair[1].smallest_key,
                "L{} not sorted and disjoint: {:?} then {:?}",
                index + 1,
                pair[0].id,
                pair[1].id
            );
        }
    }
}
