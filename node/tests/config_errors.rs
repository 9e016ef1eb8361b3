//! A bad configuration is refused before anything starts: exit 2 and a message naming the
//! key.
#![allow(clippy::unwrap_used)]

mod support;

use support::sediment;

fn run_with(config_text: &str) -> (i32, String) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sediment.toml");
    std::fs::write(&path, config_text).unwrap();
    let output = sediment()
        .args(["inspect", "-c"])
        .arg(&path)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr).to_string();
    (output.status.code().unwrap(), stderr)
}

#[test]
fn unknown_key_exits_2_naming_it() {
    let (code, stderr) =
        run_with("[storage]\nurl = \"file:///tmp/x\"\n[lsm]\nwrite_bufer_size = 1\n");
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("write_bufer_size"), "{stderr}");
    let (code, stderr) = run_with("[storage]\nurl = \"file:///tmp/x\"\n[servr]\nlisten = \"x\"\n");
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("servr"), "{stderr}");
}

#[test]
fn bad_value_exits_2_naming_the_key() {
    let cases = [
        (
            "[lsm]\nlevel0_file_num_compaction_trigger = \"four\"\n",
            "level0_file_num_compaction_trigger",
        ),
        ("[lsm]\nstyle = \"tiered\"\n", "style"),
        ("[lsm]\nwrite_buffer_size = 0\n", "lsm.write_buffer_size"),
        ("[lsm]\nsize_ratio = 3\n", "lsm.size_ratio"),
        ("[server]\nlisten = \"nowhere\"\n", "server.listen"),
    ];
    for (section, key) in cases {
        let text = format!("[storage]\nurl = \"file:///tmp/x\"\n{section}");
        let (code, stderr) = run_with(&text);
        assert_eq!(code, 2, "{section}: {stderr}");
        assert!(stderr.contains(key), "{section}: {stderr}");
    }
    let (code, stderr) = run_with("[storage]\nurl = \"ftp://host/x\"\n");
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("storage.url"), "{stderr}");
}

#[test]
fn missing_file_exits_2() {
    let output = sediment()
        .args(["inspect", "-c", "/nonexistent/sediment.toml"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
}

#[test]
fn remote_keys_are_checked() {
    let (code, stderr) = run_with(
        "[storage]\nurl = \"file:///tmp/x\"\n[lsm]\ncompaction = \"remote\"\n[remote]\nlistn = \"127.0.0.1:1\"\n",
    );
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("listn"), "{stderr}");
    let cases = [
        ("[lsm]\ncompaction = \"elsewhere\"\n", "compaction"),
        ("[remote]\nlisten = \"nowhere\"\n", "remote.listen"),
        ("[remote]\njob_timeout_ms = 0\n", "remote.job_timeout_ms"),
        (
            "[remote]\nremote_attempts_max = 0\n",
            "remote.remote_attempts_max",
        ),
        ("[remote]\nfallback = \"retry\"\n", "fallback"),
        (
            "[server]\nlisten = \"127.0.0.1:7000\"\n[remote]\nlisten = \"127.0.0.1:7000\"\n",
            "remote.listen",
        ),
    ];
    for (section, key) in cases {
        let text = format!("[storage]\nurl = \"file:///tmp/x\"\n{section}");
        let (code, stderr) = run_with(&text);
        assert_eq!(code, 2, "{section}: {stderr}");
        assert!(stderr.contains(key), "{section}: {stderr}");
    }
}

/// The command contradicts the file: exit 2 before anything is opened or bound.
#[test]
fn worker_without_remote_and_remote_without_compactor_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sediment.toml");
    let url = format!("file://{}", dir.path().display());
    std::fs::write(&path, format!("[storage]\nurl = \"{url}\"\n")).unwrap();
    let output = sediment()
        .args(["worker", "-c"])
        .arg(&path)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("compaction"), "{stderr}");
    let text = format!("[storage]\nurl = \"{url}\"\n[lsm]\ncompaction = \"remote\"\n");
    std::fs::write(&path, text).unwrap();
    let output = sediment()
        .args(["serve", "--no-compactor", "-c"])
        .arg(&path)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("--no-compactor"), "{stderr}");
}
