//! Whether this incarnation is still the writer: the newest manifest names its epoch.
//!
//! The WAL fence alone (a newer writer's segment at this one's next id) stops proving it
//! once the garbage collector deletes segments below the replay point: a deleted fence can
//! be created again by the zombie it fenced. The epoch in the newest manifest cannot be
//! taken back, so the writer checks it after making a commit durable and before serving
//! reads. Why that closes the ABA: [`crate::gc::plan_wal_gc`].

use super::{Writer, WriterError};
use crate::clock::Clock;
use crate::roles::manifest_io::read_manifest_newer_than;
use crate::store::ObjectStore;

impl<S: ObjectStore, C: Clock> Writer<S, C> {
    /// `Ok(true)` when the newest manifest still names this writer's epoch (the cached
    /// manifest is then brought up to it); `Ok(false)` when a newer writer exists. One
    /// listing of `manifest/` when nothing changed.
    pub(super) async fn epoch_still_current(&mut self) -> Result<bool, WriterError> {
        assert_eq!(self.manifest.writer_epoch, self.epoch, "cached manifest");
        let newer = read_manifest_newer_than(
            &self.store,
            &self.clock,
            &self.options.retry,
            Some(self.manifest.version),
        )
        .await
        .map_err(|error| self.manifest_error(error))?;
        let Some(latest) = newer else {
            return Ok(true);
        };
        if latest.writer_epoch != self.epoch {
            assert!(latest.writer_epoch > self.epoch, "writer epoch went back");
            return Ok(false);
        }
        assert!(latest.version > self.manifest.version);
        self.adopt_manifest(latest);
        Ok(true)
    }
}
