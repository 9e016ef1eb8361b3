//! Sequential specifications the checker ships with.

pub mod cas_register;
pub mod fifo_register;
pub mod id_map;
pub mod intern;
pub mod kv_append;
pub mod kv_register;
pub mod ttl_register;

use std::collections::BTreeMap;

use super::history::{History, OpIndex};

/// Groups operation indices by key, in key order (deterministic).
pub(crate) fn partition_by_key<I, O, K: Ord>(
    history: &History<I, O>,
    key_of: impl Fn(&I) -> K,
) -> Vec<Vec<OpIndex>> {
    let mut parts: BTreeMap<K, Vec<OpIndex>> = BTreeMap::new();
    for (index, op) in history.ops().iter().enumerate() {
        parts.entry(key_of(&op.input)).or_default().push(index);
    }
    parts.into_values().collect()
}

/// Whether some item of `items` satisfies `wanted` (`Iterator::any` for a trait object).
pub(crate) fn any_of<T: ?Sized>(
    items: &mut dyn Iterator<Item = &T>,
    wanted: impl Fn(&T) -> bool,
) -> bool {
    for item in items {
        if wanted(item) {
            return true;
        }
    }
    false
}
