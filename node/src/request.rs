//! What connections ask of the writer task, and what it answers.

use bytes::Bytes;
use lsm_core::entry::WallMs;
use tokio::sync::oneshot;

/// A SET's condition (Redis's NX / XX).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Condition {
    /// Only if the key holds no value.
    Absent,
    /// Only if the key holds a value.
    Present,
}

/// One write of a client command.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ClientWrite {
    Set {
        key: Bytes,
        value: Bytes,
        expires_at_ms: Option<WallMs>,
        condition: Option<Condition>,
    },
    Delete {
        key: Bytes,
    },
}

impl ClientWrite {
    pub fn key(&self) -> &Bytes {
        match self {
            ClientWrite::Set { key, .. } | ClientWrite::Delete { key } => key,
        }
    }
}

/// An error a client sees as `-ERR <text>` (or `-<text>` when it starts with a code).
pub type ClientError = String;

pub enum Request {
    /// Every write of one command, committed in one group; answered only once durable, per
    /// write: a SET whether it was applied, a DEL whether the key held a value.
    Write {
        writes: Vec<ClientWrite>,
        reply: oneshot::Sender<Result<Vec<bool>, ClientError>>,
    },
    /// The current value of each key, after confirming this writer still leads.
    Read {
        keys: Vec<Bytes>,
        reply: oneshot::Sender<Result<Vec<Option<Bytes>>, ClientError>>,
    },
    /// Keys matching `pattern` (glob), at most `limit`.
    Keys {
        pattern: Bytes,
        reply: oneshot::Sender<Result<Vec<Bytes>, ClientError>>,
    },
    /// The INFO text.
    Info { reply: oneshot::Sender<String> },
}
