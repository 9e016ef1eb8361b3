//! Test support shared by the manifest tests: table metadata in one line, and sequences of
//! random *valid* edits, generated against the manifest they will be applied to (the way a
//! writer, a compactor and a garbage collector would build them).
#![allow(dead_code, clippy::unwrap_used)]

pub mod apply;

use bytes::Bytes;
use lsm_core::ids::{CheckpointId, Epoch, ManifestVersion, SeqNum, SstId, WalId};
use lsm_core::manifest::{Checkpoint, Edit, MAX_LEVELS, Manifest, apply, check_invariants};
use lsm_core::sst::SstMeta;
use proptest::prelude::*;
use std::collections::BTreeSet;

/// Keys are two big-endian bytes, so key order is numeric order.
pub fn key(value: u16) -> Bytes {
    Bytes::copy_from_slice(&value.to_be_bytes())
}

fn key_value(bytes: &[u8]) -> u16 {
    u16::from_be_bytes([bytes[0], bytes[1]])
}

/// A table with keys `smallest..=largest` and sequence numbers `seqs`.
pub fn sst(id: u64, smallest: u16, largest: u16, seqs: (u64, u64)) -> SstMeta {
    SstMeta {
        id: SstId(id),
        smallest_key: key(smallest),
        largest_key: key(largest),
        smallest_seq: SeqNum(seqs.0),
        largest_seq: SeqNum(seqs.1),
        entry_count: 10,
        tombstone_count: 1,
        logical_bytes: 100,
        size_bytes: 200 + id,
        created_at_ms: 1_000,
        object_crc32c: id as u32,
    }
}

pub fn checkpoint(id: u64, manifest_version: u64) -> Checkpoint {
    Checkpoint {
        id: CheckpointId(id),
        name: "test".to_string(),
        manifest_version: ManifestVersion(manifest_version),
        created_at_ms: 5_000,
        expires_at_ms: Some(65_000),
    }
}

/// Applies `edit`, panicking with the edit on refusal.
pub fn applied(manifest: &Manifest, edit: Edit) -> Manifest {
    match apply(manifest, &edit) {
        Ok(next) => next,
        Err(error) => panic!("{edit:?} refused: {error}"),
    }
}

/// One thing a role might do; turned into an edit against the current manifest.
#[derive(Clone, Debug)]
pub enum Step {
    Flush {
        a: u16,
        b: u16,
        entries: u8,
        advance_wal: bool,
    },
    SetWal {
        advance: u8,
    },
    FenceWriter {
        by: u8,
    },
    FenceCompactor {
        by: u8,
    },
    CompactL0 {
        oldest: u8,
        split: bool,
        force_delete: bool,
    },
    CompactLevel {
        level: u8,
        file: u8,
        split: bool,
        force_delete: bool,
    },
    TrivialMove {
        level: u8,
    },
    AddCheckpoint {
        skip_ids: u8,
        ttl_ms: Option<u16>,
    },
    RemoveCheckpoint {
        pick: u8,
    },
    Purge {
        pick: u8,
    },
}

pub fn step_strategy() -> impl Strategy<Value = Step> {
    prop_oneof![
        6 => (any::<u16>(), any::<u16>(), 1u8..20, any::<bool>()).prop_map(
            |(a, b, entries, advance_wal)| Step::Flush { a, b, entries, advance_wal }
        ),
        1 => any::<u8>().prop_map(|advance| Step::SetWal { advance }),
        1 => (1u8..3).prop_map(|by| Step::FenceWriter { by }),
        1 => (1u8..3).prop_map(|by| Step::FenceCompactor { by }),
        3 => (any::<u8>(), any::<bool>(), prop::bool::weighted(0.1)).prop_map(
            |(oldest, split, force_delete)| Step::CompactL0 { oldest, split, force_delete }
        ),
        3 => (any::<u8>(), any::<u8>(), any::<bool>(), prop::bool::weighted(0.1)).prop_map(
            |(level, file, split, force_delete)| Step::CompactLevel { level, file, split, force_delete }
        ),
        1 => any::<u8>().prop_map(|level| Step::TrivialMove { level }),
        1 => (0u8..3, proptest::option::of(any::<u16>()))
            .prop_map(|(skip_ids, ttl_ms)| Step::AddCheckpoint { skip_ids, ttl_ms }),
        1 => any::<u8>().prop_map(|pick| Step::RemoveCheckpoint { pick }),
        1 => any::<u8>().prop_map(|pick| Step::Purge { pick }),
    ]
}

/// Hands out fresh table ids, as the roles' (role, epoch, counter) ids would.
#[derive(Debug, Default)]
pub struct IdSource {
    next: u64,
}

impl IdSource {
    pub fn fresh(&mut self) -> u64 {
        self.next += 1;
        self.next
    }
}

fn key_range(tables: &[&SstMeta]) -> (u16, u16) {
    let low = tables
        .iter()
        .map(|t| key_value(&t.smallest_key))
        .min()
        .unwrap();
    let high = tables
        .iter()
        .map(|t| key_value(&t.largest_key))
        .max()
        .unwrap();
    (low, high)
}

fn seq_range(tables: &[&SstMeta]) -> (u64, u64) {
    let low = tables.iter().map(|t| t.smallest_seq.0).min().unwrap();
    let high = tables.iter().map(|t| t.largest_seq.0).max().unwrap();
    (low, high)
}

/// Outputs covering exactly the inputs' key range, in one or two tables.
fn outputs(
    inputs: &[&SstMeta],
    level: usize,
    split: bool,
    ids: &mut IdSource,
) -> Vec<(usize, SstMeta)> {
    let (low, high) = key_range(inputs);
    let seqs = seq_range(inputs);
    if split && low < high {
        let middle = low + (high - low) / 2;
        vec![
            (level, sst(ids.fresh(), low, middle, seqs)),
            (level, sst(ids.fresh(), middle + 1, high, seqs)),
        ]
    } else {
        vec![(level, sst(ids.fresh(), low, high, seqs))]
    }
}

fn compaction(
    m: &Manifest,
    inputs: &[&SstMeta],
    added: Vec<(usize, SstMeta)>,
    force_delete: bool,
) -> Edit {
    Edit::Compaction {
        compactor_epoch: m.compactor_epoch,
        removed: inputs.iter().map(|t| t.id).collect(),
        added,
        force_delete,
    }
}

/// Tables of `level` overlapping `[low, high]`.
fn overlapping(m: &Manifest, level: usize, low: u16, high: u16) -> Vec<&SstMeta> {
    m.level(level)
        .iter()
        .filter(|t| t.overlaps_range(&key(low), &key(high)))
        .collect()
}

/// A nonempty level of L1.. that may still push down, chosen by `pick`.
fn pick_level(m: &Manifest, pick: u8) -> Option<usize> {
    let candidates: Vec<usize> = (1..m.level_count())
        .filter(|level| !m.level(*level).is_empty() && *level < MAX_LEVELS)
        .collect();
    candidates
        .get(pick as usize % candidates.len().max(1))
        .copied()
}

/// The edit `step` stands for against `m`, or `None` when it does not apply (nothing to
/// compact, no checkpoint to remove...).
pub fn edit_for(m: &Manifest, step: &Step, ids: &mut IdSource) -> Option<Edit> {
    match *step {
        Step::Flush {
            a,
            b,
            entries,
            advance_wal,
        } => {
            let first = m.last_seq.0 + 1;
            let last = m.last_seq.0 + u64::from(entries);
            Some(Edit::Flush {
                writer_epoch: m.writer_epoch,
                sst: sst(ids.fresh(), a.min(b), a.max(b), (first, last)),
                wal_replay_point: WalId(m.wal_replay_point.0 + u64::from(advance_wal)),
                last_seq: SeqNum(last),
            })
        }
        Step::SetWal { advance } => Some(Edit::WriterSetWal {
            writer_epoch: m.writer_epoch,
            wal_replay_point: WalId(m.wal_replay_point.0 + u64::from(advance)),
            last_seq: m.last_seq,
        }),
        Step::FenceWriter { by } => Some(Edit::FenceWriter {
            new_epoch: Epoch(m.writer_epoch.0 + u64::from(by)),
        }),
        Step::FenceCompactor { by } => Some(Edit::FenceCompactor {
            new_epoch: Epoch(m.compactor_epoch.0 + u64::from(by)),
        }),
        Step::CompactL0 {
            oldest,
            split,
            force_delete,
        } => {
            if m.l0.is_empty() {
                return None;
            }
            let count = 1 + oldest as usize % m.l0.len();
            let mut inputs: Vec<&SstMeta> = m.l0[m.l0.len() - count..].iter().collect();
            let (low, high) = key_range(&inputs);
            inputs.extend(overlapping(m, 1, low, high));
            let added = outputs(&inputs, 1, split, ids);
            Some(compaction(m, &inputs, added, force_delete))
        }
        Step::CompactLevel {
            level,
            file,
            split,
            force_delete,
        } => {
            let level = pick_level(m, level)?;
            let run = m.level(level);
            let chosen = &run[file as usize % run.len()];
            let mut inputs = vec![chosen];
            let (low, high) = key_range(&inputs);
            inputs.extend(overlapping(m, level + 1, low, high));
            let added = outputs(&inputs, level + 1, split, ids);
            Some(compaction(m, &inputs, added, force_delete))
        }
        Step::TrivialMove { level } => {
            let level = if level % 3 == 0 {
                0
            } else {
                pick_level(m, level)?
            };
            let table = if level == 0 {
                m.l0.last()?
            } else {
                m.level(level).first()?
            };
            let (low, high) = key_range(&[table]);
            if !overlapping(m, level + 1, low, high).is_empty() {
                return None;
            }
            Some(compaction(
                m,
                &[table],
                vec![(level + 1, table.clone())],
                false,
            ))
        }
        Step::AddCheckpoint { skip_ids, ttl_ms } => {
            let created_at_ms = 10_000 + m.version.0;
            Some(Edit::AddCheckpoint {
                checkpoint: Checkpoint {
                    id: CheckpointId(m.next_checkpoint_id.0 + u64::from(skip_ids)),
                    name: "test".to_string(),
                    manifest_version: m.version,
                    created_at_ms,
                    expires_at_ms: ttl_ms.map(|ttl| created_at_ms + u64::from(ttl)),
                },
            })
        }
        Step::RemoveCheckpoint { pick } => {
            let listed = m
                .checkpoints
                .get(pick as usize % m.checkpoints.len().max(1))?;
            Some(Edit::RemoveCheckpoints {
                ids: BTreeSet::from([listed.id]),
            })
        }
        Step::Purge { pick } => {
            let count = pick as usize % (m.pending_deletion.len() + 1);
            if count == 0 {
                return None;
            }
            let purged = m
                .pending_deletion
                .iter()
                .take(count)
                .map(|p| p.sst.id)
                .collect();
            Some(Edit::PurgePending { ids: purged })
        }
    }
}

/// Applies every step that applies, checking each result; returns the final manifest and
/// the edits that made it.
pub fn build(steps: &[Step]) -> (Manifest, Vec<Edit>) {
    let mut manifest = Manifest::initial();
    let mut ids = IdSource::default();
    let mut edits = Vec::new();
    for step in steps {
        let Some(edit) = edit_for(&manifest, step, &mut ids) else {
            continue;
        };
        let next = applied(&manifest, edit.clone());
        assert_eq!(next.version.0, manifest.version.0 + 1);
        check_invariants(&next).unwrap();
        manifest = next;
        edits.push(edit);
    }
    (manifest, edits)
}

pub fn manifest_strategy() -> impl Strategy<Value = Manifest> {
    prop::collection::vec(step_strategy(), 0..60).prop_map(|steps| build(&steps).0)
}
