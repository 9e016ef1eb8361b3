//! Observers of applied mutations: how the checks see every put and delete the moment it
//! takes effect (reference integrity at every delete, every manifest version ever written),
//! whether or not the caller ever hears the reply.

use bytes::Bytes;
use lsm_core::store::{Attributes, ETag, PutMode};

use super::StoreState;

/// One mutation that took effect in the store.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AppliedMutation {
    /// 1-based position among all applied mutations of the run.
    pub sequence: u64,
    /// Sim time it took effect, ns since start.
    pub at_ns: u64,
    pub request_id: u64,
    /// Name of the node that sent the request (it may be dead by now).
    pub node: String,
    pub path: String,
    pub change: MutationChange,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MutationChange {
    Put {
        mode: PutMode,
        etag: ETag,
        bytes: Bytes,
        attributes: Attributes,
        /// Tag of the version this put replaced, if any.
        replaced: Option<ETag>,
    },
    Delete {
        /// Tag of the version removed; `None` when the object was already absent.
        removed: Option<ETag>,
    },
}

/// Called synchronously for every applied mutation, in the order they are applied, with
/// the store's state right after it (so a check at a delete sees exactly what is left).
/// The store's lock is held during the call: an observer must use the `state` it is given
/// and must not call back into the `StoreNode` (that would deadlock). A panicking observer
/// fails the run, which is what a check wants.
pub trait StoreObserver: Send + Sync {
    fn on_mutation(&self, mutation: &AppliedMutation, state: &StoreState);

    /// Called for every request the store executes, before it executes (so a write is
    /// seen whether or not its condition then refuses it): `write` for puts and deletes.
    /// Same rules as [`StoreObserver::on_mutation`]. Nothing by default.
    fn on_request(&self, _node: &str, _path: &str, _write: bool) {}
}

impl<F> StoreObserver for F
where
    F: Fn(&AppliedMutation, &StoreState) + Send + Sync,
{
    fn on_mutation(&self, mutation: &AppliedMutation, state: &StoreState) {
        self(mutation, state)
    }
}
