//! The rules every store implementation applies the same way, so the in-memory store and the
//! simulator's store cannot drift apart.

use super::{ETag, GetRange, PutMode, StoreError};
use bytes::Bytes;

/// S3's precondition check: whether a put with `mode` is accepted on `path` when the object's
/// current tag is `current` (`None`: no object).
pub fn check_put_precondition(
    path: &str,
    current: Option<&ETag>,
    mode: &PutMode,
) -> Result<(), StoreError> {
    match (mode, current) {
        (PutMode::Overwrite, _) | (PutMode::Create, None) => Ok(()),
        (PutMode::Create, Some(_)) => Err(StoreError::AlreadyExists {
            path: path.to_string(),
        }),
        (PutMode::Update(_), None) => Err(StoreError::NotFound {
            path: path.to_string(),
        }),
        (PutMode::Update(expected), Some(etag)) if etag != expected => {
            Err(StoreError::PreconditionFailed {
                path: path.to_string(),
            })
        }
        (PutMode::Update(_), Some(_)) => Ok(()),
    }
}

/// The bytes `range` selects from the object `bytes` at `path`, or `InvalidRange` when the
/// range does not lie within it.
pub fn slice_range(path: &str, bytes: &Bytes, range: GetRange) -> Result<Bytes, StoreError> {
    match range {
        GetRange::Whole => Ok(bytes.clone()),
        GetRange::Bytes { start, end } => {
            let size_bytes = bytes.len() as u64;
            if start > end || end > size_bytes {
                return Err(StoreError::InvalidRange {
                    path: path.to_string(),
                    size_bytes,
                    start,
                    end,
                });
            }
            // Within the length of an in-memory buffer, so both fit in usize.
            let slice = bytes.slice(start as usize..end as usize);
            assert_eq!(slice.len() as u64, end - start);
            Ok(slice)
        }
    }
}
