//! The concurrent schedule: RocksDB as it normally runs, in simulated time (no threads).
//! A writer puts at `--write-rate-puts-per-s`; a full memtable becomes immutable and the
//! one flush slot writes it at `--flush-mib-per-s`; `--compaction-slots` slots each run one
//! compaction at `--merge-mib-per-s` (input + output bytes); the picker runs whenever a
//! slot frees or a flush lands, skipping tables a running compaction holds. The writer is
//! held back by RocksDB's rules: it stops while the memtable is full and the previous one
//! is still being flushed (`max_write_buffer_number` 2), stops at the L0 stop trigger or
//! the hard pending-bytes limit, and slows at the slowdown trigger or the soft limit to a delayed
//! rate that starts at `--delayed-write-rate-bytes-per-s` and adapts as RocksDB's does
//! (`write_controller.rs`). A merge is computed when it starts (its inputs cannot change
//! while it runs) and installed when its time is up; its slot then stays busy while it
//! deletes its input tables (`--table-delete-us` each), as RocksDB's compaction thread
//! unlinks its obsolete inputs before it takes the next job.

use super::driver::{ExecutedPlan, Sim};
use super::report::CompactionSimReport;
use super::stream::EntryStream;
use super::write_controller::WriteController;
use super::{CompactionSimArgs, CompactionSimError};
use lsm_core::compaction::{Busy, StallState, stall_state, style_stall_inputs};
use lsm_core::entry::WallMs;
use lsm_core::memtable::Memtable;
use lsm_core::sst::SstMeta;

const NS_PER_S: f64 = 1e9;
const NS_PER_US: f64 = 1e3;
/// Most events (flushes and compactions ending) handled before one put; far above what a
/// run produces (each event installs a job, and a put adds at most one memtable).
const EVENTS_PER_STEP_MAX: u64 = 1 << 20;

/// A running flush: its table, installed at `end_ns`.
struct RunningFlush {
    end_ns: u64,
    built: (bytes::Bytes, SstMeta, u64),
}

/// A running compaction, installed at `end_ns`.
struct RunningJob {
    end_ns: u64,
    executed: ExecutedPlan,
}

/// The background side: the flush slot, the compaction slots and what they hold.
struct Background {
    flush: Option<RunningFlush>,
    jobs: Vec<RunningJob>,
    /// When each installed job that is still deleting its inputs frees its slot.
    deleting_until_ns: Vec<u64>,
    busy: Busy,
    slots: usize,
    /// A merge's time per byte of input + output.
    merge_ns_per_byte: f64,
    /// A flush's time per byte of the table it writes.
    flush_ns_per_byte: f64,
    ns_per_deleted_table: f64,
    /// The stall condition and delayed rate, recalculated at every new version.
    controller: WriteController,
}

impl Background {
    /// A new version (a memtable switched, a flush or a compaction installed): RocksDB
    /// recalculates its stall condition and delayed write rate.
    fn recalculate_stall(&mut self, sim: &Sim<'_>) {
        let (options, debt_bytes) = style_stall_inputs(&sim.manifest, Some(&sim.style));
        let state = stall_state(&sim.manifest, &options, debt_bytes);
        self.controller.recalculate(state, &options, debt_bytes);
    }

    fn merge_ns(&self, bytes: u64) -> u64 {
        (bytes as f64 * self.merge_ns_per_byte).ceil() as u64
    }

    fn flush_ns(&self, bytes: u64) -> u64 {
        (bytes as f64 * self.flush_ns_per_byte).ceil() as u64
    }

    fn deleting_ns(&self, tables: usize) -> u64 {
        (tables as f64 * self.ns_per_deleted_table).ceil() as u64
    }

    /// When the next flush, compaction or deletion ends.
    fn next_end_ns(&self) -> Option<u64> {
        let flush = self.flush.as_ref().map(|flush| flush.end_ns);
        let job = self.jobs.iter().map(|job| job.end_ns);
        let deleting = self.deleting_until_ns.iter().copied();
        flush.into_iter().chain(job).chain(deleting).min()
    }

    /// Compaction slots taken by a merge or by a finished job's deletions.
    fn slots_taken(&self) -> usize {
        self.jobs.len() + self.deleting_until_ns.len()
    }

    /// Starts compactions in free slots at `now_ns` while the picker finds work.
    fn fill_slots(
        &mut self,
        sim: &mut Sim<'_>,
        now_ns: u64,
        now_ms: WallMs,
    ) -> Result<(), CompactionSimError> {
        while self.slots_taken() < self.slots {
            let Some(plan) = sim.style.pick(&sim.manifest, &self.busy, now_ms) else {
                break;
            };
            self.busy.register(&plan, &sim.manifest);
            let executed = sim.execute_plan(plan, now_ms)?;
            let end_ns = now_ns.saturating_add(self.merge_ns(executed.io_bytes()));
            self.jobs.push(RunningJob { end_ns, executed });
        }
        Ok(())
    }

    /// Handles every flush, compaction and deletion ending at or before `until_ns`, in time
    /// order (at the same moment: a flush, then compactions in start order, then deletions).
    fn advance_to(
        &mut self,
        sim: &mut Sim<'_>,
        until_ns: u64,
        now_ms: WallMs,
    ) -> Result<(), CompactionSimError> {
        for _ in 0..EVENTS_PER_STEP_MAX {
            let Some(end_ns) = self.next_end_ns().filter(|end| *end <= until_ns) else {
                return Ok(());
            };
            if let Some(flush) = self.flush.take_if(|flush| flush.end_ns == end_ns) {
                sim.install_flush(flush.built)?;
                sim.sample_shape();
                self.recalculate_stall(sim);
            } else if let Some(index) = self.jobs.iter().position(|job| job.end_ns == end_ns) {
                let job = self.jobs.remove(index);
                self.busy.release(job.executed.plan());
                let deleting_ns = self.deleting_ns(job.executed.deleted_tables());
                sim.install_plan(job.executed)?;
                self.recalculate_stall(sim);
                if deleting_ns > 0 {
                    self.deleting_until_ns
                        .push(end_ns.saturating_add(deleting_ns));
                }
            } else {
                let index = self.deleting_until_ns.iter().position(|end| *end == end_ns);
                assert!(index.is_some(), "the earliest end belongs to a deletion");
                self.deleting_until_ns.remove(index.unwrap_or_default());
            }
            assert!(self.slots_taken() <= self.slots, "slots overcommitted");
            self.fill_slots(sim, end_ns, now_ms)?;
        }
        Err(CompactionSimError::NotConverging {
            flush: 0,
            compactions: EVENTS_PER_STEP_MAX,
        })
    }

    /// Moves a full memtable to the flush slot at `now_ns`.
    fn start_flush(
        &mut self,
        sim: &mut Sim<'_>,
        memtable: Memtable,
        now_ns: u64,
        now_ms: WallMs,
    ) -> Result<(), CompactionSimError> {
        assert!(self.flush.is_none(), "one flush at a time");
        let built = sim.build_flush(memtable, now_ms)?;
        let end_ns = now_ns.saturating_add(self.flush_ns(built.1.size_bytes));
        self.flush = Some(RunningFlush { end_ns, built });
        self.recalculate_stall(sim);
        Ok(())
    }
}

/// Nanoseconds per byte at `mib_per_s` (validated positive with the arguments).
fn ns_per_byte(mib_per_s: f64) -> f64 {
    assert!(mib_per_s.is_finite() && mib_per_s > 0.0);
    NS_PER_S / (mib_per_s * f64::from(1u32 << 20))
}

/// Runs the concurrent schedule.
pub(super) fn run(
    args: &CompactionSimArgs,
    keys: u64,
) -> Result<CompactionSimReport, CompactionSimError> {
    let mut sim = Sim::new(args);
    let mut stream = EntryStream::new(args, keys)?;
    let mut background = Background {
        flush: None,
        jobs: Vec::new(),
        deleting_until_ns: Vec::new(),
        busy: Busy::new(),
        slots: args.compaction_slots,
        merge_ns_per_byte: ns_per_byte(args.merge_mib_per_s),
        flush_ns_per_byte: ns_per_byte(args.flush_mib_per_s.unwrap_or(args.merge_mib_per_s)),
        ns_per_deleted_table: args.table_delete_us * NS_PER_US,
        controller: WriteController::new(args.delayed_write_rate_bytes_per_s),
    };
    let put_ns = (NS_PER_S / args.write_rate_puts_per_s as f64).ceil() as u64;
    let mut memtable = sim.new_memtable();
    let mut writer_ns = 0u64;
    let mut stall_ns = 0u64;
    // Bounded by the stream, which `take`s `args.updates` writes.
    while let Some(entry) = stream.next() {
        let now_ms = stream.now_ms();
        // Each pass starts a flush or waits for an event: bounded by the events.
        let mut delayed = false;
        for _ in 0..EVENTS_PER_STEP_MAX {
            background.advance_to(&mut sim, writer_ns, now_ms)?;
            let full = memtable.size_bytes() >= args.memtable_bytes;
            if full && background.flush.is_none() {
                let full = std::mem::replace(&mut memtable, sim.new_memtable());
                background.start_flush(&mut sim, full, writer_ns, now_ms)?;
                background.fill_slots(&mut sim, writer_ns, now_ms)?;
                continue;
            }
            let state = background.controller.condition();
            if full || matches!(state, StallState::Stopped { .. }) {
                let next = background
                    .next_end_ns()
                    .ok_or(CompactionSimError::Deadlocked { puts: stream.puts })?;
                stall_ns += next.saturating_sub(writer_ns);
                writer_ns = writer_ns.max(next);
                continue;
            }
            delayed = matches!(state, StallState::Delayed { .. });
            break;
        }
        let cost_ns = if delayed {
            let rate = background.controller.rate_bytes_per_s() as f64;
            let delayed_ns = (entry.logical_size_bytes() as f64 * NS_PER_S / rate).ceil() as u64;
            stall_ns += delayed_ns.saturating_sub(put_ns);
            delayed_ns.max(put_ns)
        } else {
            put_ns
        };
        memtable.insert(entry)?;
        writer_ns = writer_ns.saturating_add(cost_ns);
        sim.sample_space(&stream);
    }
    let now_ms = stream.now_ms();
    if !memtable.is_empty() {
        if let Some(end) = background.flush.as_ref().map(|flush| flush.end_ns) {
            stall_ns += end.saturating_sub(writer_ns);
            writer_ns = writer_ns.max(end);
            background.advance_to(&mut sim, writer_ns, now_ms)?;
        }
        background.start_flush(&mut sim, memtable, writer_ns, now_ms)?;
    }
    // Drain: every remaining flush and compaction, and whatever they make the picker find.
    let mut end_ns = writer_ns;
    background.fill_slots(&mut sim, end_ns, now_ms)?;
    while let Some(next) = background.next_end_ns() {
        end_ns = next;
        background.advance_to(&mut sim, next, now_ms)?;
    }
    sim.note_compactions_per_flush(0);
    Ok(sim.report(
        args,
        keys,
        &stream,
        stall_ns as f64 / NS_PER_S,
        end_ns as f64 / NS_PER_S,
    ))
}
