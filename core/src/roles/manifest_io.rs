//! Reading the newest manifest and installing an edit by compare-and-swap.
//!
//! Manifest versions are immutable objects; version N+1 is written with create-if-absent,
//! so of two roles racing to install, exactly one wins and the other re-reads the newest
//! manifest, re-applies its own edit to it (never to the one it planned on) and tries again.

use super::create::{CreateOutcome, create_resolving};
use super::retry::{RetryPolicy, retry_idempotent};
use crate::bugs::Bugs;
use crate::clock::Clock;
use crate::layout::{MANIFEST_PREFIX, manifest_path, parse_manifest_path};
use crate::manifest::{
    Edit, Manifest, ManifestDecodeError, ManifestEncodeError, ManifestError, apply_with,
    decode_manifest, encode_manifest,
};
use crate::store::{GetRange, ObjectStore, StoreError};
use std::fmt;

/// Why reading or installing a manifest failed.
#[derive(Clone, Debug, PartialEq)]
pub enum ManifestIoError {
    /// A request failed for good (retries exhausted, or an error retrying cannot fix).
    Store(StoreError),
    /// Every attempt to write `path` ended without an answer: it may or may not exist.
    Unresolved { path: String },
    /// A stored manifest does not decode: the store holds a corrupt object.
    Corrupt {
        path: String,
        error: ManifestDecodeError,
    },
    /// The edit is invalid against the newest manifest (for example: fenced).
    Rejected(ManifestError),
    /// A manifest that `apply` produced cannot be encoded.
    Encode(ManifestEncodeError),
    /// Other roles won the race every time.
    Contention { attempts: u32 },
}

impl fmt::Display for ManifestIoError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ManifestIoError::Store(error) => write!(f, "manifest store request failed: {error}"),
            ManifestIoError::Unresolved { path } => write!(f, "{path}: install outcome unknown"),
            ManifestIoError::Corrupt { path, error } => write!(f, "{path}: corrupt: {error}"),
            ManifestIoError::Rejected(error) => write!(f, "manifest edit rejected: {error}"),
            ManifestIoError::Encode(error) => write!(f, "manifest cannot be encoded: {error:?}"),
            ManifestIoError::Contention { attempts } => {
                write!(f, "lost the manifest race {attempts} times")
            }
        }
    }
}

impl std::error::Error for ManifestIoError {}

/// Reads the newest manifest. Before any manifest exists the tree is the implicit
/// [`Manifest::initial`] (version 0, never stored), and the first install writes version 1.
pub async fn read_latest_manifest<S: ObjectStore, C: Clock>(
    store: &S,
    clock: &C,
    policy: &RetryPolicy,
) -> Result<Manifest, ManifestIoError> {
    let listed = retry_idempotent(clock, policy, || store.list(MANIFEST_PREFIX))
        .await
        .map_err(ManifestIoError::Store)?;
    let newest = listed
        .iter()
        .filter_map(|meta| parse_manifest_path(&meta.path))
        .max();
    let Some(version) = newest else {
        return Ok(Manifest::initial());
    };
    read_manifest(store, clock, policy, &manifest_path(version)).await
}

/// Reads and decodes one manifest object.
pub async fn read_manifest<S: ObjectStore, C: Clock>(
    store: &S,
    clock: &C,
    policy: &RetryPolicy,
    path: &str,
) -> Result<Manifest, ManifestIoError> {
    let got = retry_idempotent(clock, policy, || store.get(path, GetRange::Whole))
        .await
        .map_err(ManifestIoError::Store)?;
    let manifest = decode_manifest(&got.bytes).map_err(|error| ManifestIoError::Corrupt {
        path: path.to_string(),
        error,
    })?;
    if manifest_path(manifest.version) != path {
        return Err(ManifestIoError::Corrupt {
            path: path.to_string(),
            error: ManifestDecodeError::Decode(crate::codec::DecodeError::Invalid {
                what: "manifest version",
                offset: 0,
                detail: format!("object holds version {}", manifest.version),
            }),
        });
    }
    Ok(manifest)
}

/// Installs the edit `make_edit` derives from the newest manifest, retrying on lost races up
/// to `cas_attempts_max` times. `make_edit` returns `None` when the newest manifest already
/// holds the change (an earlier attempt whose reply was lost did land): that manifest is
/// returned as is. `write_tag` must be unique to this install; each attempt extends it.
/// Returns the manifest that holds the change.
pub async fn install<S, C, F>(
    store: &S,
    clock: &C,
    policy: &RetryPolicy,
    cas_attempts_max: u32,
    write_tag: &str,
    make_edit: F,
) -> Result<Manifest, ManifestIoError>
where
    S: ObjectStore,
    C: Clock,
    F: FnMut(&Manifest) -> Result<Option<Edit>, ManifestError>,
{
    install_with(
        store,
        clock,
        policy,
        cas_attempts_max,
        write_tag,
        Bugs::NONE,
        make_edit,
    )
    .await
}

/// [`install`] with injected defects, which reach [`apply_with`]; `Bugs::NONE` is
/// [`install`].
pub async fn install_with<S, C, F>(
    store: &S,
    clock: &C,
    policy: &RetryPolicy,
    cas_attempts_max: u32,
    write_tag: &str,
    bugs: Bugs,
    mut make_edit: F,
) -> Result<Manifest, ManifestIoError>
where
    S: ObjectStore,
    C: Clock,
    F: FnMut(&Manifest) -> Result<Option<Edit>, ManifestError>,
{
    let attempts = cas_attempts_max.max(1);
    for attempt in 0..attempts {
        let latest = read_latest_manifest(store, clock, policy).await?;
        let Some(edit) = make_edit(&latest).map_err(ManifestIoError::Rejected)? else {
            return Ok(latest);
        };
        let next = apply_with(&latest, &edit, bugs).map_err(ManifestIoError::Rejected)?;
        let bytes = encode_manifest(&next).map_err(ManifestIoError::Encode)?;
        let path = manifest_path(next.version);
        let tag = format!("{write_tag}/cas{attempt}");
        match create_resolving(store, clock, policy, &path, bytes, &tag).await {
            Ok(CreateOutcome::Created) => return Ok(next),
            Ok(CreateOutcome::Taken { .. }) => continue,
            Err(StoreError::UnknownOutcome { .. }) => {
                return Err(ManifestIoError::Unresolved { path });
            }
            Err(error) => return Err(ManifestIoError::Store(error)),
        }
    }
    Err(ManifestIoError::Contention { attempts })
}
