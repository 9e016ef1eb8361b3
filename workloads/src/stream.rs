//! The seeded operation stream.

use std::iter::FusedIterator;

use crate::error::SpecError;
use crate::keys::KeyChooser;
use crate::limits::MAX_KEY_SPACE;
use crate::mix::{MixChooser, OpKind};
use crate::op::Op;
use crate::rng::StreamRng;
use crate::spec::{ScanLengths, TtlSpec, WorkloadSpec};
use crate::values::ValueSampler;

/// The operations of a [`WorkloadSpec`] under one seed, in order.
///
/// Each operation draws, in this order: its kind, its key (inserts take the next id
/// instead), its scan length or value size, and its TTL. Endless, except with
/// [`crate::KeyDistribution::Shuffled`], which ends once every initial key has been used.
#[derive(Clone, Debug)]
pub struct OpStream {
    rng: StreamRng,
    mix: MixChooser,
    keys: KeyChooser,
    values: ValueSampler,
    scan_lengths: ScanLengths,
    ttl: Option<TtlSpec>,
    records: u64,
    finished: bool,
}

impl OpStream {
    /// Validates `spec` and starts its stream for `seed`.
    pub fn new(spec: &WorkloadSpec, seed: u64) -> Result<OpStream, SpecError> {
        spec.validate()?;
        let mut rng = StreamRng::from_seed(seed);
        let keys = KeyChooser::new(&spec.keys, spec.key_space, &mut rng);
        Ok(OpStream {
            rng,
            mix: MixChooser::new(&spec.mix),
            keys,
            values: ValueSampler::new(&spec.values),
            scan_lengths: spec.scan_lengths,
            ttl: spec.ttl,
            records: spec.key_space,
            finished: false,
        })
    }

    /// The current record count: the initial key space plus the inserts so far. Keys
    /// `0..record_count()` have been written (or loaded) at this point of the stream.
    pub fn record_count(&self) -> u64 {
        self.records
    }

    fn existing_key(&mut self) -> Option<u64> {
        let key = self.keys.next_key(&mut self.rng, self.records);
        if key.is_none() {
            self.finished = true;
        }
        key
    }

    fn put(&mut self, key: u64) -> Op {
        let value_bytes = self.values.next_bytes(&mut self.rng);
        let ttl_ms = self
            .ttl
            .map(|ttl| self.rng.inclusive(ttl.min_ms, ttl.max_ms));
        Op::Put {
            key,
            value_bytes,
            ttl_ms,
        }
    }

    /// The next id, growing the record count; at [`MAX_KEY_SPACE`] an insert becomes an
    /// update of an existing key.
    fn insert(&mut self) -> Option<Op> {
        if self.records >= MAX_KEY_SPACE {
            let key = self.existing_key()?;
            return Some(self.put(key));
        }
        let key = self.records;
        self.records += 1;
        Some(self.put(key))
    }
}

impl Iterator for OpStream {
    type Item = Op;

    fn next(&mut self) -> Option<Op> {
        if self.finished {
            return None;
        }
        let kind = self.mix.choose(self.rng.unit());
        match kind {
            OpKind::Read => self.existing_key().map(|key| Op::Get { key }),
            OpKind::Update => {
                let key = self.existing_key()?;
                Some(self.put(key))
            }
            OpKind::Insert => self.insert(),
            OpKind::Scan => {
                let start_key = self.existing_key()?;
                let ScanLengths { min_len, max_len } = self.scan_lengths;
                let len = self.rng.inclusive(u64::from(min_len), u64::from(max_len));
                let len = u32::try_from(len).unwrap_or(max_len);
                Some(Op::Scan { start_key, len })
            }
            OpKind::ReadModifyWrite => {
                let key = self.existing_key()?;
                let value_bytes = self.values.next_bytes(&mut self.rng);
                Some(Op::ReadModifyWrite { key, value_bytes })
            }
            OpKind::Delete => self.existing_key().map(|key| Op::Delete { key }),
        }
    }
}

impl FusedIterator for OpStream {}
