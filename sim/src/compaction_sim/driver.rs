//! The simulation loop: puts → memtable → flush → pick/execute/apply until quiet.

use super::report::{CompactionSimReport, LevelShape, ReasonTotals, ShapeSample};
use super::workload::key_bytes;
use super::writes::{Write, Writes};
use super::{CompactionSimArgs, CompactionSimError};
use bytes::Bytes;
use lsm_core::compaction::{
    Busy, CompactionJobInfo, CompactionListener, CompactionPlan, CompactionStats, CompactionStyle,
    PlanKind, execute, sorted_run_count,
};
use lsm_core::entry::{Entry, WallMs};
use lsm_core::ids::{Epoch, IdRole, SeqNum, SstId, WalId};
use lsm_core::manifest::{Edit, Manifest, apply};
use lsm_core::memtable::Memtable;
use lsm_core::merge::{MergeOptions, MergingIterator, NoFilter, TtlFilter};
use lsm_core::sst::{SstBuilder, SstMeta, SstOptions, SstReader};
use std::collections::{BTreeMap, BTreeSet};

/// Simulated wall clock at the first put; each put advances it by 1 ms.
const START_MS: WallMs = 1_700_000_000_000;
/// Keys are 16 bytes (a big-endian u64 padded).
const KEY_BYTES: usize = 16;

/// Runs one simulation.
pub fn run(args: &CompactionSimArgs) -> Result<CompactionSimReport, CompactionSimError> {
    args.validate()?;
    let keys = args.key_space()?;
    let mut sim = Sim::new(args);
    let value = Bytes::from(vec![b'v'; args.value_bytes]);
    let key_bound = Writes::key_bound(args, keys);
    let mut seen = vec![0u64; usize::try_from(key_bound.div_ceil(64)).unwrap_or(usize::MAX)];
    let mut live_keys = 0u64;
    let mut memtable = Memtable::new();
    let mut now_ms = START_MS;
    let mut puts = 0u64;
    let mut user_bytes = 0u64;
    for write in Writes::new(args, keys)?.take(usize::try_from(args.updates).unwrap_or(usize::MAX))
    {
        puts += 1;
        now_ms = START_MS + puts;
        let key = write.key();
        let user_key = Bytes::copy_from_slice(&key_bytes(key));
        let seq = SeqNum(puts);
        let entry = match write {
            Write::Put { ttl_ms: None, .. } => Entry::put(user_key, seq, value.clone()),
            Write::Put {
                ttl_ms: Some(ttl_ms),
                ..
            } => Entry::put_expiring(user_key, seq, value.clone(), now_ms.saturating_add(ttl_ms)),
            Write::Delete { .. } => Entry::delete(user_key, seq),
        };
        user_bytes += entry.logical_size_bytes();
        memtable.insert(entry)?;
        if let Some(word) = seen.get_mut((key / 64) as usize) {
            let bit = 1u64 << (key % 64);
            let was_live = *word & bit != 0;
            match write {
                Write::Put { .. } if !was_live => {
                    *word |= bit;
                    live_keys += 1;
                }
                Write::Delete { .. } if was_live => {
                    *word &= !bit;
                    live_keys -= 1;
                }
                _ => {}
            }
        }
        if memtable.size_bytes() >= args.memtable_bytes {
            sim.flush(std::mem::take(&mut memtable), now_ms)?;
        }
    }
    if !memtable.is_empty() {
        sim.flush(memtable, now_ms)?;
    }
    let live_logical_bytes = live_keys * (KEY_BYTES + args.value_bytes) as u64;
    Ok(sim.report(args, keys, puts, user_bytes, live_keys, live_logical_bytes))
}

/// Per-reason totals, gathered through the listener interface.
#[derive(Default)]
struct Tally {
    by_reason: BTreeMap<String, ReasonTotals>,
    written: u64,
    read: u64,
    merges: u64,
    moves: u64,
    deletions: u64,
    dropped_shadowed: u64,
    dropped_tombstones: u64,
}

impl CompactionListener for Tally {
    fn on_compaction_completed(&mut self, _job: &CompactionJobInfo, stats: &CompactionStats) {
        let name = serde_json::to_value(stats.reason)
            .ok()
            .and_then(|value| value.as_str().map(str::to_owned))
            .unwrap_or_default();
        let totals = self.by_reason.entry(name).or_default();
        totals.jobs += 1;
        totals.input_bytes += stats.input_bytes;
        totals.output_bytes += stats.output_bytes;
        totals.moved_files += stats.moved_files;
        totals.deleted_files += stats.deleted_files;
        self.written += stats.output_bytes;
        self.read += stats.input_bytes;
        self.dropped_shadowed += stats.merge.dropped_shadowed;
        self.dropped_tombstones += stats.merge.dropped_tombstones;
        match stats.kind {
            PlanKind::Merge => self.merges += 1,
            PlanKind::Move => self.moves += 1,
            PlanKind::Delete => self.deletions += 1,
        }
    }
}

struct Sim<'a> {
    args: &'a CompactionSimArgs,
    style: CompactionStyle,
    sst_options: SstOptions,
    manifest: Manifest,
    store: BTreeMap<SstId, Bytes>,
    flushes: u64,
    flush_bytes: u64,
    flush_counter: u64,
    compaction_counter: u64,
    job_counter: u64,
    tally: Tally,
    sorted_runs_max: usize,
    max_compactions_per_flush: u64,
    shape: Vec<ShapeSample>,
    puts_flushed: u64,
}

impl<'a> Sim<'a> {
    fn new(args: &'a CompactionSimArgs) -> Sim<'a> {
        Sim {
            args,
            style: args.compaction_style(),
            sst_options: args.sst_options(),
            manifest: Manifest::initial(),
            store: BTreeMap::new(),
            flushes: 0,
            flush_bytes: 0,
            flush_counter: 0,
            compaction_counter: 0,
            job_counter: 0,
            tally: Tally::default(),
            sorted_runs_max: 0,
            max_compactions_per_flush: 0,
            shape: Vec::new(),
            puts_flushed: 0,
        }
    }

    /// Flushes the memtable into an L0 table (keeping the newest version of each key, as
    /// RocksDB's flush does), installs it, then compacts until the picker is idle.
    fn flush(&mut self, memtable: Memtable, now_ms: WallMs) -> Result<(), CompactionSimError> {
        self.puts_flushed += memtable.len() as u64;
        let frozen = memtable.freeze();
        let sources = vec![frozen.iter().map(Ok)];
        let merged = MergingIterator::new(sources, MergeOptions { bottommost: false }, NoFilter);
        let mut builder = SstBuilder::new(self.sst_options);
        for entry in merged {
            builder.add(&entry?)?;
        }
        self.flush_counter += 1;
        let id = SstId::compose(IdRole::Writer, Epoch(0), self.flush_counter)
            .ok_or(CompactionSimError::IdsExhausted)?;
        let (bytes, meta) = builder.finish(id, now_ms)?;
        let edit = Edit::Flush {
            writer_epoch: self.manifest.writer_epoch,
            wal_replay_point: WalId(self.flush_counter),
            last_seq: self.manifest.last_seq.max(meta.largest_seq),
            sst: meta.clone(),
        };
        self.manifest = apply(&self.manifest, &edit)?;
        self.store.insert(id, bytes);
        self.flushes += 1;
        self.flush_bytes += meta.size_bytes;
        self.sorted_runs_max = self.sorted_runs_max.max(sorted_run_count(&self.manifest));
        let compactions = self.compact_until_quiet(now_ms)?;
        self.max_compactions_per_flush = self.max_compactions_per_flush.max(compactions);
        if self.args.shape_every > 0 && self.flushes % self.args.shape_every == 0 {
            self.shape.push(ShapeSample {
                flush: self.flushes,
                puts: self.puts_flushed,
                levels: level_shapes(&self.manifest),
                sorted_runs: sorted_run_count(&self.manifest),
            });
        }
        Ok(())
    }

    /// Picks and applies until nothing is picked; more than the bound is an error.
    fn compact_until_quiet(&mut self, now_ms: WallMs) -> Result<u64, CompactionSimError> {
        let busy = Busy::new();
        let bound = self.args.max_compactions_per_flush;
        let mut done = 0u64;
        while let Some(plan) = self.style.pick(&self.manifest, &busy, now_ms) {
            if done >= bound {
                return Err(CompactionSimError::NotConverging {
                    flush: self.flushes,
                    compactions: done,
                });
            }
            self.run_plan(plan, now_ms)?;
            done += 1;
        }
        Ok(done)
    }

    /// Executes `plan` with the real merge and installs it with the real `apply`; obsolete
    /// tables are purged at once (no checkpoints or readers here).
    fn run_plan(&mut self, plan: CompactionPlan, now_ms: WallMs) -> Result<(), CompactionSimError> {
        self.job_counter += 1;
        let job = CompactionJobInfo {
            job_id: self.job_counter,
            plan,
            base_version: self.manifest.version,
        };
        self.tally.on_compaction_begin(&job);
        let plan = &job.plan;
        let mut inputs: Vec<(SstMeta, SstReader)> = Vec::new();
        for id in plan.input_ids() {
            let meta = self
                .manifest
                .find_live(id)
                .map(|(_, meta)| meta.clone())
                .ok_or(CompactionSimError::MissingTable { id })?;
            let bytes = self
                .store
                .get(&id)
                .ok_or(CompactionSimError::MissingTable { id })?;
            inputs.push((meta, SstReader::open(bytes.clone())?));
        }
        let mut exhausted = false;
        let counter = &mut self.compaction_counter;
        let mut next_id = || {
            *counter += 1;
            SstId::compose(IdRole::Compactor, Epoch(0), *counter).unwrap_or_else(|| {
                exhausted = true;
                SstId(0)
            })
        };
        let output = execute(
            plan,
            &inputs,
            TtlFilter { now_ms },
            now_ms,
            &mut next_id,
            &self.sst_options,
        )?;
        if exhausted {
            return Err(CompactionSimError::IdsExhausted);
        }
        let epoch = self.manifest.compactor_epoch;
        let edit = plan.into_edit(&self.manifest, &output.output_metas(), epoch, false)?;
        self.manifest = apply(&self.manifest, &edit)?;
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
            )?;
            for id in pending {
                self.store.remove(&id);
            }
        }
        self.tally.on_compaction_completed(&job, &output.stats);
        Ok(())
    }

    fn report(
        self,
        args: &CompactionSimArgs,
        keys: u64,
        puts: u64,
        user_bytes: u64,
        live_keys: u64,
        live_logical_bytes: u64,
    ) -> CompactionSimReport {
        let sst_bytes = self.manifest.live_size_bytes();
        let ratio = |a: u64, b: u64| if b == 0 { 0.0 } else { a as f64 / b as f64 };
        CompactionSimReport {
            style: args.style,
            workload: args.workload,
            seed: args.seed,
            puts,
            keys,
            key_bytes: KEY_BYTES,
            value_bytes: args.value_bytes,
            options: serde_json::to_value(&self.style).unwrap_or_default(),
            user_bytes,
            flushes: self.flushes,
            flush_bytes: self.flush_bytes,
            compaction_bytes_written: self.tally.written,
            compaction_bytes_read: self.tally.read,
            compactions: self.tally.merges,
            trivial_moves: self.tally.moves,
            deletions: self.tally.deletions,
            max_compactions_per_flush: self.max_compactions_per_flush,
            by_reason: self.tally.by_reason,
            entries_dropped_shadowed: self.tally.dropped_shadowed,
            entries_dropped_tombstones: self.tally.dropped_tombstones,
            write_amplification: ratio(self.flush_bytes + self.tally.written, user_bytes),
            write_amplification_vs_flush: ratio(
                self.flush_bytes + self.tally.written,
                self.flush_bytes,
            ),
            space_amplification: ratio(sst_bytes, live_logical_bytes),
            sst_bytes,
            live_keys,
            live_logical_bytes,
            sorted_runs_max: self.sorted_runs_max,
            sorted_runs_final: sorted_run_count(&self.manifest),
            shape: self.shape,
            final_shape: level_shapes(&self.manifest),
        }
    }
}

fn level_shapes(manifest: &Manifest) -> Vec<LevelShape> {
    (0..manifest.level_count())
        .map(|level| LevelShape {
            level,
            files: manifest.level(level).len(),
            size_bytes: manifest.level_size_bytes(level),
        })
        .collect()
}
