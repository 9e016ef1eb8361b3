//! `object_store` errors → core's [`StoreError`], honestly: a request is reported as not
//! applied (`Transient`, `Conflict`, ...) only when it surely was not; anything that may
//! have reached the store and taken effect is `UnknownOutcome`.
//!
//! `object_store` 0.12 folds statuses into a few variants (a 409 becomes `AlreadyExists`, an
//! `If-Match` 404 becomes `Precondition`), so the HTTP status is recovered from the error
//! chain to tell them apart again.

use lsm_core::store::StoreError;
use object_store::client::{HttpError, HttpErrorKind};
use std::error::Error as _;

/// Whether a request can change the store: decides what an ambiguous failure means.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Request {
    /// get, head, list: never changes anything.
    Read,
    /// put, delete.
    Mutation,
    /// A put with `If-None-Match: *`.
    Create,
    /// A put with `If-Match`.
    Update,
}

/// The HTTP status somewhere in `error`'s chain, if the store answered with one.
pub fn status_in_chain(error: &(dyn std::error::Error + 'static)) -> Option<u16> {
    const MARKER: &str = "status code: ";
    let mut next = Some(error);
    let mut depth = 0;
    while let Some(current) = next {
        let text = current.to_string();
        if let Some(index) = text.find(MARKER) {
            let digits = text.get(index + MARKER.len()..index + MARKER.len() + 3)?;
            return digits.parse().ok();
        }
        depth += 1;
        if depth > 16 {
            return None;
        }
        next = current.source();
    }
    None
}

/// The transport failure in `error`'s chain, if the request failed below HTTP.
/// `object_store` wraps its `HttpError` transparently (its `source` skips it), so the
/// `reqwest` error beneath is what the chain shows.
fn transport_in_chain(error: &(dyn std::error::Error + 'static)) -> Option<Transport> {
    let mut next = Some(error);
    let mut depth = 0;
    while let Some(current) = next {
        if let Some(http) = current.downcast_ref::<HttpError>() {
            return Some(match http.kind() {
                HttpErrorKind::Connect => Transport::NotConnected,
                _ => Transport::AfterSending,
            });
        }
        if let Some(reqwest) = current.downcast_ref::<reqwest::Error>() {
            return Some(if reqwest.is_connect() {
                Transport::NotConnected
            } else {
                Transport::AfterSending
            });
        }
        depth += 1;
        if depth > 16 {
            return None;
        }
        next = current.source();
    }
    None
}

/// Where a transport failure happened.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Transport {
    /// No connection was made: nothing was sent.
    NotConnected,
    /// A timeout, reset, closed connection or undecodable answer: the request may have been
    /// sent, and so applied.
    AfterSending,
}

fn transient(path: &str, detail: String) -> StoreError {
    StoreError::Transient {
        path: path.to_string(),
        detail,
    }
}

fn unknown(path: &str) -> StoreError {
    StoreError::UnknownOutcome {
        path: path.to_string(),
    }
}

/// What a failed status means. 5xx, 429 and 408 are S3's "not applied, retry" answers.
fn from_status(path: &str, request: Request, status: u16, detail: String) -> StoreError {
    match status {
        404 => StoreError::NotFound {
            path: path.to_string(),
        },
        409 => StoreError::Conflict {
            path: path.to_string(),
        },
        412 if request == Request::Create => StoreError::AlreadyExists {
            path: path.to_string(),
        },
        412 => StoreError::PreconditionFailed {
            path: path.to_string(),
        },
        _ => transient(path, format!("HTTP {status}: {detail}")),
    }
}

/// A transport failure: only a failure to connect surely sent nothing.
fn from_transport(path: &str, transport: Transport, detail: String) -> StoreError {
    match transport {
        Transport::NotConnected => transient(path, format!("could not connect: {detail}")),
        Transport::AfterSending => unknown(path),
    }
}

/// Maps one failed `object_store` call on `path`.
pub fn map(path: &str, request: Request, error: object_store::Error) -> StoreError {
    use object_store::Error as E;
    let detail = error.to_string();
    let status = status_in_chain(&error);
    match (&error, status) {
        (E::NotFound { .. }, _) => StoreError::NotFound {
            path: path.to_string(),
        },
        // `object_store` turns an `If-Match` 404 into a precondition failure; core wants
        // NotFound, as S3 answers.
        (E::Precondition { .. }, Some(404)) => StoreError::NotFound {
            path: path.to_string(),
        },
        (E::Precondition { .. }, _) if request == Request::Create => StoreError::AlreadyExists {
            path: path.to_string(),
        },
        (E::Precondition { .. }, _) => StoreError::PreconditionFailed {
            path: path.to_string(),
        },
        // A 409 is two conditional writes racing: this one was not applied.
        (E::AlreadyExists { .. }, Some(409)) => StoreError::Conflict {
            path: path.to_string(),
        },
        (E::AlreadyExists { .. }, _) | (E::NotModified { .. }, _) => StoreError::AlreadyExists {
            path: path.to_string(),
        },
        (E::PermissionDenied { .. } | E::Unauthenticated { .. }, _) => transient(
            path,
            format!("refused by the store (check credentials): {detail}"),
        ),
        (E::NotImplemented | E::NotSupported { .. }, _) => {
            panic!("the adapter issued a request its backend does not support: {detail}")
        }
        (_, Some(status)) => from_status(path, request, status, detail),
        _ => match transport_in_chain(&error) {
            Some(transport) => from_transport(path, transport, detail),
            // No HTTP at all: a local file system error, raised before the atomic rename
            // that would have applied the write.
            None if is_local(&error) => transient(path, detail),
            None => unknown(path),
        },
    }
}

fn is_local(error: &object_store::Error) -> bool {
    match error {
        object_store::Error::Generic { store, .. } => *store == "LocalFileSystem",
        _ => error
            .source()
            .is_some_and(|source| source.downcast_ref::<std::io::Error>().is_some()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug)]
    struct Status(&'static str);
    impl std::fmt::Display for Status {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str(self.0)
        }
    }
    impl std::error::Error for Status {}

    fn generic(text: &'static str) -> object_store::Error {
        object_store::Error::Generic {
            store: "S3",
            source: Box::new(Status(text)),
        }
    }

    #[test]
    fn statuses_map_to_core_errors() {
        let cases = [
            (
                "Server returned non-2xx status code: 503 Service Unavailable: ",
                "transient",
            ),
            (
                "Server returned non-2xx status code: 500 Internal Server Error: ",
                "transient",
            ),
            (
                "Server returned non-2xx status code: 409 Conflict: x",
                "conflict",
            ),
            (
                "Server returned non-2xx status code: 412 Precondition Failed: x",
                "precondition",
            ),
        ];
        for (text, want) in cases {
            let got = map("p", Request::Update, generic(text));
            let kind = match got {
                StoreError::Transient { .. } => "transient",
                StoreError::Conflict { .. } => "conflict",
                StoreError::PreconditionFailed { .. } => "precondition",
                other => panic!("{text}: {other:?}"),
            };
            assert_eq!(kind, want, "{text}");
        }
    }

    #[test]
    fn conflict_folded_into_already_exists_is_recovered() {
        let error = object_store::Error::AlreadyExists {
            path: "p".into(),
            source: Box::new(Status(
                "Server returned non-2xx status code: 409 Conflict: ",
            )),
        };
        assert_eq!(
            map("p", Request::Create, error),
            StoreError::Conflict { path: "p".into() }
        );
    }

    #[test]
    fn an_unexplained_failure_of_a_write_is_an_unknown_outcome() {
        assert_eq!(
            map("p", Request::Mutation, generic("connection closed")),
            StoreError::UnknownOutcome { path: "p".into() }
        );
    }
}
