//! What each decoder target does with one input, and the properties it asserts beyond "no
//! panic": whatever decodes re-encodes to something that decodes to the same value, and a
//! table that opens answers reads within the bounds it was asked for.

use bytes::Bytes;
use lsm_core::entry::{Entry, Lookup};
use lsm_core::manifest::{decode_manifest, encode_manifest};
use lsm_core::roles::remote::{decode_job, decode_result, encode_job, encode_result};
use lsm_core::sst::SstReader;
use lsm_core::wal::{
    decode_segment, decode_segment_expecting, decode_segment_prefix, encode_segment,
};
use std::ops::Bound;

/// Keys probed with point lookups and range bounds per table, at most.
const PROBE_KEYS_MAX: usize = 64;
/// Entries read from one iterator at most (a table of the fuzzer's few kilobytes has fewer).
const ENTRIES_MAX: usize = 1 << 16;

/// Opens `bytes` as an SST; if it opens, verifies every block, iterates it whole, looks up
/// keys it holds (and keys just beside them) and iterates ranges between them.
pub fn sst(bytes: &[u8]) {
    let Ok(reader) = SstReader::open(Bytes::copy_from_slice(bytes)) else {
        return;
    };
    let _ = reader.verify_blocks();
    let whole: Vec<Entry> = reader
        .iter()
        .take(ENTRIES_MAX)
        .map_while(Result::ok)
        .collect();
    let mut probes: Vec<Bytes> = whole
        .iter()
        .map(|entry| entry.key.user_key.clone())
        .take(PROBE_KEYS_MAX)
        .collect();
    probes.dedup();
    let mut beside: Vec<Bytes> = probes
        .iter()
        .map(|key| {
            let mut after = key.to_vec();
            after.push(0);
            Bytes::from(after)
        })
        .collect();
    probes.append(&mut beside);
    probes.push(Bytes::new());
    for key in &probes {
        let _ = reader.filter_may_contain(key);
        if let Ok((Lookup::Found(entry), _)) = reader.get(key) {
            assert_eq!(entry.key.user_key, key, "a lookup found another key");
        }
    }
    for pair in probes.windows(2) {
        let (low, high) = (&pair[0], &pair[1]);
        check_range(&reader, Bound::Included(low), Bound::Excluded(high));
        check_range(&reader, Bound::Excluded(low), Bound::Included(high));
    }
    check_range(&reader, Bound::Unbounded, Bound::Included(&probes[0]));
}

/// Every entry a range iteration yields lies in the range.
fn check_range(reader: &SstReader, start: Bound<&Bytes>, end: Bound<&Bytes>) {
    let inside = |key: &[u8]| {
        let above = match start {
            Bound::Included(low) => key >= &low[..],
            Bound::Excluded(low) => key > &low[..],
            Bound::Unbounded => true,
        };
        let below = match end {
            Bound::Included(high) => key <= &high[..],
            Bound::Excluded(high) => key < &high[..],
            Bound::Unbounded => true,
        };
        above && below
    };
    for entry in reader
        .iter_bounds(as_slice(start), as_slice(end))
        .take(ENTRIES_MAX)
        .map_while(Result::ok)
    {
        assert!(
            inside(&entry.key.user_key),
            "range iteration left its range"
        );
    }
}

/// Decodes a WAL segment strictly and as a prefix; they must agree, and a segment that
/// decodes must re-encode to one that decodes the same.
pub fn wal(bytes: &[u8]) {
    let prefix = decode_segment_prefix(bytes);
    match decode_segment(bytes) {
        Ok(segment) => {
            assert_eq!(prefix.error, None);
            assert_eq!(prefix.header, Some(segment.header));
            assert_eq!(prefix.batches, segment.batches);
            let encoded = encode_segment(segment.header, &segment.batches)
                .expect("a decoded segment must re-encode");
            assert_eq!(decode_segment(&encoded).as_ref(), Ok(&segment));
            let expecting = decode_segment_expecting(bytes, segment.header.segment_id);
            assert_eq!(expecting.as_ref(), Ok(&segment));
        }
        Err(error) => assert_eq!(prefix.error, Some(error)),
    }
}

/// A manifest that decodes passed its invariants (inside `decode_manifest`) and survives
/// encode → decode unchanged.
pub fn manifest(bytes: &[u8]) {
    let Ok(manifest) = decode_manifest(bytes) else {
        return;
    };
    let encoded = encode_manifest(&manifest).expect("a decoded manifest must re-encode");
    assert_eq!(decode_manifest(&encoded).as_ref(), Ok(&manifest));
}

pub fn remote_job(bytes: &[u8]) {
    let Ok(job) = decode_job(bytes) else {
        return;
    };
    let encoded = encode_job(&job).expect("a decoded job must re-encode");
    assert_eq!(decode_job(&encoded).as_ref(), Ok(&job));
}

pub fn remote_result(bytes: &[u8]) {
    let Ok(result) = decode_result(bytes) else {
        return;
    };
    let encoded = encode_result(&result).expect("a decoded result must re-encode");
    assert_eq!(decode_result(&encoded).as_ref(), Ok(&result));
}

fn as_slice(bound: Bound<&Bytes>) -> Bound<&[u8]> {
    bound.map(|key| &key[..])
}
