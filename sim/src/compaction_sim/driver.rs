//! The simulation: puts → memtable → flush → pick/execute/apply, on one of two schedules
//! (quiesced here, concurrent in `concurrent.rs`); the tree, the store and the tallies they
//! share live in [`Sim`].

use super::concurrent;
use super::report::{CompactionSimReport, LevelShape, ReasonTotals, ShapeSample};
use super::stream::{EntryStream, KEY_BYTES};
use super::{CompactionSimArgs, CompactionSimError, SimSchedule};
use bytes::Bytes;
use lsm_core::compaction::{
    Busy, CompactionJobInfo, CompactionListener, CompactionOutput, CompactionPlan, CompactionStats,
    CompactionStyle, ExecuteError, PlanKind, execute, sorted_run_count,
};
use lsm_core::entry::WallMs;
use lsm_core::ids::{Epoch, IdRole, SstId, WalId};
use lsm_core::manifest::{Edit, Manifest, apply};
use lsm_core::memtable::Memtable;
use lsm_core::merge::{MergeOptions, MergingIterator, NoFilter, TtlFilter};
use lsm_core::sst::{SstBuilder, SstMeta, SstOptions, SstReader};
use std::collections::{BTreeMap, BTreeSet};

/// Runs one simulation on the schedule `args` names.
pub fn run(args: &CompactionSimArgs) -> Result<CompactionSimReport, CompactionSimError> {
    args.validate()?;
    let keys = args.key_space()?;
    match args.schedule {
        SimSchedule::Quiesced => run_quiesced(args, keys),
        SimSchedule::Concurrent => concurrent::run(args, keys),
    }
}

/// After each flush, compactions run until the picker is idle, before the next put.
fn run_quiesced(
    args: &CompactionSimArgs,
    keys: u64,
) -> Result<CompactionSimReport, CompactionSimError> {
    let mut sim = Sim::new(args);
    let mut stream = EntryStream::new(args, keys)?;
    let mut memtable = sim.new_memtable();
    // Bounded by the stream, which `take`s `args.updates` writes.
    while let Some(entry) = stream.next() {
        memtable.insert(entry)?;
        if memtable.size_bytes() >= args.memtable_bytes {
            let full = std::mem::replace(&mut memtable, sim.new_memtable());
            sim.flush_and_compact(full, stream.now_ms())?;
        }
        sim.sample_space(&stream);
    }
    if !memtable.is_empty() {
        sim.flush_and_compact(memtable, stream.now_ms())?;
    }
    Ok(sim.report(args, keys, &stream, 0.0, 0.0))
}

/// Per-reason totals, gathered through the listener interface.
#[derive(Default)]
struct Tally {
    by_reason: BTreeMap<String, ReasonTotals>,
    /// Compaction output bytes by output level.
    by_level: BTreeMap<usize, u64>,
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
            .unwrap_or_else(|| format!("{:?}", stats.reason));
        let totals = self.by_reason.entry(name).or_default();
        totals.jobs += 1;
        totals.input_bytes += stats.input_bytes;
        totals.output_bytes += stats.output_bytes;
        totals.moved_files += stats.moved_files;
        totals.deleted_files += stats.deleted_files;
        *self.by_level.entry(stats.output_level).or_default() += stats.output_bytes;
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

/// A merge computed but not yet installed (the concurrent schedule installs it later).
pub(super) struct ExecutedPlan {
    job: CompactionJobInfo,
    output: CompactionOutput,
}

impl ExecutedPlan {
    pub(super) fn plan(&self) -> &CompactionPlan {
        &self.job.plan
    }

    /// Bytes the merge reads and writes (what its duration is charged for).
    pub(super) fn io_bytes(&self) -> u64 {
        self.output.stats.input_bytes + self.output.stats.output_bytes
    }

    /// Input tables the job deletes once installed: all of them, but for a trivial move.
    pub(super) fn deleted_tables(&self) -> usize {
        match self.job.plan.kind {
            PlanKind::Move => 0,
            PlanKind::Merge | PlanKind::Delete => self.job.plan.input_ids().len(),
        }
    }
}

/// The tree, its tables and the tallies, as both schedules drive them.
pub(super) struct Sim<'a> {
    args: &'a CompactionSimArgs,
    pub(super) style: CompactionStyle,
    sst_options: SstOptions,
    pub(super) manifest: Manifest,
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
    /// Space amplification sampled every `space_sample_every_puts` puts: (puts, ratio).
    space_samples: Vec<(u64, f64)>,
}

impl<'a> Sim<'a> {
    pub(super) fn new(args: &'a CompactionSimArgs) -> Sim<'a> {
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
            space_samples: Vec::new(),
        }
    }

    pub(super) fn new_memtable(&self) -> Memtable {
        Memtable::with_entry_overhead(self.args.memtable_entry_overhead_bytes)
    }

    /// Records space amplification when the stream's put count is on the sampling grid.
    pub(super) fn sample_space(&mut self, stream: &EntryStream) {
        if stream.puts % self.args.space_sample_every_puts != 0 {
            return;
        }
        let live = stream.live_logical_bytes();
        if live > 0 {
            let ratio = self.manifest.live_size_bytes() as f64 / live as f64;
            self.space_samples.push((stream.puts, ratio));
        }
    }

    /// The flush of `memtable` as an L0 table (keeping the newest version of each key, as
    /// RocksDB's flush does), not yet installed.
    pub(super) fn build_flush(
        &mut self,
        memtable: Memtable,
        now_ms: WallMs,
    ) -> Result<(Bytes, SstMeta, u64), CompactionSimError> {
        let puts = memtable.len() as u64;
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
        Ok((bytes, meta, puts))
    }

    /// Installs a built flush; the sorted runs right after it count towards the maximum.
    pub(super) fn install_flush(
        &mut self,
        (bytes, meta, puts): (Bytes, SstMeta, u64),
    ) -> Result<(), CompactionSimError> {
        let edit = Edit::Flush {
            writer_epoch: self.manifest.writer_epoch,
            wal_replay_point: WalId(self.flush_counter),
            last_seq: self.manifest.last_seq.max(meta.largest_seq),
            sst: meta.clone(),
        };
        self.manifest = apply(&self.manifest, &edit)?;
        self.store.insert(meta.id, bytes);
        self.flushes += 1;
        self.puts_flushed += puts;
        self.flush_bytes += meta.size_bytes;
        self.sorted_runs_max = self.sorted_runs_max.max(sorted_run_count(&self.manifest));
        Ok(())
    }

    /// Records the tree's shape when the flush count is on the sampling grid.
    pub(super) fn sample_shape(&mut self) {
        if self.args.shape_every > 0 && self.flushes % self.args.shape_every == 0 {
            self.shape.push(ShapeSample {
                flush: self.flushes,
                puts: self.puts_flushed,
                levels: level_shapes(&self.manifest),
                sorted_runs: sorted_run_count(&self.manifest),
            });
        }
    }

    /// Quiesced: flush, install, then compact until the picker is idle.
    fn flush_and_compact(
        &mut self,
        memtable: Memtable,
        now_ms: WallMs,
    ) -> Result<(), CompactionSimError> {
        let built = self.build_flush(memtable, now_ms)?;
        self.install_flush(built)?;
        let compactions = self.compact_until_quiet(now_ms)?;
        self.max_compactions_per_flush = self.max_compactions_per_flush.max(compactions);
        self.sample_shape();
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
            let executed = self.execute_plan(plan, now_ms)?;
            self.install_plan(executed)?;
            done += 1;
        }
        Ok(done)
    }

    /// Runs the real merge of `plan` on the current tables; nothing is installed yet.
    pub(super) fn execute_plan(
        &mut self,
        plan: CompactionPlan,
        now_ms: WallMs,
    ) -> Result<ExecutedPlan, CompactionSimError> {
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
        let counter = &mut self.compaction_counter;
        let mut next_id = || {
            *counter += 1;
            SstId::compose(IdRole::Compactor, Epoch(0), *counter)
        };
        let executed = execute(
            plan,
            &inputs,
            TtlFilter { now_ms },
            now_ms,
            &mut next_id,
            &self.sst_options,
        );
        let output = match executed {
            Err(ExecuteError::OutputIdsExhausted { .. }) => {
                return Err(CompactionSimError::IdsExhausted);
            }
            executed => executed?,
        };
        Ok(ExecutedPlan { job, output })
    }

    /// Installs an executed plan with the real `apply` on the current manifest; obsolete
    /// tables are purged at once (no checkpoints or readers here).
    pub(super) fn install_plan(
        &mut self,
        executed: ExecutedPlan,
    ) -> Result<(), CompactionSimError> {
        let ExecutedPlan { job, output } = executed;
        let epoch = self.manifest.compactor_epoch;
        let edit = job
            .plan
            .into_edit(&self.manifest, &output.output_metas(), epoch, false)?;
        self.manifest = apply(&self.manifest, &edit)?;
        let stats = output.stats;
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
        self.tally.on_compaction_completed(&job, &stats);
        Ok(())
    }

    pub(super) fn note_compactions_per_flush(&mut self, compactions: u64) {
        self.max_compactions_per_flush = self.max_compactions_per_flush.max(compactions);
    }

    pub(super) fn report(
        self,
        args: &CompactionSimArgs,
        keys: u64,
        stream: &EntryStream,
        stall_time_s: f64,
        sim_time_s: f64,
    ) -> CompactionSimReport {
        let sst_bytes = self.manifest.live_size_bytes();
        let ratio = |a: u64, b: u64| if b == 0 { 0.0 } else { a as f64 / b as f64 };
        let half = stream.puts / 2;
        let second_half: Vec<f64> = self
            .space_samples
            .iter()
            .filter(|(puts, _)| *puts > half)
            .map(|(_, ratio)| *ratio)
            .collect();
        let space_amplification = ratio(sst_bytes, stream.live_logical_bytes());
        let space_amplification_mean = if second_half.is_empty() {
            space_amplification
        } else {
            second_half.iter().sum::<f64>() / second_half.len() as f64
        };
        let levels = self.manifest.level_count().max(1);
        let mut level_bytes_written = vec![0u64; levels];
        level_bytes_written[0] = self.flush_bytes;
        for (level, bytes) in &self.tally.by_level {
            if let Some(slot) = level_bytes_written.get_mut(*level) {
                *slot += bytes;
            }
        }
        CompactionSimReport {
            style: args.style,
            workload: args.workload,
            schedule: args.schedule,
            seed: args.seed,
            puts: stream.puts,
            keys,
            key_bytes: KEY_BYTES,
            value_bytes: args.value_bytes,
            options: serde_json::to_value(&self.style).unwrap_or_default(),
            user_bytes: stream.user_bytes,
            flushes: self.flushes,
            flush_bytes: self.flush_bytes,
            compaction_bytes_written: self.tally.written,
            compaction_bytes_read: self.tally.read,
            level_bytes_written,
            compactions: self.tally.merges,
            trivial_moves: self.tally.moves,
            deletions: self.tally.deletions,
            max_compactions_per_flush: self.max_compactions_per_flush,
            by_reason: self.tally.by_reason,
            entries_dropped_shadowed: self.tally.dropped_shadowed,
            entries_dropped_tombstones: self.tally.dropped_tombstones,
            write_amplification: ratio(self.flush_bytes + self.tally.written, stream.user_bytes),
            write_amplification_vs_flush: ratio(
                self.flush_bytes + self.tally.written,
                self.flush_bytes,
            ),
            space_amplification,
            space_amplification_mean,
            sst_bytes,
            live_keys: stream.live_keys,
            live_logical_bytes: stream.live_logical_bytes(),
            sorted_runs_max: self.sorted_runs_max,
            sorted_runs_final: sorted_run_count(&self.manifest),
            stall_time_s,
            sim_time_s,
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
