//! Every input the fuzz targets (`fuzz/`, see README "Fuzzing") found to crash, hang or
//! over-allocate, kept as an ordinary test next to the fix.
#![allow(clippy::unwrap_used)]

use bytes::Bytes;
use lsm_core::checksum::{crc32c, crc32c_parts};
use lsm_core::codec::DecodeError;
use lsm_core::entry::Entry;
use lsm_core::ids::{Epoch, SeqNum, SstId, WalId};
use lsm_core::manifest::{
    Edit, MANIFEST_FORMAT_VERSION, MANIFEST_MAGIC, Manifest, ManifestDecodeError, apply,
    decode_manifest, encode_manifest,
};
use lsm_core::roles::remote::{REMOTE_FORMAT_VERSION, decode_job, decode_result};
use lsm_core::sst::{BLOCK_TRAILER_BYTES, SstMeta, SstOptions, SstReader, build_sst};
use std::ops::{Bound, RangeBounds};

/// `magic | version | body | crc32c`, the envelope of the manifest and remote messages.
fn sealed(magic: u64, version: u32, body: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    out.extend_from_slice(&magic.to_le_bytes());
    out.extend_from_slice(&version.to_le_bytes());
    out.extend_from_slice(body);
    let crc = crc32c(&out);
    out.extend_from_slice(&crc.to_le_bytes());
    out
}

/// A bincode body whose first byte string claims `mib` MiB (varint tag 0xfc: a u32
/// follows) while 3 bytes follow. `prefix` leads to that byte string.
fn claims_mib(prefix: &[u8], mib: u32) -> Vec<u8> {
    let mut body = prefix.to_vec();
    body.push(0xfc);
    body.extend_from_slice(&(mib << 20).to_le_bytes());
    body.extend_from_slice(b"abc");
    body
}

fn bincode_detail(error: DecodeError) -> String {
    match error {
        DecodeError::Invalid { detail, .. } => detail,
        other => panic!("expected the body to be invalid, got {other:?}"),
    }
}

/// Found by `manifest_decode` run with `-malloc_limit_mb=32`: a 29-byte manifest made the
/// decoder allocate 60 MiB (bincode allocates a claimed byte string before reading it, up to
/// its 64 MiB limit). Fixed in `core/src/bincode_body.rs`: the limit follows the body's
/// length, so the claim is refused before anything is allocated.
#[test]
fn a_tiny_manifest_claiming_a_huge_key_is_refused_before_allocating() {
    // version 1, epochs 0 and 0, one L0 table with id 5, then its smallest key.
    let body = claims_mib(&[1, 0, 0, 1, 5], 60);
    let bytes = sealed(MANIFEST_MAGIC, MANIFEST_FORMAT_VERSION, &body);
    assert_eq!(bytes.len(), 29);
    match decode_manifest(&bytes) {
        Err(ManifestDecodeError::Decode(error)) => {
            assert_eq!(bincode_detail(error), "LimitExceeded");
        }
        other => panic!("expected a decode error, got {other:?}"),
    }
}

/// The same over-allocation in the remote job and result messages: 3 MiB, under their
/// 4 MiB limit.
#[test]
fn tiny_remote_messages_claiming_huge_strings_are_refused_before_allocating() {
    let job_magic = u64::from_le_bytes(*b"SEDRJOB1");
    let result_magic = u64::from_le_bytes(*b"SEDRRES1");
    // A result: job id (epoch 1, counter 2), outcome `Failed` (variant 1), then its detail.
    let result = sealed(
        result_magic,
        REMOTE_FORMAT_VERSION,
        &claims_mib(&[1, 2, 1], 3),
    );
    assert_eq!(
        bincode_detail(decode_result(&result).unwrap_err()),
        "LimitExceeded"
    );
    // A job (fuzz/seeds/remote_job/merge) cut before its plan's round-robin cursor key
    // (after output time `BuildTime`, grandparents `None` and the cursor's `Some`).
    let before_cursor = [
        2, 5, 0x11, 0, 0, 2, 0, 2, 9, 8, 1, 1, 3, 1, 1, 0xfc, 0, 0, 0x10, 0, 0, 0, 1,
    ];
    let job = sealed(
        job_magic,
        REMOTE_FORMAT_VERSION,
        &claims_mib(&before_cursor, 3),
    );
    assert_eq!(
        bincode_detail(decode_job(&job).unwrap_err()),
        "LimitExceeded"
    );
}

/// The fix must not refuse valid bodies: manifests whose keys straddle every step of the
/// limit ladder (4 KiB to 16 MiB of claims) still round-trip.
#[test]
fn manifests_with_long_keys_still_round_trip_across_the_limit_ladder() {
    for key_bytes in [
        0usize, 1, 200, 511, 512, 513, 2_047, 2_048, 8_192, 40_000, 300_000,
    ] {
        let sst = SstMeta {
            id: SstId(1),
            smallest_key: Bytes::from(vec![b'a'; key_bytes]),
            largest_key: Bytes::from(vec![b'b'; key_bytes]),
            smallest_seq: SeqNum(1),
            largest_seq: SeqNum(u64::MAX >> 1),
            entry_count: u64::MAX,
            tombstone_count: 0,
            logical_bytes: u64::MAX,
            size_bytes: u64::MAX,
            created_at_ms: u64::MAX,
            object_crc32c: u32::MAX,
        };
        let flush = Edit::Flush {
            writer_epoch: Epoch(0),
            sst,
            wal_replay_point: WalId(u64::MAX),
            last_seq: SeqNum(u64::MAX),
        };
        let manifest: Manifest = apply(&Manifest::initial(), &flush).unwrap();
        let encoded = encode_manifest(&manifest).unwrap();
        assert_eq!(
            decode_manifest(&encoded).unwrap(),
            manifest,
            "keys of {key_bytes} bytes"
        );
    }
}

/// A table with `key011` renamed `key0!1` inside its data block, the block's checksum
/// re-sealed: well-formed bytes whose keys are out of order (what a buggy writer or a
/// crafted object could hold).
fn table_with_a_key_out_of_order() -> SstReader {
    let entries: Vec<Entry> = (0..24u64)
        .map(|i| Entry::put(format!("key{i:03}"), SeqNum(1000 - i), format!("value-{i}")))
        .collect();
    let options = SstOptions {
        block_size_bytes: 64,
        bloom_bits_per_key: 10,
        // Every key a restart point, stored whole, so the rename finds `key011` in the bytes.
        block_restart_interval: std::num::NonZeroU32::MIN,
    };
    let (bytes, _) = build_sst(&options, entries.iter(), SstId(1), 0).unwrap();
    let reader = SstReader::open(bytes.clone()).unwrap();
    let mut bytes = bytes.to_vec();
    let at = bytes.windows(6).position(|w| w == b"key011").unwrap();
    bytes[at + 4] = b'!';
    let block = (0..reader.block_count())
        .filter_map(|block| reader.block_handle(block))
        .find(|handle| handle.offset as usize <= at && at < (handle.offset + handle.len) as usize)
        .unwrap();
    let (start, end) = (block.offset as usize, (block.offset + block.len) as usize);
    let trailer = end - BLOCK_TRAILER_BYTES;
    // The data block checksum covers the payload and the block kind (1: data).
    let crc = crc32c_parts(&[&bytes[start..trailer], &[1]]);
    bytes[trailer..end].copy_from_slice(&crc.to_le_bytes());
    SstReader::open(Bytes::from(bytes)).unwrap()
}

/// Found by `sst_reader` (within seconds): a range iteration over a table whose keys are out
/// of order yielded an entry below the range's start (the seek's binary search landed on
/// it, and the order check starts only from the second entry). Fixed in
/// `core/src/sst/iter.rs`: the first entry yielded is checked against the lower bound, so
/// every entry is in the range or the iteration ends with a typed error.
#[test]
fn range_iteration_never_yields_below_its_start_even_in_a_disordered_table() {
    let reader = table_with_a_key_out_of_order();
    let mut errors = 0;
    for i in 0..24u64 {
        let start = format!("key{i:03}");
        for bound in [
            Bound::Included(start.as_bytes()),
            Bound::Excluded(start.as_bytes()),
        ] {
            for item in reader.iter_bounds(bound, Bound::Unbounded) {
                match item {
                    Ok(entry) => assert!(
                        RangeBounds::<[u8]>::contains(&(bound, Bound::Unbounded), entry.user_key()),
                        "{:?} yielded from {bound:?}",
                        entry.key.user_key
                    ),
                    Err(DecodeError::Invalid { .. }) => errors += 1,
                    Err(other) => panic!("unexpected {other:?}"),
                }
            }
        }
    }
    assert!(errors > 0, "the disorder must be reported somewhere");
}
