//! `plan_gc` over random histories of valid edits (with ids minted as the roles mint them,
//! and abandoned uploads of every epoch): the plan never deletes a live table, a table a
//! live checkpoint may read, or an upload that could still be installed — also when it is
//! applied late, after more flushes, compactions, fences and checkpoints — and it is
//! complete (everything its rules allow is planned) and bounded.
#![allow(clippy::unwrap_used)]

mod manifest_support;

use lsm_core::gc::{GcOptions, GcPlan, plan_gc};
use lsm_core::ids::{CheckpointId, Epoch, IdRole, SstId};
use lsm_core::layout::sst_path;
use lsm_core::manifest::{Edit, Manifest};
use lsm_core::store::{ETag, ObjectMeta};
use manifest_support::{IdSource, Step, applied, edit_for, step_strategy};
use proptest::prelude::*;
use std::collections::BTreeSet;

/// One history step: a role's edit (if it applies), and maybe an upload abandoned by the
/// current writer (1) or compactor (2) incarnation.
type HistoryStep = (Step, u8);

fn history_strategy(max: usize) -> impl Strategy<Value = Vec<HistoryStep>> {
    prop::collection::vec((step_strategy(), 0u8..6), 0..max)
}

/// Every manifest version (index = version) and every SST id ever uploaded.
struct History {
    manifests: Vec<Manifest>,
    uploaded: BTreeSet<SstId>,
    ids: IdSource,
    counter: u64,
}

impl History {
    fn new() -> History {
        History {
            manifests: vec![Manifest::initial()],
            uploaded: BTreeSet::new(),
            ids: IdSource::default(),
            counter: 0,
        }
    }

    fn newest(&self) -> &Manifest {
        self.manifests.last().unwrap()
    }

    fn mint(&mut self, role: IdRole, epoch: Epoch) -> SstId {
        self.counter += 1;
        let id = SstId::compose(role, epoch, self.counter).unwrap();
        self.uploaded.insert(id);
        id
    }

    /// Applies the steps that apply. Purges and forced deletions are left out: in a real
    /// deployment only the collector purges, and only what it deleted; a forced deletion is
    /// unsafe by definition.
    fn extend(&mut self, steps: &[HistoryStep]) {
        for (step, abandon) in steps {
            let m = self.newest().clone();
            match abandon {
                1 => {
                    self.mint(IdRole::Writer, m.writer_epoch);
                }
                2 => {
                    self.mint(IdRole::Compactor, m.compactor_epoch);
                }
                _ => {}
            }
            if matches!(step, Step::Purge { .. }) {
                continue;
            }
            let Some(edit) = edit_for(&m, step, &mut self.ids) else {
                continue;
            };
            let edit = self.with_role_ids(edit, &m);
            let next = applied(&m, edit);
            self.manifests.push(next);
        }
    }

    /// Gives new tables the ids their role would mint: (writer, writer epoch) for a flush,
    /// (compactor, compactor epoch) for compaction outputs; trivial moves keep theirs.
    fn with_role_ids(&mut self, edit: Edit, m: &Manifest) -> Edit {
        match edit {
            Edit::Flush {
                writer_epoch,
                mut sst,
                wal_replay_point,
                last_seq,
            } => {
                sst.id = self.mint(IdRole::Writer, m.writer_epoch);
                Edit::Flush {
                    writer_epoch,
                    sst,
                    wal_replay_point,
                    last_seq,
                }
            }
            Edit::Compaction {
                compactor_epoch,
                removed,
                added,
                ..
            } => {
                let added = added
                    .into_iter()
                    .map(|(level, mut sst)| {
                        if !removed.contains(&sst.id) {
                            sst.id = self.mint(IdRole::Compactor, m.compactor_epoch);
                        }
                        (level, sst)
                    })
                    .collect();
                Edit::Compaction {
                    compactor_epoch,
                    removed,
                    added,
                    force_delete: false,
                }
            }
            other => other,
        }
    }

    /// A listing of `sst/`: every upload (nothing was deleted yet), plus objects the
    /// collector must leave alone.
    fn listing(&self) -> Vec<ObjectMeta> {
        let mut listed: Vec<ObjectMeta> = self
            .uploaded
            .iter()
            .map(|id| object(sst_path(*id)))
            .collect();
        let remote = SstId::compose(IdRole::RemoteWorker, Epoch(0), 1).unwrap();
        listed.push(object(sst_path(remote)));
        listed.push(object(sst_path(SstId(3))));
        listed.push(object("sst/garbage".to_string()));
        listed.sort_by(|a, b| a.path.cmp(&b.path));
        listed
    }
}

fn object(path: String) -> ObjectMeta {
    ObjectMeta {
        path,
        size_bytes: 100,
        etag: ETag("e".into()),
        attributes: Default::default(),
    }
}

fn deleted_ids(plan: &GcPlan) -> BTreeSet<SstId> {
    plan.deletes().map(|d| d.id).collect()
}

/// What the rules allow, derived independently of the plan.
fn allowed(
    m: &Manifest,
    listed: &[ObjectMeta],
    expired: &BTreeSet<CheckpointId>,
) -> BTreeSet<SstId> {
    let live: Vec<_> = m
        .checkpoints
        .iter()
        .filter(|c| !expired.contains(&c.id))
        .collect();
    let mut ids = BTreeSet::new();
    for p in &m.pending_deletion {
        let needed = live.iter().any(|c| c.manifest_version < p.obsoleted_at);
        let covered = live.iter().any(|c| c.manifest_version >= p.obsoleted_at);
        if !needed && covered {
            ids.insert(p.sst.id);
        }
    }
    let referenced = m.referenced_sst_ids();
    for meta in listed {
        let Some(id) = lsm_core::layout::parse_sst_path(&meta.path) else {
            continue;
        };
        let fenced = match id.role() {
            Some(IdRole::Writer) => id.epoch() < m.writer_epoch,
            Some(IdRole::Compactor) => id.epoch() < m.compactor_epoch,
            _ => false,
        };
        if fenced && !referenced.contains(&id) {
            ids.insert(id);
        }
    }
    ids
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn plans_are_safe_complete_bounded_and_safe_when_late(
        before in history_strategy(70),
        after in history_strategy(30),
        now_pick in any::<u16>(),
        bound in prop_oneof![Just(usize::MAX), 0usize..6],
    ) {
        let mut history = History::new();
        history.extend(&before);
        let m = history.newest().clone();
        let listed = history.listing();
        // Checkpoints expire at 10_000 + version + ttl: pick "now" around there.
        let now = 10_000 + u64::from(now_pick) * 2;
        let options = GcOptions {
            deletes_per_pass_max: bound,
            ..GcOptions::default()
        };
        let plan = plan_gc(&m, &listed, now, &options);
        prop_assert_eq!(&plan, &plan_gc(&m, &listed, now, &options), "deterministic");
        prop_assert_eq!(plan.manifest_version, m.version);

        // Expiry: exactly the checkpoints whose expiry is before now.
        let expected_expired: BTreeSet<CheckpointId> = m
            .checkpoints
            .iter()
            .filter(|c| c.expires_at_ms.is_some_and(|at| at < now))
            .map(|c| c.id)
            .collect();
        prop_assert_eq!(&plan.expired_checkpoints, &expected_expired);

        // Bounded, and what it plans is allowed; with no bound, everything allowed.
        let deleted = deleted_ids(&plan);
        prop_assert!(plan.delete_count() <= bound);
        prop_assert_eq!(deleted.len(), plan.delete_count(), "no object planned twice");
        let allowed = allowed(&m, &listed, &plan.expired_checkpoints);
        prop_assert!(deleted.is_subset(&allowed));
        if bound == usize::MAX {
            prop_assert_eq!(&deleted, &allowed);
        } else {
            prop_assert_eq!(deleted.len(), allowed.len().min(bound));
        }
        let pending = m.referenced_by_pending();
        for d in &plan.pending_to_delete {
            prop_assert!(pending.contains(&d.id));
        }
        for d in &plan.orphans_to_delete {
            prop_assert!(!m.referenced_sst_ids().contains(&d.id));
        }

        // Applied late: after more history, nothing deleted is live, and every checkpoint
        // still listed (bar the expired ones the pass removes first) can read its version.
        let first_later = history.manifests.len();
        history.extend(&after);
        let late = history.newest();
        for id in &deleted {
            prop_assert!(!late.is_live(*id), "deleted {} is live later", id);
        }
        for checkpoint in &late.checkpoints {
            if plan.expired_checkpoints.contains(&checkpoint.id) {
                continue;
            }
            let version = usize::try_from(checkpoint.manifest_version.0).unwrap();
            let pinned = &history.manifests[version];
            for id in &deleted {
                prop_assert!(
                    !pinned.is_live(*id),
                    "checkpoint {} at version {} reads deleted {}",
                    checkpoint.id, version, id
                );
            }
        }
        // And every later tree was readable too (a pinned version that gets checkpointed).
        for later in &history.manifests[first_later..] {
            for id in &deleted {
                prop_assert!(!later.is_live(*id));
            }
        }
    }
}

#[test]
fn a_fenced_flush_output_left_unreferenced_is_the_only_orphan() {
    let mut history = History::new();
    let stale = history.mint(IdRole::Writer, Epoch(0));
    history.extend(&[(Step::FenceWriter { by: 1 }, 0)]);
    let current = history.mint(IdRole::Writer, Epoch(1));
    let plan = plan_gc(
        history.newest(),
        &history.listing(),
        0,
        &GcOptions::default(),
    );
    let orphans: Vec<SstId> = plan.orphans_to_delete.iter().map(|d| d.id).collect();
    assert_eq!(orphans, vec![stale]);
    assert_eq!(plan.kept.in_flight, 1);
    assert_ne!(stale, current);
    assert_eq!(plan.kept.remote_worker, 1);
    assert_eq!(plan.kept.unknown_role, 1);
    assert_eq!(plan.kept.unparsable, 1);
}
