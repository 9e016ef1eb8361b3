//! WAL segments: round trips, what the encoder refuses, and errors that say where.
#![allow(clippy::unwrap_used)]

mod wal_support;

use lsm_core::codec::DecodeError;
use lsm_core::entry::{Entry, EntryKind};
use lsm_core::ids::{SeqNum, WalId};
use lsm_core::wal::{
    SegmentPart, WAL_FORMAT_VERSION, WAL_HEADER_LEN, WalBatch, WalEncodeError, WalSegmentBuilder,
    decode_segment, decode_segment_expecting, decode_segment_prefix, encode_segment,
    parse_wal_path, wal_path,
};
use proptest::prelude::*;
use wal_support::{frame_starts, header, segment_strategy};

fn batch(seqs: &[u64]) -> WalBatch {
    WalBatch::new(
        seqs.iter()
            .map(|seq| {
                Entry::put(
                    format!("key{seq}").into_bytes(),
                    SeqNum(*seq),
                    &b"value"[..],
                )
            })
            .collect(),
    )
}

/// Three batches: seqs 1..=3, 4..=5, 10.
fn three_batches() -> Vec<WalBatch> {
    vec![batch(&[1, 2, 3]), batch(&[4, 5]), batch(&[10])]
}

#[test]
fn a_segment_round_trips_with_every_entry_kind() {
    let batches = vec![
        WalBatch::new(vec![
            Entry::put(&b"a"[..], SeqNum(1), &b"1"[..]),
            Entry::delete(&b"b"[..], SeqNum(2)),
            Entry::put_expiring(&b""[..], SeqNum(3), &b""[..], u64::MAX),
        ]),
        WalBatch::new(vec![Entry::put(
            vec![0xff; 300],
            SeqNum(u64::MAX),
            vec![7; 1000],
        )]),
    ];
    let bytes = encode_segment(header(3, 9), &batches).unwrap();
    let segment = decode_segment(&bytes).unwrap();
    assert_eq!(segment.header, header(3, 9));
    assert_eq!(segment.batches, batches);
    assert_eq!(segment.last_seq(), Some(SeqNum::MAX));
    assert_eq!(
        segment
            .entries()
            .filter(|e| e.kind == EntryKind::Delete)
            .count(),
        1
    );
}

#[test]
fn an_empty_fencing_segment_round_trips() {
    let bytes = encode_segment(header(2, 5), &[]).unwrap();
    assert_eq!(bytes.len(), WAL_HEADER_LEN);
    let segment = decode_segment(&bytes).unwrap();
    assert!(segment.batches.is_empty());
    assert_eq!(segment.last_seq(), None);
}

#[test]
fn builder_and_encode_segment_agree() {
    let mut builder = WalSegmentBuilder::new(header(1, 1));
    for batch in three_batches() {
        builder.push_batch(&batch).unwrap();
    }
    let expected_len = builder.encoded_len();
    let built = builder.finish();
    assert_eq!(built.len(), expected_len);
    assert_eq!(
        built,
        encode_segment(header(1, 1), &three_batches()).unwrap()
    );
}

#[test]
fn encoder_refuses_sequence_numbers_that_do_not_increase() {
    assert_eq!(
        encode_segment(header(1, 1), &[batch(&[1, 3, 3])]).unwrap_err(),
        WalEncodeError::SeqNotIncreasing {
            batch_index: 0,
            entry_index: 2,
            previous: SeqNum(3),
            seq: SeqNum(3)
        }
    );
    assert_eq!(
        encode_segment(header(1, 1), &[batch(&[1, 5]), batch(&[6]), batch(&[4])]).unwrap_err(),
        WalEncodeError::SeqNotIncreasing {
            batch_index: 2,
            entry_index: 0,
            previous: SeqNum(6),
            seq: SeqNum(4)
        }
    );
}

#[test]
fn encoder_refuses_empty_batches_and_malformed_tombstones() {
    assert_eq!(
        encode_segment(header(1, 1), &[batch(&[1]), WalBatch::default()]).unwrap_err(),
        WalEncodeError::EmptyBatch { batch_index: 1 }
    );
    let mut tombstone = Entry::delete(&b"k"[..], SeqNum(2));
    tombstone.value = bytes::Bytes::from_static(b"v");
    let malformed = WalBatch::new(vec![Entry::put(&b"k"[..], SeqNum(1), &b""[..]), tombstone]);
    assert_eq!(
        encode_segment(header(1, 1), &[malformed]).unwrap_err(),
        WalEncodeError::MalformedTombstone {
            batch_index: 0,
            entry_index: 1
        }
    );
    let mut expiring = Entry::delete(&b"k"[..], SeqNum(2));
    expiring.expires_at_ms = Some(5);
    assert!(matches!(
        encode_segment(header(1, 1), &[WalBatch::new(vec![expiring])]),
        Err(WalEncodeError::MalformedTombstone { .. })
    ));
}

#[test]
fn a_refused_batch_leaves_the_builder_unchanged() {
    let mut builder = WalSegmentBuilder::new(header(1, 1));
    builder.push_batch(&batch(&[1, 2])).unwrap();
    let before = builder.encoded_len();
    assert!(builder.push_batch(&batch(&[2])).is_err());
    assert_eq!(builder.encoded_len(), before);
    builder.push_batch(&batch(&[3])).unwrap();
    let segment = decode_segment(&builder.finish()).unwrap();
    assert_eq!(segment.batches, vec![batch(&[1, 2]), batch(&[3])]);
}

#[test]
fn corruption_in_a_batch_names_the_batch_and_its_offset() {
    let batches = three_batches();
    let (starts, _) = frame_starts(header(1, 1), &batches);
    let mut bytes = encode_segment(header(1, 1), &batches).unwrap().to_vec();
    bytes[starts[1] + 12] ^= 0x10;
    let error = decode_segment(&bytes).unwrap_err();
    assert_eq!(
        error.part,
        SegmentPart::Batch {
            index: 1,
            start_offset: starts[1]
        }
    );
    assert_eq!(error.batch_index(), Some(1));
    assert_eq!(error.offset, starts[1]);
    assert!(matches!(
        error.cause,
        DecodeError::ChecksumMismatch {
            what: "wal batch",
            ..
        }
    ));
    assert!(error.to_string().contains("wal batch 1"), "{error}");
    let prefix = decode_segment_prefix(&bytes);
    assert_eq!(prefix.header, Some(header(1, 1)));
    assert_eq!(prefix.batches, batches[..1].to_vec());
    assert_eq!(prefix.error, Some(error));
}

#[test]
fn truncation_names_the_batch_it_cut() {
    let batches = three_batches();
    let (starts, total) = frame_starts(header(1, 1), &batches);
    let bytes = encode_segment(header(1, 1), &batches).unwrap();
    let cut = starts[2] + 5;
    let error = decode_segment(&bytes[..cut]).unwrap_err();
    assert_eq!(
        error.part,
        SegmentPart::Batch {
            index: 2,
            start_offset: starts[2]
        }
    );
    assert!(
        matches!(error.cause, DecodeError::Truncated { .. }),
        "{error}"
    );
    assert!(error.offset >= starts[2] && error.offset <= cut);
    // Cut exactly at a frame boundary: the missing batch is still an error.
    let error = decode_segment(&bytes[..starts[2]]).unwrap_err();
    assert_eq!(error.batch_index(), Some(2));
    assert_eq!(error.offset, starts[2]);
    assert_eq!(decode_segment_prefix(&bytes[..starts[2]]).batches.len(), 2);
    assert_eq!(total, bytes.len());
}

#[test]
fn header_damage_is_reported_in_the_header() {
    let bytes = encode_segment(header(1, 1), &three_batches())
        .unwrap()
        .to_vec();
    let mut magic = bytes.clone();
    magic[0] ^= 1;
    let error = decode_segment(&magic).unwrap_err();
    assert_eq!((error.part, error.offset), (SegmentPart::Header, 0));
    assert!(matches!(error.cause, DecodeError::BadMagic { .. }));

    let mut version = bytes.clone();
    version[8..12].copy_from_slice(&(WAL_FORMAT_VERSION + 1).to_le_bytes());
    let error = decode_segment(&version).unwrap_err();
    assert_eq!((error.part, error.offset), (SegmentPart::Header, 8));
    assert_eq!(
        error.cause,
        DecodeError::UnsupportedVersion {
            what: "wal segment",
            found: WAL_FORMAT_VERSION + 1
        }
    );

    let mut epoch = bytes.clone();
    epoch[12] ^= 1;
    let error = decode_segment(&epoch).unwrap_err();
    assert_eq!((error.part, error.offset), (SegmentPart::Header, 32));
    assert!(matches!(error.cause, DecodeError::ChecksumMismatch { .. }));
    assert_eq!(decode_segment_prefix(&epoch).header, None);
}

#[test]
fn bytes_after_the_last_batch_are_an_error() {
    let mut bytes = encode_segment(header(1, 1), &three_batches())
        .unwrap()
        .to_vec();
    let valid_len = bytes.len();
    bytes.extend_from_slice(&[0, 0, 0, 0]);
    let error = decode_segment(&bytes).unwrap_err();
    assert_eq!(error.part, SegmentPart::AfterLastBatch);
    assert_eq!(error.offset, valid_len);
    assert_eq!(error.batch_index(), None);
    assert_eq!(decode_segment_prefix(&bytes).batches.len(), 3);
}

#[test]
fn a_segment_read_under_another_id_is_rejected() {
    let bytes = encode_segment(header(1, 41), &three_batches()).unwrap();
    assert!(decode_segment_expecting(&bytes, WalId(41)).is_ok());
    let error = decode_segment_expecting(&bytes, WalId(42)).unwrap_err();
    assert_eq!(error.part, SegmentPart::Header);
    assert!(matches!(
        error.cause,
        DecodeError::Invalid {
            what: "wal segment id",
            ..
        }
    ));
}

#[test]
fn wal_paths_round_trip() {
    assert_eq!(wal_path(WalId(12)), "wal/00000000000000000012.wal");
    assert_eq!(parse_wal_path(&wal_path(WalId(12))), Some(WalId(12)));
    assert_eq!(parse_wal_path("wal/12.wal"), None);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn random_segments_round_trip((header, batches) in segment_strategy()) {
        let bytes = encode_segment(header, &batches).unwrap();
        let segment = decode_segment(&bytes).unwrap();
        prop_assert_eq!(segment.header, header);
        prop_assert_eq!(&segment.batches, &batches);
        let prefix = decode_segment_prefix(&bytes);
        prop_assert_eq!(prefix.error, None);
        prop_assert_eq!(prefix.batches, batches);
    }
}
