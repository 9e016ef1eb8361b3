//! Garbage collection as a pure decision (Garnet-style deferred deletion).
//!
//! Compaction never deletes its inputs: they go onto the manifest's pending list with the
//! version that obsoleted them. [`plan_gc`] decides, from one manifest, one listing of
//! `sst/` and the collector's own wall clock, which checkpoints have expired, which pending
//! tables may go, and which unreferenced uploads are orphans. [`plan_wal_gc`] and
//! [`plan_manifest_gc`] collect the rest of the bucket: WAL segments below the replay point
//! and manifest versions beyond the newest few that no checkpoint names. The role driver
//! ([`crate::roles::gc`]) lists first, then reads the manifest, plans, removes the expired
//! checkpoints, deletes, and only then purges the pending entries it deleted.
//!
//! # Why a plan stays safe when applied late
//!
//! A collector can pause between planning and deleting; the plan must still be safe on
//! whatever manifest exists by then.
//!
//! - A pending table never becomes live again: ids are unique (role, epoch, counter) and
//!   `apply` refuses a flush or compaction output whose id is already known, so "not live"
//!   at planning time means "not live" forever after.
//! - A checkpoint is taken of the manifest version current when it is added, so its version
//!   is at least every `obsoleted_at` already on the pending list: a checkpoint added after
//!   the plan never needs a table the plan chose. (The manifest does not enforce that a
//!   checkpoint names the current version; a checkpoint of an older version added later
//!   is not protected by this argument.)
//! - A checkpoint only leaves the manifest; it never comes back. Deleting what no listed,
//!   unexpired checkpoint needs cannot hurt one added later or one already removed.
//! - An unreferenced upload whose creator's epoch is fenced can never be installed:
//!   every install carries its role's epoch and `apply` refuses a stale one. Such an object
//!   is garbage whatever the clocks say. Uploads of the current (or a newer) epoch may be in
//!   flight and are never touched; their owner cleans up what it abandons, or a later fence
//!   makes them collectable. Age on a wall clock plays no part, because clocks jump.
//! - Temporary outputs of remote jobs (`tmp/<job>/`) follow the same rule by the compactor
//!   epoch their prefix names ([`plan_tmp_gc`]).
//! - The listing is taken before the manifest is read, so every listed object that is part
//!   of the tree at that manifest is referenced by it; a table installed after the manifest
//!   was read is either absent from the listing or of a current epoch.
//!
//! Pinned readers of manifest versions that no checkpoint names are not protected: a reader
//! that must keep its tables takes a checkpoint.

mod manifests;
mod options;
mod plan;
mod tmp;
mod wal;
#[cfg(feature = "bugs")]
mod wallclock_orphans;

pub use manifests::{MANIFEST_VERSIONS_KEPT_MIN, plan_manifest_gc};
pub use options::{GcOptions, GcOptionsError};
pub use plan::{GcDelete, GcKept, GcPlan, plan_gc};
pub use tmp::plan_tmp_gc;
pub use wal::plan_wal_gc;
#[cfg(feature = "bugs")]
pub use wallclock_orphans::{WALLCLOCK_ORPHAN_AGE_MS, wallclock_orphans};

#[cfg(test)]
mod tests;
