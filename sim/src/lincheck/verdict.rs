//! What a check concludes, and the bounds that let it conclude "unknown" instead of running
//! forever.

use std::fmt;

use super::history::{ClientId, OpIndex};

/// Deterministic bounds on one partition's search (no wall clock: the same history and
/// limits always give the same verdict). Hitting either gives [`Verdict::Unknown`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Search steps per partition: one attempt to linearize an operation next, or one
    /// node given up.
    pub max_steps: u64,
    /// Explored (linearized set, state) configurations kept per partition: the memory bound.
    pub max_cache_entries: usize,
}

impl Default for Limits {
    /// 2 billion steps (minutes of search) and 10 million cache entries (on the order of
    /// 1–2 GB for a partition of a thousand operations with a small state).
    fn default() -> Self {
        Limits {
            max_steps: 2_000_000_000,
            max_cache_entries: 10_000_000,
        }
    }
}

/// How to check.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CheckOptions {
    pub limits: Limits,
    /// Check the model's independent parts separately (P-compositionality). Off: the
    /// whole history is one search — slower, same verdict when the search completes.
    pub partition: bool,
}

impl Default for CheckOptions {
    fn default() -> Self {
        CheckOptions {
            limits: Limits::default(),
            partition: true,
        }
    }
}

/// Which bound a search hit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Bound {
    Steps,
    CacheEntries,
}

/// A search that gave up: never a pass.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Unknown {
    pub bound: Bound,
    /// The bound's value.
    pub limit: u64,
    /// The first partition that hit a bound (index into the model's partition list).
    pub partition: usize,
    pub partitions: usize,
}

impl fmt::Display for Unknown {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let what = match self.bound {
            Bound::Steps => "search steps",
            Bound::CacheEntries => "cache entries",
        };
        write!(
            f,
            "partition {} of {} reached the bound of {} {what} before a verdict",
            self.partition + 1,
            self.partitions,
            self.limit
        )
    }
}

/// An operation as an explanation shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExplainedOp {
    pub op: OpIndex,
    pub client: ClientId,
    pub call_ns: u64,
    pub return_ns: Option<u64>,
    /// The model's description of input and output.
    pub text: String,
}

impl fmt::Display for ExplainedOp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.return_ns {
            Some(r) => write!(
                f,
                "#{} client {} [{}, {}] {}",
                self.op, self.client, self.call_ns, r, self.text
            ),
            None => write!(
                f,
                "#{} client {} [{}, never returned] {}",
                self.op, self.client, self.call_ns, self.text
            ),
        }
    }
}

/// Why a history is not linearizable: the longest linearizable prefix the search found in
/// the failing partition, and the operations of which one had to come next but none could.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Explanation {
    /// The failing partition (index into the model's partition list) and its size.
    pub partition: usize,
    pub partitions: usize,
    /// Every operation of the failing partition, in history order.
    pub partition_ops: Vec<OpIndex>,
    /// Operations in linearization order: a valid sequential execution that respects
    /// real time, longer than any other the search found.
    pub prefix: Vec<ExplainedOp>,
    /// The model's state after the prefix.
    pub state_after_prefix: String,
    /// Operations that returned, are not in the prefix, and were called before the
    /// earliest return among the rest — one of those must come next — which the model
    /// rejects in that state. When this is all of them, nothing can come next.
    pub unplaceable: Vec<ExplainedOp>,
    /// Set when some of those operations are accepted in that state: then the operation
    /// with the earliest return is a read the model rejects, and no order of the
    /// operations allowed before its return makes the model accept it.
    pub unreachable_read: Option<ExplainedOp>,
}

impl fmt::Display for Explanation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "partition {} of {} ({} operations) has no linearization.",
            self.partition + 1,
            self.partitions,
            self.partition_ops.len()
        )?;
        writeln!(
            f,
            "longest linearizable prefix found ({} operations):",
            self.prefix.len()
        )?;
        for (i, op) in self.prefix.iter().enumerate() {
            writeln!(f, "  {:>4}. {op}", i + 1)?;
        }
        writeln!(f, "state after it: {}", self.state_after_prefix)?;
        match &self.unreachable_read {
            None => writeln!(
                f,
                "one of these must come next (all were called before the earliest return \
                 among the rest), and none is possible in that state:"
            )?,
            Some(read) => {
                writeln!(
                    f,
                    "this read must take effect before it returns, but no order of the \
                     operations called before then leads to a state it accepts:"
                )?;
                writeln!(f, "        {read}")?;
                writeln!(
                    f,
                    "operations that must come next and are not possible in that state:"
                )?;
            }
        }
        for op in &self.unplaceable {
            writeln!(f, "        {op}")?;
        }
        Ok(())
    }
}

/// The verdict of a check.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    Linearizable,
    NotLinearizable(Box<Explanation>),
    /// A bound was hit first; not a pass.
    Unknown(Unknown),
}

impl Verdict {
    /// `linearizable`, `not-linearizable` or `unknown`: the CLI's words.
    pub fn name(&self) -> &'static str {
        match self {
            Verdict::Linearizable => "linearizable",
            Verdict::NotLinearizable(_) => "not-linearizable",
            Verdict::Unknown(_) => "unknown",
        }
    }

    pub fn is_linearizable(&self) -> bool {
        matches!(self, Verdict::Linearizable)
    }
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Verdict::Linearizable => write!(f, "linearizable"),
            Verdict::NotLinearizable(explanation) => {
                write!(f, "not-linearizable: {explanation}")
            }
            Verdict::Unknown(unknown) => write!(f, "unknown: {unknown}"),
        }
    }
}

/// Work done by a check, for benchmarks and for choosing limits.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CheckStats {
    /// Non-empty partitions searched. They take turns, and the check stops as soon as one
    /// fails, so the others may be only partly searched.
    pub partitions_searched: usize,
    pub partitions: usize,
    /// Search steps summed over partitions.
    pub steps: u64,
    /// Largest cache of one partition, in entries and approximate bytes.
    pub cache_entries_max: usize,
    pub cache_bytes_max: usize,
}

/// A verdict with the work it took.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CheckReport {
    pub verdict: Verdict,
    pub stats: CheckStats,
}
