//! `plan_wal_gc`: which WAL segments one pass may delete.
//!
//! # Why deleting fence segments keeps fencing safe
//!
//! A writer incarnation fences its predecessors by creating (create-if-absent) the segment
//! at the next id; a zombie's commit at that id then finds it taken. Once the collector
//! deletes segments below the replay point, that fence can vanish and a zombie's
//! create-if-absent of the same id succeeds again: an ABA on the fence (SlateDB #352,
//! #1622). Its segment lies below the replay point, so no recovery ever replays it, and an
//! acknowledgement of it would be a lost write.
//!
//! The collector does not try to know which segments fence whom (one fence per writer
//! incarnation ever started would have to stay forever). The writer refuses instead: it
//! acknowledges a commit, and serves reads, only after it has seen, *after* the segment was
//! created, that the newest manifest still names its own writer epoch
//! ([`crate::roles::writer::Writer::commit`]). The argument:
//!
//! 1. This plan deletes only ids below the replay point of a manifest it read.
//! 2. A replay point above a zombie's next id `x` was installed by a writer of a newer
//!    epoch: the zombie's own flushes cover only segments it created or replayed, all
//!    below `x`, and a writer whose epoch is fenced can install nothing (`apply` refuses).
//!    So a newer epoch was in the manifest before `x` was deleted.
//! 3. A zombie's create at `x` succeeds only after that deletion, so its manifest check
//!    runs after the newer epoch was installed; manifest listings are strongly consistent
//!    and epochs never go back, so it sees an epoch not its own and does not acknowledge.
//! 4. A segment a zombie created before its successor's fence is replayed by the successor;
//!    the zombie reports it as an unknown outcome, which is honest either way.
//!
//! No live checkpoint needs a segment: a checkpoint's content is the tables of its version
//! (the writer flushes its memtable in the checkpoint edit, and the checkpoint reader never
//! reads the WAL), so the replay point of the newest manifest is the only bound.

use crate::ids::WalId;
use crate::layout::parse_wal_path;
use crate::manifest::Manifest;
use crate::store::ObjectMeta;

/// Ids of the segments of `listed` (a listing of `wal/`) that lie wholly below the replay
/// point of `manifest`, lowest first, at most `max` of them. Pure and total.
pub fn plan_wal_gc(manifest: &Manifest, listed: &[ObjectMeta], max: usize) -> Vec<WalId> {
    let mut ids: Vec<WalId> = listed
        .iter()
        .filter_map(|meta| parse_wal_path(&meta.path))
        .filter(|id| *id < manifest.wal_replay_point)
        .collect();
    ids.sort();
    ids.dedup();
    ids.truncate(max);
    assert!(ids.iter().all(|id| *id < manifest.wal_replay_point));
    ids
}
