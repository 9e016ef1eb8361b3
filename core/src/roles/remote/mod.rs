//! Remote compaction (RocksDB's Schedule → OpenAndCompact → return result → Install &
//! Purge): the primary (the writer, see [`crate::roles::writer::RemotePrimary`]) picks a
//! compaction and sends a [`RemoteJob`] to a worker; the [`RemoteWorker`] opens the named
//! manifest version read-only, merges, writes the outputs under `tmp/<job>/` and returns a
//! [`RemoteResult`]; the primary validates the outputs, copies them to their final names,
//! installs by manifest CAS and purges the temporary prefix.
//!
//! # Delivery
//!
//! Jobs and results are bincode messages with a format version ([`codec`]) and travel over
//! the network between primary and worker, not through the store. A job is addressed to one
//! worker and its answer to one primary, so nothing needs to be claimed, listed or polled:
//! a store-based queue would add a claim protocol (a CAS per job), listing latency and job
//! objects to collect, and buy nothing the primary's own timeout does not already give —
//! the primary owns a job's fate either way. What must survive a crash lives in the store
//! anyway: the temporary outputs (collectable by epoch, see [`crate::gc`]) and the manifest.
//! Delivery may lose, delay or duplicate messages; the primary's bookkeeping makes a late or
//! duplicate result harmless.

pub mod codec;
mod job;
mod worker;

pub use codec::{
    REMOTE_FORMAT_VERSION, RemoteEncodeError, decode_job, decode_result, encode_job, encode_result,
};
pub use job::{RemoteJob, RemoteJobId, RemoteOutcome, RemoteResult};
pub use worker::{RemoteWorker, RemoteWorkerError, RemoteWorkerStats};
