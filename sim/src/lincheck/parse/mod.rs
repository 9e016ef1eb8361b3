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
        let found = printable(found.as_ref());
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

/// `text` safe to print on a terminal: control characters (and a byte-order mark) escaped
/// as `\u{..}`, everything else unchanged.
pub fn printable(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if c.is_control() || c == BYTE_ORDER_MARK {
            out.extend(c.escape_unicode());
        } else {
            out.push(c);
        }
    }
    out
}

/// U+FEFF, which some editors put at the start of a UTF-8 file.
pub const BYTE_ORDER_MARK: char = '\u{feff}';

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_are_escaped_in_what_was_found() {
        let error = ParseError::new(3, "a number", "1\u{1b}[2J\r\u{feff}é");
        assert_eq!(error.found, "1\\u{1b}[2J\\u{d}\\u{feff}é");
        assert!(!error.to_string().chars().any(char::is_control));
    }
}
