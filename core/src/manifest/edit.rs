//! Edits: the only ways a manifest changes. Ownership follows the design: the writer owns L0
//! additions and the WAL fields, the compactor owns the levels and the removal of compacted
//! tables (by id set, never by position), fencing bumps an epoch, and checkpoint and garbage
//! collection edits carry no epoch.

use crate::ids::{CheckpointId, Epoch, SeqNum, SstId, WalId};
use crate::manifest::model::Checkpoint;
use crate::sst::SstMeta;
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
use std::fmt;

/// A memtable flushed as part of another edit: the fields of [`Edit::Flush`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FlushedTable {
    pub sst: SstMeta,
    pub wal_replay_point: WalId,
    pub last_seq: SeqNum,
}

/// The fenced roles.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Role {
    Writer,
    Compactor,
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Role::Writer => write!(f, "writer"),
            Role::Compactor => write!(f, "compactor"),
        }
    }
}

/// One change to the manifest. Serializable so that it can travel in jobs and traces.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Edit {
    /// The writer flushed a memtable into `sst`, which becomes the newest L0 table. The
    /// replay point and last sequence number advance (or stay); they never go back.
    Flush {
        writer_epoch: Epoch,
        sst: SstMeta,
        wal_replay_point: WalId,
        last_seq: SeqNum,
    },
    /// The writer moves the WAL fields without adding a table (for example after replaying
    /// WAL segments that held nothing new). Never backwards.
    WriterSetWal {
        writer_epoch: Epoch,
        wal_replay_point: WalId,
        last_seq: SeqNum,
    },
    /// A new writer incarnation claims `new_epoch`, which must exceed the current one.
    FenceWriter { new_epoch: Epoch },
    /// A new compactor incarnation claims `new_epoch`, which must exceed the current one.
    FenceCompactor { new_epoch: Epoch },
    /// The compactor replaces the live tables `removed` (from L0 and/or levels) by `added`,
    /// each with its level (0 is L0). An L0 output (an intra-L0 merge, as FIFO and universal
    /// do) is allowed only when every removed table is in L0 too; it takes its place in L0
    /// by sequence number, keeping L0 newest first. Removed tables go to
    /// `pending_deletion` unless `force_delete`, which is unsafe: a checkpoint or reader may
    /// still need them. An id both removed and added is a trivial move: the same object
    /// changes level, its metadata must be unchanged, and it is not deleted.
    Compaction {
        compactor_epoch: Epoch,
        removed: BTreeSet<SstId>,
        added: Vec<(usize, SstMeta)>,
        force_delete: bool,
    },
    /// The writer takes a checkpoint in one step: it may first flush its memtable into
    /// `flush` (so the checkpoint holds every write acknowledged so far), then records
    /// `checkpoint`, which must name the version this edit creates, and drops the older
    /// checkpoints in `release` (retention). One edit, so a crash leaves either all of it or
    /// none: in `checkpoint` durability mode the newest flushed state is always a checkpoint.
    Checkpoint {
        writer_epoch: Epoch,
        flush: Option<FlushedTable>,
        checkpoint: Checkpoint,
        release: BTreeSet<CheckpointId>,
    },
    /// Records a checkpoint; its id must be unused and not below `next_checkpoint_id`.
    AddCheckpoint { checkpoint: Checkpoint },
    /// Drops checkpoints (expired or released); every id must be listed.
    RemoveCheckpoints { ids: BTreeSet<CheckpointId> },
    /// Garbage collection deleted these pending tables' objects; every id must be pending.
    PurgePending { ids: BTreeSet<SstId> },
}

impl Edit {
    /// The fenced role whose epoch the edit carries, with that epoch.
    pub fn fenced_role(&self) -> Option<(Role, Epoch)> {
        match self {
            Edit::Flush { writer_epoch, .. }
            | Edit::WriterSetWal { writer_epoch, .. }
            | Edit::Checkpoint { writer_epoch, .. } => Some((Role::Writer, *writer_epoch)),
            Edit::FenceWriter { new_epoch } => Some((Role::Writer, *new_epoch)),
            Edit::FenceCompactor { new_epoch } => Some((Role::Compactor, *new_epoch)),
            Edit::Compaction {
                compactor_epoch, ..
            } => Some((Role::Compactor, *compactor_epoch)),
            Edit::AddCheckpoint { .. }
            | Edit::RemoveCheckpoints { .. }
            | Edit::PurgePending { .. } => None,
        }
    }

    /// A short name for traces.
    pub fn kind_name(&self) -> &'static str {
        match self {
            Edit::Flush { .. } => "flush",
            Edit::WriterSetWal { .. } => "writer_set_wal",
            Edit::FenceWriter { .. } => "fence_writer",
            Edit::FenceCompactor { .. } => "fence_compactor",
            Edit::Compaction { .. } => "compaction",
            Edit::Checkpoint { .. } => "checkpoint",
            Edit::AddCheckpoint { .. } => "add_checkpoint",
            Edit::RemoveCheckpoints { .. } => "remove_checkpoints",
            Edit::PurgePending { .. } => "purge_pending",
        }
    }
}
