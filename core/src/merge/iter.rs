//! The merging iterator itself: a binary heap over the heads of the sources.

use super::{CompactionFilter, FilterDecision, MergeOptions, MergeStats};
use crate::codec::DecodeError;
use crate::entry::{Entry, EntryKind, compare_internal};
use bytes::Bytes;
use std::cmp::Ordering;
use std::collections::BinaryHeap;
use std::collections::binary_heap::PeekMut;
use std::fmt;

/// Why a merge stopped early. After an error the iterator yields nothing more.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MergeError {
    /// A source could not decode its next entry.
    Source {
        source_index: usize,
        error: DecodeError,
    },
    /// A source yielded entries out of internal-key order (or one version twice).
    OutOfOrder {
        source_index: usize,
        user_key: Bytes,
        seq: u64,
    },
}

impl fmt::Display for MergeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MergeError::Source {
                source_index,
                error,
            } => write!(f, "merge source {source_index}: {error}"),
            MergeError::OutOfOrder {
                source_index,
                user_key,
                seq,
            } => write!(
                f,
                "merge source {source_index} is out of order at {user_key:?}@{seq}"
            ),
        }
    }
}

impl std::error::Error for MergeError {}

/// The head of one source, ordered so that `BinaryHeap` (a max-heap) pops the smallest
/// internal key first, and of equal keys the newer source (lower index).
struct Head {
    entry: Entry,
    source_index: usize,
}

impl Ord for Head {
    fn cmp(&self, other: &Self) -> Ordering {
        compare_internal(
            &other.entry.key.user_key,
            other.entry.key.seq,
            &self.entry.key.user_key,
            self.entry.key.seq,
        )
        .then_with(|| other.source_index.cmp(&self.source_index))
    }
}

impl PartialOrd for Head {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for Head {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Head {}

/// Merges sources given newest first, yielding one entry per surviving user key in order.
pub struct MergingIterator<I, F> {
    sources: Vec<I>,
    heap: BinaryHeap<Head>,
    options: MergeOptions,
    filter: F,
    stats: MergeStats,
    pending_error: Option<MergeError>,
    finished: bool,
    /// User key of the entry yielded last: output keys must strictly increase.
    last_out: Option<Bytes>,
}

impl<I, F> MergingIterator<I, F>
where
    I: Iterator<Item = Result<Entry, DecodeError>>,
    F: CompactionFilter,
{
    /// `sources` newest first: of two equal internal keys the earlier source wins.
    pub fn new(sources: Vec<I>, options: MergeOptions, filter: F) -> MergingIterator<I, F> {
        let mut merging = MergingIterator {
            heap: BinaryHeap::with_capacity(sources.len()),
            sources,
            options,
            filter,
            stats: MergeStats::default(),
            pending_error: None,
            finished: false,
            last_out: None,
        };
        for source_index in 0..merging.sources.len() {
            if let Err(error) = merging.refill(source_index) {
                merging.pending_error = Some(error);
                break;
            }
        }
        merging
    }

    pub fn stats(&self) -> MergeStats {
        self.stats
    }

    /// Pulls the first entry of `source_index` into the heap.
    fn refill(&mut self, source_index: usize) -> Result<(), MergeError> {
        assert!(source_index < self.sources.len());
        match self.sources[source_index].next() {
            None => Ok(()),
            Some(Err(error)) => Err(MergeError::Source {
                source_index,
                error,
            }),
            Some(Ok(entry)) => {
                self.stats.entries_in += 1;
                self.stats.logical_bytes_in += entry.logical_size_bytes();
                self.heap.push(Head {
                    entry,
                    source_index,
                });
                Ok(())
            }
        }
    }

    /// Takes the smallest head and refills its source. The next entry of that source
    /// replaces the head in place (one sift instead of a pop and a push).
    fn pop(&mut self) -> Result<Option<Entry>, MergeError> {
        let Some(mut top) = self.heap.peek_mut() else {
            return Ok(None);
        };
        let source_index = top.source_index;
        assert!(
            source_index < self.sources.len(),
            "heads come from the sources"
        );
        match self.sources[source_index].next() {
            None => Ok(Some(PeekMut::pop(top).entry)),
            Some(Err(error)) => Err(MergeError::Source {
                source_index,
                error,
            }),
            Some(Ok(next)) => {
                let order = compare_internal(
                    &top.entry.key.user_key,
                    top.entry.key.seq,
                    &next.key.user_key,
                    next.key.seq,
                );
                if order != Ordering::Less {
                    return Err(MergeError::OutOfOrder {
                        source_index,
                        user_key: next.key.user_key.clone(),
                        seq: next.key.seq.0,
                    });
                }
                self.stats.entries_in += 1;
                self.stats.logical_bytes_in += next.logical_size_bytes();
                Ok(Some(std::mem::replace(&mut top.entry, next)))
            }
        }
    }

    /// Drops every older version of `user_key` still in the heap.
    fn skip_older_versions(&mut self, user_key: &[u8]) -> Result<(), MergeError> {
        while self
            .heap
            .peek()
            .is_some_and(|head| &head.entry.key.user_key[..] == user_key)
        {
            self.pop()?;
            self.stats.dropped_shadowed += 1;
        }
        Ok(())
    }

    fn next_surviving(&mut self) -> Result<Option<Entry>, MergeError> {
        while let Some(mut entry) = self.pop()? {
            self.skip_older_versions(&entry.key.user_key)?;
            if entry.kind == EntryKind::Put && self.filter.decide(&entry) == FilterDecision::Remove
            {
                if self.options.bottommost {
                    self.stats.dropped_filtered += 1;
                    continue;
                }
                self.stats.filtered_to_tombstone += 1;
                entry.kind = EntryKind::Delete;
                entry.value = Bytes::new();
                entry.expires_at_ms = None;
            }
            if entry.kind == EntryKind::Delete && self.options.bottommost {
                self.stats.dropped_tombstones += 1;
                continue;
            }
            self.stats.entries_out += 1;
            self.stats.logical_bytes_out += entry.logical_size_bytes();
            self.assert_output_order(&entry);
            return Ok(Some(entry));
        }
        self.assert_every_entry_accounted();
        Ok(None)
    }

    /// One entry per user key, in increasing order: what the SST builder requires next.
    fn assert_output_order(&mut self, entry: &Entry) {
        if let Some(last) = &self.last_out {
            assert!(
                last[..] < entry.key.user_key[..],
                "merge output out of order: {:?} after {last:?}",
                entry.key.user_key
            );
        }
        assert!(!(self.options.bottommost && entry.kind == EntryKind::Delete));
        self.last_out = Some(entry.key.user_key.clone());
    }

    /// At the end of a clean merge every entry read was written or dropped for a reason.
    fn assert_every_entry_accounted(&self) {
        assert!(self.heap.is_empty());
        let stats = self.stats;
        assert_eq!(
            stats.entries_in,
            stats.entries_out
                + stats.dropped_shadowed
                + stats.dropped_tombstones
                + stats.dropped_filtered,
            "merge lost entries: {stats:?}"
        );
        assert!(stats.logical_bytes_out <= stats.logical_bytes_in);
    }
}

impl<I, F> Iterator for MergingIterator<I, F>
where
    I: Iterator<Item = Result<Entry, DecodeError>>,
    F: CompactionFilter,
{
    type Item = Result<Entry, MergeError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.finished {
            return None;
        }
        if let Some(error) = self.pending_error.take() {
            self.finished = true;
            return Some(Err(error));
        }
        match self.next_surviving() {
            Ok(Some(entry)) => Some(Ok(entry)),
            Ok(None) => {
                self.finished = true;
                None
            }
            Err(error) => {
                self.finished = true;
                Some(Err(error))
            }
        }
    }
}
