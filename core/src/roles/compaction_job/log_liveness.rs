//! The I/O half of log compaction's scan and lookup: fetch what each strategy reads of the
//! newer segments, and learn which candidate keys they shadow (the decisions themselves are
//! pure: `compaction::log`). Scan fetches every newer segment whole; lookup fetches, per
//! newer segment that a remaining key falls in, its footer, then its filter and index, then
//! the data blocks its probes need, each by byte range.

use super::{CompactionJob, JobError};
use crate::checksum::crc32c;
use crate::clock::Clock;
use crate::codec::DecodeError;
use crate::compaction::ExecuteError;
use crate::compaction::log::{
    LogCompactionStats, LogCompactionType, candidate_keys, lookup_blocks_needed, lookup_probe,
    scan_shadowed,
};
use crate::layout::sst_path;
use crate::roles::retry::retry_idempotent;
use crate::sst::{SparseSst, SstMeta, SstReader};
use crate::store::{GetRange, ObjectStore};
use bytes::Bytes;
use std::collections::BTreeSet;

/// What liveness learned: the candidate keys a newer segment shadows, and the cost.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Liveness {
    pub shadowed: BTreeSet<Bytes>,
    pub stats: LogCompactionStats,
}

/// Liveness of a scan or lookup job's candidates (`inputs`: every table the plan names);
/// `None` for any other job.
pub async fn learn_liveness<S: ObjectStore, C: Clock>(
    store: &S,
    clock: &C,
    job: &CompactionJob,
    inputs: &[(SstMeta, SstReader)],
) -> Result<Option<Liveness>, JobError> {
    let Some(strategy) = job.log_strategy() else {
        return Ok(None);
    };
    let (keys, candidate_records) = candidate_keys(&job.plan, inputs)
        .map_err(|error| JobError::Execute(ExecuteError::Merge(error)))?;
    let mut stats = LogCompactionStats {
        strategy,
        candidate_segments: inputs.len() as u64,
        candidate_bytes_read: inputs
            .iter()
            .fold(0u64, |sum, (meta, _)| sum.saturating_add(meta.size_bytes)),
        candidate_records,
        newer_segments: job.newer_segments.len() as u64,
        records_judged: keys.len() as u64,
        ..LogCompactionStats::default()
    };
    let shadowed = match strategy {
        LogCompactionType::Lookup => lookup(store, clock, job, &keys, &mut stats).await?,
        _ => scan(store, clock, job, &keys, &mut stats).await?,
    };
    Ok(Some(Liveness { shadowed, stats }))
}

/// Scan: every newer segment whole, one at a time.
async fn scan<S: ObjectStore, C: Clock>(
    store: &S,
    clock: &C,
    job: &CompactionJob,
    keys: &[Bytes],
    stats: &mut LogCompactionStats,
) -> Result<BTreeSet<Bytes>, JobError> {
    let mut shadowed = BTreeSet::new();
    for meta in &job.newer_segments {
        let path = sst_path(meta.id);
        let got = retry_idempotent(clock, &job.retry, || store.get(&path, GetRange::Whole))
            .await
            .map_err(JobError::Store)?;
        stats.liveness_requests += 1;
        stats.segments_read += 1;
        stats.liveness_bytes_read += got.bytes.len() as u64;
        let computed = crc32c(&got.bytes);
        if computed != meta.object_crc32c {
            let error = DecodeError::ChecksumMismatch {
                what: "sst object",
                offset: 0,
                stored: meta.object_crc32c,
                computed,
            };
            return Err(JobError::CorruptSst { path, error });
        }
        let reader =
            SstReader::open(got.bytes).map_err(|error| JobError::CorruptSst { path, error })?;
        let found = scan_shadowed(keys, std::slice::from_ref(&reader), stats).map_err(|error| {
            JobError::CorruptSst {
                path: sst_path(meta.id),
                error,
            }
        })?;
        shadowed.extend(found);
    }
    // The temporary index held every candidate key once, not once per segment.
    stats.index_entries = keys.len() as u64;
    // Only candidates are judged: `scan_shadowed` keeps the keys it finds in the index.
    assert!(shadowed.len() <= keys.len());
    Ok(shadowed)
}

/// Lookup: newest segment first, probing only the keys not yet found shadowed.
async fn lookup<S: ObjectStore, C: Clock>(
    store: &S,
    clock: &C,
    job: &CompactionJob,
    keys: &[Bytes],
    stats: &mut LogCompactionStats,
) -> Result<BTreeSet<Bytes>, JobError> {
    let mut remaining: Vec<Bytes> = keys.to_vec();
    let mut shadowed = BTreeSet::new();
    for meta in &job.newer_segments {
        if remaining.is_empty() {
            break;
        }
        if !remaining.iter().any(|key| meta.may_contain_key(key)) {
            continue;
        }
        let path = sst_path(meta.id);
        let corrupt = |error| JobError::CorruptSst {
            path: path.clone(),
            error,
        };
        let mut sparse = SparseSst::new(meta.size_bytes).map_err(corrupt)?;
        stats.segments_read += 1;
        let footer = sparse.footer_range();
        fetch_range(store, clock, job, &path, &mut sparse, footer, stats).await?;
        let metadata = sparse.metadata_range().map_err(corrupt)?;
        fetch_range(store, clock, job, &path, &mut sparse, metadata, stats).await?;
        let reader = sparse.reader().map_err(corrupt)?;
        let probe = lookup_blocks_needed(meta, &reader, &remaining, stats);
        if probe.keys.is_empty() {
            continue;
        }
        for block in &probe.blocks {
            let Some(range) = SparseSst::block_range(&reader, *block) else {
                continue;
            };
            fetch_range(store, clock, job, &path, &mut sparse, range, stats).await?;
        }
        let reader = sparse.reader().map_err(corrupt)?;
        let found = lookup_probe(&reader, &probe, stats).map_err(corrupt)?;
        remaining.retain(|key| !found.contains(key));
        shadowed.extend(found);
        // Candidates are unique (`candidate_keys`) and each is found at most once: the
        // probe asks only keys still remaining.
        assert_eq!(remaining.len() + shadowed.len(), keys.len());
    }
    Ok(shadowed)
}

/// Fetches bytes `start..end` of the table at `path` into `sparse`, counting the cost.
async fn fetch_range<S: ObjectStore, C: Clock>(
    store: &S,
    clock: &C,
    job: &CompactionJob,
    path: &str,
    sparse: &mut SparseSst,
    (start, end): (u64, u64),
    stats: &mut LogCompactionStats,
) -> Result<(), JobError> {
    if start >= end {
        return Ok(());
    }
    let range = GetRange::Bytes { start, end };
    let got = retry_idempotent(clock, &job.retry, || store.get(path, range))
        .await
        .map_err(JobError::Store)?;
    stats.liveness_requests += 1;
    stats.liveness_bytes_read += got.bytes.len() as u64;
    sparse
        .fill(start, &got.bytes)
        .map_err(|error| JobError::CorruptSst {
            path: path.to_string(),
            error,
        })
}
