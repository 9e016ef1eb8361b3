//! `--dump-stream`: the run's writes in a file, so that another engine (real RocksDB, via
//! `tools/rocksdb_reference.py`) replays exactly the same stream. Nine bytes a write:
//! `b'P'` (put) or `b'D'` (delete), then the key id as a big-endian u64; the key is those
//! 8 bytes followed by 8 zero bytes, a put's value is `--value-bytes` bytes of `b'v'`.

use super::writes::{Write, Writes};
use super::{CompactionSimArgs, CompactionSimError};
use std::io::Write as _;
use std::path::Path;

/// Writes the stream of `args` to `path`; returns the number of writes.
pub fn dump_stream(args: &CompactionSimArgs, path: &Path) -> Result<u64, CompactionSimError> {
    args.validate()?;
    let keys = args.key_space()?;
    let fail = |detail: String| CompactionSimError::Dump {
        path: path.display().to_string(),
        detail,
    };
    let file = std::fs::File::create(path).map_err(|error| fail(error.to_string()))?;
    let mut out = std::io::BufWriter::new(file);
    let mut count = 0u64;
    let take = usize::try_from(args.updates).unwrap_or(usize::MAX);
    for write in Writes::new(args, keys)?.take(take) {
        let tag = match write {
            Write::Put { ttl_ms: None, .. } => b'P',
            Write::Put {
                ttl_ms: Some(_), ..
            } => {
                return Err(fail("puts with a TTL cannot be replayed elsewhere".into()));
            }
            Write::Delete { .. } => b'D',
        };
        out.write_all(&[tag])
            .and_then(|()| out.write_all(&write.key().to_be_bytes()))
            .map_err(|error| fail(error.to_string()))?;
        count += 1;
    }
    out.flush().map_err(|error| fail(error.to_string()))?;
    Ok(count)
}
