//! Liveness of the candidate records, the pure half of scan and lookup: which user keys of
//! the candidate segments are shadowed by a version in a newer segment, and what learning it
//! cost. The I/O half (which bytes to fetch) is `roles::compaction_job::log_liveness`.

use super::LogCompactionType;
use crate::codec::DecodeError;
use crate::compaction::CompactionPlan;
use crate::entry::{Entry, Lookup};
use crate::merge::{
    CompactionFilter, FilterDecision, MergeError, MergeOptions, MergingIterator, NoFilter,
};
use crate::sst::{SstMeta, SstReader};
use bytes::Bytes;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// What one scan or lookup compaction read and copied. Bytes are bytes fetched from the
/// store (the candidates whole, plus what liveness fetched); records are entries decoded.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogCompactionStats {
    pub strategy: LogCompactionType,
    pub candidate_segments: u64,
    /// Bytes of the candidate segments (read whole by both strategies).
    pub candidate_bytes_read: u64,
    /// Entries of the candidate segments decoded by the merge.
    pub candidate_records: u64,
    /// Segments of the rest of the log (newer than the candidates).
    pub newer_segments: u64,
    /// Newer segments liveness fetched anything of (lookup skips those no key falls in).
    pub segments_read: u64,
    /// Bytes liveness fetched: scan the newer segments whole; lookup each segment's footer,
    /// filter and index, then the data blocks its probes need.
    pub liveness_bytes_read: u64,
    /// Store requests liveness made.
    pub liveness_requests: u64,
    /// Entries of newer segments decoded: scan every one; lookup one per probe that read a
    /// data block.
    pub liveness_records_examined: u64,
    /// Lookup: (key, segment) pairs within the segment's key range, i.e. filter checks.
    pub lookups: u64,
    /// Lookup: filter checks that ruled the key out (no data block read).
    pub filter_excluded: u64,
    /// Scan: keys held in the temporary index of candidate records.
    pub index_entries: u64,
    /// Candidate keys whose newest version is a put: the records liveness had to judge.
    pub records_judged: u64,
    /// Records copied to the new segment (the live ones).
    pub records_copied: u64,
}

impl LogCompactionStats {
    /// Everything the compaction fetched from the store.
    pub fn bytes_read(&self) -> u64 {
        self.candidate_bytes_read
            .saturating_add(self.liveness_bytes_read)
    }

    /// Every entry the compaction decoded.
    pub fn records_examined(&self) -> u64 {
        self.candidate_records
            .saturating_add(self.liveness_records_examined)
    }

    /// Adds `other`'s counters (for totals over a run); the strategy stays.
    pub fn accumulate(&mut self, other: &LogCompactionStats) {
        self.candidate_segments += other.candidate_segments;
        self.candidate_bytes_read += other.candidate_bytes_read;
        self.candidate_records += other.candidate_records;
        self.newer_segments += other.newer_segments;
        self.segments_read += other.segments_read;
        self.liveness_bytes_read += other.liveness_bytes_read;
        self.liveness_requests += other.liveness_requests;
        self.liveness_records_examined += other.liveness_records_examined;
        self.lookups += other.lookups;
        self.filter_excluded += other.filter_excluded;
        self.index_entries += other.index_entries;
        self.records_judged += other.records_judged;
        self.records_copied += other.records_copied;
    }
}

/// The user keys whose newest version in the candidate segments is a put, in key order,
/// and the number of candidate entries decoded. `inputs` must hold every table the plan
/// names; they are merged newest first as the plan lists them.
pub fn candidate_keys(
    plan: &CompactionPlan,
    inputs: &[(SstMeta, SstReader)],
) -> Result<(Vec<Bytes>, u64), MergeError> {
    let by_id: BTreeMap<_, _> = inputs
        .iter()
        .map(|(meta, reader)| (meta.id, reader))
        .collect();
    let sources: Vec<_> = plan
        .inputs
        .iter()
        .flat_map(|input| input.ids.iter())
        .map(|id| match by_id.get(id) {
            Some(reader) => reader.iter(),
            None => panic!("input {id} of the plan was not fetched"),
        })
        .collect();
    assert_eq!(sources.len(), plan.input_count());
    // Bottommost here only to drop tombstones: they need no liveness decision.
    let options = MergeOptions { bottommost: true };
    let mut merging = MergingIterator::new(sources, options, NoFilter);
    let mut keys: Vec<Bytes> = Vec::new();
    for entry in merging.by_ref() {
        keys.push(entry?.key.user_key);
    }
    // `scan_shadowed` binary-searches them: the merge yields each key once, in order.
    assert!(keys.is_sorted());
    Ok((keys, merging.stats().entries_in))
}

/// Scan: reads every entry of the `newer` segments and returns the candidate `keys` (sorted)
/// that any of them holds a version of. The candidate keys are the temporary index.
pub fn scan_shadowed(
    keys: &[Bytes],
    newer: &[SstReader],
    stats: &mut LogCompactionStats,
) -> Result<BTreeSet<Bytes>, DecodeError> {
    assert!(
        keys.is_sorted(),
        "the temporary index must be sorted to be searched"
    );
    stats.index_entries = stats.index_entries.saturating_add(keys.len() as u64);
    let mut shadowed = BTreeSet::new();
    for reader in newer {
        for entry in reader.iter() {
            let entry: Entry = entry?;
            stats.liveness_records_examined += 1;
            if keys.binary_search(&entry.key.user_key).is_ok() {
                shadowed.insert(entry.key.user_key);
            }
        }
    }
    Ok(shadowed)
}

/// Lookup, one segment: the keys to probe and the data blocks the probes read.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LookupProbe {
    pub keys: Vec<Bytes>,
    pub blocks: BTreeSet<usize>,
}

/// Lookup, before fetching a segment's data blocks: of `keys` (those not yet found
/// shadowed), the ones within `meta`'s key range that its bloom filter does not rule out,
/// and the block each must read. `reader` needs only its filter and index.
pub fn lookup_blocks_needed(
    meta: &SstMeta,
    reader: &SstReader,
    keys: &[Bytes],
    stats: &mut LogCompactionStats,
) -> LookupProbe {
    let mut probe = LookupProbe::default();
    for key in keys.iter().filter(|key| meta.may_contain_key(key)) {
        stats.lookups += 1;
        if !reader.filter_may_contain(key) {
            stats.filter_excluded += 1;
            continue;
        }
        let block = reader.first_block_reaching(key, true);
        if block < reader.block_count() {
            probe.blocks.insert(block);
            probe.keys.push(key.clone());
        }
    }
    assert!(stats.filter_excluded <= stats.lookups);
    assert!(probe.blocks.len() <= probe.keys.len());
    probe
}

/// Lookup, once the probe's blocks are in `reader`: the probed keys the segment holds a
/// version of (a put or a tombstone: either way newer than the candidate).
pub fn lookup_probe(
    reader: &SstReader,
    probe: &LookupProbe,
    stats: &mut LogCompactionStats,
) -> Result<BTreeSet<Bytes>, DecodeError> {
    let mut shadowed = BTreeSet::new();
    for key in &probe.keys {
        let (lookup, read) = reader.get(key)?;
        if !read.blocks_read.is_empty() {
            stats.liveness_records_examined += 1;
        }
        if matches!(lookup, Lookup::Found(_) | Lookup::Deleted(_)) {
            shadowed.insert(key.clone());
        }
    }
    Ok(shadowed)
}

/// The merge filter of scan and lookup: removes the puts of shadowed keys (dropped, since
/// the candidates are the oldest segments).
#[derive(Clone, Debug, Default)]
pub struct ShadowFilter {
    pub shadowed: BTreeSet<Bytes>,
}

impl CompactionFilter for ShadowFilter {
    fn decide(&mut self, entry: &Entry) -> FilterDecision {
        if self.shadowed.contains(&entry.key.user_key) {
            FilterDecision::Remove
        } else {
            FilterDecision::Keep
        }
    }
}
