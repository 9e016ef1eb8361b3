//! The standalone compactor role (as `zerofs compactor` on SlateDB): its own node, its own
//! compactor epoch, coordinating with the writer only through the manifest.
//!
//! Opening bumps the compactor epoch, so any older compactor — standalone or a writer's
//! embedded one — can no longer install. The job engine ([`JobEngine`]) is the one
//! implementation of starting and installing jobs; the writer runs the same engine as its
//! embedded compactor. The host drives jobs: [`Compactor::start_job`]
//! picks one that overlaps no running job, [`run_job`] does its I/O and merge without
//! borrowing the compactor (so several can run at once on separate tasks), and
//! [`Compactor::finish_job`] installs it by manifest CAS after re-validating it on the
//! newest manifest. Ownership (DESIGN.md): its edits only remove tables by id set and add
//! level tables (or L0 tables for an intra-L0 merge); it never touches the WAL fields, so a
//! lost race with a writer's flush is simply re-applied on the newest manifest.
//!
//! Deletion is deferred: inputs go onto the manifest's pending list and stay in the store
//! for the garbage collector. This role deletes only the outputs of its own stale jobs
//! (never installed, never to be) and, under the unsafe `force_delete`, its inputs.

mod engine;
mod error;
mod jobs;
mod options;
mod stats;

pub use engine::{Finished, JobEngine, OUTPUT_IDS_PER_JOB};
pub use error::CompactorError;
pub use jobs::{JobOutcome, run_job};
pub use options::CompactorOptions;
pub use stats::CompactorStats;

use crate::clock::Clock;
use crate::ids::Epoch;
use crate::manifest::Manifest;
use crate::manifest::decide::fence_compactor;
use crate::roles::manifest_io::{ManifestIoError, install, read_latest_manifest};
use crate::store::ObjectStore;

/// One standalone compactor incarnation. Methods take `&mut self`; the jobs themselves run
/// through [`run_job`], which borrows only the store and the clock.
pub struct Compactor<S, C> {
    store: S,
    clock: C,
    /// The newest manifest this compactor knows.
    manifest: Manifest,
    engine: JobEngine,
}

impl<S: ObjectStore + Clone, C: Clock + Clone> Compactor<S, C> {
    /// Bumps the compactor epoch (FenceCompactor by CAS): any older compactor — standalone or
    /// a writer's embedded one — can no longer install. `tag` must be unique per call.
    pub async fn open(
        store: S,
        clock: C,
        options: CompactorOptions,
        tag: &str,
    ) -> Result<Self, CompactorError> {
        let fence_tag = format!("compactor-open/{tag}");
        let fenced = install(
            &store,
            &clock,
            &options.retry,
            options.cas_attempts_max,
            &fence_tag,
            |latest| fence_compactor(latest, None),
        )
        .await;
        let installed = fenced.map_err(|error| match error {
            ManifestIoError::Unresolved { path } => CompactorError::Unresolved { path },
            other => CompactorError::Manifest(other),
        })?;
        // Paired with `decide::fence_compactor`: the manifest names the epoch it claimed.
        assert_eq!(
            installed.manifest.compactor_epoch, installed.output,
            "a compactor fence installs the epoch it claimed"
        );
        let manifest = installed.manifest;
        let engine = JobEngine::new(
            options,
            format!("compactor/{tag}"),
            manifest.compactor_epoch,
            None,
        );
        Ok(Compactor {
            store,
            clock,
            manifest,
            engine,
        })
    }

    pub fn epoch(&self) -> Epoch {
        self.engine.epoch()
    }

    /// The newest manifest this compactor knows.
    pub fn manifest(&self) -> &Manifest {
        &self.manifest
    }

    pub fn stats(&self) -> CompactorStats {
        self.engine.stats()
    }

    /// Jobs started and not yet finished.
    pub fn running_jobs(&self) -> usize {
        self.engine.running_jobs()
    }

    /// Why this incarnation stopped, if it did.
    pub fn fenced(&self) -> Option<&CompactorError> {
        self.engine.fenced()
    }

    /// Re-reads the newest manifest (fenced if the compactor epoch moved on).
    pub async fn refresh(&mut self) -> Result<(), CompactorError> {
        if let Some(error) = self.engine.fenced() {
            return Err(error.clone());
        }
        let retry = self.engine.options().retry;
        let latest = read_latest_manifest(&self.store, &self.clock, &retry)
            .await
            .map_err(CompactorError::Manifest)?;
        self.engine.check_epochs(&latest)?;
        assert!(
            latest.version >= self.manifest.version,
            "the compactor's manifest never moves back"
        );
        self.manifest = latest;
        Ok(())
    }
}
