//! The scale-out recipes as far as they run here: the GitHub Actions workflow and the
//! Kubernetes manifests parse, their shard counts agree, and their own shard and merge
//! commands — run for every matrix entry or completion index against this build's `sim` —
//! cover the seeds exactly once and merge into one passing summary. The GNU parallel
//! script is checked for syntax (it needs ssh hosts to run).
#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use yaml_rust2::{Yaml, YamlLoader};

fn repo(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(path)
}

fn yaml(path: &str) -> Vec<Yaml> {
    let text = std::fs::read_to_string(repo(path)).unwrap();
    YamlLoader::load_from_str(&text).unwrap()
}

fn scratch(name: &str) -> PathBuf {
    let dir =
        std::env::temp_dir().join(format!("sediment-scale-out-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// The directory of this build's `sim`, first on a PATH.
fn path_with_sim() -> String {
    let bin = Path::new(env!("CARGO_BIN_EXE_sim")).parent().unwrap();
    format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    )
}

/// Runs `script` as its engine would: GitHub's runners with `bash -e`, the pods with the
/// manifest's `/bin/sh -c`.
fn shell(shell: &str, script: &str, dir: &Path, env: &[(&str, String)]) -> Output {
    let mut command = Command::new(shell);
    let flags = if shell == "bash" { "-ec" } else { "-c" };
    command.arg(flags).arg(script).current_dir(dir);
    command.env("PATH", path_with_sim());
    for (name, value) in env {
        command.env(name, value);
    }
    command.output().unwrap()
}

fn run_of(steps: &Yaml, containing: &str) -> String {
    steps
        .as_vec()
        .unwrap()
        .iter()
        .filter_map(|step| step["run"].as_str())
        .find(|run| run.contains(containing))
        .unwrap_or_else(|| panic!("no step runs {containing:?}"))
        .to_string()
}

#[test]
fn the_workflow_runs_each_shard_once_then_merges_them() {
    let workflow = &yaml(".github/workflows/campaign.yml")[0];
    let shards = workflow["env"]["SHARDS"].as_i64().unwrap();
    let jobs = &workflow["jobs"];
    let matrix: Vec<i64> = jobs["shard"]["strategy"]["matrix"]["shard"]
        .as_vec()
        .unwrap()
        .iter()
        .map(|shard| shard.as_i64().unwrap())
        .collect();
    assert_eq!(matrix, (1..=shards).collect::<Vec<_>>());
    assert_eq!(
        jobs["shard"]["strategy"]["fail-fast"].as_bool(),
        Some(false)
    );
    assert_eq!(jobs["merge"]["needs"].as_str(), Some("shard"));
    assert_eq!(jobs["merge"]["if"].as_str(), Some("always()"));
    let shard_run = run_of(&jobs["shard"]["steps"], "sim campaign");
    let merge_run = run_of(&jobs["merge"]["steps"], "sim campaign merge");
    // The workflow's own commands, with the runner's substitutions made by hand.
    let dir = scratch("workflow");
    let env = [
        ("SHARDS", shards.to_string()),
        ("SEEDS", "0..12".to_string()),
        ("OPTIONS", "--ops 300 --jobs 2".to_string()),
    ];
    for shard in &matrix {
        let script = shard_run
            .replace("${{ matrix.shard }}", &shard.to_string())
            .replace("target/release/sim", "sim");
        let output = shell("bash", &script, &dir, &env);
        assert_eq!(output.status.code(), Some(0), "shard {shard}: {output:?}");
    }
    std::fs::create_dir_all(dir.join("results")).unwrap();
    for shard in &matrix {
        let name = format!("shard-{shard}.jsonl");
        std::fs::rename(dir.join(&name), dir.join("results").join(&name)).unwrap();
    }
    let merge_run = merge_run.replace("target/release/sim", "sim");
    let output = shell("bash", &merge_run, &dir, &env);
    assert_eq!(output.status.code(), Some(0), "{output:?}");
    let summary = String::from_utf8(output.stdout).unwrap();
    assert!(
        summary.contains("12 seeds: 12 passed, 0 failed"),
        "{summary}"
    );
    let _ = std::fs::remove_dir_all(dir);
}

/// The container of the first Job in a manifest, and the Job's spec.
fn job(docs: &[Yaml]) -> (&Yaml, &Yaml) {
    let job = docs
        .iter()
        .find(|doc| doc["kind"].as_str() == Some("Job"))
        .unwrap();
    (
        &job["spec"],
        &job["spec"]["template"]["spec"]["containers"][0],
    )
}

fn env_of(container: &Yaml, name: &str) -> String {
    container["env"]
        .as_vec()
        .unwrap()
        .iter()
        .find(|var| var["name"].as_str() == Some(name))
        .and_then(|var| var["value"].as_str())
        .unwrap()
        .to_string()
}

#[test]
fn the_indexed_job_turns_completion_indexes_from_0_into_shards_from_1() {
    let campaign = yaml("deploy/kubernetes/campaign.yaml");
    let (spec, container) = job(&campaign);
    assert_eq!(spec["completionMode"].as_str(), Some("Indexed"));
    let shards: i64 = env_of(container, "SHARDS").parse().unwrap();
    assert_eq!(spec["completions"].as_i64(), Some(shards));
    assert_eq!(spec["parallelism"].as_i64(), Some(shards));
    let script = container["command"][2].as_str().unwrap();
    let merge = yaml("deploy/kubernetes/campaign-merge.yaml");
    let (_, merge_container) = job(&merge);
    let merge_script = merge_container["command"][2].as_str().unwrap();
    // Every pod's command, as Kubernetes would run it, then the merge Job's.
    let results = scratch("kubernetes");
    let env = |index: i64| {
        vec![
            ("JOB_COMPLETION_INDEX", index.to_string()),
            ("SHARDS", shards.to_string()),
            ("SEEDS", "0..=16".to_string()),
            ("OPTIONS", "--ops 300 --jobs 2".to_string()),
            ("RESULTS_DIR", results.display().to_string()),
        ]
    };
    for index in 0..shards {
        let output = shell("sh", script, &results, &env(index));
        assert_eq!(output.status.code(), Some(0), "index {index}: {output:?}");
    }
    let output = shell("sh", merge_script, &results, &env(0));
    assert_eq!(output.status.code(), Some(0), "{output:?}");
    let summary = String::from_utf8(output.stdout).unwrap();
    assert!(
        summary.contains("17 seeds: 17 passed, 0 failed"),
        "{summary}"
    );
    assert!(
        summary.contains(&format!("merge of {shards} files")),
        "{summary}"
    );
    // A pod that is run again (a retry) resumes its file instead of failing on it.
    let again = shell("sh", script, &results, &env(0));
    assert_eq!(again.status.code(), Some(0), "{again:?}");
    let _ = std::fs::remove_dir_all(results);
}

#[test]
fn the_gnu_parallel_recipe_is_valid_bash() {
    let script = repo("ci/scale-out/parallel.sh");
    let output = Command::new("bash")
        .arg("-n")
        .arg(&script)
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    let usage = Command::new("bash").arg(&script).output().unwrap();
    assert_eq!(usage.status.code(), Some(2), "{usage:?}");
}
