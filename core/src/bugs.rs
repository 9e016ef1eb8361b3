//! Deliberate protocol defects that a simulation campaign must catch.
//!
//! Each [`Bug`] is a class of bug that LSM and object-store projects have really shipped.
//! A bug lives in the real code path, behind a branch on a [`Bugs`] set carried in the
//! options of the roles it affects; the set is empty by default, so production behaviour is
//! one untaken branch on a bool. The simulator switches one on with `--bug NAME` to prove
//! that its checks have teeth: a campaign with the bug must fail, the same campaign without
//! it must pass.

use std::fmt;

/// One injectable defect.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Bug {
    /// GC deletes compaction inputs as soon as they are pending, without waiting for a
    /// newer checkpoint and without asking whether a live checkpoint still reads them.
    GcNoCheckpointWait,
    /// GC collects unreferenced tables once it has seen them unreferenced for a while by
    /// its own wall clock, whatever epoch minted them: a clock jump kills in-flight outputs.
    GcWallclockOrphans,
    /// The writer's WAL segments are written with overwrite instead of create-if-absent, and
    /// acknowledged on that alone (no epoch check), so a zombie writer's write is not refused
    /// by the segment a newer writer created.
    WriterNoFence,
    /// A compaction install re-validates nothing on the newest manifest: not the compactor
    /// epoch (the edit carries the newest one) and not that the inputs are still live
    /// (vanished inputs are skipped).
    CompactorNoRevalidate,
    /// A compaction removes L0 tables by position (the first k of L0) instead of by id.
    L0RemoveByPosition,
    /// A conditional put whose outcome is unknown (a timeout) is treated as not applied.
    AmbiguousPutIsFailure,
    /// Every compaction drops tombstones as if its output were the bottommost level.
    TombstoneDropEarly,
    /// WAL recovery skips the segment at the manifest's replay point.
    WalReplayOffByOne,
    /// The remote primary installs a worker's result without checking that the job's
    /// inputs are still live (vanished inputs are skipped in the edit).
    RemoteStaleInstall,
    /// A remote result with no outputs makes the primary delete the job's input tables at
    /// once, as if they were outputs to clean up, instead of leaving them pending.
    RemoteEmptyOutputDeletesInput,
    /// Manifest apply accepts an edit carrying an older writer or compactor epoch than the
    /// manifest's (only a newer one is refused), and the compaction install's own epoch
    /// pre-check defers to apply: a fenced zombie's flush, checkpoint or compaction lands.
    StaleEpochAccepted,
    /// The writer trusts its WAL fence alone (acknowledges on create-if-absent, confirms
    /// leadership by its next segment's absence) while the GC deletes segments below the
    /// replay point: a zombie re-creates a deleted fence segment and acknowledges.
    WalGcFenceAba,
    /// A remote worker's TTL filter judges expiry by the time the job carries from the
    /// primary that planned it (its wall clock then) instead of the worker's own clock.
    TtlFilterWriterClock,
}

impl Bug {
    /// Every bug, in the order `sim bugs` lists them.
    pub const ALL: [Bug; 13] = [
        Bug::GcNoCheckpointWait,
        Bug::GcWallclockOrphans,
        Bug::WriterNoFence,
        Bug::CompactorNoRevalidate,
        Bug::L0RemoveByPosition,
        Bug::AmbiguousPutIsFailure,
        Bug::RemoteStaleInstall,
        Bug::TombstoneDropEarly,
        Bug::WalReplayOffByOne,
        Bug::RemoteEmptyOutputDeletesInput,
        Bug::StaleEpochAccepted,
        Bug::WalGcFenceAba,
        Bug::TtlFilterWriterClock,
    ];

    /// The name the command line uses.
    pub fn name(self) -> &'static str {
        match self {
            Bug::GcNoCheckpointWait => "gc-no-checkpoint-wait",
            Bug::GcWallclockOrphans => "gc-wallclock-orphans",
            Bug::WriterNoFence => "writer-no-fence",
            Bug::CompactorNoRevalidate => "compactor-no-revalidate",
            Bug::L0RemoveByPosition => "l0-remove-by-position",
            Bug::AmbiguousPutIsFailure => "ambiguous-put-is-failure",
            Bug::TombstoneDropEarly => "tombstone-drop-early",
            Bug::WalReplayOffByOne => "wal-replay-off-by-one",
            Bug::RemoteStaleInstall => "remote-stale-install",
            Bug::RemoteEmptyOutputDeletesInput => "remote-empty-output-deletes-input",
            Bug::StaleEpochAccepted => "stale-epoch-accepted",
            Bug::WalGcFenceAba => "wal-gc-fence-aba",
            Bug::TtlFilterWriterClock => "ttl-filter-writer-clock",
        }
    }

    /// One sentence on what the defect does.
    pub fn description(self) -> &'static str {
        match self {
            Bug::GcNoCheckpointWait => {
                "GC deletes compaction inputs as soon as they are pending, without waiting for a checkpoint (or asking whether a live one still reads them)."
            }
            Bug::GcWallclockOrphans => {
                "GC collects unreferenced tables by wall-clock age alone, so a clock jump kills the outputs of in-flight flushes and compactions."
            }
            Bug::WriterNoFence => {
                "The writer's WAL writes overwrite instead of create-if-absent and it acknowledges on them alone, so a zombie writer is not fenced by its successor's WAL segment."
            }
            Bug::CompactorNoRevalidate => {
                "The compactor installs without re-checking its epoch or that its inputs are still live on the newest manifest."
            }
            Bug::L0RemoveByPosition => {
                "A compaction removes the first k L0 tables (by position) instead of its inputs (by id), losing L0 tables flushed meanwhile."
            }
            Bug::AmbiguousPutIsFailure => {
                "A conditional put whose outcome is unknown (a timeout) is treated as failed, although it may have been applied."
            }
            Bug::TombstoneDropEarly => {
                "Compactions drop tombstones at a non-bottommost level, resurrecting older values below."
            }
            Bug::WalReplayOffByOne => {
                "Recovery skips the WAL segment at the manifest's replay point, losing acknowledged writes."
            }
            Bug::RemoteStaleInstall => {
                "The remote primary installs a worker's result without checking that its inputs are still live, so a late result re-adds data a newer compaction already replaced."
            }
            Bug::RemoteEmptyOutputDeletesInput => {
                "A remote result with no outputs makes the primary delete the job's inputs at once instead of leaving them on the pending list for GC."
            }
            Bug::StaleEpochAccepted => {
                "Manifest apply accepts an edit from an older writer or compactor epoch, so a fenced zombie's flush, checkpoint or compaction is installed."
            }
            Bug::WalGcFenceAba => {
                "The GC deletes WAL segments below the replay point, fences included, while the writer trusts its fence alone: a zombie re-creates a deleted fence segment and acknowledges a write no recovery replays."
            }
            Bug::TtlFilterWriterClock => {
                "A remote worker's TTL filter compares expiry with the primary's wall clock carried in the job instead of its own, so a primary whose clock runs ahead expires data early."
            }
        }
    }

    /// The bug of `name`, as [`Bug::name`] spells it.
    pub fn parse(name: &str) -> Option<Bug> {
        Bug::ALL.into_iter().find(|bug| bug.name() == name)
    }

    fn bit(self) -> u16 {
        1 << (self as u16)
    }
}

impl fmt::Display for Bug {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A set of switched-on bugs; empty by default (no defect).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Bugs {
    bits: u16,
}

impl Bugs {
    /// No bug: the correct protocol.
    pub const NONE: Bugs = Bugs { bits: 0 };

    /// The set holding only `bug`.
    pub fn only(bug: Bug) -> Bugs {
        Bugs { bits: bug.bit() }
    }

    /// This set with `bug` added.
    pub fn with(self, bug: Bug) -> Bugs {
        Bugs {
            bits: self.bits | bug.bit(),
        }
    }

    /// Whether `bug` is switched on.
    #[inline]
    pub fn has(self, bug: Bug) -> bool {
        self.bits & bug.bit() != 0
    }

    pub fn is_empty(self) -> bool {
        self.bits == 0
    }

    /// The bugs switched on, in [`Bug::ALL`] order.
    pub fn iter(self) -> impl Iterator<Item = Bug> {
        Bug::ALL.into_iter().filter(move |bug| self.has(*bug))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_bits_are_distinct() {
        let mut all = Bugs::NONE;
        for bug in Bug::ALL {
            assert_eq!(Bug::parse(bug.name()), Some(bug));
            assert!(!all.has(bug));
            all = all.with(bug);
            assert!(all.has(bug));
        }
        assert_eq!(all.iter().count(), Bug::ALL.len());
        assert!(Bugs::default().is_empty());
        assert_eq!(Bug::parse("no-such-bug"), None);
    }
}
