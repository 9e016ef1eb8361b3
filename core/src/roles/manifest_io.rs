//! Reading the newest manifest and installing an edit by compare-and-swap.
//!
//! Manifest versions are immutable objects; version N+1 is written with create-if-absent,
//! so of two roles racing to install, exactly one wins and the other re-reads the newest
//! manifest, re-applies its own edit to it (never to the one it planned on) and tries again.

use super::create::{CreateOutcome, create_resolving};
use super::retry::{RetryPolicy, retry_idempotent};
#[cfg(feature = "bugs")]
use crate::bugs::Bugs;
use crate::clock::Clock;
use crate::gc::MANIFEST_VERSIONS_KEPT_MIN;
use crate::ids::ManifestVersion;
use crate::layout::{MANIFEST_PREFIX, manifest_path, parse_manifest_path};
use crate::manifest::decide::Decision;
use crate::manifest::{
    Manifest, ManifestDecodeError, ManifestEncodeError, ManifestError, decode_manifest,
    encode_manifest,
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

/// Listings of `manifest/` one read makes, at most, when the version it listed as newest
/// is deleted (by manifest garbage collection) before it could be read.
pub const MANIFEST_RELIST_MAX: u32 = 8;

/// Reads the newest manifest. Before any manifest exists the tree is the implicit
/// [`Manifest::initial`] (version 0, never stored), and the first install writes version 1.
pub async fn read_latest_manifest<S: ObjectStore, C: Clock>(
    store: &S,
    clock: &C,
    policy: &RetryPolicy,
) -> Result<Manifest, ManifestIoError> {
    let newer = read_manifest_newer_than(store, clock, policy, None).await?;
    Ok(newer.unwrap_or_else(Manifest::initial))
}

/// The newest manifest if its version is above `known` (any stored one for `None`), else
/// `None`: one listing when nothing changed. A version deleted between the listing and the
/// read (only an older one can be: the collector never deletes the newest) makes it list
/// again, at most [`MANIFEST_RELIST_MAX`] times.
pub async fn read_manifest_newer_than<S: ObjectStore, C: Clock>(
    store: &S,
    clock: &C,
    policy: &RetryPolicy,
    known: Option<ManifestVersion>,
) -> Result<Option<Manifest>, ManifestIoError> {
    let mut last_error = None;
    for _ in 0..MANIFEST_RELIST_MAX {
        let Some(version) = newest_listed_version(store, clock, policy).await? else {
            return Ok(None);
        };
        if known.is_some_and(|known| version <= known) {
            return Ok(None);
        }
        match read_manifest(store, clock, policy, &manifest_path(version)).await {
            Ok(manifest) => {
                // `read_manifest` checked the object holds the version its path names.
                assert_eq!(manifest.version, version);
                return Ok(Some(manifest));
            }
            Err(error @ ManifestIoError::Store(StoreError::NotFound { .. })) => {
                last_error = Some(error);
            }
            Err(error) => return Err(error),
        }
    }
    let error = last_error.expect("every listing found a version");
    Err(error)
}

/// The highest version `manifest/` lists, if any.
pub async fn newest_listed_version<S: ObjectStore, C: Clock>(
    store: &S,
    clock: &C,
    policy: &RetryPolicy,
) -> Result<Option<ManifestVersion>, ManifestIoError> {
    let listed = retry_idempotent(clock, policy, || store.list(MANIFEST_PREFIX))
        .await
        .map_err(ManifestIoError::Store)?;
    Ok(listed
        .iter()
        .filter_map(|meta| parse_manifest_path(&meta.path))
        .max())
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

/// A change installed: the manifest that holds it, what its decision computed on that
/// manifest's predecessor (or on it, when it already held the change), and the attempts made.
#[derive(Clone, Debug, PartialEq)]
pub struct Installed<T> {
    pub manifest: Manifest,
    pub output: T,
    /// Decisions made (one per manifest read): lost races are `attempts - 1`.
    pub attempts: u32,
}

/// Why a decided install failed: the decision refused the newest manifest, or reading or
/// writing the manifest failed.
#[derive(Clone, Debug, PartialEq)]
pub enum InstallFailure<E> {
    Refused(E),
    Io(ManifestIoError),
}

impl From<InstallFailure<ManifestError>> for ManifestIoError {
    fn from(failure: InstallFailure<ManifestError>) -> ManifestIoError {
        match failure {
            InstallFailure::Refused(error) => ManifestIoError::Rejected(error),
            InstallFailure::Io(error) => error,
        }
    }
}

/// Installs what the pure decision `decide` makes of the newest manifest, retrying on lost
/// races up to `cas_attempts_max` times (each attempt re-reads and re-decides). A decision
/// that [`Decision::Holds`] returns the newest manifest as is. `write_tag` must be unique to
/// this install; each attempt extends it. A refusal by `apply` is `Rejected`.
pub async fn install<S, C, T, F>(
    store: &S,
    clock: &C,
    policy: &RetryPolicy,
    cas_attempts_max: u32,
    write_tag: &str,
    decide: F,
) -> Result<Installed<T>, ManifestIoError>
where
    S: ObjectStore,
    C: Clock,
    F: Fn(&Manifest) -> Result<Decision<T>, ManifestError>,
{
    let settings = CasSettings {
        policy,
        cas_attempts_max,
        write_tag,
        #[cfg(feature = "bugs")]
        bugs: Bugs::NONE,
    };
    install_decided(store, clock, &settings, decide)
        .await
        .map_err(ManifestIoError::from)
}

/// After creating `created`: if the newest listed version is [`MANIFEST_VERSIONS_KEPT_MIN`]
/// or more above it, the create may have re-created a version the collector had deleted
/// (its predecessor read long ago, before a pause): no reader would ever see it, so the
/// install's outcome is unknown. Below that bound no collector can have deleted `created`
/// (see [`crate::gc::plan_manifest_gc`]), so the create was the install.
async fn confirm_not_recreated<S: ObjectStore, C: Clock>(
    store: &S,
    clock: &C,
    policy: &RetryPolicy,
    created: ManifestVersion,
    path: &str,
) -> Result<(), ManifestIoError> {
    // The create succeeded: a listing that fails leaves its meaning, not its effect, in
    // doubt. Unknown, never "not applied" (a caller would delete outputs now live).
    let Ok(newest) = newest_listed_version(store, clock, policy).await else {
        return Err(ManifestIoError::Unresolved {
            path: path.to_string(),
        });
    };
    // A listing without the version just created breaks the store's contract: unknown too.
    match newest {
        Some(newest)
            if newest >= created
                && newest.0 < created.0.saturating_add(MANIFEST_VERSIONS_KEPT_MIN) =>
        {
            Ok(())
        }
        _ => Err(ManifestIoError::Unresolved {
            path: path.to_string(),
        }),
    }
}

/// How an install retries and tags its writes.
#[derive(Clone, Copy, Debug)]
pub struct CasSettings<'a> {
    pub policy: &'a RetryPolicy,
    pub cas_attempts_max: u32,
    /// Unique to this install; each attempt extends it.
    pub write_tag: &'a str,
    /// Injected defects, which reach `apply_with`.
    #[cfg(feature = "bugs")]
    pub bugs: Bugs,
}

/// [`install`] for a decision with its own refusal type `E`.
pub async fn install_decided<S, C, T, E, F>(
    store: &S,
    clock: &C,
    settings: &CasSettings<'_>,
    decide: F,
) -> Result<Installed<T>, InstallFailure<E>>
where
    S: ObjectStore,
    C: Clock,
    F: Fn(&Manifest) -> Result<Decision<T>, E>,
{
    let io = InstallFailure::Io;
    let attempts = settings.cas_attempts_max.max(1);
    for attempt in 0..attempts {
        let latest = read_latest_manifest(store, clock, settings.policy)
            .await
            .map_err(io)?;
        let (edit, output) = match decide(&latest).map_err(InstallFailure::Refused)? {
            Decision::Holds(output) => {
                return Ok(Installed {
                    manifest: latest,
                    output,
                    attempts: attempt + 1,
                });
            }
            Decision::Install { edit, output } => (edit, output),
        };
        #[cfg(feature = "bugs")]
        let next = crate::manifest::apply_with(&latest, &edit, settings.bugs);
        #[cfg(not(feature = "bugs"))]
        let next = crate::manifest::apply(&latest, &edit);
        let next = next.map_err(|error| io(ManifestIoError::Rejected(error)))?;
        assert_eq!(
            next.version.0,
            latest.version.0 + 1,
            "apply makes the next version"
        );
        let bytes = encode_manifest(&next).map_err(|error| io(ManifestIoError::Encode(error)))?;
        let path = manifest_path(next.version);
        let tag = format!("{}/cas{attempt}", settings.write_tag);
        match create_resolving(store, clock, settings.policy, &path, bytes, &tag).await {
            Ok(CreateOutcome::Created) => {
                confirm_not_recreated(store, clock, settings.policy, next.version, &path)
                    .await
                    .map_err(io)?;
                return Ok(Installed {
                    manifest: next,
                    output,
                    attempts: attempt + 1,
                });
            }
            Ok(CreateOutcome::Taken { .. }) => continue,
            Err(StoreError::UnknownOutcome { .. }) => {
                return Err(io(ManifestIoError::Unresolved { path }));
            }
            Err(error) => return Err(io(ManifestIoError::Store(error))),
        }
    }
    Err(io(ManifestIoError::Contention { attempts }))
}
