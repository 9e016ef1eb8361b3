//! The object store as the core sees it: S3 semantics, shaped like the `object_store` crate
//! so that an adapter to a real store stays small.

mod memory;
mod semantics;

pub use memory::MemoryStore;
pub use semantics::{check_put_precondition, slice_range};

use bytes::Bytes;
use std::collections::BTreeMap;
use std::fmt;
use std::future::Future;

/// Opaque entity tag of one version of an object; changes on every successful put.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ETag(pub String);

/// User attributes stored with an object (S3's `x-amz-meta-*`). Ordered for determinism.
pub type Attributes = BTreeMap<String, String>;

/// How a put treats an object that may already exist.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PutMode {
    /// Replace whatever is there.
    Overwrite,
    /// Create only if absent (`If-None-Match: *`); otherwise `AlreadyExists`.
    Create,
    /// Replace only if the current version has this tag (`If-Match`); otherwise
    /// `PreconditionFailed` (or `NotFound` when there is no object at all).
    Update(ETag),
}

/// Which bytes of an object a get returns.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GetRange {
    Whole,
    /// Bytes `start..end` (end exclusive). Must lie within the object.
    Bytes {
        start: u64,
        end: u64,
    },
}

/// What `head` returns, and what a get returns beside the bytes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ObjectMeta {
    pub path: String,
    pub size_bytes: u64,
    pub etag: ETag,
    pub attributes: Attributes,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GetResult {
    pub meta: ObjectMeta,
    /// The requested range (or the whole object).
    pub bytes: Bytes,
}

/// Why a store request did not succeed. Every variant says whether the request took effect:
/// all did not, except `UnknownOutcome`, which must be resolved by reading back.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StoreError {
    NotFound {
        path: String,
    },
    /// A `Create` put found an object already there.
    AlreadyExists {
        path: String,
    },
    /// An `Update` put found another version than the one it named.
    PreconditionFailed {
        path: String,
    },
    /// Two conditional writes raced on the same object (HTTP 409); this one lost. Not applied.
    Conflict {
        path: String,
    },
    /// The store failed the request (503, 500, throttling) without applying it; retry.
    Transient {
        path: String,
        detail: String,
    },
    /// No answer (a timeout, a dropped connection): the request may or may not have taken
    /// effect. Never assume either; read back.
    UnknownOutcome {
        path: String,
    },
    /// A byte range that does not lie within the object.
    InvalidRange {
        path: String,
        size_bytes: u64,
        start: u64,
        end: u64,
    },
}

impl StoreError {
    /// True when the request certainly did not take effect and may simply be retried.
    pub fn is_retryable(&self) -> bool {
        matches!(
            self,
            StoreError::Transient { .. } | StoreError::Conflict { .. }
        )
    }
}

impl fmt::Display for StoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StoreError::NotFound { path } => write!(f, "{path}: not found"),
            StoreError::AlreadyExists { path } => write!(f, "{path}: already exists"),
            StoreError::PreconditionFailed { path } => write!(f, "{path}: precondition failed"),
            StoreError::Conflict { path } => write!(f, "{path}: conflicting conditional write"),
            StoreError::Transient { path, detail } => {
                write!(f, "{path}: transient error ({detail}); not applied")
            }
            StoreError::UnknownOutcome { path } => {
                write!(f, "{path}: outcome unknown (applied or not)")
            }
            StoreError::InvalidRange {
                path,
                size_bytes,
                start,
                end,
            } => write!(
                f,
                "{path}: range {start}..{end} outside object of {size_bytes} bytes"
            ),
        }
    }
}

impl std::error::Error for StoreError {}

/// An object store with S3 semantics: strongly consistent, conditional puts, sorted lists.
/// Implemented by the simulator's faulty store and by [`MemoryStore`].
pub trait ObjectStore: Send + Sync {
    fn get(
        &self,
        path: &str,
        range: GetRange,
    ) -> impl Future<Output = Result<GetResult, StoreError>> + Send;

    fn head(&self, path: &str) -> impl Future<Output = Result<ObjectMeta, StoreError>> + Send;

    /// Stores `bytes` with `attributes` under `path` per `mode`; returns the new tag.
    fn put(
        &self,
        path: &str,
        bytes: Bytes,
        mode: PutMode,
        attributes: Attributes,
    ) -> impl Future<Output = Result<ETag, StoreError>> + Send;

    /// Idempotent: deleting an absent object succeeds.
    fn delete(&self, path: &str) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Every object whose path starts with `prefix`, sorted by path, without attributes
    /// (S3's ListObjectsV2 carries no user metadata; `head` reads them).
    fn list(
        &self,
        prefix: &str,
    ) -> impl Future<Output = Result<Vec<ObjectMeta>, StoreError>> + Send;
}

/// A shared store is a store: roles on one node can hold the same handle.
impl<T: ObjectStore> ObjectStore for std::sync::Arc<T> {
    fn get(
        &self,
        path: &str,
        range: GetRange,
    ) -> impl Future<Output = Result<GetResult, StoreError>> + Send {
        (**self).get(path, range)
    }

    fn head(&self, path: &str) -> impl Future<Output = Result<ObjectMeta, StoreError>> + Send {
        (**self).head(path)
    }

    fn put(
        &self,
        path: &str,
        bytes: Bytes,
        mode: PutMode,
        attributes: Attributes,
    ) -> impl Future<Output = Result<ETag, StoreError>> + Send {
        (**self).put(path, bytes, mode, attributes)
    }

    fn delete(&self, path: &str) -> impl Future<Output = Result<(), StoreError>> + Send {
        (**self).delete(path)
    }

    fn list(
        &self,
        prefix: &str,
    ) -> impl Future<Output = Result<Vec<ObjectMeta>, StoreError>> + Send {
        (**self).list(prefix)
    }
}
