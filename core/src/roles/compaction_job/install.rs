//! Installing a job's result by manifest CAS: re-validated on the newest manifest (the
//! compactor epoch, and the writer epoch for an embedded compactor, still current; every
//! input still live), re-applied there after a lost race, a bounded number of times.

#[cfg(feature = "bugs")]
use super::unchecked::unchecked_edit;
#[cfg(feature = "bugs")]
use crate::bugs::{Bug, Bugs};
use crate::clock::Clock;
use crate::compaction::{CompactionPlan, PlanError, PlanKind};
use crate::ids::{Epoch, SstId};
use crate::manifest::decide::Decision;
use crate::manifest::{Manifest, ManifestError, Role};
use crate::roles::manifest_io::{CasSettings, InstallFailure, ManifestIoError, install_decided};
use crate::roles::retry::RetryPolicy;
use crate::sst::SstMeta;
use crate::store::ObjectStore;
use std::fmt;

/// What to install and under which epochs.
#[derive(Clone, Copy, Debug)]
pub struct InstallRequest<'a> {
    pub plan: &'a CompactionPlan,
    /// The uploaded outputs' metadata (none for a move or a deletion).
    pub outputs: &'a [SstMeta],
    pub compactor_epoch: Epoch,
    /// An embedded compactor also stops once its writer is fenced.
    pub writer_epoch: Option<Epoch>,
    /// Unsafe on purpose: inputs skip the pending list (see [`crate::manifest::Edit`]).
    pub force_delete: bool,
    /// An earlier install of this same job ended without an answer: first look whether it
    /// landed, so it is never installed twice.
    pub resolving: bool,
    pub retry: &'a RetryPolicy,
    pub cas_attempts_max: u32,
    /// Unique to this install attempt.
    pub write_tag: &'a str,
    /// Injected defects (`compactor-no-revalidate`, `l0-remove-by-position`,
    /// `remote-stale-install`).
    #[cfg(feature = "bugs")]
    pub bugs: Bugs,
}

/// How an install ended, short of an error.
#[derive(Clone, Debug, PartialEq)]
pub enum InstallOutcome {
    /// The manifest that holds the job's result (installed now, or found already there).
    Installed(Manifest),
    /// Input `id` is no longer live on the newest manifest: nothing was installed, and the
    /// outputs are orphans for garbage collection.
    Stale { id: SstId },
}

/// Why an install failed.
#[derive(Clone, Debug, PartialEq)]
pub enum InstallError {
    /// Reading or writing the manifest failed; `Rejected` with a stale epoch means fenced,
    /// `Unresolved` means the install may or may not have landed.
    Manifest(ManifestIoError),
    /// The plan cannot become an edit for a reason other than staleness.
    Plan(PlanError),
}

impl fmt::Display for InstallError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            InstallError::Manifest(error) => write!(f, "{error}"),
            InstallError::Plan(error) => write!(f, "compaction plan: {error}"),
        }
    }
}

impl std::error::Error for InstallError {}

/// Installs the job described by `request` on the newest manifest.
pub async fn install_job<S: ObjectStore, C: Clock>(
    store: &S,
    clock: &C,
    request: InstallRequest<'_>,
) -> Result<InstallOutcome, InstallError> {
    install_checked(store, clock, request, InputCheck::Live).await
}

/// Installs a remote worker's result: [`install_job`], or under the `remote-stale-install`
/// bug one that checks the epochs but not that the inputs are still live.
pub async fn install_remote_result<S: ObjectStore, C: Clock>(
    store: &S,
    clock: &C,
    request: InstallRequest<'_>,
) -> Result<InstallOutcome, InstallError> {
    // BUG (`remote-stale-install`): the remote primary's only injected install defect.
    #[cfg(feature = "bugs")]
    let (request, inputs) = {
        let stale = request.bugs.has(Bug::RemoteStaleInstall);
        let inputs = if stale {
            InputCheck::SkipVanished
        } else {
            InputCheck::Live
        };
        let request = InstallRequest {
            bugs: Bugs::NONE,
            ..request
        };
        (request, inputs)
    };
    #[cfg(not(feature = "bugs"))]
    let inputs = InputCheck::Live;
    install_checked(store, clock, request, inputs).await
}

/// Whether an install refuses a plan whose inputs vanished.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InputCheck {
    /// Every input must still be live (the correct protocol).
    Live,
    /// BUG (`remote-stale-install`): vanished inputs are skipped, the outputs added anyway.
    #[cfg(feature = "bugs")]
    SkipVanished,
}

/// Why the compaction install's decision refuses the newest manifest.
#[derive(Clone, Debug, PartialEq)]
pub enum InstallRefusal {
    /// An epoch the install runs under was superseded: fenced.
    Fenced(ManifestError),
    /// The plan cannot become an edit on the newest manifest (an input no longer live is
    /// staleness; anything else a plan error).
    Plan(PlanError),
}

/// The compaction install's decision on the newest manifest: refused once an epoch moved
/// on; nothing to install when an earlier attempt whose reply was lost already landed
/// (`resolving`); else the plan's edit, re-validated on `latest` (every input still live).
/// Pure: [`install_job`] runs it on every attempt.
pub fn decide_install(
    latest: &Manifest,
    request: &InstallRequest<'_>,
    inputs: InputCheck,
) -> Result<Decision<()>, InstallRefusal> {
    // BUG (`compactor-no-revalidate`): the plan is trusted, nothing re-checked.
    #[cfg(feature = "bugs")]
    if request.bugs.has(Bug::CompactorNoRevalidate) {
        let edit = unchecked_edit(request.plan, request.outputs, latest, request.force_delete);
        return Ok(Decision::Install { edit, output: () });
    }
    // BUG (`stale-epoch-accepted`): the epoch pre-check is left to `apply`, which the bug
    // makes accept an older epoch.
    #[cfg(feature = "bugs")]
    let check_epochs = !request.bugs.has(Bug::StaleEpochAccepted);
    #[cfg(not(feature = "bugs"))]
    let check_epochs = true;
    if check_epochs {
        require_epochs(latest, request.writer_epoch, request.compactor_epoch)
            .map_err(InstallRefusal::Fenced)?;
    }
    if request.resolving && landed(request.plan, request.outputs, latest) {
        return Ok(Decision::Holds(()));
    }
    let edit = match inputs {
        // The epochs were checked just above, so the edit's epoch is the request's.
        #[cfg(feature = "bugs")]
        InputCheck::SkipVanished => {
            unchecked_edit(request.plan, request.outputs, latest, request.force_delete)
        }
        InputCheck::Live => request
            .plan
            .into_edit(
                latest,
                request.outputs,
                request.compactor_epoch,
                request.force_delete,
            )
            .map_err(InstallRefusal::Plan)?,
    };
    Ok(Decision::Install { edit, output: () })
}

async fn install_checked<S: ObjectStore, C: Clock>(
    store: &S,
    clock: &C,
    request: InstallRequest<'_>,
    inputs: InputCheck,
) -> Result<InstallOutcome, InstallError> {
    let settings = CasSettings {
        policy: request.retry,
        cas_attempts_max: request.cas_attempts_max,
        write_tag: request.write_tag,
        #[cfg(feature = "bugs")]
        bugs: request.bugs,
    };
    let decide = |latest: &Manifest| decide_install(latest, &request, inputs);
    match install_decided(store, clock, &settings, decide).await {
        Ok(installed) => {
            // Paired with `landed`, which resolves an unknown outcome on the next attempt:
            // what an install leaves is what `landed` looks for (a move's tables at the
            // output level are looked for only when the inputs were checked live).
            assert!(
                request.plan.kind == PlanKind::Move
                    || landed(request.plan, request.outputs, &installed.manifest)
            );
            Ok(InstallOutcome::Installed(installed.manifest))
        }
        Err(InstallFailure::Refused(InstallRefusal::Plan(PlanError::InputNotLive { id }))) => {
            Ok(InstallOutcome::Stale { id })
        }
        Err(InstallFailure::Refused(InstallRefusal::Plan(error))) => Err(InstallError::Plan(error)),
        Err(InstallFailure::Refused(InstallRefusal::Fenced(error))) => {
            Err(InstallError::Manifest(ManifestIoError::Rejected(error)))
        }
        Err(InstallFailure::Io(error)) => Err(InstallError::Manifest(error)),
    }
}

/// Refuses to install on a manifest where the compactor epoch (or the embedded compactor's
/// writer epoch) has been superseded.
pub(crate) fn require_epochs(
    latest: &Manifest,
    writer_epoch: Option<Epoch>,
    compactor_epoch: Epoch,
) -> Result<(), ManifestError> {
    if let Some(writer_epoch) = writer_epoch
        && latest.writer_epoch != writer_epoch
    {
        return Err(ManifestError::StaleEpoch {
            role: Role::Writer,
            edit_epoch: writer_epoch,
            current_epoch: latest.writer_epoch,
        });
    }
    if latest.compactor_epoch != compactor_epoch {
        return Err(ManifestError::StaleEpoch {
            role: Role::Compactor,
            edit_epoch: compactor_epoch,
            current_epoch: latest.compactor_epoch,
        });
    }
    Ok(())
}

/// True when `latest` already holds the result of `plan`. Called only with the compactor
/// epoch still current, so only this incarnation's compactor can have changed the tables
/// involved; running jobs never share inputs (Busy), so nothing else produced that result.
fn landed(plan: &CompactionPlan, outputs: &[SstMeta], latest: &Manifest) -> bool {
    let inputs = plan.input_ids();
    match plan.kind {
        // Output ids are new and unique to this job: one known means the edit landed.
        PlanKind::Merge if !outputs.is_empty() => {
            let known = latest.referenced_sst_ids();
            outputs.iter().any(|meta| known.contains(&meta.id))
        }
        PlanKind::Merge | PlanKind::Delete => inputs.iter().all(|id| !latest.is_live(*id)),
        PlanKind::Move => inputs.iter().all(|id| {
            latest
                .find_live(*id)
                .is_some_and(|(level, _)| level == plan.output_level)
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compaction::{CompactionReason, OutputTime, PlanInput};
    use crate::ids::{ManifestVersion, SeqNum};
    use bytes::Bytes;

    fn table(id: u64, key: &'static [u8], seq: u64) -> SstMeta {
        SstMeta {
            id: SstId(id),
            smallest_key: Bytes::from_static(key),
            largest_key: Bytes::from_static(key),
            smallest_seq: SeqNum(seq),
            largest_seq: SeqNum(seq),
            entry_count: 1,
            tombstone_count: 0,
            logical_bytes: 1,
            size_bytes: 1,
            created_at_ms: 0,
            object_crc32c: 0,
        }
    }

    /// A manifest at compactor epoch 3 whose L0 holds tables 2 (newest) and 1.
    fn manifest() -> Manifest {
        let mut manifest = Manifest::initial();
        manifest.version = ManifestVersion(5);
        manifest.compactor_epoch = Epoch(3);
        manifest.l0 = vec![table(2, b"b", 20), table(1, b"a", 10)];
        manifest.last_seq = SeqNum(20);
        manifest
    }

    fn plan() -> CompactionPlan {
        CompactionPlan {
            kind: PlanKind::Merge,
            reason: CompactionReason::Manual,
            inputs: vec![PlanInput {
                level: 0,
                ids: vec![SstId(2), SstId(1)],
            }],
            output_level: 1,
            bottommost: true,
            target_file_size_bytes: u64::MAX,
            output_time: OutputTime::BuildTime,
            round_robin_cursor: None,
            grandparents: None,
        }
    }

    fn request<'a>(
        plan: &'a CompactionPlan,
        outputs: &'a [SstMeta],
        retry: &'a RetryPolicy,
        resolving: bool,
    ) -> InstallRequest<'a> {
        InstallRequest {
            plan,
            outputs,
            compactor_epoch: Epoch(3),
            writer_epoch: None,
            force_delete: false,
            resolving,
            retry,
            cas_attempts_max: 1,
            write_tag: "test",
            #[cfg(feature = "bugs")]
            bugs: Bugs::NONE,
        }
    }

    #[test]
    fn a_live_plan_installs_its_edit_on_the_newest_manifest() {
        let (plan, retry) = (plan(), RetryPolicy::default());
        let outputs = [table(9, b"a", 20)];
        let decided = decide_install(
            &manifest(),
            &request(&plan, &outputs, &retry, false),
            InputCheck::Live,
        );
        let edit = decided.unwrap().edit().cloned();
        assert!(matches!(
            edit,
            Some(crate::manifest::Edit::Compaction { .. })
        ));
    }

    #[test]
    fn a_superseded_compactor_epoch_is_fenced() {
        let (plan, retry) = (plan(), RetryPolicy::default());
        let mut latest = manifest();
        latest.compactor_epoch = Epoch(4);
        let decided = decide_install(
            &latest,
            &request(&plan, &[], &retry, false),
            InputCheck::Live,
        );
        assert!(matches!(decided, Err(InstallRefusal::Fenced(error)) if error.is_fenced()));
    }

    #[test]
    fn an_input_no_longer_live_makes_the_plan_stale() {
        let (plan, retry) = (plan(), RetryPolicy::default());
        let mut latest = manifest();
        latest.l0.retain(|sst| sst.id != SstId(1));
        let decided = decide_install(
            &latest,
            &request(&plan, &[], &retry, false),
            InputCheck::Live,
        );
        assert_eq!(
            decided,
            Err(InstallRefusal::Plan(PlanError::InputNotLive {
                id: SstId(1)
            }))
        );
    }

    #[test]
    fn a_resolving_install_whose_outputs_are_known_landed() {
        let (plan, retry) = (plan(), RetryPolicy::default());
        let outputs = [table(9, b"a", 20)];
        let mut latest = manifest();
        latest.l0.clear();
        latest.levels = vec![vec![table(9, b"a", 20)]];
        let decided = decide_install(
            &latest,
            &request(&plan, &outputs, &retry, true),
            InputCheck::Live,
        );
        assert_eq!(decided, Ok(Decision::Holds(())));
    }
}
