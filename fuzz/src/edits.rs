//! `manifest_apply`: a sequence of manifest edits, built from an `arbitrary` mirror of
//! [`Edit`] (so core's types need no `Arbitrary` derive), applied from the empty manifest.
//! `apply` must never panic, and every manifest it returns must pass `check_invariants` and
//! survive encode → decode unchanged.
//!
//! The mirror picks most numbers relative to the manifest it is applied to (the current
//! epoch, a live table, a pending one, the next version), so that a good share of the edits
//! is accepted and the sequence reaches deep states, while raw values still reach every
//! refusal.

use arbitrary::Arbitrary;
use bytes::Bytes;
use lsm_core::ids::{CheckpointId, Epoch, ManifestVersion, SeqNum, SstId, WalId};
use lsm_core::manifest::{
    Checkpoint, Edit, FlushedTable, Manifest, apply, check_invariants, decode_manifest,
    encode_manifest,
};
use lsm_core::sst::SstMeta;
use std::collections::BTreeSet;

/// Edits per input at most.
const EDITS_MAX: usize = 256;
/// Ids, epochs and versions drawn raw lie below this: small, so they collide.
const RAW_MAX: u64 = 64;

#[derive(Arbitrary, Debug)]
pub struct Input {
    edits: Vec<EditChoice>,
}

/// A number relative to the current one, or a raw small one.
#[derive(Arbitrary, Clone, Copy, Debug)]
enum Rel {
    Same,
    Ahead(u8),
    Raw(u8),
}

impl Rel {
    fn resolve(self, current: u64) -> u64 {
        match self {
            Rel::Same => current,
            Rel::Ahead(delta) => current.saturating_add(u64::from(delta % 4) + 1),
            Rel::Raw(raw) => u64::from(raw) % RAW_MAX,
        }
    }
}

/// Which table an edit names.
#[derive(Arbitrary, Clone, Copy, Debug)]
enum IdChoice {
    /// Never used before in this run.
    Fresh,
    /// The n-th live table (in read order).
    Live(u8),
    /// The n-th table pending deletion.
    Pending(u8),
    Raw(u8),
}

#[derive(Arbitrary, Clone, Debug)]
struct MetaChoice {
    id: IdChoice,
    smallest_key: u8,
    /// Largest key = smallest + `key_span % 8`, wrapping (so rarely below the smallest).
    key_span: u8,
    smallest_seq: Rel,
    seq_span: u8,
    entry_count: u8,
    tombstone_count: u8,
    size_bytes: u16,
    created_at_ms: u16,
}

#[derive(Arbitrary, Clone, Debug)]
struct CheckpointChoice {
    id: Rel,
    name: bool,
    version: Rel,
    created_at_ms: u16,
    expires_after_ms: Option<u16>,
}

#[derive(Arbitrary, Clone, Debug)]
enum EditChoice {
    Flush {
        epoch: Rel,
        sst: MetaChoice,
        wal_replay_point: Rel,
        last_seq: Rel,
    },
    WriterSetWal {
        epoch: Rel,
        wal_replay_point: Rel,
        last_seq: Rel,
    },
    FenceWriter {
        epoch: Rel,
    },
    FenceCompactor {
        epoch: Rel,
    },
    Compaction {
        epoch: Rel,
        removed: Vec<IdChoice>,
        added: Vec<(u8, MetaChoice)>,
        /// Trivial moves: live tables re-added unchanged at another level.
        moved: Vec<(u8, u8)>,
        force_delete: bool,
    },
    Checkpoint {
        epoch: Rel,
        flush: Option<(MetaChoice, Rel, Rel)>,
        checkpoint: CheckpointChoice,
        release: Vec<Rel>,
    },
    AddCheckpoint {
        checkpoint: CheckpointChoice,
    },
    RemoveCheckpoints {
        ids: Vec<Rel>,
    },
    PurgePending {
        ids: Vec<IdChoice>,
    },
}

/// Builds edits against the manifest they are applied to.
struct Builder<'a> {
    base: &'a Manifest,
    next_fresh_id: &'a mut u64,
}

impl Builder<'_> {
    fn id(&mut self, choice: IdChoice) -> SstId {
        let live: Vec<SstId> = self.base.all_live_ssts().map(|sst| sst.id).collect();
        let pick = |ids: &[SstId], n: u8| ids.get(usize::from(n) % ids.len().max(1)).copied();
        let picked = match choice {
            IdChoice::Fresh => None,
            IdChoice::Live(n) => pick(&live, n),
            IdChoice::Pending(n) => {
                let pending: Vec<SstId> = self
                    .base
                    .pending_deletion
                    .iter()
                    .map(|p| p.sst.id)
                    .collect();
                pick(&pending, n)
            }
            IdChoice::Raw(raw) => Some(SstId(u64::from(raw) % RAW_MAX)),
        };
        picked.unwrap_or_else(|| {
            let id = SstId(*self.next_fresh_id);
            *self.next_fresh_id += 1;
            id
        })
    }

    fn meta(&mut self, choice: &MetaChoice) -> SstMeta {
        let smallest_seq = choice.smallest_seq.resolve(self.base.last_seq.0 + 1);
        SstMeta {
            id: self.id(choice.id),
            smallest_key: Bytes::from(vec![choice.smallest_key]),
            largest_key: Bytes::from(vec![choice.smallest_key.wrapping_add(choice.key_span % 8)]),
            smallest_seq: SeqNum(smallest_seq),
            largest_seq: SeqNum(smallest_seq.saturating_add(u64::from(choice.seq_span % 16))),
            entry_count: u64::from(choice.entry_count),
            tombstone_count: u64::from(choice.tombstone_count % 8),
            logical_bytes: u64::from(choice.size_bytes) / 2,
            size_bytes: u64::from(choice.size_bytes),
            created_at_ms: u64::from(choice.created_at_ms),
            object_crc32c: u32::from(choice.size_bytes),
        }
    }

    fn checkpoint(&self, choice: &CheckpointChoice) -> Checkpoint {
        let created_at_ms = u64::from(choice.created_at_ms);
        Checkpoint {
            id: CheckpointId(choice.id.resolve(self.base.next_checkpoint_id.0)),
            name: if choice.name { "writer" } else { "manual" }.to_string(),
            manifest_version: ManifestVersion(choice.version.resolve(self.base.version.0 + 1)),
            created_at_ms,
            expires_at_ms: choice
                .expires_after_ms
                .map(|after| created_at_ms.saturating_add(u64::from(after))),
        }
    }

    /// A flush's WAL fields: the last sequence number covers the table unless drawn raw.
    fn wal_fields(&self, sst: &SstMeta, wal_replay_point: Rel, last_seq: Rel) -> (WalId, SeqNum) {
        let floor = self.base.last_seq.0.max(sst.largest_seq.0);
        (
            WalId(wal_replay_point.resolve(self.base.wal_replay_point.0)),
            SeqNum(last_seq.resolve(floor)),
        )
    }

    fn edit(&mut self, choice: &EditChoice) -> Edit {
        let writer = |epoch: Rel| Epoch(epoch.resolve(self.base.writer_epoch.0));
        let compactor = |epoch: Rel| Epoch(epoch.resolve(self.base.compactor_epoch.0));
        match choice {
            EditChoice::Flush {
                epoch,
                sst,
                wal_replay_point,
                last_seq,
            } => {
                let writer_epoch = writer(*epoch);
                let sst = self.meta(sst);
                let (wal_replay_point, last_seq) =
                    self.wal_fields(&sst, *wal_replay_point, *last_seq);
                Edit::Flush {
                    writer_epoch,
                    sst,
                    wal_replay_point,
                    last_seq,
                }
            }
            EditChoice::WriterSetWal {
                epoch,
                wal_replay_point,
                last_seq,
            } => Edit::WriterSetWal {
                writer_epoch: writer(*epoch),
                wal_replay_point: WalId(wal_replay_point.resolve(self.base.wal_replay_point.0)),
                last_seq: SeqNum(last_seq.resolve(self.base.last_seq.0)),
            },
            EditChoice::FenceWriter { epoch } => Edit::FenceWriter {
                new_epoch: writer(*epoch),
            },
            EditChoice::FenceCompactor { epoch } => Edit::FenceCompactor {
                new_epoch: compactor(*epoch),
            },
            EditChoice::Compaction {
                epoch,
                removed,
                added,
                moved,
                force_delete,
            } => {
                let compactor_epoch = compactor(*epoch);
                let mut removed: BTreeSet<SstId> =
                    removed.iter().map(|choice| self.id(*choice)).collect();
                let mut added: Vec<(usize, SstMeta)> = added
                    .iter()
                    .map(|(level, meta)| (usize::from(*level % 6), self.meta(meta)))
                    .collect();
                let live: Vec<(usize, SstMeta)> = self
                    .base
                    .live_ssts_with_level()
                    .map(|(level, sst)| (level, sst.clone()))
                    .collect();
                for (pick, level) in moved {
                    if let Some((_, sst)) = live.get(usize::from(*pick) % live.len().max(1)) {
                        removed.insert(sst.id);
                        added.push((usize::from(*level % 6), sst.clone()));
                    }
                }
                Edit::Compaction {
                    compactor_epoch,
                    removed,
                    added,
                    force_delete: *force_delete,
                }
            }
            EditChoice::Checkpoint {
                epoch,
                flush,
                checkpoint,
                release,
            } => {
                let writer_epoch = writer(*epoch);
                let flush = flush.as_ref().map(|(meta, wal_replay_point, last_seq)| {
                    let sst = self.meta(meta);
                    let (wal_replay_point, last_seq) =
                        self.wal_fields(&sst, *wal_replay_point, *last_seq);
                    FlushedTable {
                        sst,
                        wal_replay_point,
                        last_seq,
                    }
                });
                Edit::Checkpoint {
                    writer_epoch,
                    flush,
                    checkpoint: self.checkpoint(checkpoint),
                    release: self.checkpoint_ids(release),
                }
            }
            EditChoice::AddCheckpoint { checkpoint } => Edit::AddCheckpoint {
                checkpoint: self.checkpoint(checkpoint),
            },
            EditChoice::RemoveCheckpoints { ids } => Edit::RemoveCheckpoints {
                ids: self.checkpoint_ids(ids),
            },
            EditChoice::PurgePending { ids } => Edit::PurgePending {
                ids: ids.iter().map(|choice| self.id(*choice)).collect(),
            },
        }
    }

    /// `Same` names the oldest listed checkpoint, `Ahead(n)` the n-th listed one.
    fn checkpoint_ids(&self, choices: &[Rel]) -> BTreeSet<CheckpointId> {
        let listed = &self.base.checkpoints;
        choices
            .iter()
            .map(|choice| match choice {
                Rel::Same => listed.first().map_or(CheckpointId(0), |c| c.id),
                Rel::Ahead(n) => listed
                    .get(usize::from(*n) % listed.len().max(1))
                    .map_or(CheckpointId(0), |c| c.id),
                Rel::Raw(raw) => CheckpointId(u64::from(*raw) % RAW_MAX),
            })
            .collect()
    }
}

/// Applies every edit in turn from the empty manifest, keeping each accepted result.
/// Returns how many edits were accepted.
pub fn run(input: &Input) -> usize {
    let mut manifest = Manifest::initial();
    let mut next_fresh_id = RAW_MAX;
    let mut accepted = 0;
    for choice in input.edits.iter().take(EDITS_MAX) {
        let edit = Builder {
            base: &manifest,
            next_fresh_id: &mut next_fresh_id,
        }
        .edit(choice);
        let Ok(next) = apply(&manifest, &edit) else {
            continue;
        };
        assert_eq!(
            apply(&manifest, &edit).as_ref(),
            Ok(&next),
            "apply is not pure"
        );
        assert_eq!(
            next.version.0,
            manifest.version.0 + 1,
            "version must advance by one"
        );
        if let Err(violation) = check_invariants(&next) {
            panic!("apply accepted {edit:?} into a manifest breaking {violation:?}");
        }
        let encoded = encode_manifest(&next).expect("an applied manifest must encode");
        assert_eq!(
            decode_manifest(&encoded).as_ref(),
            Ok(&next),
            "encode → decode changed the manifest"
        );
        manifest = next;
        accepted += 1;
    }
    accepted
}
