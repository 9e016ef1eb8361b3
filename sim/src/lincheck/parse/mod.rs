//! Readers for recorded histories in the formats of
//! `testdata/porcupine/README.md`. Times are line numbers: each line is one event.

pub mod edn;
pub mod jepsen;
pub mod porcupine_kv;
mod recorder;

use std::fmt;

/// Why a history file could not be read: the line and what was expected there.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParseError {
    /// 1-based line number.
    pub line: usize,
    pub expected: String,
    /// What was found instead (shortened).
    pub found: String,
}

impl ParseError {
    pub fn new(line: usize, expected: impl Into<String>, found: impl AsRef<str>) -> Self {
        const MAX_FOUND_CHARS: usize = 60;
        let found = found.as_ref();
        let found = if found.chars().count() > MAX_FOUND_CHARS {
            let head: String = found.chars().take(MAX_FOUND_CHARS).collect();
            format!("{head}…")
        } else {
            found.to_string()
        };
        ParseError {
            line,
            expected: expected.into(),
            found,
        }
    }
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "line {}: expected {}, found `{}`",
            self.line, self.expected, self.found
        )
    }
}

impl std::error::Error for ParseError {}
