//! Checks that watch the store itself, at the moment each mutation applies: every manifest
//! version ever written decodes and satisfies core's invariants and never moves an epoch or
//! WAL field backwards (manifest invariants), and no object the newest manifest needs goes
//! missing (C3: at every delete, at every new manifest, and at the end). Each new version
//! is also audited against its predecessor (the epoch audit, `epoch_audit.rs`) the moment
//! it lands.

use super::checkpoint_watch::CheckpointWatch;
use super::epoch_audit;
use super::ttl_recovery::LatestJudgeWall;
use super::violations::Violations;
use super::zombie_windows::ZombieWindows;
use crate::store::{AppliedMutation, MutationChange, StoreObserver, StoreState};
use crate::trace::{Trace, TraceEvent};
use lsm_core::layout::{parse_sst_path, parse_wal_path, sst_path, wal_path};
use lsm_core::manifest::{Manifest, decode_manifest, parse_manifest_path};
use lsm_core::store::GetRange;
use std::sync::{Arc, Mutex, MutexGuard};

#[derive(Default)]
struct State {
    newest: Option<Manifest>,
    manifest_versions_seen: u64,
    deletes_checked: u64,
    manifest_invariants: Violations,
    reference_integrity: Violations,
    checkpoints: CheckpointWatch,
    /// Tables that went onto a pending list (deletion deferred).
    pending_added: u64,
    /// The epoch audit's findings, and the versions it compared with their predecessor.
    epoch_audit: Violations,
    versions_audited: u64,
    /// Deleted manifest versions created again by a stale installer.
    manifest_versions_recreated: u64,
}

/// Every this many manifest versions, every listed checkpoint is read again (C2).
const CHECKPOINT_VERIFY_EVERY_VERSIONS: u64 = 16;

/// The observer; read its findings with [`IntegrityObserver::report`].
pub struct IntegrityObserver {
    trace: Trace,
    /// `checkpoint` durability mode: each new writer epoch must start from the newest
    /// checkpoint's content exactly.
    check_recovery: bool,
    state: Mutex<State>,
    /// Samples the run at each new manifest, for the reports.
    pub timeline: super::timeline::TimelineRecorder,
    /// The edits counted for the long-pause regime, and the zombie windows it reaches.
    pub windows: Arc<ZombieWindows>,
}

/// What the observer found.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct IntegrityReport {
    pub manifest_versions_seen: u64,
    pub deletes_checked: u64,
    pub newest_version: Option<u64>,
    pub manifest_invariants: Violations,
    pub reference_integrity: Violations,
    /// C2.
    pub checkpoint_stability: Violations,
    pub recovery: Violations,
    pub checkpoints_recorded: u64,
    pub checkpoint_verifications: u64,
    pub recoveries_checked: u64,
    pub pending_added: u64,
    /// The epoch audit (`epoch-audit`).
    pub epoch_audit: Violations,
    pub versions_audited: u64,
    pub manifest_versions_recreated: u64,
}

impl IntegrityObserver {
    pub fn new(trace: Trace, check_recovery: bool) -> IntegrityObserver {
        IntegrityObserver {
            trace,
            check_recovery,
            state: Mutex::new(State::default()),
            timeline: Default::default(),
            windows: Arc::new(ZombieWindows::default()),
        }
    }

    /// A style that drops tables by design (FIFO, the log style's shift): a recovery may
    /// start from the newest checkpoint's content less some keys, never with another value.
    pub fn allow_lossy_recovery(&self) {
        self.lock().checkpoints.lossy_recovery = true;
    }

    /// A run with TTL in a style that keeps data: a recovery may start from the newest
    /// checkpoint's content less keys that `latest` (the latest wall ms any node's clock
    /// reads at a sim time in ns) says may have expired.
    pub fn allow_expiring_recovery(&self, latest: LatestJudgeWall) {
        self.lock().checkpoints.expiring_recovery = Some(latest);
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    pub fn report(&self) -> IntegrityReport {
        let state = self.lock();
        IntegrityReport {
            manifest_versions_seen: state.manifest_versions_seen,
            deletes_checked: state.deletes_checked,
            newest_version: state.newest.as_ref().map(|m| m.version.0),
            manifest_invariants: state.manifest_invariants.clone(),
            reference_integrity: state.reference_integrity.clone(),
            checkpoint_stability: state.checkpoints.stability.clone(),
            recovery: state.checkpoints.recovery.clone(),
            checkpoints_recorded: state.checkpoints.checkpoints_recorded,
            checkpoint_verifications: state.checkpoints.verifications,
            recoveries_checked: state.checkpoints.recoveries_checked,
            pending_added: state.pending_added,
            epoch_audit: state.epoch_audit.clone(),
            versions_audited: state.versions_audited,
            manifest_versions_recreated: state.manifest_versions_recreated,
        }
    }

    /// C3 at the end of the run, on the store as it is then.
    pub fn check_final(&self, store: &StoreState) {
        let mut state = self.lock();
        if let Some(newest) = state.newest.clone() {
            for missing in missing_tables(&newest, None, store) {
                state.reference_integrity.push(format!(
                    "at the end: {missing} is referenced by manifest v{} but missing",
                    newest.version.0
                ));
            }
        }
        let protected = state.checkpoints.protected_tables();
        for id in protected {
            let path = sst_path(id);
            if store.get(&path, GetRange::Whole).is_err() {
                state.reference_integrity.push(format!(
                    "at the end: {path} is read by a live checkpoint but missing"
                ));
            }
        }
        state.checkpoints.verify(store, "at the end");
    }

    fn on_manifest_put(&self, path: &str, bytes: &[u8], store: &StoreState, state: &mut State) {
        state.manifest_versions_seen += 1;
        let manifest = match decode_manifest(bytes) {
            Ok(manifest) => manifest,
            Err(error) => {
                state
                    .manifest_invariants
                    .push(format!("{path} does not decode: {error}"));
                return;
            }
        };
        if parse_manifest_path(path) != Some(manifest.version) {
            state.manifest_invariants.push(format!(
                "{path} holds manifest version {}",
                manifest.version.0
            ));
        }
        if state
            .newest
            .as_ref()
            .is_some_and(|newest| manifest.version <= newest.version)
        {
            // Create-if-absent refuses an existing version, so this one had been deleted by
            // the garbage collector and an installer that read its predecessor long ago
            // created it again. It is never the newest, so no reader sees it; the installer
            // must not take it for an install (core reports the outcome unknown).
            state.manifest_versions_recreated += 1;
            self.trace.record(
                "store",
                TraceEvent::Custom {
                    kind: "manifest_recreated".to_string(),
                    detail: format!("v{}", manifest.version.0),
                },
            );
            return;
        }
        if let Some(previous) = &state.newest {
            for regression in regressions(previous, &manifest) {
                state
                    .manifest_invariants
                    .push(format!("{path}: {regression}"));
            }
        }
        self.audit_epochs(&manifest, state);
        for missing in missing_tables(&manifest, state.newest.as_ref(), store) {
            state.reference_integrity.push(format!(
                "{path} references {missing}, which is not in the store"
            ));
        }
        self.record_install(&manifest);
        state.checkpoints.on_manifest(&manifest, store);
        self.advance_newest(manifest, store, state);
        if state.manifest_versions_seen % CHECKPOINT_VERIFY_EVERY_VERSIONS == 0 {
            let when = format!("after {} manifest versions", state.manifest_versions_seen);
            state.checkpoints.verify(store, &when);
        }
    }

    /// The epoch audit of `manifest` against its predecessor, at once: a finding names the
    /// version, the edit and the epochs, and goes into the trace as it happens.
    fn audit_epochs(&self, manifest: &Manifest, state: &mut State) {
        let initial = Manifest::initial();
        let previous = match &state.newest {
            Some(newest) => newest,
            // The first version a role writes is the fence on top of the implicit v0.
            None if manifest.version.0 == 1 => &initial,
            None => return,
        };
        if manifest.version.0 != previous.version.0 + 1 {
            if manifest.version > previous.version {
                state.epoch_audit.push(format!(
                    "v{} landed without its predecessor (newest seen v{})",
                    manifest.version.0, previous.version.0
                ));
            }
            return;
        }
        let audited = epoch_audit::audit(previous, manifest);
        state.versions_audited += 1;
        self.windows.count_edits(&audited.changes);
        let at_s = crate::clock::sim_elapsed().as_secs_f64();
        for violation in audited.violations {
            self.trace.record(
                "store",
                TraceEvent::Custom {
                    kind: "epoch_audit_failed".to_string(),
                    detail: violation.clone(),
                },
            );
            state.epoch_audit.push(format!("at {at_s:.3}s {violation}"));
        }
    }

    /// The trace's record of a manifest version: its epochs and shape.
    fn record_install(&self, manifest: &Manifest) {
        self.trace.record(
            "store",
            TraceEvent::Custom {
                kind: "manifest_install".to_string(),
                detail: format!(
                    "v{} writer_epoch={} compactor_epoch={} l0={} levels={:?} replay_point={} last_seq={} pending={}",
                    manifest.version.0,
                    manifest.writer_epoch,
                    manifest.compactor_epoch,
                    manifest.l0.len(),
                    manifest.levels.iter().map(Vec::len).collect::<Vec<_>>(),
                    manifest.wal_replay_point.0,
                    manifest.last_seq.0,
                    manifest.pending_deletion.len()
                ),
            },
        );
    }

    /// A version newer than every one before becomes the newest: count the tables it put on
    /// the pending list, check a new writer's recovery, and sample the timeline.
    fn advance_newest(&self, manifest: Manifest, store: &StoreState, state: &mut State) {
        let previous_writer_epoch = state.newest.as_ref().map(|newest| newest.writer_epoch);
        let newer = state
            .newest
            .as_ref()
            .is_none_or(|newest| manifest.version > newest.version);
        if !newer {
            return;
        }
        let known = state
            .newest
            .as_ref()
            .map(Manifest::referenced_by_pending)
            .unwrap_or_default();
        state.pending_added += manifest
            .pending_deletion
            .iter()
            .filter(|pending| !known.contains(&pending.sst.id))
            .count() as u64;
        if self.check_recovery
            && previous_writer_epoch.is_some_and(|epoch| manifest.writer_epoch > epoch)
        {
            state.checkpoints.check_recovery(&manifest, store);
        }
        state.checkpoints.retain_listed(&manifest);
        self.timeline.on_manifest(&manifest, store);
        state.newest = Some(manifest);
    }

    fn on_delete(&self, path: &str, state: &mut State) {
        state.deletes_checked += 1;
        let Some(newest) = &state.newest else { return };
        if let Some(id) = parse_sst_path(path)
            && newest.is_live(id)
        {
            state.reference_integrity.push(format!(
                "{path} deleted while live in manifest v{}",
                newest.version.0
            ));
        }
        if let Some(id) = parse_sst_path(path)
            && let Some(checkpoint) = state.checkpoints.checkpoint_reading(id)
        {
            state.reference_integrity.push(format!(
                "{path} deleted while live checkpoint {checkpoint} reads it"
            ));
        }
        if let Some(id) = parse_wal_path(path)
            && id >= newest.wal_replay_point
        {
            state.reference_integrity.push(format!(
                "{} deleted at or after the replay point of manifest v{}",
                wal_path(id),
                newest.version.0
            ));
        }
        if parse_manifest_path(path).is_some_and(|version| version >= newest.version) {
            state
                .reference_integrity
                .push(format!("{path} deleted: it is the newest manifest"));
        }
        if let Some(version) = parse_manifest_path(path)
            && let Some(checkpoint) = newest
                .checkpoints
                .iter()
                .find(|checkpoint| checkpoint.manifest_version == version)
        {
            state.reference_integrity.push(format!(
                "{path} deleted while checkpoint {} of manifest v{} names it",
                checkpoint.id, newest.version.0
            ));
        }
    }
}

impl StoreObserver for IntegrityObserver {
    fn on_request(&self, node: &str, _path: &str, write: bool) {
        if write {
            self.windows.on_write_from(node);
        }
    }

    fn on_mutation(&self, mutation: &AppliedMutation, store: &StoreState) {
        let mut state = self.lock();
        match &mutation.change {
            MutationChange::Put { bytes, .. } if parse_manifest_path(&mutation.path).is_some() => {
                self.on_manifest_put(&mutation.path, bytes, store, &mut state);
            }
            MutationChange::Delete { .. } => self.on_delete(&mutation.path, &mut state),
            MutationChange::Put { .. } => {}
        }
    }
}

/// The live tables of `manifest` absent from `store`, of those `previous` (the newest
/// version before it) did not already name: those were present then, and deleting one
/// since is [`IntegrityObserver::on_delete`]'s finding. Checking every table of every
/// version cost the square of the run's length.
fn missing_tables(
    manifest: &Manifest,
    previous: Option<&Manifest>,
    store: &StoreState,
) -> Vec<String> {
    let known = previous.map(Manifest::live_sst_ids).unwrap_or_default();
    manifest
        .all_live_ssts()
        .filter(|sst| !known.contains(&sst.id))
        .map(|sst| sst_path(sst.id))
        .filter(|path| store.object(path).is_none())
        .collect()
}

/// Fields that may never go back from one manifest version to the next.
fn regressions(previous: &Manifest, next: &Manifest) -> Vec<String> {
    let mut found = Vec::new();
    if next.version <= previous.version {
        return found;
    }
    if next.writer_epoch < previous.writer_epoch {
        found.push(format!(
            "writer epoch went back from {} to {}",
            previous.writer_epoch, next.writer_epoch
        ));
    }
    if next.compactor_epoch < previous.compactor_epoch {
        found.push(format!(
            "compactor epoch went back from {} to {}",
            previous.compactor_epoch, next.compactor_epoch
        ));
    }
    if next.wal_replay_point < previous.wal_replay_point {
        found.push(format!(
            "WAL replay point went back from {} to {}",
            previous.wal_replay_point.0, next.wal_replay_point.0
        ));
    }
    if next.last_seq < previous.last_seq {
        found.push(format!(
            "last sequence number went back from {} to {}",
            previous.last_seq.0, next.last_seq.0
        ));
    }
    found
}
