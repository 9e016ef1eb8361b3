//! `sim lincheck` and bare `sim` as a user runs them: output lines, exit status, messages.
#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn sim(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_sim"))
        .args(args)
        .output()
        .unwrap()
}

fn testdata(file: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("testdata/porcupine")
        .join(file)
        .display()
        .to_string()
}

/// A fresh scratch path for this test process.
fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("sim-lincheck-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}

#[test]
fn prints_one_line_per_file_and_exits_one_for_a_failure() {
    let (bad, good) = (
        testdata("jepsen/etcd_000.log"),
        testdata("jepsen/etcd_002.log"),
    );
    let out = sim(&["lincheck", "--format", "jepsen-etcd", &bad, &good]);
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let stdout = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<Vec<&str>> = stdout.lines().map(|l| l.split('\t').collect()).collect();
    assert_eq!(lines.len(), 2, "{stdout}");
    assert_eq!(lines[0][..2], [bad.as_str(), "not-linearizable"]);
    assert_eq!(lines[1][..2], [good.as_str(), "linearizable"]);
    let ms: f64 = lines[1][2].trim_end_matches(" ms").parse().unwrap();
    assert!(ms >= 0.0);
}

#[test]
fn kv_files_check_with_and_without_partitioning() {
    let file = testdata("kv/c01-bad.txt");
    for extra in [&[][..], &["--no-partition"][..]] {
        let mut args = vec!["lincheck", "--format", "porcupine-kv"];
        args.extend_from_slice(extra);
        args.push(&file);
        let out = sim(&args);
        assert_eq!(out.status.code(), Some(1));
        assert!(
            String::from_utf8(out.stdout)
                .unwrap()
                .contains("\tnot-linearizable\t")
        );
    }
}

#[test]
fn a_malformed_file_names_its_line_and_exits_two() {
    let path = scratch("malformed.log");
    std::fs::write(
        &path,
        "INFO  jepsen.util - 0\t:invoke\t:read\tnil\n\
         INFO  jepsen.util - 0\t:ok\t:read\tnil\n\
         INFO  jepsen.util - 1\t:invoke\t:incr\t1\n",
    )
    .unwrap();
    let out = sim(&[
        "lincheck",
        "--format",
        "jepsen-etcd",
        path.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(
        stderr.starts_with(&format!("sim: {}:3: expected", path.display())),
        "{stderr}"
    );
    assert!(stderr.contains(":incr"), "{stderr}");
    std::fs::remove_file(path).unwrap();
}

#[test]
fn unreadable_files_and_the_wrong_format_exit_two() {
    let missing = scratch("missing.log");
    let out = sim(&[
        "lincheck",
        "--format",
        "jepsen-etcd",
        missing.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8(out.stderr)
            .unwrap()
            .contains("cannot read")
    );
    let kv = testdata("kv/c01-ok.txt");
    let out = sim(&["lincheck", "--format", "jepsen-etcd", &kv]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8(out.stderr)
            .unwrap()
            .contains(":1: expected `INFO")
    );
    let binary = scratch("binary.txt");
    std::fs::write(&binary, b"{:process 0}\n\xff\n").unwrap();
    let out = sim(&[
        "lincheck",
        "--format",
        "porcupine-kv",
        binary.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8(out.stderr)
            .unwrap()
            .contains(":2: expected UTF-8")
    );
    std::fs::remove_file(binary).unwrap();
}

#[test]
fn bad_usage_exits_two() {
    for args in [
        &["lincheck"][..],
        &["lincheck", "--format", "csv", "x"][..],
        &["--seed", "1", "lincheck", "--format", "jepsen-etcd", "x"][..],
        &["frobnicate"][..],
    ] {
        assert_eq!(sim(args).status.code(), Some(2), "{args:?}");
    }
}

#[test]
fn html_shows_the_failure() {
    let page = scratch("page.html");
    let out = sim(&[
        "lincheck",
        "--format",
        "jepsen-etcd",
        "--html",
        page.to_str().unwrap(),
        &testdata("jepsen/etcd_000.log"),
        &testdata("jepsen/etcd_002.log"),
    ]);
    assert_eq!(out.status.code(), Some(1));
    let html = std::fs::read_to_string(&page).unwrap();
    assert!(html.starts_with("<!DOCTYPE html>"));
    assert_eq!(html.matches("<section>").count(), 2);
    assert!(html.contains("longest linearizable prefix"));
    assert!(html.contains("op unplaceable") && html.contains("<svg"));
    // Self-contained: no scripts, no external resources.
    assert!(!html.contains("<script") && !html.contains("src=") && !html.contains("href="));
    std::fs::remove_file(page).unwrap();
}

#[test]
fn only_linearizable_histories_exit_zero_and_unknown_is_a_failure() {
    let good = testdata("jepsen/etcd_002.log");
    let out = sim(&["lincheck", "--format", "jepsen-etcd", &good]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let out = sim(&[
        "lincheck",
        "--format",
        "jepsen-etcd",
        "--max-steps",
        "1",
        &good,
    ]);
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    assert!(
        String::from_utf8(out.stdout)
            .unwrap()
            .contains("\tunknown\t")
    );
}

#[test]
fn empty_and_blank_files_are_errors_not_passes() {
    for (name, content) in [("empty.txt", ""), ("blank.txt", " \n\n\t\n")] {
        let path = scratch(name);
        std::fs::write(&path, content).unwrap();
        for format in ["porcupine-kv", "jepsen-etcd"] {
            let out = sim(&["lincheck", "--format", format, path.to_str().unwrap()]);
            assert_eq!(out.status.code(), Some(2), "{name} {format}: {out:?}");
            let stderr = String::from_utf8(out.stderr).unwrap();
            assert!(stderr.contains(":1: expected a history"), "{stderr}");
        }
    }
}

#[test]
fn a_byte_order_mark_is_accepted_and_control_characters_are_escaped() {
    let original = std::fs::read_to_string(testdata("kv/c01-ok.txt")).unwrap();
    let path = scratch("bom.txt");
    std::fs::write(&path, format!("\u{feff}{original}")).unwrap();
    let out = sim(&[
        "lincheck",
        "--format",
        "porcupine-kv",
        path.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let hostile = scratch("hostile.txt");
    std::fs::write(&hostile, "\u{1b}[2J\u{7}{:process 0}\n").unwrap();
    let out = sim(&[
        "lincheck",
        "--format",
        "porcupine-kv",
        hostile.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(stderr.contains("\\u{1b}[2J\\u{7}"), "{stderr}");
    assert!(
        !stderr.trim_end().chars().any(char::is_control),
        "{stderr:?}"
    );
}
