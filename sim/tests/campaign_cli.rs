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
    assert_eq!(results.len(), 5, "a header and four results");
    assert!(results[1..].iter().all(|r| r["verdict"] == "pass"));
    // Resuming over a wider range runs only the new seeds.
    let mut wider: Vec<&str> = base.to_vec();
    wider[2] = "0..6";
    wider.push("--resume");
    let resumed = sim(&wider);
    assert_eq!(resumed.status.code(), Some(0), "{resumed:?}");
    let text = String::from_utf8(resumed.stdout).unwrap();
    assert!(text.contains("6 seeds: 6 passed"), "{text}");
    assert!(text.contains("ran 2 in"), "{text}");
    let mut seeds = seeds_in(&out);
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

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// A small clean campaign's arguments, writing to `out`.
fn small(seeds: &str, out: &std::path::Path) -> Vec<String> {
    [
        "campaign", "--seeds", seeds, "--ops", "300", "--jobs", "2", "--quiet", "--out",
    ]
    .iter()
    .map(|word| word.to_string())
    .chain([out.display().to_string()])
    .collect()
}

fn sim_owned(args: &[String]) -> Output {
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    sim(&args)
}

/// The seeds of a results file's result lines, in file order.
fn seeds_in(path: &std::path::Path) -> Vec<u64> {
    lines(path)
        .iter()
        .filter(|line| line.get("campaign").is_none())
        .map(|line| line["seed"].as_u64().unwrap())
        .collect()
}

#[test]
fn the_results_file_records_the_run_options_in_a_header() {
    let out = temp_file("header.jsonl");
    let first = sim_owned(&small("0..3", &out));
    assert_eq!(first.status.code(), Some(0), "{first:?}");
    let header = &lines(&out)[0]["campaign"];
    assert_eq!(header["options"], serde_json::json!(["--ops", "300"]));
    assert_eq!(header["seeds"], "0..3");
    // A fresh campaign does not append to another's results.
    let again = sim_owned(&small("0..3", &out));
    assert_eq!(again.status.code(), Some(2), "{again:?}");
    assert!(text(&again.stderr).contains("add --resume"), "{again:?}");
}

#[test]
fn a_torn_last_line_is_cut_off_and_its_seed_runs_again() {
    let out = temp_file("torn.jsonl");
    assert_eq!(sim_owned(&small("0..4", &out)).status.code(), Some(0));
    let whole = std::fs::read_to_string(&out).unwrap();
    let last_seed = *seeds_in(&out).last().unwrap();
    // Killed mid-write: half of the last line, no newline.
    std::fs::write(&out, &whole[..whole.len() - 40]).unwrap();
    let mut args = small("0..4", &out);
    args.push("--resume".to_string());
    let resumed = sim_owned(&args);
    assert_eq!(resumed.status.code(), Some(0), "{resumed:?}");
    let stderr = text(&resumed.stderr);
    assert!(stderr.contains(":5: the last line is torn"), "{stderr}");
    let stdout = text(&resumed.stdout);
    assert!(stdout.contains("4 seeds: 4 passed"), "{stdout}");
    assert!(stdout.contains("ran 1 in"), "{stdout}");
    let mut seeds = seeds_in(&out);
    assert_eq!(seeds.last(), Some(&last_seed));
    seeds.sort();
    assert_eq!(seeds, vec![0, 1, 2, 3]);
}

#[test]
fn a_resume_refuses_bad_lines_and_other_options_unless_forced() {
    let out = temp_file("refuse.jsonl");
    assert_eq!(sim_owned(&small("0..3", &out)).status.code(), Some(0));
    let mut other = small("0..4", &out);
    other[4] = "400".to_string();
    other.push("--resume".to_string());
    let refused = sim_owned(&other);
    assert_eq!(refused.status.code(), Some(2), "{refused:?}");
    let stderr = text(&refused.stderr);
    assert!(
        stderr.contains("ran with the options [--ops 300]; this one has [--ops 400]"),
        "{stderr}"
    );
    other.push("--force".to_string());
    let forced = sim_owned(&other);
    assert_eq!(forced.status.code(), Some(0), "{forced:?}");
    // The forced resume records its own options before its results.
    let all = lines(&out);
    assert_eq!(all[4]["campaign"]["options"][1], "400", "{all:?}");
    assert_eq!(seeds_in(&out).len(), 4);

    let garbled = temp_file("garbled.jsonl");
    assert_eq!(sim_owned(&small("0..3", &garbled)).status.code(), Some(0));
    let mut content = std::fs::read_to_string(&garbled).unwrap();
    content.insert_str(content.find('\n').unwrap() + 1, "not a result\n");
    std::fs::write(&garbled, content).unwrap();
    let mut resume = small("0..3", &garbled);
    resume.push("--resume".to_string());
    let refused = sim_owned(&resume);
    assert_eq!(refused.status.code(), Some(2), "{refused:?}");
    let stderr = text(&refused.stderr);
    assert!(
        stderr.contains("1 line is not a result: line 2: not JSON"),
        "{stderr}"
    );
}

/// The ids of the live (not zombie) processes whose parent is `parent`, from /proc.
fn children_of(parent: u32) -> Vec<u32> {
    let mut children = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
            continue;
        };
        // pid (comm) state ppid ...: comm may hold spaces, so split after its ')'.
        let fields: Vec<&str> = stat[stat.rfind(')').unwrap() + 2..].split(' ').collect();
        if fields[0] != "Z" && fields[1] == parent.to_string() {
            children.push(pid);
        }
    }
    children
}

fn alive(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .is_ok_and(|stat| !stat[stat.rfind(')').unwrap() + 2..].starts_with('Z'))
}

#[test]
fn sigterm_stops_every_child_keeps_the_results_and_says_how_to_resume() {
    let out = temp_file("stopped.jsonl");
    let campaign = Command::new(env!("CARGO_BIN_EXE_sim"))
        .args([
            "campaign", "--seeds", "0..4", "--ops", "100000", "--jobs", "2",
        ])
        .args(["--quiet", "--out", out.to_str().unwrap()])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut children = Vec::new();
    for _ in 0..500 {
        children = children_of(campaign.id());
        if children.len() == 2 {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    assert_eq!(children.len(), 2, "the campaign never ran two children");
    let killed = Command::new("kill")
        .args(["-TERM", &campaign.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let output = campaign.wait_with_output().unwrap();
    assert_eq!(output.status.code(), Some(143), "{output:?}");
    let stderr = text(&output.stderr);
    assert!(
        stderr.contains("0 of 4 seeds done; resume with: cargo run --release -p sim -- campaign"),
        "{stderr}"
    );
    assert!(stderr.contains("--resume"), "{stderr}");
    std::thread::sleep(std::time::Duration::from_millis(200));
    for child in children {
        assert!(!alive(child), "child {child} outlived the campaign");
    }
    // Only the header: no stopped seed counts as a result.
    assert_eq!(lines(&out).len(), 1);
}

#[test]
fn without_a_terminal_progress_comes_as_lines() {
    let output = sim(&["campaign", "--seeds", "0..4", "--ops", "300", "--jobs", "2"]);
    assert_eq!(output.status.code(), Some(0), "{output:?}");
    let stderr = text(&output.stderr);
    let progress: Vec<&str> = stderr
        .lines()
        .filter(|line| line.starts_with("campaign: "))
        .collect();
    assert_eq!(progress.len(), 4, "{stderr}");
    assert!(progress[0].starts_with("campaign: 1/4 seeds (25%), 0 failed, "));
    assert!(progress[0].contains(" seeds/min, ETA "), "{stderr}");
    assert!(progress[3].ends_with("seeds/min, done"), "{stderr}");
}

/// The parts of a summary that do not depend on how the seeds were spread (times do).
fn outcome(summary: &serde_json::Value) -> serde_json::Value {
    serde_json::json!([
        summary["seeds"],
        summary["passed"],
        summary["failed"],
        summary["timeouts"],
        summary["failing"],
        summary["faults"],
        summary["coverage"],
    ])
}

#[test]
fn four_shards_merged_give_the_unsharded_campaign() {
    // A bug, so that failing seeds and their replay commands are compared too.
    let options = [
        "--ops",
        "2000",
        "--bug",
        "gc-no-checkpoint-wait",
        "--quiet",
        "--json",
    ];
    let whole_out = temp_file("whole.jsonl");
    let mut whole = vec!["campaign", "--seeds", "0..8", "--jobs", "2"];
    whole.extend(options);
    whole.extend(["--out", whole_out.to_str().unwrap()]);
    let whole = sim(&whole);
    assert_eq!(whole.status.code(), Some(1), "{whole:?}");
    let whole: serde_json::Value = serde_json::from_slice(&whole.stdout).unwrap();
    assert!(whole["failed"].as_u64().unwrap() > 0, "{whole}");
    let mut files = Vec::new();
    for k in 1..=4 {
        let file = temp_file(&format!("shard-{k}.jsonl"));
        let shard = format!("{k}/4");
        let mut args = vec![
            "campaign", "--seeds", "0..8", "--shard", &shard, "--jobs", "2",
        ];
        args.extend(options);
        args.extend(["--out", file.to_str().unwrap()]);
        let output = sim(&args);
        assert!(matches!(output.status.code(), Some(0 | 1)), "{output:?}");
        files.push(file);
    }
    let mut merge = vec!["campaign", "merge", "--json"];
    merge.extend(files.iter().map(|file| file.to_str().unwrap()));
    let merged = sim(&merge);
    assert_eq!(merged.status.code(), Some(1), "{merged:?}");
    let merged: serde_json::Value = serde_json::from_slice(&merged.stdout).unwrap();
    assert_eq!(outcome(&merged), outcome(&whole));
    assert_eq!(merged["merged_files"], 4);
    // The text summary names the shards and lists every failing seed with its replay.
    merge.remove(2);
    let text_summary = text(&sim(&merge).stdout);
    assert!(
        text_summary.contains("merge of 4 files: --seeds 0..8 --shard 1/4,2/4,3/4,4/4"),
        "{text_summary}"
    );
    assert!(
        text_summary.contains("--bug gc-no-checkpoint-wait"),
        "{text_summary}"
    );
    // Three shards of four are not the campaign.
    let partial = sim(&merge[..merge.len() - 1]);
    assert_eq!(partial.status.code(), Some(2), "{partial:?}");
    assert!(text(&partial.stderr).contains("2 of 8 seeds have no result (seeds 3, 7)"));
    let mut allowed = merge[..merge.len() - 1].to_vec();
    allowed.push("--partial");
    let allowed = sim(&allowed);
    assert!(
        text(&allowed.stdout).contains("MISSING 2 seeds"),
        "{allowed:?}"
    );
    // A shard twice overlaps itself.
    let mut twice = merge.clone();
    twice.push(merge[3]);
    let overlap = sim(&twice);
    assert_eq!(overlap.status.code(), Some(2), "{overlap:?}");
    assert!(
        text(&overlap.stderr).contains("shards overlap"),
        "{overlap:?}"
    );
}

#[test]
fn merge_refuses_other_options_torn_lines_and_foreign_files() {
    let a = temp_file("merge-a.jsonl");
    let b = temp_file("merge-b.jsonl");
    assert_eq!(sim_owned(&small("0..2", &a)).status.code(), Some(0));
    let mut other = small("2..4", &b);
    other[4] = "400".to_string();
    assert_eq!(sim_owned(&other).status.code(), Some(0));
    let (a, b) = (a.to_str().unwrap(), b.to_str().unwrap());
    let mixed = sim(&["campaign", "merge", a, b]);
    assert_eq!(mixed.status.code(), Some(2), "{mixed:?}");
    assert!(text(&mixed.stderr).contains("do not merge"), "{mixed:?}");
    let content = std::fs::read_to_string(b).unwrap();
    std::fs::write(b, &content[..content.len() - 10]).unwrap();
    let torn = sim(&["campaign", "merge", b]);
    assert_eq!(torn.status.code(), Some(2), "{torn:?}");
    assert!(
        text(&torn.stderr).contains(":3: the last line is torn"),
        "{torn:?}"
    );
    let readme = concat!(env!("CARGO_MANIFEST_DIR"), "/Cargo.toml");
    let foreign = sim(&["campaign", "merge", readme]);
    assert_eq!(foreign.status.code(), Some(2), "{foreign:?}");
    let missing = sim(&["campaign", "merge", "/no/such/file.jsonl"]);
    assert_eq!(missing.status.code(), Some(2), "{missing:?}");
}

#[test]
fn bad_numbers_are_refused_with_a_message() {
    for (args, message) in [
        (vec!["--jobs", "0"], "--jobs"),
        (vec!["--seed-timeout-s", "0"], "--seed-timeout-s"),
        (vec!["--jobs", "257"], "--jobs"),
    ] {
        let mut full = vec!["campaign", "--seeds", "0..2"];
        full.extend(args.iter().copied());
        let output = sim(&full);
        assert_eq!(output.status.code(), Some(2), "{args:?}: {output:?}");
        assert!(text(&output.stderr).contains(message), "{output:?}");
    }
    let output = sim(&["campaign", "--seeds", "0..18446744073709551616"]);
    assert_eq!(output.status.code(), Some(2), "{output:?}");
    assert!(
        text(&output.stderr).contains("past the largest seed, 18446744073709551615"),
        "{output:?}"
    );
}

#[test]
fn campaign_help_lists_only_what_a_campaign_accepts() {
    let help = text(&sim(&["campaign", "--help"]).stdout);
    for accepted in [
        "--seeds", "--jobs", "--out", "--resume", "--force", "--json", "--bug",
    ] {
        assert!(help.contains(accepted), "{accepted} missing:\n{help}");
    }
    for refused in ["--seed ", "--seed <", "--trace", "--series"] {
        assert!(!help.contains(refused), "{refused} listed:\n{help}");
    }
    // Refused with a message, not ignored.
    let output = sim(&["campaign", "--seeds", "0..2", "--trace", "/tmp/t.jsonl"]);
    assert_eq!(output.status.code(), Some(2), "{output:?}");
}

#[test]
fn check_determinism_shows_in_the_title_and_the_replay_commands() {
    let output = sim(&[
        "campaign",
        "--seeds",
        "0..2",
        "--ops",
        "300",
        "--bug",
        "gc-no-checkpoint-wait",
        "--check-determinism",
        "--quiet",
    ]);
    let stdout = text(&output.stdout);
    let title = stdout.lines().next().unwrap();
    assert!(title.contains("--check-determinism"), "{stdout}");
    let out = temp_file("determinism.jsonl");
    let mut args = small("0..1", &out);
    args.push("--check-determinism".to_string());
    assert_eq!(sim_owned(&args).status.code(), Some(0));
    let replay = lines(&out)[1]["replay"].as_str().unwrap().to_string();
    assert!(replay.ends_with("--check-determinism"), "{replay}");
}

#[test]
fn shrink_help_lists_only_what_a_shrink_accepts() {
    let help = text(&sim(&["shrink", "--help"]).stdout);
    for accepted in [
        "--seed ",
        "--trials-max",
        "--seed-timeout-s",
        "--ops",
        "--bug",
    ] {
        assert!(help.contains(accepted), "{accepted} missing:\n{help}");
    }
    for refused in ["--json", "--trace", "--series", "--check-determinism"] {
        assert!(!help.contains(refused), "{refused} listed:\n{help}");
    }
    for args in [
        vec!["shrink", "--seed", "1", "--check-determinism"],
        vec!["shrink", "--seed", "1", "--json"],
        vec!["shrink", "--seed", "1", "--seed-timeout-s", "0"],
        vec!["shrink", "--seed", "1", "--trials-max", "0"],
    ] {
        let output = sim(&args);
        assert_eq!(output.status.code(), Some(2), "{args:?}: {output:?}");
    }
}
