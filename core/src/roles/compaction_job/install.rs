//! Installing a job's result by manifest CAS: re-validated on the newest manifest (the
//! compactor epoch, and the writer epoch for an embedded compactor, still current; every
//! input still live), re-applied there after a lost race, a bounded number of times.

use crate::bugs::{Bug, Bugs};
use crate::clock::Clock;
use crate::compaction::{CompactionPlan, PlanError, PlanKind};
use crate::ids::{Epoch, SstId};
use crate::manifest::{Manifest, ManifestError, Role};
use crate::roles::manifest_io::{ManifestIoError, install_with};
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
    install_job_with(store, clock, request, Bugs::NONE).await
}

/// [`install_job`] with injected defects (`compactor-no-revalidate`,
/// `l0-remove-by-position`); `Bugs::NONE` is [`install_job`].
pub async fn install_job_with<S: ObjectStore, C: Clock>(
    store: &S,
    clock: &C,
    request: InstallRequest<'_>,
    bugs: Bugs,
) -> Result<InstallOutcome, InstallError> {
    install_checked(store, clock, request, bugs, InputCheck::Live).await
}

/// Installs a remote worker's result: [`install_job`], or under the `remote-stale-install`
/// bug one that checks the epochs but not that the inputs are still live.
pub async fn install_remote_result<S: ObjectStore, C: Clock>(
    store: &S,
    clock: &C,
    request: InstallRequest<'_>,
    bugs: Bugs,
) -> Result<InstallOutcome, InstallError> {
    let inputs = if bugs.has(Bug::RemoteStaleInstall) {
        InputCheck::SkipVanished
    } else {
        InputCheck::Live
    };
    install_checked(store, clock, request, Bugs::NONE, inputs).await
}

/// Whether an install refuses a plan whose inputs vanished.
#[derive(Clone, Copy, PartialEq, Eq)]
enum InputCheck {
    /// Every input must still be live (the correct protocol).
    Live,
    /// BUG (`remote-stale-install`): vanished inputs are skipped, the outputs added anyway.
    SkipVanished,
}

async fn install_checked<S: ObjectStore, C: Clock>(
    store: &S,
    clock: &C,
    request: InstallRequest<'_>,
    bugs: Bugs,
    inputs: InputCheck,
) -> Result<InstallOutcome, InstallError> {
    // `install` only carries manifest errors out of the closure; a plan refusal rides
    // beside it and is checked first.
    let mut refusal = None;
    let installed = install_with(
        store,
        clock,
        request.retry,
        request.cas_attempts_max,
        request.write_tag,
        bugs,
        |latest| {
            if bugs.has(Bug::CompactorNoRevalidate) {
                return Ok(Some(super::unchecked::unchecked_edit(
                    request.plan,
                    request.outputs,
                    latest,
                    request.force_delete,
                )));
            }
            require_epochs(latest, request.writer_epoch, request.compactor_epoch)?;
            if request.resolving && landed(request.plan, request.outputs, latest) {
                return Ok(None);
            }
            if inputs == InputCheck::SkipVanished {
                // The epochs were checked just above, so the edit's epoch is the request's.
                return Ok(Some(super::unchecked::unchecked_edit(
                    request.plan,
                    request.outputs,
                    latest,
                    request.force_delete,
                )));
            }
            let edit = request.plan.into_edit(
                latest,
                request.outputs,
                request.compactor_epoch,
                request.force_delete,
            );
            match edit {
                Ok(edit) => Ok(Some(edit)),
                Err(error) => {
                    let stand_in = ManifestError::UnknownSst {
                        id: refused_id(&error, request.plan),
                    };
                    refusal = Some(error);
                    Err(stand_in)
                }
            }
        },
    )
    .await;
    match (installed, refusal) {
        (Ok(manifest), _) => Ok(InstallOutcome::Installed(manifest)),
        (Err(_), Some(PlanError::InputNotLive { id })) => Ok(InstallOutcome::Stale { id }),
        (Err(_), Some(other)) => Err(InstallError::Plan(other)),
        (Err(error), None) => Err(InstallError::Manifest(error)),
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

/// The id to name in the manifest error that stands in for a plan refusal.
fn refused_id(error: &PlanError, plan: &CompactionPlan) -> SstId {
    match error {
        PlanError::InputNotLive { id } => *id,
        PlanError::OutputsForNonMerge { .. } => {
            plan.input_ids().first().copied().unwrap_or_default()
        }
    }
}
