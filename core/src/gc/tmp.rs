//! `plan_tmp_gc`: which temporary outputs of remote jobs may go.
//!
//! A job's prefix `tmp/<epoch>-<counter>/` names the compactor epoch of the primary that
//! scheduled it. A primary installs only under its own compactor epoch, and `apply` refuses
//! a stale one, so once the manifest's compactor epoch has moved past the job's, nothing
//! under that prefix can ever be installed: it is garbage whatever any clock says. This is
//! what collects the outputs of a primary that crashed between schedule and install. Jobs
//! of the current epoch are the live primary's to purge (it does, once a job is closed, and
//! sweeps for prefixes no open job owns).

use crate::layout::parse_tmp_job;
use crate::manifest::Manifest;
use crate::store::ObjectMeta;

/// Paths of `listed` (a listing of `tmp/`) whose job belongs to a fenced compactor epoch,
/// at most `max` of them, in listing order. Pure and total.
pub fn plan_tmp_gc(manifest: &Manifest, listed: &[ObjectMeta], max: usize) -> Vec<String> {
    listed
        .iter()
        .filter(|meta| {
            parse_tmp_job(&meta.path).is_some_and(|(epoch, _)| epoch < manifest.compactor_epoch)
        })
        .take(max)
        .map(|meta| meta.path.clone())
        .collect()
}
