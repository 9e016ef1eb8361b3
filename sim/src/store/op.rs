//! Names for what a store request does and how it ended: shared by the trace, the stats and
//! the wire messages, so every count and every trace line uses the same words.

use lsm_core::store::{PutMode, StoreError};
use serde::Serialize;

/// The kind of a store request; puts are split by mode because conditional puts behave
/// differently under races.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum StoreOp {
    Get,
    Head,
    PutOverwrite,
    PutCreate,
    PutUpdate,
    Delete,
    List,
}

impl StoreOp {
    pub fn for_put(mode: &PutMode) -> StoreOp {
        match mode {
            PutMode::Overwrite => StoreOp::PutOverwrite,
            PutMode::Create => StoreOp::PutCreate,
            PutMode::Update(_) => StoreOp::PutUpdate,
        }
    }

    /// Stable name used as a key in stats and reports.
    pub fn name(self) -> &'static str {
        match self {
            StoreOp::Get => "get",
            StoreOp::Head => "head",
            StoreOp::PutOverwrite => "put_overwrite",
            StoreOp::PutCreate => "put_create",
            StoreOp::PutUpdate => "put_update",
            StoreOp::Delete => "delete",
            StoreOp::List => "list",
        }
    }

    /// Create-if-absent and update-if-match: the puts that can race (HTTP 409).
    pub fn is_conditional_put(self) -> bool {
        matches!(self, StoreOp::PutCreate | StoreOp::PutUpdate)
    }

    pub fn is_mutation(self) -> bool {
        matches!(
            self,
            StoreOp::PutOverwrite | StoreOp::PutCreate | StoreOp::PutUpdate | StoreOp::Delete
        )
    }
}

/// How a request that got a reply ended, without the payload.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ReplyOutcome {
    Ok,
    NotFound,
    AlreadyExists,
    PreconditionFailed,
    Conflict,
    Transient,
    UnknownOutcome,
    InvalidRange,
}

impl ReplyOutcome {
    pub fn of_error(error: &StoreError) -> ReplyOutcome {
        match error {
            StoreError::NotFound { .. } => ReplyOutcome::NotFound,
            StoreError::AlreadyExists { .. } => ReplyOutcome::AlreadyExists,
            StoreError::PreconditionFailed { .. } => ReplyOutcome::PreconditionFailed,
            StoreError::Conflict { .. } => ReplyOutcome::Conflict,
            StoreError::Transient { .. } => ReplyOutcome::Transient,
            StoreError::UnknownOutcome { .. } => ReplyOutcome::UnknownOutcome,
            StoreError::InvalidRange { .. } => ReplyOutcome::InvalidRange,
        }
    }

    pub fn of_result<T>(result: &Result<T, StoreError>) -> ReplyOutcome {
        match result {
            Ok(_) => ReplyOutcome::Ok,
            Err(error) => ReplyOutcome::of_error(error),
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            ReplyOutcome::Ok => "ok",
            ReplyOutcome::NotFound => "not_found",
            ReplyOutcome::AlreadyExists => "already_exists",
            ReplyOutcome::PreconditionFailed => "precondition_failed",
            ReplyOutcome::Conflict => "conflict",
            ReplyOutcome::Transient => "transient",
            ReplyOutcome::UnknownOutcome => "unknown_outcome",
            ReplyOutcome::InvalidRange => "invalid_range",
        }
    }
}
