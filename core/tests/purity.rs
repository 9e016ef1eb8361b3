//! The core performs no I/O of its own, reads no clock and draws no random number: time,
//! randomness and storage come in through parameters and traits. This test fails if any file
//! under `core/src` names what would break that, or if `core` depends on a runtime.
#![allow(clippy::unwrap_used)]

use std::fs;
use std::path::{Path, PathBuf};

/// Names that must not appear in core's source, with why.
const FORBIDDEN: &[(&str, &str)] = &[
    ("std::fs", "file system I/O"),
    ("std::net", "network I/O"),
    ("std::thread", "threads"),
    ("std::process", "processes"),
    ("std::env", "environment reads"),
    ("SystemTime", "wall-clock reads"),
    ("Instant::now", "monotonic-clock reads"),
    ("thread_rng", "unseeded randomness"),
    ("rand::", "randomness"),
    ("tokio", "a runtime"),
    ("madsim", "the simulator runtime"),
];

/// Modules of `std` that a grouped import (`use std::{fs, ...}`) must not name.
const FORBIDDEN_STD_MODULES: &[&str] = &["fs", "net", "thread", "process", "env"];

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<PathBuf> = fs::read_dir(dir)
        .unwrap_or_else(|error| panic!("cannot read {}: {error}", dir.display()))
        .map(|entry| entry.unwrap().path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|ext| ext == "rs") {
            out.push(path);
        }
    }
}

/// The modules named inside every `use std::{...}` group of `source`.
fn grouped_std_imports(source: &str) -> Vec<String> {
    let mut names = Vec::new();
    let mut rest = source;
    while let Some(start) = rest.find("std::{") {
        let after = &rest[start + "std::{".len()..];
        let end = after.find('}').unwrap_or(after.len());
        names.extend(after[..end].split(',').map(|item| {
            item.trim()
                .split("::")
                .next()
                .unwrap_or("")
                .trim()
                .to_string()
        }));
        rest = &after[end..];
    }
    names
}

#[test]
fn core_src_performs_no_io_reads_no_clock_and_draws_no_randomness() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    assert!(
        files.len() >= 10,
        "expected core's sources, found {files:?}"
    );
    let mut violations = Vec::new();
    for file in &files {
        let source = fs::read_to_string(file).unwrap();
        for (line_number, line) in source.lines().enumerate() {
            for (needle, why) in FORBIDDEN {
                if line.contains(needle) {
                    violations.push(format!(
                        "{}:{}: `{needle}` ({why})",
                        file.display(),
                        line_number + 1
                    ));
                }
            }
        }
        for name in grouped_std_imports(&source) {
            if FORBIDDEN_STD_MODULES.contains(&name.as_str()) {
                violations.push(format!("{}: imports std::{name}", file.display()));
            }
        }
    }
    assert!(
        violations.is_empty(),
        "core must stay pure:\n{}",
        violations.join("\n")
    );
}

#[test]
fn core_depends_on_no_runtime() {
    let manifest =
        fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("Cargo.toml")).unwrap();
    for runtime in ["tokio", "madsim", "async-std", "smol", "rand"] {
        let named = manifest
            .lines()
            .any(|line| line.trim_start().starts_with(runtime) && line.contains('='));
        assert!(!named, "core's Cargo.toml depends on {runtime}");
    }
}

#[test]
fn the_scan_itself_catches_a_violation() {
    assert_eq!(
        grouped_std_imports("use std::{collections::BTreeMap, fs};"),
        vec!["collections".to_string(), "fs".to_string()]
    );
    let offending = "let t = std::time::SystemTime::now();";
    assert!(
        FORBIDDEN
            .iter()
            .any(|(needle, _)| offending.contains(needle))
    );
}
