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
