//! Test support shared by the WAL tests: random segments, and hand-built frames with valid
//! checksums (so a test can reach the entry decoder with any body it likes).
#![allow(dead_code, clippy::unwrap_used)]

use lsm_core::checksum::{crc32c, crc32c_parts};
use lsm_core::entry::Entry;
use lsm_core::ids::{Epoch, SeqNum, WalId};
use lsm_core::wal::{
    WAL_HEADER_LEN, WalBatch, WalSegmentBuilder, WalSegmentHeader, encode_segment,
};
use proptest::prelude::*;

pub fn header(epoch: u64, id: u64) -> WalSegmentHeader {
    WalSegmentHeader {
        writer_epoch: Epoch(epoch),
        segment_id: WalId(id),
    }
}

/// (is_put, key, value, expiry, gap to the previous sequence number)
type EntryParts = (bool, Vec<u8>, Vec<u8>, Option<u64>, u64);

fn entry_parts() -> impl Strategy<Value = EntryParts> {
    (
        prop::bool::weighted(0.8),
        prop::collection::vec(any::<u8>(), 0..8),
        prop::collection::vec(any::<u8>(), 0..16),
        proptest::option::weighted(0.3, any::<u64>()),
        prop_oneof![Just(1u64), 1u64..1_000, 1u64..(1 << 40)],
    )
}

fn to_batches(base: u64, shapes: Vec<Vec<EntryParts>>) -> Vec<WalBatch> {
    let mut seq = base;
    let mut batches = Vec::new();
    for shape in shapes {
        let mut entries = Vec::new();
        for (is_put, key, value, expiry, gap) in shape {
            seq = seq.saturating_add(gap);
            entries.push(match (is_put, expiry) {
                (false, _) => Entry::delete(key, SeqNum(seq)),
                (true, None) => Entry::put(key, SeqNum(seq), value),
                (true, Some(at)) => Entry::put_expiring(key, SeqNum(seq), value, at),
            });
        }
        batches.push(WalBatch::new(entries));
    }
    batches
}

/// A header and 0..6 batches of 1..6 entries with strictly increasing sequence numbers.
pub fn segment_strategy() -> impl Strategy<Value = (WalSegmentHeader, Vec<WalBatch>)> {
    (
        any::<u64>(),
        any::<u64>(),
        0u64..(1 << 50),
        prop::collection::vec(prop::collection::vec(entry_parts(), 1..6), 0..6),
    )
        .prop_map(|(epoch, id, base, shapes)| (header(epoch, id), to_batches(base, shapes)))
}

/// The byte offset at which each batch's frame starts, and the total length.
pub fn frame_starts(header: WalSegmentHeader, batches: &[WalBatch]) -> (Vec<usize>, usize) {
    let mut builder = WalSegmentBuilder::new(header);
    let mut starts = Vec::new();
    for batch in batches {
        starts.push(builder.encoded_len());
        builder.push_batch(batch).unwrap();
    }
    (starts, builder.encoded_len())
}

/// A valid header announcing `batch_count` batches.
pub fn header_bytes(batch_count: u32) -> Vec<u8> {
    let mut bytes = encode_segment(header(1, 7), &[]).unwrap().to_vec();
    assert_eq!(bytes.len(), WAL_HEADER_LEN);
    bytes[28..32].copy_from_slice(&batch_count.to_le_bytes());
    let crc = crc32c(&bytes[..32]);
    bytes[32..36].copy_from_slice(&crc.to_le_bytes());
    bytes
}

/// A frame around `body`, with a correct length and checksum.
pub fn frame(body: &[u8]) -> Vec<u8> {
    let len = (body.len() as u32).to_le_bytes();
    let mut out = len.to_vec();
    out.extend_from_slice(&crc32c_parts(&[&len, body]).to_le_bytes());
    out.extend_from_slice(body);
    out
}

/// A segment of hand-built batch bodies, each correctly framed.
pub fn segment_of_bodies(bodies: &[Vec<u8>]) -> Vec<u8> {
    let mut bytes = header_bytes(bodies.len() as u32);
    for body in bodies {
        bytes.extend_from_slice(&frame(body));
    }
    bytes
}

/// The encoding of one put entry: kind, seq, key, no expiry, value (all short).
pub fn put_entry(seq: u8, key: &[u8], value: &[u8]) -> Vec<u8> {
    let mut out = vec![1, seq, key.len() as u8];
    out.extend_from_slice(key);
    out.push(0);
    out.push(value.len() as u8);
    out.extend_from_slice(value);
    out
}

/// A batch body: entry count then the entries.
pub fn body(entries: &[Vec<u8>]) -> Vec<u8> {
    let mut out = vec![entries.len() as u8];
    for entry in entries {
        out.extend_from_slice(entry);
    }
    out
}
