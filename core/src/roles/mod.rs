//! Role drivers: the protocols as async code generic over [`ObjectStore`] and [`Clock`].
//! They only sequence pure decisions and trait calls; whatever polls them (the simulator's
//! runtime, or any other) is not their business.
//!
//! [`ObjectStore`]: crate::store::ObjectStore
//! [`Clock`]: crate::clock::Clock

pub mod checkpoint_reader;
pub mod compaction_job;
pub mod compactor;
pub mod create;
pub mod gc;
pub mod manifest_io;
pub mod remote;
pub mod remote_primary;
pub mod retry;
pub mod writer;
