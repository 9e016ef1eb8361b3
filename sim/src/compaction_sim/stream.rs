//! The run's writes as entries, with what the figures need about them: user bytes, and
//! which keys are live (for space amplification at any moment).

use super::workload::key_bytes;
use super::writes::{Write, Writes};
use super::{CompactionSimArgs, CompactionSimError};
use bytes::Bytes;
use lsm_core::entry::{Entry, WallMs};
use lsm_core::ids::SeqNum;

/// Simulated wall clock at the first put; each put advances it by 1 ms.
pub(super) const START_MS: WallMs = 1_700_000_000_000;
/// Keys are 16 bytes (a big-endian u64 padded).
pub(super) const KEY_BYTES: usize = 16;

/// The entries of a run, one per write, and the live set they leave.
pub(super) struct EntryStream {
    writes: std::iter::Take<Writes>,
    value: Bytes,
    value_bytes: usize,
    /// One bit per key id below the stream's bound.
    live: Vec<u64>,
    pub(super) live_keys: u64,
    pub(super) puts: u64,
    pub(super) user_bytes: u64,
}

impl EntryStream {
    pub(super) fn new(
        args: &CompactionSimArgs,
        keys: u64,
    ) -> Result<EntryStream, CompactionSimError> {
        let key_bound = Writes::key_bound(args, keys);
        let words = usize::try_from(key_bound.div_ceil(64))
            .map_err(|_| CompactionSimError::BadArgs("key space too large".into()))?;
        Ok(EntryStream {
            writes: Writes::new(args, keys)?
                .take(usize::try_from(args.updates).unwrap_or(usize::MAX)),
            value: Bytes::from(vec![b'v'; args.value_bytes]),
            value_bytes: args.value_bytes,
            live: vec![0u64; words],
            live_keys: 0,
            puts: 0,
            user_bytes: 0,
        })
    }

    /// Key + value bytes of the newest version of every live key.
    pub(super) fn live_logical_bytes(&self) -> u64 {
        self.live_keys * (KEY_BYTES + self.value_bytes) as u64
    }

    /// The simulated wall clock of the latest write.
    pub(super) fn now_ms(&self) -> WallMs {
        START_MS + self.puts
    }

    fn track(&mut self, write: Write) {
        let key = write.key();
        let Some(word) = self.live.get_mut((key / 64) as usize) else {
            return;
        };
        let bit = 1u64 << (key % 64);
        let was_live = *word & bit != 0;
        match write {
            Write::Put { .. } if !was_live => {
                *word |= bit;
                self.live_keys += 1;
            }
            Write::Delete { .. } if was_live => {
                *word &= !bit;
                self.live_keys -= 1;
            }
            _ => {}
        }
    }
}

impl Iterator for EntryStream {
    type Item = Entry;

    fn next(&mut self) -> Option<Entry> {
        let write = self.writes.next()?;
        self.puts += 1;
        let now_ms = self.now_ms();
        let user_key = Bytes::copy_from_slice(&key_bytes(write.key()));
        let seq = SeqNum(self.puts);
        let entry = match write {
            Write::Put { ttl_ms: None, .. } => Entry::put(user_key, seq, self.value.clone()),
            Write::Put {
                ttl_ms: Some(ttl_ms),
                ..
            } => Entry::put_expiring(
                user_key,
                seq,
                self.value.clone(),
                now_ms.saturating_add(ttl_ms),
            ),
            Write::Delete { .. } => Entry::delete(user_key, seq),
        };
        self.user_bytes += entry.logical_size_bytes();
        self.track(write);
        Some(entry)
    }
}
