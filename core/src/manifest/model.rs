//! The manifest as plain data, and the read-only questions roles ask of it.

use crate::entry::WallMs;
use crate::ids::{CheckpointId, Epoch, ManifestVersion, SeqNum, SstId, WalId};
use crate::sst::SstMeta;
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

/// The deepest level an edit may name (L1..=L`MAX_LEVELS`); bounds hostile input and typos.
pub const MAX_LEVELS: usize = 32;

/// An SST no longer part of the tree, kept until no checkpoint or reader can need it
/// (Garnet-style deferred deletion).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingDeletion {
    pub sst: SstMeta,
    /// The manifest version whose edit removed it; it was live in every earlier version
    /// since it was added.
    pub obsoleted_at: ManifestVersion,
}

/// A durable point-in-time view: the tree as of `manifest_version`, whose SSTs must stay.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Checkpoint {
    pub id: CheckpointId,
    /// Who took it and why (for example `writer`); retention counts checkpoints per name.
    pub name: String,
    pub manifest_version: ManifestVersion,
    /// Wall clock of the node that created it.
    pub created_at_ms: WallMs,
    /// After this time (on the clock of whoever judges), the checkpoint may be removed.
    /// `None`: kept until removed explicitly.
    pub expires_at_ms: Option<WallMs>,
}

/// One version of the tree's metadata. Plain data: every change goes through
/// [`crate::manifest::apply`], which returns a new value.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    pub version: ManifestVersion,
    /// Epoch of the current writer incarnation; older writers are fenced.
    pub writer_epoch: Epoch,
    /// Epoch of the current compactor incarnation; older compactors are fenced.
    pub compactor_epoch: Epoch,
    /// Level 0, newest first; tables may overlap.
    pub l0: Vec<SstMeta>,
    /// `levels[i]` is L(i+1): one sorted run, sorted by smallest key, non-overlapping.
    pub levels: Vec<Vec<SstMeta>>,
    /// First WAL segment not yet covered by flushed SSTs: recovery replays from here.
    pub wal_replay_point: WalId,
    /// Highest sequence number persisted in SSTs.
    pub last_seq: SeqNum,
    /// Removed SSTs whose objects are not yet deleted, in the order they were removed.
    pub pending_deletion: Vec<PendingDeletion>,
    /// Live checkpoints, by increasing id.
    pub checkpoints: Vec<Checkpoint>,
    /// Checkpoint ids are never reused: the next one must be at least this.
    pub next_checkpoint_id: CheckpointId,
}

impl Manifest {
    /// Version 0: an empty tree, epochs 0, nothing to replay before WAL segment 0.
    pub fn initial() -> Manifest {
        Manifest {
            version: ManifestVersion(0),
            writer_epoch: Epoch(0),
            compactor_epoch: Epoch(0),
            l0: Vec::new(),
            levels: Vec::new(),
            wal_replay_point: WalId(0),
            last_seq: SeqNum(0),
            pending_deletion: Vec::new(),
            checkpoints: Vec::new(),
            next_checkpoint_id: CheckpointId(0),
        }
    }

    /// The tables of `level` (0 is L0); empty for a level that does not exist.
    pub fn level(&self, level: usize) -> &[SstMeta] {
        match level.checked_sub(1) {
            None => &self.l0,
            Some(index) => self.levels.get(index).map_or(&[], Vec::as_slice),
        }
    }

    /// Number of levels including L0 (at least 1).
    pub fn level_count(&self) -> usize {
        self.levels.len() + 1
    }

    /// Every live table in read order: L0 newest first, then L1, L2... by smallest key.
    pub fn all_live_ssts(&self) -> impl Iterator<Item = &SstMeta> {
        self.l0.iter().chain(self.levels.iter().flatten())
    }

    /// The tables a point read of `key` consults, in order: every L0 table whose range
    /// holds the key (newest first), then at most one table per level.
    pub fn tables_that_may_hold<'a>(&'a self, key: &'a [u8]) -> impl Iterator<Item = &'a SstMeta> {
        let l0 = self.l0.iter().filter(move |sst| sst.may_contain_key(key));
        let levels = self.levels.iter().filter_map(move |run| {
            let index = run.partition_point(|sst| &sst.largest_key[..] < key);
            run.get(index).filter(|sst| sst.may_contain_key(key))
        });
        l0.chain(levels)
    }

    /// Every live table with its level (0 is L0), in read order.
    pub fn live_ssts_with_level(&self) -> impl Iterator<Item = (usize, &SstMeta)> {
        let l0 = self.l0.iter().map(|sst| (0, sst));
        let levels = self
            .levels
            .iter()
            .enumerate()
            .flat_map(|(index, run)| run.iter().map(move |sst| (index + 1, sst)));
        l0.chain(levels)
    }

    /// The live table with this id and its level.
    pub fn find_live(&self, id: SstId) -> Option<(usize, &SstMeta)> {
        self.live_ssts_with_level().find(|(_, sst)| sst.id == id)
    }

    pub fn is_live(&self, id: SstId) -> bool {
        self.all_live_ssts().any(|sst| sst.id == id)
    }

    /// Ids of the tables that make up the tree.
    pub fn live_sst_ids(&self) -> BTreeSet<SstId> {
        self.all_live_ssts().map(|sst| sst.id).collect()
    }

    /// Ids of removed tables whose objects may still exist.
    pub fn referenced_by_pending(&self) -> BTreeSet<SstId> {
        self.pending_deletion.iter().map(|p| p.sst.id).collect()
    }

    /// Every id this manifest knows: live and pending. A new table must use none of them,
    /// and garbage collection must delete none of them as an orphan.
    pub fn referenced_sst_ids(&self) -> BTreeSet<SstId> {
        let mut ids = self.live_sst_ids();
        ids.extend(self.referenced_by_pending());
        ids
    }

    /// Pending tables that a listed checkpoint may still read: those obsoleted after the
    /// checkpoint's version. Deleting one of them would break the checkpoint.
    pub fn pending_needed_by_checkpoints(&self) -> BTreeSet<SstId> {
        self.pending_deletion
            .iter()
            .filter(|pending| {
                self.checkpoints
                    .iter()
                    .any(|checkpoint| checkpoint.manifest_version < pending.obsoleted_at)
            })
            .map(|pending| pending.sst.id)
            .collect()
    }

    /// Sum of the object sizes of `level` (0 is L0). Saturates rather than overflowing.
    pub fn level_size_bytes(&self, level: usize) -> u64 {
        self.level(level)
            .iter()
            .fold(0u64, |sum, sst| sum.saturating_add(sst.size_bytes))
    }

    /// Sum of the object sizes of every live table.
    pub fn live_size_bytes(&self) -> u64 {
        self.all_live_ssts()
            .fold(0u64, |sum, sst| sum.saturating_add(sst.size_bytes))
    }
}
