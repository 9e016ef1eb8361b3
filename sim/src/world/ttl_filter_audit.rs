//! C7's filter audit, on remote workers: TTL filters read the wall clock of the node that
//! applies them (DESIGN, C7). The world knows each worker's clock exactly, so every TTL
//! decision of a worker's merge is judged against what that worker's clock read while the
//! job ran — sharper than C7's read checks, which allow the largest skew of any node.
//!
//! After a job's merge, its inputs (from the manifest version it names) and outputs (under
//! its prefix) are read straight from the store. A key whose newest input version is an
//! expiring put was removed by the filter when the outputs hold a tombstone of the same
//! sequence number or nothing; it was kept when they hold the put. The worker's clock read
//! once, at some instant of the job, so a removal needs the expiry reached by the latest
//! time its clock showed over the job, and a keep needs it not reached by the earliest.

use crate::clock::SimClock;
use crate::store::StoreState;
use bytes::Bytes;
use lsm_core::entry::{Entry, EntryKind};
use lsm_core::layout::{manifest_path, sst_path};
use lsm_core::manifest::decode_manifest;
use lsm_core::roles::remote::RemoteJob;
use lsm_core::sst::{SstMeta, SstReader};
use lsm_core::store::GetRange;
use std::collections::BTreeMap;
use std::sync::Mutex;

/// Findings kept, at most (the count goes on).
const FINDINGS_KEPT_MAX: usize = 20;

/// What the filter did to one expiring put.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Decision {
    pub user_key: Bytes,
    pub expires_at_ms: u64,
    pub removed: bool,
}

/// The audit's findings over a run.
#[derive(Default)]
pub struct TtlFilterAudit {
    state: Mutex<AuditState>,
}

#[derive(Default)]
struct AuditState {
    merges_audited: u64,
    decisions_judged: u64,
    violations: u64,
    findings: Vec<String>,
}

/// One finished merge of a worker: the job, its outputs, and the sim-time span it ran in.
pub struct WorkerMerge<'a> {
    pub job: &'a RemoteJob,
    pub outputs: &'a [SstMeta],
    pub clock: &'a SimClock,
    pub span_ns: (u64, u64),
}

impl TtlFilterAudit {
    /// Judges `merge`'s TTL decisions; a merge whose inputs are no longer readable (a GC
    /// collected them or their manifest version) is skipped.
    pub fn audit(&self, store: &StoreState, merge: &WorkerMerge<'_>) {
        if !merge.job.expire_by_ttl {
            return;
        }
        let Some(decisions) = merge_decisions(store, merge.job, merge.outputs) else {
            return;
        };
        let (earliest_ms, latest_ms) = wall_range_ms(merge.clock, merge.span_ns);
        let mut state = self.lock();
        state.merges_audited += 1;
        for decision in decisions {
            state.decisions_judged += 1;
            let wrong = if decision.removed {
                decision.expires_at_ms > latest_ms
            } else {
                decision.expires_at_ms <= earliest_ms
            };
            if !wrong {
                continue;
            }
            state.violations += 1;
            if state.findings.len() < FINDINGS_KEPT_MAX {
                let verb = if decision.removed { "removed" } else { "kept" };
                state.findings.push(format!(
                    "{} job {} {verb} {:?} expiring at {} while its clock read {earliest_ms}..={latest_ms}",
                    merge.clock.node(),
                    merge.job.id,
                    decision.user_key,
                    decision.expires_at_ms
                ));
            }
        }
    }

    /// (merges audited, decisions judged, violations, the first findings).
    pub fn summary(&self) -> (u64, u64, u64, Vec<String>) {
        let state = self.lock();
        let findings = state.findings.clone();
        (
            state.merges_audited,
            state.decisions_judged,
            state.violations,
            findings,
        )
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, AuditState> {
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// The earliest and latest wall ms `clock` showed over `span_ns`: its wall time only rises
/// between jumps, so the extremes lie at the ends and on either side of each jump.
pub fn wall_range_ms(clock: &SimClock, span_ns: (u64, u64)) -> (u64, u64) {
    let (start_ns, end_ns) = span_ns;
    assert!(start_ns <= end_ns, "a job ends after it starts");
    let mut points = vec![start_ns, end_ns];
    for jump in &clock.plan().jumps {
        let at_ns = jump.at_ms.saturating_mul(1_000_000);
        points.extend([at_ns.saturating_sub(1), at_ns]);
    }
    let walls = points
        .into_iter()
        .filter(|at_ns| (start_ns..=end_ns).contains(at_ns))
        .map(|at_ns| clock.wall_ms_at(at_ns));
    walls.fold((u64::MAX, 0), |(low, high), wall| {
        (low.min(wall), high.max(wall))
    })
}

/// The TTL decisions of `job`'s merge, from its inputs and `outputs` in the store; `None`
/// when something is no longer there to read.
fn merge_decisions(
    store: &StoreState,
    job: &RemoteJob,
    outputs: &[SstMeta],
) -> Option<Vec<Decision>> {
    let manifest_bytes = store
        .get(&manifest_path(job.manifest_version), GetRange::Whole)
        .ok()?;
    let manifest = decode_manifest(&manifest_bytes.bytes).ok()?;
    let mut inputs = Vec::new();
    for id in job.plan.input_ids() {
        let (_, meta) = manifest.find_live(id)?;
        inputs.push(read_table(store, &sst_path(meta.id))?);
    }
    let mut written = Vec::new();
    for meta in outputs {
        written.push(read_table(store, &job.id.output_path(meta.id))?);
    }
    Some(filter_decisions(&inputs, &written))
}

fn read_table(store: &StoreState, path: &str) -> Option<SstReader> {
    let got = store.get(path, GetRange::Whole).ok()?;
    SstReader::open(got.bytes).ok()
}

/// What the filter did to each key whose newest version in `inputs` is an expiring put.
pub fn filter_decisions(inputs: &[SstReader], outputs: &[SstReader]) -> Vec<Decision> {
    let input = newest_versions(inputs);
    let output = newest_versions(outputs);
    let mut decisions = Vec::new();
    for (user_key, put) in input {
        let (EntryKind::Put, Some(expires_at_ms)) = (put.kind, put.expires_at_ms) else {
            continue;
        };
        let removed = match output.get(&user_key) {
            None => true,
            Some(out) if out.seq() != put.seq() => continue,
            Some(out) => out.kind == EntryKind::Delete,
        };
        decisions.push(Decision {
            user_key,
            expires_at_ms,
            removed,
        });
    }
    decisions
}

/// Every user key's newest version across `tables` (an unreadable entry ends a table).
fn newest_versions(tables: &[SstReader]) -> BTreeMap<Bytes, Entry> {
    let mut newest: BTreeMap<Bytes, Entry> = BTreeMap::new();
    for table in tables {
        for entry in table.iter().map_while(Result::ok) {
            let newer = newest
                .get(&entry.key.user_key)
                .is_none_or(|known| entry.seq() > known.seq());
            if newer {
                newest.insert(entry.key.user_key.clone(), entry);
            }
        }
    }
    newest
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use lsm_core::ids::{Epoch, IdRole, SeqNum, SstId};
    use lsm_core::sst::{SstOptions, build_sst};

    fn table(counter: u64, entries: &[Entry]) -> SstReader {
        let id = SstId::compose(IdRole::Writer, Epoch(1), counter).unwrap();
        let (bytes, _) = build_sst(&SstOptions::default(), entries, id, 0).unwrap();
        SstReader::open(bytes).unwrap()
    }

    #[test]
    fn removals_and_keeps_of_expiring_puts_are_told_apart() {
        let inputs = [table(
            1,
            &[
                Entry::put_expiring(&b"a"[..], SeqNum(3), &b"x"[..], 100),
                Entry::put_expiring(&b"b"[..], SeqNum(4), &b"y"[..], 200),
                Entry::put_expiring(&b"c"[..], SeqNum(5), &b"z"[..], 300),
                Entry::put(&b"d"[..], SeqNum(6), &b"w"[..]),
            ],
        )];
        let outputs = [table(
            2,
            &[
                Entry::delete(&b"a"[..], SeqNum(3)),
                Entry::put_expiring(&b"b"[..], SeqNum(4), &b"y"[..], 200),
                Entry::put(&b"d"[..], SeqNum(6), &b"w"[..]),
            ],
        )];
        let decisions = filter_decisions(&inputs, &outputs);
        let removed: Vec<(&[u8], bool)> = decisions
            .iter()
            .map(|d| (&d.user_key[..], d.removed))
            .collect();
        assert_eq!(
            removed,
            vec![(&b"a"[..], true), (&b"b"[..], false), (&b"c"[..], true)]
        );
    }

    #[test]
    fn a_put_shadowed_by_a_newer_input_version_is_no_decision() {
        let inputs = [
            table(
                1,
                &[Entry::put_expiring(&b"a"[..], SeqNum(3), &b"x"[..], 100)],
            ),
            table(2, &[Entry::delete(&b"a"[..], SeqNum(9))]),
        ];
        assert!(filter_decisions(&inputs, &[]).is_empty());
    }
}
