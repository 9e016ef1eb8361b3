//! Where each kind of object lives in the store (DESIGN.md, "Object layout").

use crate::ids::{Epoch, SstId};

pub use crate::manifest::{manifest_path, parse_manifest_path};
pub use crate::wal::{parse_wal_path, wal_path};

/// Prefix of every manifest object.
pub const MANIFEST_PREFIX: &str = "manifest/";
/// Prefix of every WAL segment object.
pub const WAL_PREFIX: &str = "wal/";
/// Prefix of every SST object.
pub const SST_PREFIX: &str = "sst/";
/// Prefix of remote compaction outputs before their install (`tmp/<job>/<id>.sst`).
pub const TMP_PREFIX: &str = "tmp/";

/// The user attribute that carries the unique tag of the request that wrote an object, so an
/// unknown outcome can be resolved by reading the object back.
pub const WRITE_TAG_ATTRIBUTE: &str = "sediment-write-tag";

/// `sst/<20-digit id>.sst`: zero-padded so that listing order is id order.
pub fn sst_path(id: SstId) -> String {
    let path = format!("{SST_PREFIX}{:020}.sst", id.0);
    assert_eq!(path.len(), SST_PREFIX.len() + 20 + ".sst".len());
    // Paired with `parse_sst_path`: the collector judges listed tables by the id it reads.
    assert_eq!(parse_sst_path(&path), Some(id), "{path} reads back");
    path
}

/// The id named by an SST path, if it is one.
pub fn parse_sst_path(path: &str) -> Option<SstId> {
    let digits = path.strip_prefix(SST_PREFIX)?.strip_suffix(".sst")?;
    if digits.len() != 20 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok().map(SstId)
}

/// `tmp/<job>/`: where a remote job's outputs wait for the primary to install them. The job
/// name is `<20-digit compactor epoch>-<20-digit job counter>`, so the epoch of the primary
/// that scheduled the job can be read from the path alone (garbage collection needs it).
pub fn tmp_job_prefix(compactor_epoch: Epoch, job_counter: u64) -> String {
    let prefix = format!("{TMP_PREFIX}{:020}-{:020}/", compactor_epoch.0, job_counter);
    // Fixed width: no job's prefix is a prefix of another's, so listing one lists it alone.
    assert_eq!(prefix.len(), TMP_PREFIX.len() + 20 + 1 + 20 + 1);
    assert_eq!(
        parse_tmp_job(&prefix),
        Some((compactor_epoch, job_counter)),
        "{prefix} reads back"
    );
    prefix
}

/// `tmp/<job>/<20-digit id>.sst`: one output of a remote job.
pub fn tmp_output_path(compactor_epoch: Epoch, job_counter: u64, id: SstId) -> String {
    let path = format!(
        "{}{:020}.sst",
        tmp_job_prefix(compactor_epoch, job_counter),
        id.0
    );
    // Garbage collection reads the scheduling epoch back from the path.
    assert_eq!(parse_tmp_job(&path), Some((compactor_epoch, job_counter)));
    path
}

/// The (compactor epoch, job counter) named by any path under `tmp/`, if it names one.
pub fn parse_tmp_job(path: &str) -> Option<(Epoch, u64)> {
    let rest = path.strip_prefix(TMP_PREFIX)?;
    let (job, _) = rest.split_once('/')?;
    let (epoch, counter) = job.split_once('-')?;
    let digits = |text: &str| text.len() == 20 && text.bytes().all(|b| b.is_ascii_digit());
    if !digits(epoch) || !digits(counter) {
        return None;
    }
    Some((Epoch(epoch.parse().ok()?), counter.parse().ok()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sst_paths_round_trip_and_sort_by_id() {
        let small = sst_path(SstId(9));
        let large = sst_path(SstId(10));
        assert!(small < large);
        assert_eq!(parse_sst_path(&large), Some(SstId(10)));
        assert_eq!(parse_sst_path("sst/12.sst"), None);
        assert_eq!(parse_sst_path("wal/00000000000000000010.sst"), None);
        assert_eq!(
            parse_sst_path(&sst_path(SstId(u64::MAX))),
            Some(SstId(u64::MAX))
        );
    }

    #[test]
    fn tmp_paths_name_their_job() {
        let path = tmp_output_path(Epoch(7), 42, SstId(9));
        assert!(path.starts_with(&tmp_job_prefix(Epoch(7), 42)));
        assert_eq!(parse_tmp_job(&path), Some((Epoch(7), 42)));
        assert_eq!(
            parse_tmp_job(&tmp_job_prefix(Epoch(7), 42)),
            Some((Epoch(7), 42))
        );
        assert_eq!(parse_tmp_job("tmp/7-42/x.sst"), None);
        assert_eq!(parse_tmp_job("sst/00000000000000000001.sst"), None);
        assert_eq!(parse_tmp_job("tmp/"), None);
    }
}
