//! Recorded histories: what each client called, when, and what it got back.

use std::fmt;

/// Identifies the client (process, session) that issued an operation. A client has at most
/// one operation open at a time; after an operation that never returned, the simulator's
/// client continues under a new id.
pub type ClientId = u64;

/// Index of an operation in its [`History`] (the order of [`History::push`] / [`History::call`]).
pub type OpIndex = usize;

/// One operation as a client saw it. Times are integers in any unit (the simulator uses
/// nanoseconds); intervals are closed, so an operation that returns at `t` overlaps one
/// called at `t`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Operation<I, O> {
    pub client: ClientId,
    pub call_ns: u64,
    /// `None`: the operation never returned (indeterminate). It takes effect at some point
    /// after its call or never, and its output is not checked.
    pub return_ns: Option<u64>,
    pub input: I,
    /// `None`: the result is unknown (for example a timed-out read); any output is
    /// accepted, but the operation's effect still applies.
    pub output: Option<O>,
}

impl<I, O> Operation<I, O> {
    /// An operation that returned with a known output.
    pub fn completed(client: ClientId, call_ns: u64, return_ns: u64, input: I, output: O) -> Self {
        Operation {
            client,
            call_ns,
            return_ns: Some(return_ns),
            input,
            output: Some(output),
        }
    }

    /// An operation that never returned.
    pub fn pending(client: ClientId, call_ns: u64, input: I) -> Self {
        Operation {
            client,
            call_ns,
            return_ns: None,
            input,
            output: None,
        }
    }
}

/// Why an operation cannot be recorded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum HistoryError {
    /// The operation returns before it was called.
    ReturnBeforeCall { call_ns: u64, return_ns: u64 },
    /// An output without a return: only an operation that returned can have an output.
    OutputWithoutReturn,
    /// [`History::complete`] named an operation that does not exist.
    NoSuchOperation { op: OpIndex },
    /// [`History::complete`] named an operation that has already returned.
    AlreadyReturned { op: OpIndex },
    /// More operations than the checker can index (`u32` indices).
    TooManyOperations,
}

impl fmt::Display for HistoryError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HistoryError::ReturnBeforeCall { call_ns, return_ns } => {
                write!(
                    f,
                    "operation returns at {return_ns} before its call at {call_ns}"
                )
            }
            HistoryError::OutputWithoutReturn => {
                write!(f, "an operation that never returned cannot have an output")
            }
            HistoryError::NoSuchOperation { op } => write!(f, "no operation #{op}"),
            HistoryError::AlreadyReturned { op } => write!(f, "operation #{op} already returned"),
            HistoryError::TooManyOperations => write!(f, "too many operations in one history"),
        }
    }
}

impl std::error::Error for HistoryError {}

/// Largest number of operations in one history: the search indexes call and return
/// entries with `u32`.
pub const MAX_OPERATIONS: usize = (u32::MAX / 4) as usize;

/// A history of operations, valid by construction (every return at or after its call).
/// Built whole with [`History::push`] or incrementally with [`History::call`] then
/// [`History::complete`]; an operation never completed is indeterminate.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct History<I, O> {
    ops: Vec<Operation<I, O>>,
}

impl<I, O> Default for History<I, O> {
    fn default() -> Self {
        History { ops: Vec::new() }
    }
}

impl<I, O> History<I, O> {
    pub fn new() -> Self {
        Self::default()
    }

    /// Builds a history from whole operations; fails on the first invalid one.
    pub fn from_operations(
        ops: impl IntoIterator<Item = Operation<I, O>>,
    ) -> Result<Self, HistoryError> {
        let mut history = History::new();
        for op in ops {
            history.push(op)?;
        }
        Ok(history)
    }

    /// Records a whole operation and returns its index.
    pub fn push(&mut self, op: Operation<I, O>) -> Result<OpIndex, HistoryError> {
        match op.return_ns {
            Some(return_ns) if return_ns < op.call_ns => {
                return Err(HistoryError::ReturnBeforeCall {
                    call_ns: op.call_ns,
                    return_ns,
                });
            }
            None if op.output.is_some() => return Err(HistoryError::OutputWithoutReturn),
            _ => {}
        }
        if self.ops.len() >= MAX_OPERATIONS {
            return Err(HistoryError::TooManyOperations);
        }
        self.ops.push(op);
        Ok(self.ops.len() - 1)
    }

    /// Records the call of an operation that has not returned (yet).
    pub fn call(
        &mut self,
        client: ClientId,
        call_ns: u64,
        input: I,
    ) -> Result<OpIndex, HistoryError> {
        self.push(Operation::pending(client, call_ns, input))
    }

    /// Records the return of operation `op`; `output` is `None` when the result is unknown.
    pub fn complete(
        &mut self,
        op: OpIndex,
        return_ns: u64,
        output: Option<O>,
    ) -> Result<(), HistoryError> {
        let entry = self
            .ops
            .get_mut(op)
            .ok_or(HistoryError::NoSuchOperation { op })?;
        if entry.return_ns.is_some() {
            return Err(HistoryError::AlreadyReturned { op });
        }
        if return_ns < entry.call_ns {
            return Err(HistoryError::ReturnBeforeCall {
                call_ns: entry.call_ns,
                return_ns,
            });
        }
        entry.return_ns = Some(return_ns);
        entry.output = output;
        Ok(())
    }

    pub fn ops(&self) -> &[Operation<I, O>] {
        &self.ops
    }

    pub fn get(&self, op: OpIndex) -> Option<&Operation<I, O>> {
        self.ops.get(op)
    }

    pub fn len(&self) -> usize {
        self.ops.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ops.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invalid_operations_are_refused() {
        let mut h: History<u8, u8> = History::new();
        assert_eq!(
            h.push(Operation::completed(0, 5, 4, 1, 1)),
            Err(HistoryError::ReturnBeforeCall {
                call_ns: 5,
                return_ns: 4
            })
        );
        let mut pending = Operation::pending(0, 5, 1);
        pending.output = Some(2);
        assert_eq!(h.push(pending), Err(HistoryError::OutputWithoutReturn));
        let op = h.call(0, 5, 1).unwrap();
        assert_eq!(
            h.complete(op, 4, Some(1)),
            Err(HistoryError::ReturnBeforeCall {
                call_ns: 5,
                return_ns: 4
            })
        );
        h.complete(op, 5, Some(1)).unwrap();
        assert_eq!(
            h.complete(op, 6, None),
            Err(HistoryError::AlreadyReturned { op })
        );
        assert_eq!(
            h.complete(9, 6, None),
            Err(HistoryError::NoSuchOperation { op: 9 })
        );
        assert_eq!(h.len(), 1);
    }
}
