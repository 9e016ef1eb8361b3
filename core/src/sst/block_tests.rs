//! The data block's rules: a restart point every interval, delta-encoded keys between, a
//! lookup that finds every key, seeks that agree with a scan, and typed errors for corrupt
//! lengths.

use super::block::{BlockWriter, MIN_DATA_BLOCK_BYTES};
use super::data_block::DataBlock;
use super::framing::{BlockHandle, BlockKind, unseal_block};
use super::options::SstOptions;
use super::record;
use crate::codec::DecodeError;
use crate::entry::Entry;
use crate::ids::SeqNum;
use std::num::NonZeroU32;

fn options(interval: u32) -> SstOptions {
    SstOptions {
        block_restart_interval: NonZeroU32::new(interval).unwrap(),
        ..SstOptions::default()
    }
}

/// One sealed block of `entries` after two bytes of padding; each step's size prediction is
/// checked against a block of the entries up to that step.
fn block_of(entries: &[Entry], interval: u32) -> (Vec<u8>, BlockHandle) {
    let mut out = b"xx".to_vec();
    let mut writer = BlockWriter::new(&options(interval));
    for (index, entry) in entries.iter().enumerate() {
        let predicted = writer.size_with(&out, entry);
        writer.add(&mut out, entry);
        let mut probe = b"xx".to_vec();
        let mut probe_writer = BlockWriter::new(&options(interval));
        for earlier in &entries[..=index] {
            probe_writer.add(&mut probe, earlier);
        }
        assert_eq!(
            predicted as u64,
            probe_writer.finish(&mut probe).unwrap().len
        );
    }
    let handle = writer.finish(&mut out).unwrap();
    assert!(writer.finish(&mut out).is_none());
    (out, handle)
}

fn parsed(out: &[u8], handle: BlockHandle) -> DataBlock<'_> {
    let payload = unseal_block(out, handle, BlockKind::Data).unwrap();
    DataBlock::parse(payload, handle.offset as usize).unwrap()
}

/// Keys with long shared prefixes, several versions of some, newest first.
fn sample_entries() -> Vec<Entry> {
    let keys: Vec<&[u8]> = vec![
        b"user00",
        b"user00",
        b"user000000000",
        b"user0000000001",
        b"user01",
        b"user01",
        b"user01",
        b"user1",
        b"user1\xff",
        b"user2",
        b"user20",
        b"user21",
        b"user3",
        b"user30000",
        b"user4",
        b"user4\x00",
        b"user5",
    ];
    keys.iter()
        .enumerate()
        .map(|(i, key)| match i % 3 {
            1 => Entry::delete(key.to_vec(), SeqNum(100 - i as u64)),
            2 => Entry::put_expiring(key.to_vec(), SeqNum(100 - i as u64), vec![i as u8; 3], 7),
            _ => Entry::put(key.to_vec(), SeqNum(100 - i as u64), vec![i as u8; i]),
        })
        .collect()
}

/// Every entry of `block`, scanned from the start.
fn scan(block: &DataBlock<'_>) -> Vec<(Vec<u8>, SeqNum, bool)> {
    let mut cursor = block.first();
    let mut out = Vec::new();
    while let Some(raw) = block.next(&mut cursor).unwrap() {
        out.push((raw.user_key.to_vec(), raw.seq, raw.key_in_block));
    }
    out
}

#[test]
fn a_restart_point_every_interval_entries_stores_its_key_whole() {
    let entries = sample_entries();
    for interval in [1u32, 2, 3, 5, 16, 100] {
        let (out, handle) = block_of(&entries, interval);
        let block = parsed(&out, handle);
        let scanned = scan(&block);
        assert_eq!(scanned.len(), entries.len());
        for (index, (_, _, whole)) in scanned.iter().enumerate() {
            let restart = index % interval as usize == 0;
            assert!(!restart || *whole, "entry {index} interval {interval}");
        }
    }
}

#[test]
fn delta_encoded_keys_round_trip() {
    let entries = sample_entries();
    for interval in [1u32, 2, 4, 16] {
        let (out, handle) = block_of(&entries, interval);
        let block = parsed(&out, handle);
        let mut cursor = block.first();
        for entry in &entries {
            let raw = block.next(&mut cursor).unwrap().unwrap();
            assert_eq!(raw.user_key, entry.user_key());
            assert_eq!(raw.seq, entry.seq());
            assert_eq!(raw.kind, entry.kind);
            assert_eq!(raw.value, &entry.value[..]);
            assert_eq!(raw.expires_at_ms, entry.expires_at_ms);
        }
        assert!(block.next(&mut cursor).unwrap().is_none());
    }
}

#[test]
fn delta_encoding_shrinks_a_block_of_similar_keys() {
    let entries: Vec<Entry> = (0..64u64)
        .map(|i| Entry::put(format!("user{i:012}"), SeqNum(i + 1), vec![0u8; 100]))
        .collect();
    let (_, whole) = block_of(&entries, 1);
    let (_, delta) = block_of(&entries, 16);
    // 60 delta entries keep 14 of their 16 key bytes; 60 restart points fewer.
    assert!(
        whole.len >= delta.len + 60 * (14 + 8) - 64,
        "{whole:?} {delta:?}"
    );
}

#[test]
fn a_lookup_hits_every_key_including_the_first_and_last_of_each_restart_run() {
    let entries = sample_entries();
    for interval in [1u32, 2, 3, 4, 5, 16] {
        let (out, handle) = block_of(&entries, interval);
        let block = parsed(&out, handle);
        for entry in &entries {
            let mut cursor = block.seek(entry.user_key(), true).unwrap();
            let raw = block.next(&mut cursor).unwrap().unwrap();
            let newest = entries.iter().find(|e| e.user_key() == entry.user_key());
            assert_eq!(raw.user_key, entry.user_key(), "interval {interval}");
            assert_eq!(raw.seq, newest.unwrap().seq(), "interval {interval}");
        }
    }
}

/// Index of the first entry at or after `target` (`inclusive`) or after it.
fn scan_seek(entries: &[Entry], target: &[u8], inclusive: bool) -> usize {
    entries
        .iter()
        .position(|e| {
            if inclusive {
                e.user_key() >= target
            } else {
                e.user_key() > target
            }
        })
        .unwrap_or(entries.len())
}

#[test]
fn a_seek_between_keys_lands_where_a_scan_does() {
    let entries = sample_entries();
    let targets: [&[u8]; 16] = [
        b"",
        b"u",
        b"user",
        b"user0",
        b"user00",
        b"user000",
        b"user0000000002",
        b"user01",
        b"user010",
        b"user1\xff",
        b"user15",
        b"user2",
        b"user30",
        b"user4\x00\x00",
        b"user6",
        b"v",
    ];
    for interval in [1u32, 2, 3, 7, 16] {
        let (out, handle) = block_of(&entries, interval);
        let block = parsed(&out, handle);
        for target in targets {
            for inclusive in [true, false] {
                let mut cursor = block.seek(target, inclusive).unwrap();
                let expected = entries.get(scan_seek(&entries, target, inclusive));
                let found = block
                    .next(&mut cursor)
                    .unwrap()
                    .map(|raw| (raw.user_key.to_vec(), raw.seq));
                let expected = expected.map(|e| (e.user_key().to_vec(), e.seq()));
                assert_eq!(
                    found, expected,
                    "{target:?} inclusive {inclusive} interval {interval}"
                );
                // The rest of the block follows in order from there.
                let rest =
                    std::iter::from_fn(|| block.next(&mut cursor).unwrap().map(|_| ())).count();
                let at = scan_seek(&entries, target, inclusive);
                assert_eq!(rest, entries.len().saturating_sub(at + 1));
            }
        }
    }
}

#[test]
fn the_smallest_block_is_min_data_block_bytes() {
    let (_, handle) = block_of(&[Entry::put(&b""[..], SeqNum(1), &b""[..])], 16);
    assert_eq!(handle.len, MIN_DATA_BLOCK_BYTES);
}

/// The payload of a block of `entries` at `interval`, and each entry's offset in it.
fn payload_and_offsets(entries: &[Entry], interval: u32) -> (Vec<u8>, Vec<usize>) {
    let (out, handle) = block_of(entries, interval);
    let payload = unseal_block(&out, handle, BlockKind::Data)
        .unwrap()
        .to_vec();
    let mut offsets = Vec::new();
    let mut at = 0;
    let mut previous: &[u8] = b"";
    for (index, entry) in entries.iter().enumerate() {
        offsets.push(at);
        let shared = if index % interval as usize == 0 {
            0
        } else {
            super::window::common_prefix_len(previous, entry.user_key())
        };
        at += record::encoded_len(entry, shared);
        previous = entry.user_key();
    }
    (payload, offsets)
}

fn scan_result(payload: &[u8]) -> Result<usize, DecodeError> {
    let block = DataBlock::parse(payload, 0)?;
    let mut cursor = block.first();
    let mut count = 0;
    while block.next(&mut cursor)?.is_some() {
        count += 1;
    }
    Ok(count)
}

#[test]
fn a_corrupt_shared_length_is_a_typed_error() {
    let entries = sample_entries();
    let (payload, offsets) = payload_and_offsets(&entries, 4);
    assert_eq!(scan_result(&payload).unwrap(), entries.len());
    // Longer than the previous key.
    let mut longer = payload.clone();
    longer[offsets[1]] = 0x7f;
    assert!(matches!(
        scan_result(&longer),
        Err(DecodeError::Invalid { .. })
    ));
    // A restart point that claims a shared prefix.
    let mut restart = payload.clone();
    restart[offsets[4]] = 1;
    assert!(matches!(
        scan_result(&restart),
        Err(DecodeError::Invalid { .. })
    ));
    let block = DataBlock::parse(&restart, 0).unwrap();
    assert!(
        block.seek(b"user01", true).is_err(),
        "the search reads restart 1 whole"
    );
}

#[test]
fn an_entry_running_past_a_restart_point_is_a_typed_error() {
    let entries = sample_entries();
    let (mut payload, offsets) = payload_and_offsets(&entries, 4);
    // The second restart point moved one byte into the entry before it.
    let tail = |back: usize| {
        u32::from_le_bytes(payload[payload.len() - back..][..4].try_into().unwrap()) as usize
    };
    let (restarts, shared_len) = (tail(4), tail(8));
    assert_eq!(restarts, entries.len().div_ceil(4));
    let entries_len = payload.len() - 8 - shared_len - 8 * restarts;
    let second = entries_len + 4;
    let moved = (offsets[4] - 1) as u32;
    payload[second..second + 4].copy_from_slice(&moved.to_le_bytes());
    assert!(matches!(
        scan_result(&payload),
        Err(DecodeError::Invalid { .. })
    ));
}

#[test]
fn bad_counts_and_offsets_are_typed_errors() {
    assert!(DataBlock::parse(&[1, 0], 0).is_err());
    assert!(DataBlock::parse(&[0, 0, 0, 0, 0, 0, 0, 0], 0).is_err());
    assert!(DataBlock::parse(&[9, 9, 0, 0, 0, 0, 1, 0, 0, 0], 0).is_err());
    assert!(DataBlock::parse(&[0, 0, 0, 5, 0, 0, 0, 1, 0, 0, 0], 0).is_err());
    // One restart at offset 200 of an empty entry region.
    let mut one = vec![200, 0, 0, 0];
    one.extend_from_slice(&[0; 4]);
    one.extend_from_slice(&[0, 0, 0, 0, 1, 0, 0, 0]);
    assert!(DataBlock::parse(&one, 0).is_err());
    // One restart at 0 over a truncated entry.
    let mut truncated = vec![0, 3, b'a'];
    truncated.extend_from_slice(&[0; 8]);
    truncated.extend_from_slice(&[0, 0, 0, 0, 1, 0, 0, 0]);
    let block = DataBlock::parse(&truncated, 0).unwrap();
    assert!(block.next(&mut block.first()).is_err());
}
