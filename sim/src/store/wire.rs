//! The messages between a `SimStore` and the store node. They never leave the process, so
//! they travel as Rust values (madsim's raw payloads); bytes are shared, not copied.

use super::op::{ReplyOutcome, StoreOp};
use crate::cost::RequestKind;
use bytes::Bytes;
use lsm_core::store::{Attributes, ETag, GetRange, GetResult, ObjectMeta, PutMode, StoreError};
use std::sync::Arc;

/// Tag the store receives requests on; replies are tagged with their request id (≥ 1).
pub(crate) const REQUEST_TAG: u64 = 0;

pub(crate) struct WireRequest {
    pub id: u64,
    /// Name of the sending node, for traces and observers.
    pub node: Arc<str>,
    pub body: RequestBody,
}

pub(crate) enum RequestBody {
    Get {
        path: String,
        range: GetRange,
    },
    Head {
        path: String,
    },
    Put {
        path: String,
        bytes: Bytes,
        mode: PutMode,
        attributes: Attributes,
    },
    Delete {
        path: String,
    },
    List {
        prefix: String,
    },
}

impl RequestBody {
    pub fn op(&self) -> StoreOp {
        match self {
            RequestBody::Get { .. } => StoreOp::Get,
            RequestBody::Head { .. } => StoreOp::Head,
            RequestBody::Put { mode, .. } => StoreOp::for_put(mode),
            RequestBody::Delete { .. } => StoreOp::Delete,
            RequestBody::List { .. } => StoreOp::List,
        }
    }

    /// The request as the cost accounting bills it.
    pub fn kind(&self) -> RequestKind {
        match self {
            RequestBody::Get { range, .. } => RequestKind::of_get(range),
            RequestBody::Head { .. } => RequestKind::Head,
            RequestBody::Put { .. } => RequestKind::Put,
            RequestBody::Delete { .. } => RequestKind::Delete,
            RequestBody::List { .. } => RequestKind::List,
        }
    }

    /// The object path, or the prefix of a list.
    pub fn path(&self) -> &str {
        match self {
            RequestBody::Get { path, .. }
            | RequestBody::Head { path }
            | RequestBody::Put { path, .. }
            | RequestBody::Delete { path } => path,
            RequestBody::List { prefix } => prefix,
        }
    }

    pub fn upload_bytes(&self) -> u64 {
        match self {
            RequestBody::Put { bytes, .. } => bytes.len() as u64,
            _ => 0,
        }
    }
}

pub(crate) struct WireReply {
    pub body: ReplyBody,
}

pub(crate) enum ReplyBody {
    Get(Result<GetResult, StoreError>),
    Head(Result<ObjectMeta, StoreError>),
    Put(Result<ETag, StoreError>),
    Delete(Result<(), StoreError>),
    List(Result<Vec<ObjectMeta>, StoreError>),
}

impl ReplyBody {
    /// The reply to a request of kind `op` that failed with `error`.
    pub fn failed(op: StoreOp, error: StoreError) -> ReplyBody {
        match op {
            StoreOp::Get => ReplyBody::Get(Err(error)),
            StoreOp::Head => ReplyBody::Head(Err(error)),
            StoreOp::PutOverwrite | StoreOp::PutCreate | StoreOp::PutUpdate => {
                ReplyBody::Put(Err(error))
            }
            StoreOp::Delete => ReplyBody::Delete(Err(error)),
            StoreOp::List => ReplyBody::List(Err(error)),
        }
    }

    pub fn outcome(&self) -> ReplyOutcome {
        match self {
            ReplyBody::Get(result) => ReplyOutcome::of_result(result),
            ReplyBody::Head(result) => ReplyOutcome::of_result(result),
            ReplyBody::Put(result) => ReplyOutcome::of_result(result),
            ReplyBody::Delete(result) => ReplyOutcome::of_result(result),
            ReplyBody::List(result) => ReplyOutcome::of_result(result),
        }
    }

    /// Bytes the reply carries back (object data of a get).
    pub fn download_bytes(&self) -> u64 {
        match self {
            ReplyBody::Get(Ok(result)) => result.bytes.len() as u64,
            _ => 0,
        }
    }
}
