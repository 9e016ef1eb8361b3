//! Purging temporary outputs: a closed job's prefix at once, and now and then every prefix
//! under `tmp/` that no open job of this primary owns — its own epoch's (a worker that wrote
//! after its job was closed) and older epochs' (fenced primaries, whose jobs can never be
//! installed). A newer epoch's prefixes belong to a newer primary and are left alone.

use super::RemotePrimary;
use super::port::PrimaryPort;
use crate::layout::{TMP_PREFIX, parse_tmp_job};
use crate::roles::retry::retry_idempotent;
use crate::store::ObjectStore;

impl RemotePrimary {
    /// Deletes every object under `prefix` (best effort); returns how many went.
    pub(super) async fn clean_prefix<P: PrimaryPort>(&mut self, port: &P, prefix: &str) -> u64 {
        let retry = port.options().retry;
        let listed = retry_idempotent(port.clock(), &retry, || port.store().list(prefix)).await;
        let Ok(listed) = listed else {
            return 0;
        };
        let mut deleted = 0u64;
        for meta in listed {
            let gone =
                retry_idempotent(port.clock(), &retry, || port.store().delete(&meta.path)).await;
            deleted += u64::from(gone.is_ok());
        }
        self.stats.tmp_objects_deleted += deleted;
        deleted
    }

    /// One sweep of `tmp/` (best effort; the next sweep retries what fails).
    pub(super) async fn sweep_tmp<P: PrimaryPort>(&mut self, port: &P) {
        let Some(own_epoch) = self.compactor_epoch else {
            return;
        };
        self.stats.tmp_sweeps += 1;
        let retry = port.options().retry;
        let listed = retry_idempotent(port.clock(), &retry, || port.store().list(TMP_PREFIX)).await;
        let Ok(listed) = listed else {
            return;
        };
        // Decided after the listing: a job opened since cannot have listed objects.
        let garbage: Vec<String> = listed
            .into_iter()
            .filter(|meta| match parse_tmp_job(&meta.path) {
                Some((epoch, counter)) if epoch == own_epoch => !self.owns_prefix(counter),
                Some((epoch, _)) => epoch < own_epoch,
                None => false,
            })
            .map(|meta| meta.path)
            .collect();
        for path in garbage {
            let gone = retry_idempotent(port.clock(), &retry, || port.store().delete(&path)).await;
            self.stats.tmp_objects_deleted += u64::from(gone.is_ok());
        }
    }
}
