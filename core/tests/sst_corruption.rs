//! Decoding never panics, and corruption is always caught: every truncation and every
//! single bit flip of a small multi-block table gives a typed error at open or when the
//! damaged data block is read, while the other blocks still read correctly.
#![allow(clippy::unwrap_used)]

use bytes::Bytes;
use lsm_core::codec::DecodeError;
use lsm_core::entry::{Entry, Lookup};
use lsm_core::ids::{SeqNum, SstId};
use lsm_core::sst::{ReadStats, SstOptions, SstReader, build_sst};
use proptest::prelude::*;

fn small_table() -> (Bytes, Vec<Entry>) {
    let mut entries = Vec::new();
    for i in 0..12u32 {
        let key = format!("k{i:02}");
        entries.push(Entry::put_expiring(
            key.clone(),
            SeqNum(100 + u64::from(i)),
            vec![b'a' + i as u8; 9],
            5_000,
        ));
        entries.push(Entry::delete(key.clone(), SeqNum(50)));
        entries.push(Entry::put(key, SeqNum(7), vec![b'z'; 3]));
    }
    let options = SstOptions {
        block_size_bytes: 160,
        bloom_bits_per_key: 10,
        ..SstOptions::default()
    };
    let (bytes, _) = build_sst(&options, &entries, SstId(3), 0).unwrap();
    (bytes, entries)
}

type Scan = Result<Vec<Entry>, DecodeError>;
type Gets = Vec<Result<(Lookup, ReadStats), DecodeError>>;

/// Everything a reader can be asked: a full scan and a lookup of each probe key.
fn read_all(reader: &SstReader, probes: &[Vec<u8>]) -> (Scan, Gets) {
    let scan = reader.iter().collect::<Result<Vec<_>, _>>();
    let gets = probes.iter().map(|key| reader.get(key)).collect();
    (scan, gets)
}

fn probe_keys() -> Vec<Vec<u8>> {
    let mut probes: Vec<Vec<u8>> = (0..13u32)
        .map(|i| format!("k{i:02}").into_bytes())
        .collect();
    probes.extend([
        b"".to_vec(),
        b"k".to_vec(),
        b"k05x".to_vec(),
        b"zz".to_vec(),
    ]);
    probes
}

#[test]
fn the_small_table_spans_several_blocks() {
    let (bytes, entries) = small_table();
    let reader = SstReader::open(bytes).unwrap();
    assert!(reader.block_count() >= 4, "{} blocks", reader.block_count());
    assert_eq!(
        reader.iter().collect::<Result<Vec<_>, _>>().unwrap(),
        entries
    );
}

#[test]
fn every_truncation_is_an_error_at_open_or_on_read() {
    let (bytes, _) = small_table();
    let probes = probe_keys();
    for len in 0..bytes.len() {
        let Ok(reader) = SstReader::open(bytes.slice(..len)) else {
            continue;
        };
        let (scan, gets) = read_all(&reader, &probes);
        assert!(
            scan.is_err() || gets.iter().any(Result::is_err),
            "truncation to {len} of {} bytes went unnoticed",
            bytes.len()
        );
    }
}

#[test]
fn every_bit_flip_is_caught_at_open_or_when_its_block_is_read() {
    let (bytes, entries) = small_table();
    let original = SstReader::open(bytes.clone()).unwrap();
    let probes = probe_keys();
    let expected: Vec<(Lookup, ReadStats)> =
        probes.iter().map(|k| original.get(k).unwrap()).collect();
    let block_of_byte = |at: u64| {
        (0..original.block_count()).find(|&b| {
            let handle = original.block_handle(b).unwrap();
            handle.offset <= at && at < handle.offset + handle.len
        })
    };
    let mut caught_at_open = 0;
    let mut caught_on_read = 0;
    for bit in 0..bytes.len() * 8 {
        let mut flipped = bytes.to_vec();
        flipped[bit / 8] ^= 1 << (bit % 8);
        let reader = match SstReader::open(Bytes::from(flipped)) {
            Err(_) => {
                caught_at_open += 1;
                continue;
            }
            Ok(reader) => reader,
        };
        // Open verified everything but the data blocks, so the flip must be in one.
        let damaged = block_of_byte((bit / 8) as u64).unwrap_or_else(|| {
            panic!("bit {bit} flipped outside any data block, not caught at open")
        });
        let damaged_offset = original.block_handle(damaged).unwrap().offset as usize;
        let mut scan = reader.iter();
        let before: Vec<Entry> = scan
            .by_ref()
            .take_while(Result::is_ok)
            .map(Result::unwrap)
            .collect();
        assert!(
            entries.starts_with(&before),
            "bit {bit}: scan diverged before the error"
        );
        assert!(
            before.len() < entries.len(),
            "bit {bit}: scan read everything"
        );
        assert!(scan.next().is_none(), "the iterator ends after an error");
        let error = reader.iter().find_map(Result::err).unwrap();
        assert!(
            matches!(error, DecodeError::ChecksumMismatch { offset, .. } if offset == damaged_offset),
            "bit {bit}: {error:?}"
        );
        for (key, (lookup, stats)) in probes.iter().zip(&expected) {
            let got = reader.get(key);
            if stats.blocks_read.first() == Some(&(damaged as u32)) {
                assert!(
                    matches!(got, Err(DecodeError::ChecksumMismatch { .. })),
                    "bit {bit}, key {key:?}: {got:?}"
                );
            } else {
                assert_eq!(
                    got.as_ref().map(|(l, _)| l),
                    Ok(lookup),
                    "bit {bit}, key {key:?}"
                );
            }
        }
        caught_on_read += 1;
    }
    eprintln!(
        "{} bits: {caught_at_open} caught at open, {caught_on_read} when the block was read",
        bytes.len() * 8
    );
    assert!(caught_at_open > 0 && caught_on_read > 0);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2_000))]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..600)) {
        if let Ok(reader) = SstReader::open(Bytes::from(bytes)) {
            let _ = read_all(&reader, &probe_keys());
        }
    }

    #[test]
    fn arbitrary_bytes_behind_a_valid_tail_never_panic(
        garbage in prop::collection::vec(any::<u8>(), 0..300),
        keep_tail in 0usize..400,
    ) {
        let (bytes, _) = small_table();
        let keep_tail = keep_tail.min(bytes.len());
        let mut mixed = garbage;
        mixed.extend_from_slice(&bytes[bytes.len() - keep_tail..]);
        if let Ok(reader) = SstReader::open(Bytes::from(mixed)) {
            let _ = read_all(&reader, &probe_keys());
        }
    }

    #[test]
    fn scattered_corruption_is_an_error_or_changes_nothing(
        edits in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..8),
    ) {
        let (bytes, entries) = small_table();
        let probes = probe_keys();
        let original = SstReader::open(bytes.clone()).unwrap();
        let expected: Vec<Lookup> = probes.iter().map(|k| original.get(k).unwrap().0).collect();
        let mut corrupted = bytes.to_vec();
        for (at, value) in &edits {
            let at = at.index(corrupted.len());
            corrupted[at] = *value;
        }
        let unchanged = corrupted[..] == bytes[..];
        if let Ok(reader) = SstReader::open(Bytes::from(corrupted)) {
            let (scan, gets) = read_all(&reader, &probes);
            let gets_agree = gets.iter().zip(&expected).all(|(got, want)| matches!(got, Ok((l, _)) if l == want));
            if unchanged {
                prop_assert_eq!(scan, Ok(entries));
                prop_assert!(gets_agree);
            } else {
                prop_assert!(scan.is_err(), "a corrupted table scanned cleanly");
            }
        }
    }
}
