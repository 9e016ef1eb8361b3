//! The SST format: data blocks, a block index, a bloom filter and a footer, each checksummed.

mod meta;

pub use meta::SstMeta;
