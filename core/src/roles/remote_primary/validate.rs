//! Validating a worker's outputs before anything is installed: every output id from the
//! job's reserved block, every object present under the job's prefix with the size and
//! CRC-32C its metadata claims, decodable, and holding exactly the entries (count,
//! tombstones, key and sequence range) the metadata says. A worker is trusted with nothing.

use crate::checksum::crc32c;
use crate::clock::Clock;
use crate::compaction::PlanKind;
use crate::roles::remote::RemoteJob;
use crate::roles::retry::{RetryPolicy, retry_idempotent};
use crate::sst::{SstMeta, SstReader};
use crate::store::{GetRange, ObjectStore, StoreError};
use bytes::Bytes;

/// Why a result's outputs were refused.
#[derive(Clone, Debug, PartialEq)]
pub(super) enum Rejection {
    /// The outputs are wrong: rejected for good.
    Corrupt(String),
    /// The store failed while reading them; the result cannot be judged.
    Store(StoreError),
}

/// Fetches and checks every output of `job`; returns the encoded tables with their
/// metadata, in the order given.
pub(super) async fn fetch_validated<S: ObjectStore, C: Clock>(
    store: &S,
    clock: &C,
    retry: &RetryPolicy,
    job: &RemoteJob,
    outputs: &[SstMeta],
) -> Result<Vec<(Bytes, SstMeta)>, Rejection> {
    check_metadata(job, outputs).map_err(Rejection::Corrupt)?;
    let mut validated = Vec::with_capacity(outputs.len());
    for meta in outputs {
        let path = job.id.output_path(meta.id);
        let got = retry_idempotent(clock, retry, || store.get(&path, GetRange::Whole)).await;
        let got = match got {
            Ok(got) => got,
            Err(StoreError::NotFound { .. }) => {
                return Err(Rejection::Corrupt(format!("{path}: missing")));
            }
            Err(error) => return Err(Rejection::Store(error)),
        };
        check_object(&got.bytes, meta)
            .map_err(|detail| Rejection::Corrupt(format!("{path}: {detail}")))?;
        validated.push((got.bytes, meta.clone()));
    }
    Ok(validated)
}

/// The metadata alone: a merge, ids from the reserved block in increasing order, and
/// sorted, non-overlapping key ranges when the output level is a sorted run.
fn check_metadata(job: &RemoteJob, outputs: &[SstMeta]) -> Result<(), String> {
    if job.plan.kind != PlanKind::Merge {
        return Err(format!("outputs for a {:?} plan", job.plan.kind));
    }
    let block = job.output_ids;
    let mut previous: Option<&SstMeta> = None;
    for meta in outputs {
        let in_block = block.nth(0).is_some_and(|first| {
            meta.id.role() == first.role()
                && meta.id.epoch() == first.epoch()
                && meta.id.counter() >= first.counter()
                && meta.id.counter() - first.counter() < block.count_max
        });
        if !in_block {
            return Err(format!(
                "output id {} is not from the job's id block",
                meta.id
            ));
        }
        if let Some(before) = previous {
            if meta.id <= before.id {
                return Err(format!("output ids out of order at {}", meta.id));
            }
            if job.plan.output_level > 0 && meta.smallest_key <= before.largest_key {
                return Err(format!("output {} overlaps its predecessor", meta.id));
            }
        }
        previous = Some(meta);
    }
    Ok(())
}

/// One object against its metadata: size, whole-object checksum, then every entry.
fn check_object(bytes: &Bytes, meta: &SstMeta) -> Result<(), String> {
    if bytes.len() as u64 != meta.size_bytes {
        return Err(format!(
            "{} bytes, metadata says {}",
            bytes.len(),
            meta.size_bytes
        ));
    }
    let computed = crc32c(bytes);
    if computed != meta.object_crc32c {
        return Err(format!(
            "checksum {computed:#010x}, metadata says {:#010x}",
            meta.object_crc32c
        ));
    }
    let reader = SstReader::open(bytes.clone()).map_err(|error| error.to_string())?;
    let (mut entries, mut tombstones) = (0u64, 0u64);
    let mut first = None;
    let mut last = None;
    let (mut seq_min, mut seq_max) = (u64::MAX, 0u64);
    for entry in reader.iter() {
        let entry = entry.map_err(|error| error.to_string())?;
        entries += 1;
        if entries > meta.entry_count {
            return Err(format!(
                "more entries than the {} claimed",
                meta.entry_count
            ));
        }
        tombstones += u64::from(entry.is_tombstone());
        seq_min = seq_min.min(entry.seq().0);
        seq_max = seq_max.max(entry.seq().0);
        if first.is_none() {
            first = Some(Bytes::copy_from_slice(entry.user_key()));
        }
        last = Some(Bytes::copy_from_slice(entry.user_key()));
    }
    let consistent = entries == meta.entry_count
        && tombstones == meta.tombstone_count
        && first.as_ref() == Some(&meta.smallest_key)
        && last.as_ref() == Some(&meta.largest_key)
        && seq_min == meta.smallest_seq.0
        && seq_max == meta.largest_seq.0;
    if !consistent {
        return Err(format!(
            "holds {entries} entries ({tombstones} tombstones), metadata says {} ({})",
            meta.entry_count, meta.tombstone_count
        ));
    }
    Ok(())
}
