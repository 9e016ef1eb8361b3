//! The end-of-run checks, one function each, each returning its outcome; [`Verdicts`]
//! collects them into the report's `checks` and `failures`, in the order they ran.

use super::bucket::Bucket;
use super::c7::{TtlContext, TtlHistory};
use super::config::WorldConfig;
use super::fifo_style;
use super::outcome::{CheckOutcome, Failure};
use super::quiescence::Rest;
use super::violations::Violations;
use crate::lincheck::html::HtmlSection;
use crate::lincheck::models::kv_register::{KvInput, KvOutput};
use crate::lincheck::{CheckOptions, History, Limits, Verdict};
use lsm_core::roles::writer::Durability;
use std::collections::BTreeMap;

/// C1's search bounds: generous for per-key histories of a run, but finite.
const C1_LIMITS: Limits = Limits {
    max_steps: 200_000_000,
    max_cache_entries: 4_000_000,
};

/// Final reads whose keys a C4 failure lists, at most.
const UNANSWERED_KEYS_SHOWN_MAX: usize = 10;

type KvHistory = History<KvInput<u64, u64>, KvOutput<u64>>;

/// The outcomes of a run's checks, by name, and its failures in the order the checks ran;
/// the checks this run's configuration does not call for, with the reason.
#[derive(Clone, Debug, Default)]
pub struct Verdicts {
    pub checks: BTreeMap<String, bool>,
    pub failures: Vec<Failure>,
    pub skipped: BTreeMap<String, String>,
    /// C1's explanation page section, when C1 ran and failed.
    pub c1_explanation: Option<HtmlSection>,
}

impl Verdicts {
    pub fn record(&mut self, outcome: CheckOutcome) {
        let previous = self
            .checks
            .insert(outcome.check.to_string(), outcome.failure.is_none());
        assert!(previous.is_none(), "check {} ran twice", outcome.check);
        assert!(
            !self.skipped.contains_key(outcome.check),
            "check {} ran after it was skipped",
            outcome.check
        );
        if let Some(detail) = outcome.failure {
            self.failures.push(Failure {
                check: outcome.check.to_string(),
                detail,
            });
        }
    }

    /// Notes a check that does not apply to this run, and why (the summary names it).
    pub fn skip(&mut self, check: &'static str, reason: &str) {
        assert!(
            !self.checks.contains_key(check),
            "check {check} ran and was skipped"
        );
        let previous = self.skipped.insert(check.to_string(), reason.to_string());
        assert!(previous.is_none(), "check {check} skipped twice");
    }
}

/// Why C1 does not run in `checkpoint` durability.
pub const C1_SKIPPED_CHECKPOINT: &str =
    "checkpoint durability (no WAL; C2 and the recovery check hold instead)";
/// Why the recovery check does not run in `wal` durability.
pub const RECOVERY_SKIPPED_WAL: &str = "wal durability (C1 covers what a crash may lose)";

/// C1: the history is linearizable under the model the style promises. `None` in
/// `checkpoint` durability: without a WAL an acknowledged write may be lost by design, so
/// C2 and the recovery check hold that mode instead.
/// With TTL drawn, the model is the expiry-aware one (`c7.rs`), lossy as the style is.
/// Beside the outcome, the explanation page's section when C1 failed.
pub fn c1_linearizable(
    config: &WorldConfig,
    history: &KvHistory,
    ttl: Option<(&TtlContext, &TtlHistory)>,
) -> Option<(CheckOutcome, Option<HtmlSection>)> {
    if config.lsm.durability != Durability::Wal {
        return None;
    }
    let options = CheckOptions {
        limits: C1_LIMITS,
        partition: true,
    };
    let (report, explanation) = match ttl {
        Some((context, ttl_history)) => context.c1_check(ttl_history, &options),
        None => fifo_style::c1_check(config.writer.style, history, &options),
    };
    let passed = matches!(report.verdict, Verdict::Linearizable);
    let outcome = CheckOutcome::new("C1", passed, || {
        format!("{} ({} operations)", report.verdict, history.len())
    });
    Some((outcome, explanation))
}

/// A check that watched the run (C2, C3, manifest invariants, recovery): passed when it
/// found nothing.
pub fn no_violations(check: &'static str, found: &Violations) -> CheckOutcome {
    CheckOutcome::new(check, found.count == 0, || {
        format!("{} violations: {}", found.count, found.first.join("; "))
    })
}

/// edits-valid: no role sent an edit that `apply` had to refuse as invalid (the roles
/// re-validate first, so a correct protocol never sends one).
pub fn edits_valid(refused: u64, refused_first: &[String]) -> CheckOutcome {
    CheckOutcome::new("edits-valid", refused == 0, || {
        format!(
            "{refused} manifest edits refused as invalid: {}",
            refused_first.join("; ")
        )
    })
}

/// C4: after the faults a writer served again, answered every final read, and the tree
/// came to rest.
pub fn c4_liveness(recovered: bool, unanswered: &[u64], rest: &Rest) -> CheckOutcome {
    let passed = recovered && unanswered.is_empty() && rest.reached;
    CheckOutcome::new("C4", passed, || {
        if !rest.reached {
            format!("the tree did not come to rest: {}", rest.describe())
        } else if recovered {
            format!(
                "{} final reads unanswered (keys {:?})",
                unanswered.len(),
                unanswered
                    .iter()
                    .take(UNANSWERED_KEYS_SHOWN_MAX)
                    .collect::<Vec<_>>()
            )
        } else {
            "no writer served again after the faults stopped".to_string()
        }
    })
}

/// C4-bucket-bounded: at rest no WAL segment is left below the replay point, the WAL tail
/// and the manifest versions are within their bounds (`bucket.rs`).
pub fn c4_bucket_bounded(bucket: &Bucket) -> CheckOutcome {
    CheckOutcome::new("C4-bucket-bounded", bucket.bounded(), || bucket.describe())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verdicts_keep_failures_in_the_order_checks_ran() {
        let mut verdicts = Verdicts::default();
        let mut found = Violations::default();
        found.push("x missing".to_string());
        verdicts.record(no_violations("C3", &found));
        verdicts.record(no_violations("C2", &Violations::default()));
        verdicts.record(edits_valid(2, &["a".to_string(), "b".to_string()]));
        assert_eq!(verdicts.checks.get("C2"), Some(&true));
        assert_eq!(verdicts.checks.get("C3"), Some(&false));
        let failed: Vec<&str> = verdicts.failures.iter().map(|f| f.check.as_str()).collect();
        assert_eq!(failed, ["C3", "edits-valid"]);
        assert_eq!(verdicts.failures[0].detail, "1 violations: x missing");
        assert_eq!(
            verdicts.failures[1].detail,
            "2 manifest edits refused as invalid: a; b"
        );
    }

    #[test]
    fn c4_names_what_did_not_come_back() {
        let rest = Rest {
            reached: true,
            ..Rest::default()
        };
        assert_eq!(c4_liveness(true, &[], &rest).failure, None);
        let keys: Vec<u64> = (0..12).collect();
        let detail = c4_liveness(true, &keys, &rest).failure.unwrap_or_default();
        assert!(detail.starts_with("12 final reads unanswered"), "{detail}");
        assert!(detail.contains("9]"), "{detail}");
        assert!(!detail.contains("10"), "{detail}");
        let down = c4_liveness(false, &[], &rest).failure.unwrap_or_default();
        assert_eq!(down, "no writer served again after the faults stopped");
        let restless = c4_liveness(true, &[], &Rest::default());
        assert!(
            restless
                .failure
                .is_some_and(|detail| detail.starts_with("the tree did not come to rest"))
        );
    }

    #[test]
    #[should_panic(expected = "ran twice")]
    fn a_check_records_once() {
        let mut verdicts = Verdicts::default();
        verdicts.record(edits_valid(0, &[]));
        verdicts.record(edits_valid(0, &[]));
    }
}
