//! Best-effort deletion of tables a compaction host knows no manifest will reference: the
//! outputs of its own stale jobs, and its inputs under the unsafe `force_delete`.

use crate::clock::Clock;
use crate::ids::SstId;
use crate::layout::sst_path;
use crate::roles::retry::{RetryPolicy, retry_idempotent};
use crate::store::ObjectStore;
use std::collections::BTreeSet;

/// Deletes the objects of `ids` (transient failures retried); returns those deleted. One
/// that fails stays an unreferenced object, for the garbage collector once its epoch is
/// fenced.
pub async fn delete_tables<S: ObjectStore, C: Clock>(
    store: &S,
    clock: &C,
    retry: &RetryPolicy,
    ids: impl IntoIterator<Item = SstId>,
) -> BTreeSet<SstId> {
    let mut deleted = BTreeSet::new();
    for id in ids {
        let path = sst_path(id);
        if retry_idempotent(clock, retry, || store.delete(&path))
            .await
            .is_ok()
        {
            deleted.insert(id);
        }
    }
    deleted
}
