//! Decoder robustness below the checksums: blocks whose bytes are garbage or mutated but
//! whose checksums are recomputed, so every parser behind the CRC sees hostile input. The
//! reader may return errors or wrong answers for such tables, but must never panic, hang or
//! allocate without bound.

use super::block::BlockWriter;
use super::footer::Footer;
use super::framing::{BLOCK_TRAILER_BYTES, BlockHandle, BlockKind, seal_block};
use super::index::IndexWriter;
use super::{SstOptions, SstReader, build_sst};
use crate::entry::Entry;
use crate::ids::{SeqNum, SstId};
use bytes::Bytes;
use proptest::prelude::*;

/// Exercises every read path of an opened table.
fn read_everything(reader: &SstReader, probes: &[Vec<u8>]) {
    for entry in reader.iter() {
        if entry.is_err() {
            break;
        }
    }
    for probe in probes {
        let _ = reader.get(probe);
        let _ = reader.iter_range(&probe[..]..).take(3).count();
        let _ = reader.iter_range(..=&probe[..]).count();
    }
    let _ = reader.verify_blocks();
}

/// A table assembled from raw pieces, each sealed with a correct checksum.
fn assemble(
    data_payloads: &[Vec<u8>],
    index_keys: &[(Vec<u8>, u64)],
    filter: Option<&[u8]>,
) -> Bytes {
    let mut out = Vec::new();
    let mut index = IndexWriter::default();
    for (payload, (key, seq)) in data_payloads.iter().zip(index_keys) {
        let start = out.len();
        out.extend_from_slice(payload);
        seal_block(&mut out, start, BlockKind::Data);
        let handle = BlockHandle {
            offset: start as u64,
            len: (out.len() - start) as u64,
        };
        index.add_unchecked(key, SeqNum(*seq), handle);
    }
    let filter = filter.map(|payload| {
        let start = out.len();
        out.extend_from_slice(payload);
        seal_block(&mut out, start, BlockKind::Filter);
        BlockHandle {
            offset: start as u64,
            len: (out.len() - start) as u64,
        }
    });
    let index_start = out.len();
    index.encode(&mut out);
    seal_block(&mut out, index_start, BlockKind::Index);
    let index = BlockHandle {
        offset: index_start as u64,
        len: (out.len() - index_start) as u64,
    };
    Footer { filter, index }.encode_unchecked(&mut out);
    Bytes::from(out)
}

/// Rewrites the checksum of the block at `handle` to match its (mutated) payload.
fn reseal(bytes: &mut [u8], handle: BlockHandle, kind: BlockKind) {
    let start = handle.offset as usize;
    let end = (handle.offset + handle.len) as usize;
    let mut block = bytes[start..end - BLOCK_TRAILER_BYTES].to_vec();
    seal_block(&mut block, 0, kind);
    bytes[start..end].copy_from_slice(&block);
}

fn arb_key() -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(
        prop_oneof![Just(b'k'), Just(0u8), Just(0xffu8), any::<u8>()],
        0..10,
    )
}

fn arb_entries() -> impl Strategy<Value = Vec<Entry>> {
    prop::collection::vec(
        (
            arb_key(),
            0u64..1_000,
            prop::collection::vec(any::<u8>(), 0..20),
        ),
        1..60,
    )
    .prop_map(|raw| {
        let mut entries: Vec<Entry> = raw
            .into_iter()
            .map(|(key, seq, value)| Entry::put(key, SeqNum(seq), value))
            .collect();
        entries.sort_by(|a, b| a.key.cmp(&b.key));
        entries.dedup_by(|a, b| a.key == b.key);
        entries
    })
}

/// A real data block holding `entries`, as a payload without its checksum.
fn real_block_payload(entries: &[Entry]) -> Vec<u8> {
    let mut out = Vec::new();
    // A short interval, so mutations hit restart points and delta-encoded keys alike.
    let options = SstOptions {
        block_restart_interval: std::num::NonZeroU32::new(3).unwrap(),
        ..SstOptions::default()
    };
    let mut writer = BlockWriter::new(&options);
    for entry in entries {
        writer.add(&mut out, entry);
    }
    writer.finish(&mut out);
    out.truncate(out.len().saturating_sub(BLOCK_TRAILER_BYTES));
    out
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1_000))]

    #[test]
    fn sealed_garbage_never_panics(
        payloads in prop::collection::vec(prop::collection::vec(any::<u8>(), 0..80), 1..4),
        keys in prop::collection::vec((arb_key(), any::<u64>()), 4),
        filter in prop::option::of(prop::collection::vec(any::<u8>(), 0..20)),
        probes in prop::collection::vec(arb_key(), 0..6),
    ) {
        let mut keys = keys;
        keys.sort_by(|a, b| a.0.cmp(&b.0).then(b.1.cmp(&a.1)));
        let bytes = assemble(&payloads, &keys, filter.as_deref());
        if let Ok(reader) = SstReader::open(bytes) {
            read_everything(&reader, &probes);
        }
    }

    #[test]
    fn mutated_real_blocks_behind_valid_checksums_never_panic(
        entries in arb_entries(),
        edits in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..6),
        truncate_by in 0usize..3,
        probes in prop::collection::vec(arb_key(), 0..6),
    ) {
        let mut payload = real_block_payload(&entries);
        for (at, value) in &edits {
            let at = at.index(payload.len());
            payload[at] = *value;
        }
        payload.truncate(payload.len().saturating_sub(truncate_by));
        let last = entries.last().unwrap();
        let keys = [(last.key.user_key.to_vec(), last.seq().0)];
        let bytes = assemble(&[payload], &keys, None);
        if let Ok(reader) = SstReader::open(bytes) {
            read_everything(&reader, &probes);
        }
    }

    #[test]
    fn mutated_tables_with_resealed_checksums_never_panic(
        entries in arb_entries(),
        region in 0usize..3,
        edits in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..6),
        probes in prop::collection::vec(arb_key(), 0..6),
    ) {
        let options = SstOptions {
            block_size_bytes: 96,
            bloom_bits_per_key: 8,
            block_restart_interval: std::num::NonZeroU32::new(2).unwrap(),
        };
        let (bytes, _) = build_sst(&options, &entries, SstId(1), 0).unwrap();
        let original = SstReader::open(bytes.clone()).unwrap();
        let footer = Footer::decode(&bytes).unwrap();
        let (handle, kind) = match region {
            0 => (original.block_handle(edits.len() % original.block_count()).unwrap(), BlockKind::Data),
            1 => (footer.filter.unwrap(), BlockKind::Filter),
            _ => (footer.index, BlockKind::Index),
        };
        let mut mutated = bytes.to_vec();
        let payload_len = handle.len as usize - BLOCK_TRAILER_BYTES;
        for (at, value) in &edits {
            mutated[handle.offset as usize + at.index(payload_len)] = *value;
        }
        reseal(&mut mutated, handle, kind);
        if let Ok(reader) = SstReader::open(Bytes::from(mutated)) {
            read_everything(&reader, &probes);
        }
    }
}

#[test]
fn assembled_tables_of_real_blocks_read_back() {
    let entries: Vec<Entry> = (0..10u8)
        .map(|i| Entry::put(vec![b'a' + i], SeqNum(1), vec![i]))
        .collect();
    let payloads = [
        real_block_payload(&entries[..4]),
        real_block_payload(&entries[4..]),
    ];
    let keys = [(vec![b'd'], 1), (vec![b'j'], 1)];
    let reader = SstReader::open(assemble(&payloads, &keys, None)).unwrap();
    assert_eq!(reader.block_count(), 2);
    let read: Vec<Entry> = reader.iter().collect::<Result<_, _>>().unwrap();
    assert_eq!(read, entries);
}
