//! `plan_gc`: what one garbage-collection pass may delete, decided from plain data.

use super::GcOptions;
#[cfg(feature = "bugs")]
use crate::bugs::Bug;
use crate::entry::WallMs;
use crate::ids::{CheckpointId, IdRole, ManifestVersion, SstId};
use crate::layout::{parse_sst_path, sst_path};
use crate::manifest::{Checkpoint, Manifest, PendingDeletion};
use crate::store::ObjectMeta;
use std::collections::{BTreeMap, BTreeSet};

/// One object the plan deletes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GcDelete {
    pub id: SstId,
    pub path: String,
    /// Size of the object as the listing showed it; `None` when the listing did not show it
    /// (a pending table whose object an interrupted pass already deleted).
    pub listed_size_bytes: Option<u64>,
}

/// Why objects were left alone, by count, so a report shows what the collector saw.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct GcKept {
    /// Pending tables a live checkpoint may still read.
    pub pending_needed_by_checkpoint: u64,
    /// Pending tables no checkpoint needs, waiting for a checkpoint taken after they were
    /// obsoleted (Garnet's rule).
    pub pending_awaiting_checkpoint: u64,
    /// Unreferenced uploads of a current or newer writer or compactor epoch: maybe in flight.
    pub in_flight: u64,
    /// Unreferenced tables minted by remote workers: their primary owns their fate.
    pub remote_worker: u64,
    /// Unreferenced tables whose id names no role.
    pub unknown_role: u64,
    /// Listed objects that are not SST objects at all.
    pub unparsable: u64,
    /// Deletable objects left for a later pass by `deletes_per_pass_max`.
    pub deferred_by_bound: u64,
}

/// The decisions of one pass, made on the manifest of `manifest_version`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct GcPlan {
    pub manifest_version: ManifestVersion,
    /// Checkpoints whose expiry is before the collector's clock: removed first.
    pub expired_checkpoints: BTreeSet<CheckpointId>,
    /// Pending tables to delete (then purge), in the order they were obsoleted.
    pub pending_to_delete: Vec<GcDelete>,
    /// Unreferenced objects of fenced incarnations, by id.
    pub orphans_to_delete: Vec<GcDelete>,
    pub kept: GcKept,
}

impl GcPlan {
    /// Objects to delete, pending tables first.
    pub fn deletes(&self) -> impl Iterator<Item = &GcDelete> {
        self.pending_to_delete
            .iter()
            .chain(self.orphans_to_delete.iter())
    }

    pub fn delete_count(&self) -> usize {
        self.pending_to_delete.len() + self.orphans_to_delete.len()
    }

    /// Nothing to remove, delete or purge.
    pub fn is_empty(&self) -> bool {
        self.expired_checkpoints.is_empty() && self.delete_count() == 0
    }
}

/// Plans one pass. `listed` is a listing of `sst/` taken BEFORE `manifest` was read;
/// `now_wall_ms` is the collector's own wall clock, which judges checkpoint expiry (and only
/// that: orphans are recognised by fenced epochs, never by age). Pure and total. See the
/// module documentation for why the plan is safe even when applied late.
pub fn plan_gc(
    manifest: &Manifest,
    listed: &[ObjectMeta],
    now_wall_ms: WallMs,
    options: &GcOptions,
) -> GcPlan {
    let mut plan = GcPlan {
        manifest_version: manifest.version,
        ..GcPlan::default()
    };
    // With `keep_newest_per_name`, the newest checkpoint of each name is the one its owner
    // still maintains (and
    // releases by retention when it takes the next): expiry never removes it. Otherwise a
    // collector whose clock runs ahead of the owner's by more than the lifetime expires
    // every checkpoint as soon as it is taken, and Garnet's rule (delete only after a newer
    // checkpoint) then never deletes anything — a liveness bug found by the simulator.
    let newest_of_name: BTreeSet<CheckpointId> = manifest
        .checkpoints
        .iter()
        .map(|checkpoint| {
            manifest
                .checkpoints
                .iter()
                .filter(|other| other.name == checkpoint.name)
                .map(|other| other.id)
                .max()
                .unwrap_or(checkpoint.id)
        })
        .collect();
    plan.expired_checkpoints = manifest
        .checkpoints
        .iter()
        .filter(|checkpoint| {
            !(options.keep_newest_per_name && newest_of_name.contains(&checkpoint.id))
        })
        .filter(|checkpoint| is_expired(checkpoint, now_wall_ms))
        .map(|checkpoint| checkpoint.id)
        .collect();
    let live_checkpoints: Vec<&Checkpoint> = manifest
        .checkpoints
        .iter()
        .filter(|checkpoint| !plan.expired_checkpoints.contains(&checkpoint.id))
        .collect();
    let listed_sizes = listed_sst_sizes(listed, &mut plan.kept);
    let mut budget = options.deletes_per_pass_max;
    for pending in &manifest.pending_deletion {
        let verdict = pending_verdict(pending, &live_checkpoints);
        // BUG (`gc-no-checkpoint-wait`): deleted as soon as pending.
        #[cfg(feature = "bugs")]
        let verdict = if options.bugs.has(Bug::GcNoCheckpointWait) {
            PendingVerdict::Deletable
        } else {
            verdict
        };
        match verdict {
            PendingVerdict::Needed => plan.kept.pending_needed_by_checkpoint += 1,
            PendingVerdict::AwaitingCheckpoint => plan.kept.pending_awaiting_checkpoint += 1,
            PendingVerdict::Deletable if budget == 0 => plan.kept.deferred_by_bound += 1,
            PendingVerdict::Deletable => {
                assert!(
                    !manifest.is_live(pending.sst.id),
                    "a pending table is not live"
                );
                budget -= 1;
                let id = pending.sst.id;
                plan.pending_to_delete.push(GcDelete {
                    id,
                    path: sst_path(id),
                    listed_size_bytes: listed_sizes.get(&id).copied(),
                });
            }
        }
    }
    let referenced = manifest.referenced_sst_ids();
    for (&id, &size_bytes) in &listed_sizes {
        if referenced.contains(&id) {
            continue;
        }
        match orphan_verdict(id, manifest) {
            OrphanVerdict::InFlight => plan.kept.in_flight += 1,
            OrphanVerdict::RemoteWorker => plan.kept.remote_worker += 1,
            OrphanVerdict::UnknownRole => plan.kept.unknown_role += 1,
            OrphanVerdict::Fenced if budget == 0 => plan.kept.deferred_by_bound += 1,
            OrphanVerdict::Fenced => {
                // Paired with `referenced_sst_ids`: an orphan is no table the tree knows.
                assert!(!manifest.is_live(id));
                budget -= 1;
                plan.orphans_to_delete.push(GcDelete {
                    id,
                    path: sst_path(id),
                    listed_size_bytes: Some(size_bytes),
                });
            }
        }
    }
    // The per-pass bound holds over pending tables and orphans together.
    assert!(plan.delete_count() <= options.deletes_per_pass_max);
    plan
}

/// Expired when its expiry lies strictly before `now_wall_ms` on the judging node's clock.
fn is_expired(checkpoint: &Checkpoint, now_wall_ms: WallMs) -> bool {
    checkpoint
        .expires_at_ms
        .is_some_and(|expires_at_ms| expires_at_ms < now_wall_ms)
}

/// Sizes of the listed SST objects by id; counts what is not one.
fn listed_sst_sizes(listed: &[ObjectMeta], kept: &mut GcKept) -> BTreeMap<SstId, u64> {
    let mut sizes = BTreeMap::new();
    for meta in listed {
        match parse_sst_path(&meta.path) {
            Some(id) => {
                sizes.insert(id, meta.size_bytes);
            }
            None => kept.unparsable += 1,
        }
    }
    sizes
}

enum PendingVerdict {
    Needed,
    AwaitingCheckpoint,
    Deletable,
}

/// A checkpoint of a version before `obsoleted_at` may read the table; one at or after it
/// cannot (the table was already gone from the tree) and proves a durable state without it.
fn pending_verdict(pending: &PendingDeletion, live_checkpoints: &[&Checkpoint]) -> PendingVerdict {
    let needed = live_checkpoints
        .iter()
        .any(|checkpoint| checkpoint.manifest_version < pending.obsoleted_at);
    if needed {
        return PendingVerdict::Needed;
    }
    let covered = live_checkpoints
        .iter()
        .any(|checkpoint| checkpoint.manifest_version >= pending.obsoleted_at);
    if !covered {
        return PendingVerdict::AwaitingCheckpoint;
    }
    PendingVerdict::Deletable
}

enum OrphanVerdict {
    Fenced,
    InFlight,
    RemoteWorker,
    UnknownRole,
}

/// An unreferenced table is garbage only when the incarnation that minted it is fenced.
fn orphan_verdict(id: SstId, manifest: &Manifest) -> OrphanVerdict {
    match id.role() {
        Some(IdRole::Writer) if id.epoch() < manifest.writer_epoch => OrphanVerdict::Fenced,
        Some(IdRole::Compactor) if id.epoch() < manifest.compactor_epoch => OrphanVerdict::Fenced,
        Some(IdRole::Writer | IdRole::Compactor) => OrphanVerdict::InFlight,
        Some(IdRole::RemoteWorker) => OrphanVerdict::RemoteWorker,
        None => OrphanVerdict::UnknownRole,
    }
}
