//! The manifest: the one immutable description of the tree at a version.
//!
//! Version N is the object `manifest/<20-digit N>.manifest`; version N+1 is written with
//! create-if-absent, so two roles racing on the same version cannot both win. A role re-reads
//! the newest manifest, [`apply`]s its [`Edit`] to it (never to the manifest its plan was made
//! from) and retries on conflict. `apply` is pure: it validates the edit against ownership,
//! epochs and the [`invariants`], and returns the next manifest or a typed
//! [`ManifestError`]. The same invariants run after every decode.

mod apply;
mod codec;
mod compaction;
pub mod decide;
mod edit;
mod error;
pub mod invariants;
mod model;
mod path;

pub use apply::apply;
#[cfg(feature = "bugs")]
pub use apply::apply_with;
pub use codec::{
    MANIFEST_BODY_LIMIT_BYTES, MANIFEST_FORMAT_VERSION, MANIFEST_MAGIC, decode_manifest,
    encode_manifest,
};
pub use edit::{Edit, FlushedTable, Role};
pub use error::{ManifestDecodeError, ManifestEncodeError, ManifestError, RegressedField};
pub use invariants::{InvariantViolation, check_invariants};
pub use model::{Checkpoint, MAX_LEVELS, Manifest, PendingDeletion};
pub use path::{manifest_path, parse_manifest_path};
