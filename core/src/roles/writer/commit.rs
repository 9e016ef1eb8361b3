//! Group commit: one WAL segment per batch, acknowledged only once durable.

use super::{Durability, Writer, WriterError};
#[cfg(feature = "bugs")]
use crate::bugs::Bug;
use crate::clock::Clock;
use crate::entry::{Entry, WallMs};
use crate::ids::{SeqNum, WalId};
#[cfg(feature = "bugs")]
use crate::layout::WRITE_TAG_ATTRIBUTE;
use crate::layout::wal_path;
use crate::roles::create::CreateOutcome;
#[cfg(feature = "bugs")]
use crate::roles::retry::retry_idempotent;
#[cfg(feature = "bugs")]
use crate::store::{Attributes, PutMode};
use crate::store::{ObjectStore, StoreError};
use crate::wal::{WalBatch, WalSegmentHeader, encode_segment};
use bytes::Bytes;

/// One write of a batch.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum WriteOp {
    Put {
        key: Bytes,
        value: Bytes,
        expires_at_ms: Option<WallMs>,
    },
    Delete {
        key: Bytes,
    },
}

/// Where a durable batch landed: its writes got `first_seq..=last_seq`, in order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CommitReceipt {
    pub wal_id: WalId,
    pub first_seq: SeqNum,
    pub last_seq: SeqNum,
}

impl<S: ObjectStore, C: Clock> Writer<S, C> {
    /// Makes `ops` durable as one WAL segment, then applies them to the memtable. On `Ok`
    /// every op is durable; on an error other than `Unresolved`, none is. In `checkpoint`
    /// durability mode there is no WAL: `Ok` means applied, durable at the next checkpoint.
    pub async fn commit(&mut self, ops: &[WriteOp]) -> Result<CommitReceipt, WriterError> {
        self.check_running()?;
        let entries = self.assign_sequence_numbers(ops);
        let (Some(first), Some(last)) = (entries.first(), entries.last()) else {
            return Err(WriterError::Encode(
                crate::wal::WalEncodeError::EmptyBatch { batch_index: 0 },
            ));
        };
        let (first_seq, last_seq) = (first.seq(), last.seq());
        // One sequence number per op, consecutive from the next unused one.
        assert_eq!(
            first_seq, self.next_seq,
            "a batch starts at the next sequence number"
        );
        assert_eq!(
            last_seq.0 - first_seq.0 + 1,
            ops.len() as u64,
            "a batch's sequence numbers are consecutive"
        );
        let wal_id = self.next_wal_id;
        if self.options.durability == Durability::Checkpoint {
            // No WAL: acknowledged once in the memtable; durable at the next checkpoint.
            for entry in entries {
                self.memtable.insert(entry).map_err(WriterError::Memtable)?;
            }
            self.next_seq = SeqNum(last_seq.0 + 1);
            assert_eq!(self.memtable.largest_seq(), Some(last_seq));
            self.stats.commits += 1;
            self.stats.entries_committed += ops.len() as u64;
            return Ok(CommitReceipt {
                wal_id,
                first_seq,
                last_seq,
            });
        }
        let batch = WalBatch::new(entries);
        let created = self
            .create_wal_segment(wal_id, std::slice::from_ref(&batch), "wal")
            .await;
        let size_bytes = match created {
            Ok((CreateOutcome::Created, size_bytes)) => size_bytes,
            Ok((CreateOutcome::Taken { .. }, _)) => {
                let fenced = WriterError::Fenced {
                    epoch: self.epoch,
                    detail: format!("{} was created by a newer writer", wal_path(wal_id)),
                };
                return Err(self.stop_if_terminal(fenced));
            }
            Err(error) => return Err(self.stop_if_terminal(error)),
        };
        // The segment is durable; acknowledge it only while still the writer (a zombie may
        // have re-created a fence the garbage collector deleted). Not acknowledged is not
        // "not durable": a successor may have replayed it, so the outcome is unknown.
        if !self.trusts_wal_fence_alone() && !matches!(self.epoch_still_current().await, Ok(true)) {
            let unknown = WriterError::Unresolved {
                path: wal_path(wal_id),
            };
            return Err(self.stop_if_terminal(unknown));
        }
        for entry in batch.entries {
            self.memtable.insert(entry).map_err(WriterError::Memtable)?;
        }
        self.next_wal_id = WalId(wal_id.0 + 1);
        self.next_seq = SeqNum(last_seq.0 + 1);
        // Acknowledged writes are readable: the memtable holds the batch's newest number.
        assert_eq!(self.memtable.largest_seq(), Some(last_seq));
        self.stats.commits += 1;
        self.stats.entries_committed += ops.len() as u64;
        self.stats.wal_bytes += size_bytes;
        Ok(CommitReceipt {
            wal_id,
            first_seq,
            last_seq,
        })
    }

    /// Confirms no newer writer has taken over: the newest manifest still names this
    /// writer's epoch. A newer writer bumps the epoch before it replays the WAL, so while
    /// the epoch is this one's, every write any writer acknowledged is in this writer's
    /// memtable or SSTs, and a read served now is current. Call before answering reads.
    pub async fn confirm_leadership(&mut self) -> Result<(), WriterError> {
        self.check_running()?;
        self.stats.leadership_checks += 1;
        #[cfg(feature = "bugs")]
        if self.options.durability == Durability::Wal && self.trusts_wal_fence_alone() {
            return self.probe_next_segment().await;
        }
        if self.epoch_still_current().await? {
            return Ok(());
        }
        let fenced = WriterError::Fenced {
            epoch: self.epoch,
            detail: "the newest manifest names a newer writer epoch".to_string(),
        };
        Err(self.stop_if_terminal(fenced))
    }

    /// Whether an injected bug makes this writer trust its WAL fence alone, as the
    /// protocol did before the garbage collector deleted segments: `wal-gc-fence-aba`, and
    /// `writer-no-fence`, whose overwritten segments the epoch check would otherwise fence.
    #[cfg(feature = "bugs")]
    fn trusts_wal_fence_alone(&self) -> bool {
        self.options.bugs.has(Bug::WalGcFenceAba) || self.options.bugs.has(Bug::WriterNoFence)
    }

    #[cfg(not(feature = "bugs"))]
    fn trusts_wal_fence_alone(&self) -> bool {
        false
    }

    #[cfg(feature = "bugs")]
    /// BUG (`wal-gc-fence-aba`, `writer-no-fence`): leadership by the absence of the segment this writer would
    /// write next, which proves nothing once the garbage collector deleted that segment.
    async fn probe_next_segment(&mut self) -> Result<(), WriterError> {
        let path = wal_path(self.next_wal_id);
        let probe =
            retry_idempotent(&self.clock, &self.options.retry, || self.store.head(&path)).await;
        match probe {
            Err(StoreError::NotFound { .. }) => Ok(()),
            Ok(_) => {
                let fenced = WriterError::Fenced {
                    epoch: self.epoch,
                    detail: format!("{path} exists: a newer writer fenced this one"),
                };
                Err(self.stop_if_terminal(fenced))
            }
            Err(error) => Err(WriterError::Store(error)),
        }
    }

    /// Creates WAL segment `id` holding `batches`, tagged `<what><id>` for this incarnation.
    /// Returns how the create ended and the segment's size; an unknown outcome is
    /// `Unresolved`, any other failure means nothing was written.
    pub(super) async fn create_wal_segment(
        &self,
        id: WalId,
        batches: &[WalBatch],
        what: &str,
    ) -> Result<(CreateOutcome, u64), WriterError> {
        let header = WalSegmentHeader {
            writer_epoch: self.epoch,
            segment_id: id,
        };
        assert!(
            id >= self.manifest.wal_replay_point,
            "a segment below the replay point would never be replayed"
        );
        let bytes = encode_segment(header, batches).map_err(WriterError::Encode)?;
        let size_bytes = bytes.len() as u64;
        let path = wal_path(id);
        let tag = self.write_tag(&format!("{what}{}", id.0));
        #[cfg(feature = "bugs")]
        if self.options.bugs.has(Bug::WriterNoFence) {
            return self
                .overwrite_wal_segment(&path, bytes, &tag, size_bytes)
                .await;
        }
        #[cfg(feature = "bugs")]
        let created = crate::roles::create::create_resolving_with(
            &self.store,
            &self.clock,
            &self.options.retry,
            &path,
            bytes,
            &tag,
            self.options.bugs,
        )
        .await;
        #[cfg(not(feature = "bugs"))]
        let created = crate::roles::create::create_resolving(
            &self.store,
            &self.clock,
            &self.options.retry,
            &path,
            bytes,
            &tag,
        )
        .await;
        match created {
            Ok(outcome) => Ok((outcome, size_bytes)),
            Err(StoreError::UnknownOutcome { .. }) => Err(WriterError::Unresolved { path }),
            Err(error) => Err(WriterError::Store(error)),
        }
    }

    #[cfg(feature = "bugs")]
    /// BUG (`writer-no-fence`): writes a WAL segment with overwrite, so nothing refuses a
    /// zombie's write or tells this writer that a newer one created the segment.
    async fn overwrite_wal_segment(
        &self,
        path: &str,
        bytes: Bytes,
        tag: &str,
        size_bytes: u64,
    ) -> Result<(CreateOutcome, u64), WriterError> {
        let mut attributes = Attributes::new();
        attributes.insert(WRITE_TAG_ATTRIBUTE.to_string(), tag.to_string());
        let put = retry_idempotent(&self.clock, &self.options.retry, || {
            self.store
                .put(path, bytes.clone(), PutMode::Overwrite, attributes.clone())
        })
        .await;
        match put {
            Ok(_) => Ok((CreateOutcome::Created, size_bytes)),
            Err(StoreError::UnknownOutcome { .. }) => Err(WriterError::Unresolved {
                path: path.to_string(),
            }),
            Err(error) => Err(WriterError::Store(error)),
        }
    }

    fn assign_sequence_numbers(&self, ops: &[WriteOp]) -> Vec<Entry> {
        ops.iter()
            .zip(self.next_seq.0..)
            .map(|(op, seq)| match op {
                WriteOp::Put {
                    key,
                    value,
                    expires_at_ms: Some(expiry),
                } => Entry::put_expiring(key.clone(), SeqNum(seq), value.clone(), *expiry),
                WriteOp::Put {
                    key,
                    value,
                    expires_at_ms: None,
                } => Entry::put(key.clone(), SeqNum(seq), value.clone()),
                WriteOp::Delete { key } => Entry::delete(key.clone(), SeqNum(seq)),
            })
            .collect()
    }
}
