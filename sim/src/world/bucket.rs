//! C4's bucket half ("C4-bucket-bounded"): at rest, after a checkpoint and garbage
//! collection passes, the WAL and the manifest history are bounded — no WAL segment below
//! the newest replay point, a bounded unflushed tail, and no more manifest versions than
//! the collector keeps plus those live checkpoints name. Counted by listing the store.

use lsm_core::layout::{MANIFEST_PREFIX, WAL_PREFIX, parse_wal_path};
use lsm_core::manifest::Manifest;
use std::collections::BTreeSet;

use crate::store::StoreState;

/// WAL segments at or after the replay point a resting writer may hold: empty fence
/// segments of incarnations opened since its last flush (a checkpoint flushes nothing when
/// the memtable is empty, so they stay until the next write is flushed).
pub const WAL_TAIL_AT_REST_MAX: usize = 8;
/// Manifest versions the collector's own pass installs after its listing (checkpoint
/// expiry and purge), which the next pass collects.
const MANIFEST_VERSIONS_AFTER_LISTING_MAX: usize = 2;

/// What the bucket holds at rest, and its bounds.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Bucket {
    pub wal_segments: usize,
    pub wal_below_replay_point: usize,
    pub manifest_versions: usize,
    pub manifest_versions_max: usize,
}

impl Bucket {
    /// Counts `state` against `newest` (the newest manifest) for a collector that keeps
    /// the newest `kept` version numbers.
    pub fn measure(state: &StoreState, newest: &Manifest, kept: u64) -> Bucket {
        let wal: Vec<_> = state
            .list(WAL_PREFIX)
            .iter()
            .filter_map(|meta| parse_wal_path(&meta.path))
            .collect();
        let named: BTreeSet<_> = newest
            .checkpoints
            .iter()
            .map(|checkpoint| checkpoint.manifest_version)
            .collect();
        let kept = usize::try_from(kept).unwrap_or(usize::MAX);
        Bucket {
            wal_segments: wal.len(),
            wal_below_replay_point: wal
                .iter()
                .filter(|id| **id < newest.wal_replay_point)
                .count(),
            manifest_versions: state.list(MANIFEST_PREFIX).len(),
            manifest_versions_max: kept
                .saturating_add(named.len())
                .saturating_add(MANIFEST_VERSIONS_AFTER_LISTING_MAX),
        }
    }

    pub fn bounded(&self) -> bool {
        self.wal_below_replay_point == 0
            && self.wal_segments <= WAL_TAIL_AT_REST_MAX
            && self.manifest_versions <= self.manifest_versions_max
    }

    pub fn describe(&self) -> String {
        format!(
            "{} WAL segments ({} below the replay point; at most {WAL_TAIL_AT_REST_MAX} at or after it), {} manifest versions (at most {})",
            self.wal_segments,
            self.wal_below_replay_point,
            self.manifest_versions,
            self.manifest_versions_max
        )
    }
}
