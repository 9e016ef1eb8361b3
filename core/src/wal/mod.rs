//! WAL segments: the group-commit log of the writer.
//!
//! A segment object (`wal/<20-digit id>.wal`) is written whole, with create-if-absent, by one
//! writer incarnation: a header (magic, format version, writer epoch, segment id, batch count,
//! header checksum) followed by the batches of one or more group commits, each framed with its
//! length and a CRC-32C. Because the object is never appended to, any truncation or corruption
//! is a typed error, never a silently accepted "torn tail"; [`decode_segment_prefix`] still
//! recovers the valid batches before the damage, for diagnostics.
//!
//! A segment with zero batches is valid: a recovering writer may write one to fence the id.

mod batch;
mod error;
mod header;
mod path;
mod segment;

pub use batch::WalBatch;
pub use error::{SegmentPart, WalDecodeError, WalEncodeError};
pub use header::{WAL_FORMAT_VERSION, WAL_HEADER_LEN, WAL_MAGIC, WalSegmentHeader};
pub use path::{parse_wal_path, wal_path};
pub use segment::{
    WalSegment, WalSegmentBuilder, WalSegmentPrefix, decode_segment, decode_segment_expecting,
    decode_segment_prefix, encode_segment,
};
