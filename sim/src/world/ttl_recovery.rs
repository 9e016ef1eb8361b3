//! The recovery check (`checkpoint` durability) of a run with TTL in a style that keeps its
//! data: the TTL compaction filter removes expired puts after a checkpoint was taken, so a
//! new writer epoch may start from the checkpoint's content less keys whose value some
//! node's clock could already call expired — never with another value or an extra key, and
//! never less a key whose expiry no node's clock could yet have reached.

use bytes::Bytes;
use lsm_core::entry::Entry;
use lsm_core::merge::{MergeError, MergeOptions, MergingIterator, NoFilter};
use lsm_core::sst::SstReader;
use std::collections::BTreeMap;
use std::sync::Arc;

/// The latest wall time (ms) any node judging expiry can read at a sim time (ns).
pub type LatestJudgeWall = Arc<dyn Fn(u64) -> u64 + Send + Sync>;

/// Every key's newest put across `tables` (with its expiry; expired ones included), keys
/// whose newest version is a tombstone left out.
pub fn newest_puts(tables: &[SstReader]) -> Result<BTreeMap<Bytes, Entry>, MergeError> {
    let sources = tables.iter().map(SstReader::iter).collect();
    let merging = MergingIterator::new(sources, MergeOptions { bottommost: true }, NoFilter);
    let mut puts = BTreeMap::new();
    for merged in merging {
        let entry = merged?;
        if !entry.is_tombstone() {
            puts.insert(entry.key.user_key.clone(), entry);
        }
    }
    Ok(puts)
}

/// Why `recovered` is not the checkpoint's content less keys expired by `latest_wall_ms`
/// (the latest any node's clock could read when the recovery was seen), if it is not.
pub fn expiring_mismatch(
    recovered: &BTreeMap<Bytes, Bytes>,
    checkpoint: &BTreeMap<Bytes, Entry>,
    latest_wall_ms: u64,
) -> Option<String> {
    let changed = recovered
        .iter()
        .find_map(|(key, value)| match checkpoint.get(key) {
            Some(put) if put.value == value => None,
            Some(_) => Some(format!("key {key:?} has another value")),
            None => Some(format!("key {key:?} is not in the checkpoint")),
        });
    if changed.is_some() {
        return changed;
    }
    let vanished = checkpoint
        .iter()
        .filter(|(key, _)| !recovered.contains_key(*key))
        .find(|(_, put)| !put.is_expired_at(latest_wall_ms));
    vanished.map(|(key, put)| match put.expires_at_ms {
        Some(expiry) => format!(
            "key {key:?} is gone, but it expires at {expiry}, after every clock's {latest_wall_ms}"
        ),
        None => format!("key {key:?} is gone, and it never expires"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use lsm_core::ids::SeqNum;

    fn checkpoint() -> BTreeMap<Bytes, Entry> {
        let puts = [
            Entry::put_expiring(&b"a"[..], SeqNum(1), &b"1"[..], 100),
            Entry::put(&b"b"[..], SeqNum(2), &b"2"[..]),
        ];
        puts.into_iter()
            .map(|put| (put.key.user_key.clone(), put))
            .collect()
    }

    fn content(pairs: &[(&'static str, &'static str)]) -> BTreeMap<Bytes, Bytes> {
        pairs
            .iter()
            .map(|(k, v)| {
                (
                    Bytes::from_static(k.as_bytes()),
                    Bytes::from_static(v.as_bytes()),
                )
            })
            .collect()
    }

    #[test]
    fn a_key_may_vanish_only_once_some_clock_can_call_it_expired() {
        let without_a = content(&[("b", "2")]);
        assert!(expiring_mismatch(&without_a, &checkpoint(), 100).is_none());
        assert!(expiring_mismatch(&without_a, &checkpoint(), 99).is_some());
        let without_b = content(&[("a", "1")]);
        assert!(expiring_mismatch(&without_b, &checkpoint(), u64::MAX).is_some());
    }

    #[test]
    fn no_value_changes_and_no_key_appears() {
        let whole = content(&[("a", "1"), ("b", "2")]);
        assert!(expiring_mismatch(&whole, &checkpoint(), 0).is_none());
        let changed = content(&[("a", "1"), ("b", "3")]);
        assert!(expiring_mismatch(&changed, &checkpoint(), 0).is_some());
        let extra = content(&[("a", "1"), ("b", "2"), ("c", "4")]);
        assert!(expiring_mismatch(&extra, &checkpoint(), 0).is_some());
    }
}
