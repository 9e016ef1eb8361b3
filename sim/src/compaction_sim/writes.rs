//! The writes a run applies: the built-in put streams, or the writes of a `workloads`
//! preset (puts, with the preset's TTL; deletes; read-modify-writes as puts). Reads and
//! scans write nothing, so they are skipped.

use super::workload::KeyStream;
use super::{CompactionSimArgs, CompactionSimError, SimWorkload};
use workloads::{Op, OpStream};

/// Most reads skipped in a row before a preset's stream is taken as ended (a preset that
/// writes at all writes at least 5% of the time, so this is never reached in practice).
const READS_SKIPPED_IN_A_ROW_MAX: u64 = 1 << 20;

/// One write.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Write {
    /// A put, expiring `ttl_ms` after its write time when set.
    Put {
        key: u64,
        ttl_ms: Option<u64>,
    },
    Delete {
        key: u64,
    },
}

impl Write {
    pub(super) fn key(self) -> u64 {
        match self {
            Write::Put { key, .. } | Write::Delete { key } => key,
        }
    }
}

/// The writes of `args.workload` over `keys` initial keys.
pub(super) enum Writes {
    Builtin(KeyStream),
    Preset { stream: Box<OpStream> },
}

impl Writes {
    pub(super) fn new(args: &CompactionSimArgs, keys: u64) -> Result<Writes, CompactionSimError> {
        let name = match args.workload {
            SimWorkload::UniformOverwrite | SimWorkload::InsertRandom => {
                return Ok(Writes::Builtin(KeyStream::new(
                    args.workload,
                    args.seed,
                    keys,
                    args.updates,
                )));
            }
            SimWorkload::Preset(name) => name,
        };
        let spec = workloads::preset(name)
            .ok_or_else(|| CompactionSimError::BadArgs(format!("unknown workload {name:?}")))?
            .with_key_space(keys);
        if spec.mix.read + spec.mix.scan >= 1.0 {
            return Err(CompactionSimError::BadArgs(format!(
                "workload {name} only reads: compaction-sim needs writes"
            )));
        }
        let stream = OpStream::new(&spec, args.seed)
            .map_err(|error| CompactionSimError::BadArgs(format!("workload {name}: {error}")))?;
        Ok(Writes::Preset {
            stream: Box::new(stream),
        })
    }

    /// Every key id a run of `updates` writes can touch is below this.
    pub(super) fn key_bound(args: &CompactionSimArgs, keys: u64) -> u64 {
        match args.workload {
            SimWorkload::Preset(_) => keys.saturating_add(args.updates),
            _ => keys,
        }
    }
}

impl Iterator for Writes {
    type Item = Write;

    fn next(&mut self) -> Option<Write> {
        match self {
            Writes::Builtin(keys) => keys.next().map(|key| Write::Put { key, ttl_ms: None }),
            Writes::Preset { stream } => {
                for _ in 0..READS_SKIPPED_IN_A_ROW_MAX {
                    match stream.next()? {
                        Op::Put { key, ttl_ms, .. } => return Some(Write::Put { key, ttl_ms }),
                        Op::ReadModifyWrite { key, .. } => {
                            return Some(Write::Put { key, ttl_ms: None });
                        }
                        Op::Delete { key } => return Some(Write::Delete { key }),
                        Op::Get { .. } | Op::Scan { .. } => {}
                    }
                }
                None
            }
        }
    }
}
