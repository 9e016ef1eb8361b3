//! Reading the simulated store's state from outside the protocols (for checks and reports).

use crate::store::StoreState;
use lsm_core::layout::SST_PREFIX;
use lsm_core::manifest::{Manifest, decode_manifest};
use lsm_core::store::GetRange;

/// Bytes of every SST object in the store (live, pending and orphaned).
pub fn sst_bytes_in_store(store: &StoreState) -> u64 {
    store.total_bytes_under(SST_PREFIX)
}

/// The newest manifest in the store, if it decodes.
pub fn newest_manifest(state: &StoreState) -> Option<Manifest> {
    let newest = state.list(lsm_core::layout::MANIFEST_PREFIX).pop()?;
    let object = state.get(&newest.path, GetRange::Whole).ok()?;
    decode_manifest(&object.bytes).ok()
}
