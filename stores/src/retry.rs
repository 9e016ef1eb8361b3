//! The adapter's bounded retry: what may be retried without hiding an outcome from core.

use crate::errors::Request;
use crate::options::StoreOptions;
use lsm_core::store::StoreError;
use std::future::Future;

/// Whether `error` of a `request` may be retried by the adapter. A `Conflict` is left to
/// core (its roles re-read before retrying a conditional write), and an unknown outcome of a
/// write is never retried: only core can resolve it, by reading back.
pub fn may_retry(request: Request, error: &StoreError) -> bool {
    match error {
        StoreError::Transient { .. } => true,
        StoreError::UnknownOutcome { .. } => request == Request::Read,
        _ => false,
    }
}

/// Runs `attempt` up to `options.attempts_max` times while its error may be retried.
pub async fn with_retries<T, F, Fut>(
    options: &StoreOptions,
    request: Request,
    mut attempt: F,
) -> Result<T, StoreError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, StoreError>>,
{
    let mut last = None;
    for index in 0..options.attempts_max {
        let pause = options.backoff(index);
        if !pause.is_zero() {
            tokio::time::sleep(pause).await;
        }
        match attempt().await {
            Ok(value) => return Ok(value),
            Err(error) if may_retry(request, &error) => last = Some(error),
            Err(error) => return Err(error),
        }
    }
    Err(last.unwrap_or_else(|| panic!("attempts_max must be at least 1")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_never_retry_an_unknown_outcome() {
        let unknown = StoreError::UnknownOutcome { path: "p".into() };
        assert!(!may_retry(Request::Mutation, &unknown));
        assert!(!may_retry(Request::Create, &unknown));
        assert!(may_retry(Request::Read, &unknown));
        let conflict = StoreError::Conflict { path: "p".into() };
        assert!(!may_retry(Request::Update, &conflict));
    }

    #[tokio::test]
    async fn transient_errors_are_retried_up_to_the_bound() {
        let options = StoreOptions {
            backoff_initial: std::time::Duration::from_millis(1),
            ..StoreOptions::default()
        };
        let mut calls = 0;
        let result: Result<(), StoreError> = with_retries(&options, Request::Mutation, || {
            calls += 1;
            async {
                Err(StoreError::Transient {
                    path: "p".into(),
                    detail: "503".into(),
                })
            }
        })
        .await;
        assert!(matches!(result, Err(StoreError::Transient { .. })));
        assert_eq!(calls, 3);
        let mut calls = 0;
        let result: Result<(), StoreError> = with_retries(&options, Request::Mutation, || {
            calls += 1;
            async { Err(StoreError::UnknownOutcome { path: "p".into() }) }
        })
        .await;
        assert!(matches!(result, Err(StoreError::UnknownOutcome { .. })));
        assert_eq!(calls, 1);
    }
}
