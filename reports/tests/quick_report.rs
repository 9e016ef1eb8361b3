//! `reports --quick` end to end: it writes the Markdown, a JSON object with every cell of
//! the matrix, and at least four SVG charts.
#![allow(clippy::unwrap_used)]

use std::process::Command;

#[test]
fn a_quick_report_has_every_cell_and_its_charts() {
    let out = std::env::temp_dir().join(format!("sediment-reports-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&out);
    let output = Command::new(env!("CARGO_BIN_EXE_reports"))
        .args(["--quick", "--out"])
        .arg(&out)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{output:?}");

    let json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("report.json")).unwrap()).unwrap();
    let cells = json["cells"].as_array().unwrap();
    let mut seen: Vec<(String, String)> = cells
        .iter()
        .map(|cell| {
            (
                cell["style"].as_str().unwrap().to_string(),
                cell["workload"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    seen.sort();
    let mut expected = Vec::new();
    for style in ["fifo", "leveled", "universal"] {
        for workload in [
            "delete-heavy",
            "insert-random",
            "uniform-overwrite",
            "ycsb-a",
        ] {
            expected.push((style.to_string(), workload.to_string()));
        }
    }
    expected.push(("fifo".to_string(), "ttl-series".to_string()));
    expected.sort();
    assert_eq!(seen, expected);
    for cell in cells {
        assert_eq!(cell["verdict"], "pass", "{}", cell["failures"]);
        for figure in [
            "write_amp",
            "write_amp_rocksdb",
            "space_amp",
            "space_amp_physical",
            "read_blocks_mean",
            "read_blocks_p99",
            "read_sorted_runs_mean",
            "write_stall_delayed_s",
        ] {
            assert!(cell[figure].is_number(), "{figure} missing");
        }
        assert!(!cell["targets"].as_array().unwrap().is_empty());
        assert!(!cell["predictions"].as_array().unwrap().is_empty());
        assert!(cell["run"]["series"]["timeline"].is_array());
    }

    let markdown = std::fs::read_to_string(out.join("report.md")).unwrap();
    assert!(markdown.contains("## What was measured, and how"));
    assert!(markdown.contains("| leveled | uniform-overwrite | pass |"));
    let charts: Vec<_> = std::fs::read_dir(&out)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "svg"))
        .collect();
    assert!(charts.len() >= 4, "{charts:?}");
    for chart in &charts {
        let text = std::fs::read_to_string(chart).unwrap();
        assert!(text.starts_with("<svg"), "{}", chart.display());
        assert!(text.trim_end().ends_with("</svg>"), "{}", chart.display());
    }
    let _ = std::fs::remove_dir_all(&out);
}
