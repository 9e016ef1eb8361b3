//! The SST format: data blocks, a bloom filter, a block index and a footer, each
//! checksummed with CRC-32C. All fixed-width integers are little-endian.
//!
//! ```text
//! data block 0 | data block 1 | ... | filter block (optional) | index block | footer
//! ```
//!
//! The pieces lie back to back with no gaps, so every byte of a table is covered by exactly
//! one checksum: any single corrupted bit is caught when the table is opened (footer, index,
//! filter) or when the data block holding it is read. See each module for its layout.

mod block;
mod bloom;
mod builder;
mod data_block;
mod footer;
mod framing;
mod index;
mod iter;
mod meta;
mod options;
mod reader;
mod record;
mod sparse;
mod window;

pub use builder::{MAX_ENTRY_BYTES, SstBuildError, SstBuilder, build_sst};
pub use footer::{FOOTER_BYTES, SST_FORMAT_VERSION, SST_MAGIC};
pub use framing::{BLOCK_TRAILER_BYTES, BlockHandle};
pub use iter::SstIter;
pub use meta::SstMeta;
pub use options::SstOptions;
pub use reader::{LookupKey, ReadStats, SstReader};
pub use sparse::SparseSst;

#[cfg(test)]
mod block_tests;
#[cfg(test)]
mod tests;
