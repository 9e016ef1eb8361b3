//! Reading a data block ([layout](super::block)): binary search over the restart points,
//! then a scan of at most one restart interval with a reusable key buffer.

use super::block::{OFFSET_BYTES, WINDOW_BYTES, block_window};
use super::record::{self, RawEntry};
use super::window::{Placement, place};
use crate::codec::{DecodeError, Reader};
use std::cmp::Ordering;

const WHAT: &str = "sst data block";

/// A decoded view of one data block's payload (checksum already verified).
#[derive(Clone, Copy, Debug)]
pub(crate) struct DataBlock<'a> {
    /// The entry region.
    entries: &'a [u8],
    /// `restart_count` little-endian u32 offsets into `entries`.
    restarts: &'a [u8],
    /// `restart_count` little-endian u32 windows.
    windows: &'a [u8],
    shared: &'a [u8],
    restart_count: usize,
    /// Absolute offset of the block in the SST, for error reports.
    base_offset: usize,
}

/// A position in a data block: the entry [`DataBlock::next`] decodes next. Between calls
/// `key` holds the key decoded last, which the next delta-encoded key builds on; a cursor
/// set back onto the entry it just decoded still decodes it right, since that key keeps
/// the prefix the entry shares with its predecessor.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct BlockCursor {
    /// Offset of the next entry in the entry region.
    offset: usize,
    /// The next restart point the scan reaches: the entry at its offset must be whole.
    next_restart: usize,
    key: Vec<u8>,
}

/// Splits `len` bytes off the end of `bytes`: (rest, tail).
fn split_tail<'a>(
    bytes: &'a [u8],
    len: usize,
    what: &'static str,
    base_offset: usize,
) -> Result<(&'a [u8], &'a [u8]), DecodeError> {
    match bytes.len().checked_sub(len) {
        Some(at) => Ok(bytes.split_at(at)),
        None => Err(DecodeError::Truncated {
            what,
            offset: base_offset,
            needed_bytes: len,
            available_bytes: bytes.len(),
        }),
    }
}

fn u32_at(bytes: &[u8]) -> u32 {
    let mut raw = [0u8; 4];
    for (into, byte) in raw.iter_mut().zip(bytes) {
        *into = *byte;
    }
    u32::from_le_bytes(raw)
}

impl<'a> DataBlock<'a> {
    /// Splits a verified payload into its parts. `base_offset` is where the block starts in
    /// the SST. Constant time: entries are decoded only when asked for.
    pub(crate) fn parse(
        payload: &'a [u8],
        base_offset: usize,
    ) -> Result<DataBlock<'a>, DecodeError> {
        let (rest, count) = split_tail(payload, 4, "sst data block restart count", base_offset)?;
        let restart_count = u32_at(count) as usize;
        if restart_count == 0 {
            return Err(DecodeError::Invalid {
                what: WHAT,
                offset: base_offset + rest.len(),
                detail: "data block holds no restart point".to_string(),
            });
        }
        let (rest, shared_len) =
            split_tail(rest, 4, "sst data block shared prefix length", base_offset)?;
        let shared_len = u32_at(shared_len) as usize;
        let (rest, shared) = split_tail(
            rest,
            shared_len,
            "sst data block shared prefix",
            base_offset,
        )?;
        let (rest, windows) = split_tail(
            rest,
            restart_count.saturating_mul(WINDOW_BYTES),
            "sst data block windows",
            base_offset,
        )?;
        let (entries, restarts) = split_tail(
            rest,
            restart_count.saturating_mul(OFFSET_BYTES),
            "sst data block restart offsets",
            base_offset,
        )?;
        let block = DataBlock {
            entries,
            restarts,
            windows,
            shared,
            restart_count,
            base_offset,
        };
        if block.restart_offset(0)? != 0 || entries.is_empty() {
            return Err(block.invalid(0, "the first entry is not a restart point".to_string()));
        }
        Ok(block)
    }

    fn invalid(&self, relative_offset: usize, detail: String) -> DecodeError {
        DecodeError::Invalid {
            what: WHAT,
            offset: self.base_offset + relative_offset,
            detail,
        }
    }

    /// Where restart entry `index` starts in the entry region.
    fn restart_offset(&self, index: usize) -> Result<usize, DecodeError> {
        let at = index.saturating_mul(OFFSET_BYTES);
        let bytes = self
            .restarts
            .get(at..at.saturating_add(OFFSET_BYTES))
            .ok_or_else(|| self.invalid(self.entries.len(), format!("no restart {index}")))?;
        let offset = u32_at(bytes) as usize;
        if offset >= self.entries.len() {
            return Err(self.invalid(
                self.entries.len() + at,
                format!(
                    "restart {index} at {offset}, past the {}-byte entry region",
                    self.entries.len()
                ),
            ));
        }
        Ok(offset)
    }

    fn window_at(&self, index: usize) -> Result<u32, DecodeError> {
        let at = index.saturating_mul(WINDOW_BYTES);
        let bytes = self
            .windows
            .get(at..at.saturating_add(WINDOW_BYTES))
            .ok_or_else(|| self.invalid(self.entries.len(), format!("no window {index}")))?;
        Ok(u32_at(bytes))
    }

    /// The whole user key of restart entry `index`, in place.
    fn restart_key(&self, index: usize) -> Result<&'a [u8], DecodeError> {
        let offset = self.restart_offset(index)?;
        let mut reader = Reader::with_base(&self.entries[offset..], self.base_offset + offset);
        let delta = record::decode_delta(&mut reader)?;
        if delta.shared_len != 0 {
            return Err(self.invalid(offset, format!("restart {index} shares a key prefix")));
        }
        Ok(delta.suffix)
    }

    /// A cursor at restart point `index` (the end of the block when past the last).
    fn cursor_at_restart(&self, index: usize) -> Result<BlockCursor, DecodeError> {
        let offset = if index < self.restart_count {
            self.restart_offset(index)?
        } else {
            self.entries.len()
        };
        Ok(BlockCursor {
            offset,
            next_restart: index,
            key: Vec::new(),
        })
    }

    /// A cursor at the first entry.
    pub(crate) fn first(&self) -> BlockCursor {
        BlockCursor::default()
    }

    /// Decodes the entry at `cursor` and moves past it; `None` at the end of the block.
    pub(crate) fn next<'c>(
        &self,
        cursor: &'c mut BlockCursor,
    ) -> Result<Option<RawEntry<'c>>, DecodeError>
    where
        'a: 'c,
    {
        let offset = cursor.offset;
        let Some(bytes) = self.entries.get(offset..).filter(|rest| !rest.is_empty()) else {
            return Ok(None);
        };
        let restart = self.expects_restart(cursor)?;
        let mut reader = Reader::with_base(bytes, self.base_offset + offset);
        let delta = record::decode_delta(&mut reader)?;
        if delta.shared_len > cursor.key.len() || (restart && delta.shared_len != 0) {
            return Err(self.invalid(
                offset,
                format!(
                    "entry shares {} bytes of a {}-byte previous key{}",
                    delta.shared_len,
                    cursor.key.len(),
                    if restart { " at a restart point" } else { "" }
                ),
            ));
        }
        let body = record::decode_body(&mut reader)?;
        cursor.offset = self.entries.len() - reader.remaining();
        assert!(cursor.offset > offset, "a decoded entry takes bytes");
        cursor.next_restart += usize::from(restart);
        cursor.key.truncate(delta.shared_len);
        cursor.key.extend_from_slice(delta.suffix);
        let key_in_block = delta.shared_len == 0;
        Ok(Some(RawEntry {
            user_key: if key_in_block {
                delta.suffix
            } else {
                &cursor.key
            },
            key_in_block,
            seq: body.seq,
            kind: body.kind,
            value: body.value,
            expires_at_ms: body.expires_at_ms,
        }))
    }

    /// Whether the entry at `cursor` is the next restart point; an entry that runs past one
    /// is an error (its lengths or the restart offsets are corrupt).
    fn expects_restart(&self, cursor: &BlockCursor) -> Result<bool, DecodeError> {
        if cursor.next_restart >= self.restart_count {
            return Ok(false);
        }
        let restart = self.restart_offset(cursor.next_restart)?;
        match cursor.offset.cmp(&restart) {
            Ordering::Less => Ok(false),
            Ordering::Equal => Ok(true),
            Ordering::Greater => Err(self.invalid(
                cursor.offset,
                format!(
                    "entry at {} runs past restart {} at {restart}",
                    cursor.offset, cursor.next_restart
                ),
            )),
        }
    }

    /// Index of the first restart point whose key is at least `target` (`inclusive`) or
    /// greater than it; the restart count when there is none.
    fn first_restart_reaching(&self, target: &[u8], inclusive: bool) -> Result<usize, DecodeError> {
        let target_window = match place(target, self.shared) {
            Placement::Before => return Ok(0),
            Placement::After => return Ok(self.restart_count),
            Placement::Within(_) => block_window(target, self.shared.len()),
        };
        let (mut low, mut high) = (0, self.restart_count);
        while low < high {
            let mid = low + (high - low) / 2;
            let before = match self.window_at(mid)?.cmp(&target_window) {
                Ordering::Less => true,
                Ordering::Greater => false,
                Ordering::Equal => {
                    let user_key = self.restart_key(mid)?;
                    if inclusive {
                        user_key < target
                    } else {
                        user_key <= target
                    }
                }
            };
            if before {
                low = mid + 1;
            } else {
                high = mid;
            }
        }
        Ok(low)
    }

    /// A cursor at the first entry whose user key is at least `target` (`inclusive`) or
    /// greater than it; at the end of the block when there is none. With every version of a
    /// key newest first, an inclusive seek lands on the newest version of `target`.
    pub(crate) fn seek(&self, target: &[u8], inclusive: bool) -> Result<BlockCursor, DecodeError> {
        let reaching = self.first_restart_reaching(target, inclusive)?;
        if reaching == 0 {
            return Ok(self.first());
        }
        // The entry sought is in the run before restart `reaching`, or is that restart.
        let mut cursor = self.cursor_at_restart(reaching - 1)?;
        let run_end = self.cursor_at_restart(reaching)?.offset;
        while cursor.offset < run_end {
            let (offset, next_restart) = (cursor.offset, cursor.next_restart);
            let Some(entry) = self.next(&mut cursor)? else {
                break;
            };
            let reached = if inclusive {
                entry.user_key >= target
            } else {
                entry.user_key > target
            };
            if reached {
                cursor.offset = offset;
                cursor.next_restart = next_restart;
                return Ok(cursor);
            }
        }
        Ok(cursor)
    }
}
