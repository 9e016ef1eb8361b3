//! Sediment's simulator, checkers and CLI.
#![forbid(unsafe_code)]
