//! Create-if-absent with honest handling of unknown outcomes.
//!
//! A put that timed out may or may not have happened, and may still happen later. The only
//! sound resolution for an object that is written once is to repeat the conditional create:
//! either it succeeds now (and a late copy of the first attempt will then fail), or the
//! object exists — and the tag attribute it carries says whether it is ours.

use super::retry::RetryPolicy;
#[cfg(feature = "bugs")]
use crate::bugs::{Bug, Bugs};
use crate::clock::Clock;
use crate::layout::WRITE_TAG_ATTRIBUTE;
use crate::store::{Attributes, ObjectMeta, ObjectStore, PutMode, StoreError};
use bytes::Bytes;

/// How a create ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CreateOutcome {
    /// Our bytes are the object (written now, or by an earlier attempt whose reply was lost).
    Created,
    /// Someone else's object was there first; ours was not written.
    Taken { existing: ObjectMeta },
}

/// Creates `path` with `bytes` unless it exists, tagging it with `write_tag` (which must be
/// unique to this write). Retries failures that certainly did not apply. Returns
/// `UnknownOutcome` only when every attempt ended without an answer.
pub async fn create_resolving<S: ObjectStore, C: Clock>(
    store: &S,
    clock: &C,
    policy: &RetryPolicy,
    path: &str,
    bytes: Bytes,
    write_tag: &str,
) -> Result<CreateOutcome, StoreError> {
    create(
        store,
        clock,
        policy,
        path,
        bytes,
        write_tag,
        #[cfg(feature = "bugs")]
        Bugs::NONE,
    )
    .await
}

/// [`create_resolving`] with injected defects (`ambiguous-put-is-failure`); only with the
/// `bugs` feature.
#[cfg(feature = "bugs")]
pub async fn create_resolving_with<S: ObjectStore, C: Clock>(
    store: &S,
    clock: &C,
    policy: &RetryPolicy,
    path: &str,
    bytes: Bytes,
    write_tag: &str,
    bugs: Bugs,
) -> Result<CreateOutcome, StoreError> {
    create(store, clock, policy, path, bytes, write_tag, bugs).await
}

async fn create<S: ObjectStore, C: Clock>(
    store: &S,
    clock: &C,
    policy: &RetryPolicy,
    path: &str,
    bytes: Bytes,
    write_tag: &str,
    #[cfg(feature = "bugs")] bugs: Bugs,
) -> Result<CreateOutcome, StoreError> {
    let mut attributes = Attributes::new();
    attributes.insert(WRITE_TAG_ATTRIBUTE.to_string(), write_tag.to_string());
    let mut last_error = None;
    for attempt in 0..policy.attempts() {
        clock.sleep(policy.backoff(attempt)).await;
        let put = store.put(path, bytes.clone(), PutMode::Create, attributes.clone());
        match put.await {
            Ok(_) => return Ok(CreateOutcome::Created),
            Err(StoreError::AlreadyExists { .. }) => {
                return owner_of(store, clock, policy, path, write_tag).await;
            }
            #[cfg(feature = "bugs")]
            Err(StoreError::UnknownOutcome { .. }) if bugs.has(Bug::AmbiguousPutIsFailure) => {
                // BUG: a timeout is taken for "not applied".
                return Err(StoreError::Transient {
                    path: path.to_string(),
                    detail: "timed out (taken as not applied)".to_string(),
                });
            }
            Err(
                error @ (StoreError::UnknownOutcome { .. }
                | StoreError::Transient { .. }
                | StoreError::Conflict { .. }),
            ) => {
                // An unknown outcome must win over later transient errors in the report:
                // the caller may not assume the object was not written.
                if !matches!(last_error, Some(StoreError::UnknownOutcome { .. })) {
                    last_error = Some(error);
                }
            }
            Err(error) => return Err(error),
        }
    }
    Err(last_error.unwrap_or(StoreError::Transient {
        path: path.to_string(),
        detail: "no attempt made".to_string(),
    }))
}

/// The object exists: ours if it carries our tag.
async fn owner_of<S: ObjectStore, C: Clock>(
    store: &S,
    clock: &C,
    policy: &RetryPolicy,
    path: &str,
    write_tag: &str,
) -> Result<CreateOutcome, StoreError> {
    let existing = super::retry::retry_idempotent(clock, policy, || store.head(path)).await?;
    let ours = existing
        .attributes
        .get(WRITE_TAG_ATTRIBUTE)
        .is_some_and(|tag| tag == write_tag);
    Ok(if ours {
        CreateOutcome::Created
    } else {
        CreateOutcome::Taken { existing }
    })
}
