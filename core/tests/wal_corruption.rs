//! WAL decoding never panics and never accepts damage: every truncation and every bit flip
//! of a valid segment is a typed error in the right place, and hand-built frames with valid
//! checksums but invalid fields are refused with the offset of the field.
#![allow(clippy::unwrap_used)]

mod wal_support;

use lsm_core::codec::DecodeError;
use lsm_core::wal::{
    SegmentPart, WAL_HEADER_LEN, decode_segment, decode_segment_prefix, encode_segment,
};
use proptest::prelude::*;
use wal_support::{
    body, frame, frame_starts, header_bytes, put_entry, segment_of_bodies, segment_strategy,
};

/// The batch whose frame holds byte `offset`, given the frame starts.
fn batch_at(starts: &[usize], offset: usize) -> usize {
    starts.iter().rposition(|start| *start <= offset).unwrap()
}

fn invalid_at(bytes: &[u8]) -> (usize, usize, String) {
    let error = decode_segment(bytes).unwrap_err();
    match error.cause {
        DecodeError::Invalid { what, offset, .. } => {
            (error.batch_index().unwrap(), offset, what.to_string())
        }
        other => panic!("expected an invalid field, got {other}"),
    }
}

#[test]
fn hand_built_valid_frames_decode() {
    let bytes = segment_of_bodies(&[body(&[put_entry(1, b"a", b"x"), put_entry(2, b"b", b"")])]);
    let segment = decode_segment(&bytes).unwrap();
    assert_eq!(segment.batches.len(), 1);
    assert_eq!(segment.batches[0].entries[1].user_key(), b"b");
}

#[test]
fn repeated_sequence_number_inside_a_batch_is_invalid_at_its_offset() {
    let bytes = segment_of_bodies(&[body(&[put_entry(5, b"a", b""), put_entry(5, b"b", b"")])]);
    // header, frame header (8), entry count (1), first entry (6), kind byte (1).
    let seq_offset = WAL_HEADER_LEN + 8 + 1 + 6 + 1;
    assert_eq!(
        invalid_at(&bytes),
        (0, seq_offset, "wal entry sequence number".into())
    );
}

#[test]
fn sequence_number_going_back_across_batches_is_invalid() {
    let first = body(&[put_entry(5, b"a", b"")]);
    let second = body(&[put_entry(4, b"a", b"")]);
    let bytes = segment_of_bodies(&[first.clone(), second]);
    let second_start = WAL_HEADER_LEN + 8 + first.len();
    let (batch, offset, what) = invalid_at(&bytes);
    assert_eq!((batch, what.as_str()), (1, "wal entry sequence number"));
    assert_eq!(offset, second_start + 8 + 1 + 1);
    assert_eq!(decode_segment_prefix(&bytes).batches.len(), 1);
}

#[test]
fn empty_batch_is_invalid() {
    let bytes = segment_of_bodies(&[body(&[])]);
    assert_eq!(
        invalid_at(&bytes),
        (0, WAL_HEADER_LEN + 8, "wal batch entry count".into())
    );
}

#[test]
fn entry_count_beyond_the_body_is_invalid() {
    let mut lying = body(&[put_entry(1, b"a", b"")]);
    lying[0] = 100;
    assert_eq!(
        invalid_at(&segment_of_bodies(&[lying])).2,
        "wal batch entry count"
    );
}

#[test]
fn unknown_entry_kind_is_invalid() {
    let mut entry = put_entry(1, b"a", b"");
    entry[0] = 3;
    let (batch, offset, what) = invalid_at(&segment_of_bodies(&[body(&[entry])]));
    assert_eq!(
        (batch, offset, what.as_str()),
        (0, WAL_HEADER_LEN + 9, "wal entry kind")
    );
}

#[test]
fn unknown_expiry_tag_is_invalid() {
    let mut entry = put_entry(1, b"a", b"");
    entry[4] = 2;
    let (_, offset, what) = invalid_at(&segment_of_bodies(&[body(&[entry])]));
    assert_eq!(
        (offset, what.as_str()),
        (WAL_HEADER_LEN + 9 + 4, "wal entry expiry tag")
    );
}

#[test]
fn tombstone_with_a_value_is_invalid() {
    let mut entry = put_entry(1, b"a", b"v");
    entry[0] = 2;
    let (_, offset, what) = invalid_at(&segment_of_bodies(&[body(&[entry])]));
    assert_eq!((offset, what.as_str()), (WAL_HEADER_LEN + 9, "wal entry"));
}

#[test]
fn bytes_after_the_last_entry_of_a_batch_are_invalid() {
    let mut padded = body(&[put_entry(1, b"a", b"")]);
    padded.push(0);
    let (_, offset, what) = invalid_at(&segment_of_bodies(&[padded]));
    assert_eq!(
        (offset, what.as_str()),
        (WAL_HEADER_LEN + 8 + 1 + 6, "wal batch")
    );
}

#[test]
fn key_length_beyond_the_body_is_truncation_inside_the_batch() {
    let mut entry = put_entry(1, b"a", b"");
    entry[2] = 100;
    let error = decode_segment(&segment_of_bodies(&[body(&[entry])])).unwrap_err();
    assert_eq!(error.batch_index(), Some(0));
    assert!(matches!(
        error.cause,
        DecodeError::Truncated {
            what: "wal entry key length",
            ..
        }
    ));
}

#[test]
fn a_frame_length_beyond_the_object_is_truncation() {
    let mut bytes = header_bytes(1);
    let mut framed = frame(&body(&[put_entry(1, b"a", b"")]));
    framed[..4].copy_from_slice(&u32::MAX.to_le_bytes());
    bytes.extend_from_slice(&framed);
    let error = decode_segment(&bytes).unwrap_err();
    assert!(matches!(
        error.cause,
        DecodeError::Truncated {
            what: "wal batch body",
            ..
        }
    ));
}

#[test]
fn a_huge_announced_batch_count_allocates_nothing_and_fails() {
    let bytes = header_bytes(u32::MAX);
    let error = decode_segment(&bytes).unwrap_err();
    assert_eq!(error.batch_index(), Some(0));
    assert!(matches!(error.cause, DecodeError::Truncated { .. }));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    /// Every strict prefix fails as truncated, in the batch the cut falls in, and the prefix
    /// decoder returns exactly the batches before it.
    #[test]
    fn every_truncation_is_a_typed_error_in_the_right_batch((header, batches) in segment_strategy()) {
        let bytes = encode_segment(header, &batches).unwrap();
        let (starts, _) = frame_starts(header, &batches);
        for len in 0..bytes.len() {
            let error = decode_segment(&bytes[..len]).unwrap_err();
            prop_assert!(matches!(error.cause, DecodeError::Truncated { .. }), "{}: {}", len, error);
            prop_assert!(error.offset <= len);
            if len < WAL_HEADER_LEN {
                prop_assert_eq!(error.part, SegmentPart::Header);
            } else {
                let index = batch_at(&starts, len);
                prop_assert_eq!(error.batch_index(), Some(index));
                prop_assert_eq!(decode_segment_prefix(&bytes[..len]).batches, batches[..index].to_vec());
            }
        }
    }

    /// Every single bit flip fails, in the part that holds the bit.
    #[test]
    fn every_bit_flip_is_a_typed_error_in_the_right_place((header, batches) in segment_strategy()) {
        let mut bytes = encode_segment(header, &batches).unwrap().to_vec();
        let (starts, _) = frame_starts(header, &batches);
        for bit in 0..bytes.len() * 8 {
            let byte = bit / 8;
            bytes[byte] ^= 1 << (bit % 8);
            let error = decode_segment(&bytes).unwrap_err();
            if byte < WAL_HEADER_LEN {
                prop_assert_eq!(error.part, SegmentPart::Header);
            } else {
                let index = batch_at(&starts, byte);
                prop_assert_eq!(error.batch_index(), Some(index), "bit {}: {}", bit, error);
                let start_offset = starts[index];
                prop_assert_eq!(error.part, SegmentPart::Batch { index, start_offset });
            }
            bytes[byte] ^= 1 << (bit % 8);
        }
        prop_assert!(decode_segment(&bytes).is_ok());
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        let _ = decode_segment(&bytes);
        let _ = decode_segment_prefix(&bytes);
    }

    /// Arbitrary batch bodies behind valid frames reach the entry decoder: they decode or
    /// fail inside their batch, never panic.
    #[test]
    fn arbitrary_framed_bodies_never_panic(
        bodies in prop::collection::vec(prop::collection::vec(any::<u8>(), 0..64), 1..4)
    ) {
        let bytes = segment_of_bodies(&bodies);
        if let Err(error) = decode_segment(&bytes) {
            prop_assert!(error.batch_index().is_some(), "{}", error);
        }
    }

    /// Real bodies with a few bytes changed and re-framed: near-valid input for the entry
    /// decoder.
    #[test]
    fn mutated_framed_bodies_never_panic(
        entries in prop::collection::vec((1u8..100, prop::collection::vec(any::<u8>(), 0..6)), 1..6),
        mutations in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..4),
    ) {
        let mut seq = 0u8;
        let encoded: Vec<Vec<u8>> = entries
            .iter()
            .map(|(gap, key)| {
                seq = seq.saturating_add(*gap).min(127);
                put_entry(seq, key, b"v")
            })
            .collect();
        let mut mutated = body(&encoded);
        for (index, byte) in mutations {
            let at = index.index(mutated.len());
            mutated[at] = byte;
        }
        let _ = decode_segment(&segment_of_bodies(&[mutated]));
    }
}
