//! `sim campaign`, `sim bugs` and `sim shrink` as CI uses them: child processes per seed,
//! JSON-lines results, resume and shards, exit statuses, and teeth — a campaign with an
//! injected bug fails (and names the bug in its replay commands) on a tiny seed range.
#![allow(clippy::unwrap_used)]

use std::process::{Command, Output};

fn sim(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_sim"))
        .args(args)
        .output()
        .unwrap()
}

fn lines(path: &std::path::Path) -> Vec<serde_json::Value> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect()
}

fn temp_file(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("sediment-campaign-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    let _ = std::fs::remove_file(&path);
    path
}

#[test]
fn bugs_lists_every_bug_with_a_sentence() {
    let output = sim(&["bugs"]);
    assert_eq!(output.status.code(), Some(0));
    let text = String::from_utf8(output.stdout).unwrap();
    for name in lsm_core::bugs::Bug::ALL.map(|bug| bug.name()) {
        assert!(text.contains(name), "{name} missing from:\n{text}");
    }
    assert_eq!(text.lines().count(), lsm_core::bugs::Bug::ALL.len());
}

#[test]
fn a_clean_campaign_passes_writes_results_and_resumes() {
    let out = temp_file("clean.jsonl");
    let out_arg = out.to_str().unwrap();
    let base = [
        "campaign", "--seeds", "0..4", "--ops", "300", "--jobs", "2", "--quiet", "--out", out_arg,
    ];
    let first = sim(&base);
    assert_eq!(first.status.code(), Some(0), "{first:?}");
    let text = String::from_utf8(first.stdout).unwrap();
    assert!(text.contains("4 seeds: 4 passed, 0 failed"), "{text}");
    assert!(text.contains("coverage"), "{text}");
    let results = lines(&out);
    assert_eq!(results.len(), 4);
    assert!(results.iter().all(|r| r["verdict"] == "pass"));
    // Resuming over a wider range runs only the new seeds.
    let mut wider: Vec<&str> = base.to_vec();
    wider[2] = "0..6";
    wider.push("--resume");
    let resumed = sim(&wider);
    assert_eq!(resumed.status.code(), Some(0), "{resumed:?}");
    let text = String::from_utf8(resumed.stdout).unwrap();
    assert!(text.contains("6 seeds: 6 passed"), "{text}");
    assert!(text.contains("ran 2 in"), "{text}");
    let mut seeds: Vec<u64> = lines(&out)
        .iter()
        .map(|r| r["seed"].as_u64().unwrap())
        .collect();
    seeds.sort();
    assert_eq!(seeds, vec![0, 1, 2, 3, 4, 5]);
}

#[test]
fn a_shard_takes_its_residue_class() {
    let output = sim(&[
        "campaign", "--seeds", "0..9", "--shard", "2/3", "--ops", "200", "--quiet", "--json",
    ]);
    assert_eq!(output.status.code(), Some(0), "{output:?}");
    let summary: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(summary["seeds"], 3);
    assert_eq!(summary["passed"], 3);
}

#[test]
fn bad_campaign_usage_exits_2() {
    for args in [
        vec!["campaign", "--seeds", "5..5"],
        vec!["campaign", "--seeds", "0..4", "--shard", "4/3"],
        vec!["campaign", "--seeds", "0..4", "--bug", "no-such-bug"],
        vec!["campaign", "--seeds", "0..4", "--seed", "3"],
        vec!["campaign", "--seeds", "0..4", "--resume"],
    ] {
        let output = sim(&args);
        assert_eq!(output.status.code(), Some(2), "{args:?}: {output:?}");
        assert!(!output.stderr.is_empty());
    }
}

/// Teeth on a tiny range: each bug is caught by a named check, and the failing seeds'
/// replay commands carry the bug.
#[test]
fn campaigns_with_injected_bugs_fail() {
    for (bug, seeds, extra) in [
        ("gc-no-checkpoint-wait", "0..6", vec!["--ops", "2000"]),
        (
            "tombstone-drop-early",
            "0..20",
            vec!["--ops", "3000", "--durability", "wal"],
        ),
        (
            "remote-stale-install",
            "2..3",
            vec!["--ops", "2000", "--topology", "remote"],
        ),
        (
            "remote-empty-output-deletes-input",
            "4..5",
            vec!["--ops", "2000", "--topology", "remote"],
        ),
    ] {
        let mut args = vec![
            "campaign", "--seeds", seeds, "--bug", bug, "--quiet", "--json",
        ];
        args.extend(extra.iter().copied());
        let output = sim(&args);
        assert_eq!(output.status.code(), Some(1), "{bug}: {output:?}");
        let summary: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
        let failing = summary["failing"].as_array().unwrap();
        assert!(!failing.is_empty(), "{bug} not caught");
        for seed in failing {
            let replay = seed["replay"].as_str().unwrap();
            assert!(replay.contains(&format!("--bug {bug}")), "{replay}");
        }
        args.push("--expect-catch");
        assert_eq!(sim(&args).status.code(), Some(0), "{bug}: --expect-catch");
    }
}

#[test]
fn shrink_prints_a_smaller_reproduction() {
    let output = sim(&[
        "shrink",
        "--seed",
        "1",
        "--ops",
        "2000",
        "--bug",
        "gc-no-checkpoint-wait",
        "--trials-max",
        "6",
    ]);
    assert_eq!(output.status.code(), Some(0), "{output:?}");
    let text = String::from_utf8(output.stdout).unwrap();
    assert!(text.contains("smallest reproduction of"), "{text}");
    assert!(text.contains("--bug gc-no-checkpoint-wait"), "{text}");
}
