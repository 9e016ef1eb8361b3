//! Pairs invoke lines with their completions, per process, for both formats.

use std::collections::BTreeMap;

use super::ParseError;
use crate::lincheck::history::{History, Operation};

/// Operations in call order; `None` marks an operation that definitely did not happen.
pub struct Recorder<I, O> {
    ops: Vec<Option<Operation<I, O>>>,
    /// Process → (index in `ops`, line of its invoke).
    open: BTreeMap<u64, (usize, usize)>,
}

impl<I, O> Recorder<I, O> {
    pub fn new() -> Self {
        Recorder {
            ops: Vec::new(),
            open: BTreeMap::new(),
        }
    }

    /// A process starts an operation; it must have none open.
    pub fn invoke(&mut self, line: usize, process: u64, input: I) -> Result<(), ParseError> {
        if let Some(&(_, invoked_at)) = self.open.get(&process) {
            return Err(ParseError::new(
                line,
                format!(
                    "a completion of process {process}'s operation invoked on line \
                     {invoked_at} before its next invoke"
                ),
                "another invoke",
            ));
        }
        self.open.insert(process, (self.ops.len(), line));
        self.ops
            .push(Some(Operation::pending(process, line as u64, input)));
        Ok(())
    }

    /// The input of `process`'s open operation, or an error naming what was expected.
    pub fn open_input(&self, line: usize, process: u64, event: &str) -> Result<&I, ParseError> {
        self.open
            .get(&process)
            .and_then(|&(index, _)| self.ops.get(index))
            .and_then(|op| op.as_ref())
            .map(|op| &op.input)
            .ok_or_else(|| {
                ParseError::new(
                    line,
                    format!("an invoke of process {process} before its completion"),
                    event,
                )
            })
    }

    /// Completes `process`'s open operation at `line`; `output` `None` = unknown result.
    pub fn complete(&mut self, line: usize, process: u64, output: Option<O>) {
        let open = self.open.remove(&process);
        if let Some(Some(op)) = open.and_then(|(index, _)| self.ops.get_mut(index)) {
            op.return_ns = Some(line as u64);
            op.output = output;
        }
    }

    /// `process`'s open operation definitely did not happen: drop it.
    pub fn discard(&mut self, process: u64) {
        let open = self.open.remove(&process);
        if let Some(slot) = open.and_then(|(index, _)| self.ops.get_mut(index)) {
            *slot = None;
        }
    }

    /// `process`'s open operation stays open to the end (it may take effect or not); the
    /// process itself may go on.
    pub fn leave_open(&mut self, process: u64) {
        self.open.remove(&process);
    }

    /// The history; operations still open never returned.
    pub fn finish(self, last_line: usize) -> Result<History<I, O>, ParseError> {
        History::from_operations(self.ops.into_iter().flatten())
            .map_err(|e| ParseError::new(last_line, "a valid history", e.to_string()))
    }
}
