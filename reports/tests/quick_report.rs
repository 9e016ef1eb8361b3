//! `reports --quick` end to end: it writes the Markdown, a JSON object with every cell of
//! the matrix, and at least four SVG charts.
#![allow(clippy::unwrap_used)]

use std::process::Command;

#[test]
fn a_quick_report_has_every_cell_and_its_charts() {
    let out = std::env::temp_dir().join(format!("sediment-reports-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&out);
    let started = std::time::Instant::now();
    let output = Command::new(env!("CARGO_BIN_EXE_reports"))
        .args(["--quick", "--out"])
        .arg(&out)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{output:?}");
    // The quick report is quick (12 s on a shared 2-core machine; the bound leaves room).
    assert!(started.elapsed() < std::time::Duration::from_secs(60));

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
        // Embedded in the report, so a Markdown viewer shows it.
        let name = chart.file_name().unwrap().to_str().unwrap();
        assert!(
            markdown.contains(&format!("]({name})")),
            "{name} not embedded"
        );
    }
    // The bars say what they plot, carry their values, and the model and the target.
    let bars = std::fs::read_to_string(out.join("write-amp-by-workload.svg")).unwrap();
    // plotters writes each text's content on a line of its own.
    let texts: Vec<&str> = bars.lines().map(str::trim).collect();
    for text in ["model", "C5 target"] {
        assert!(
            texts.contains(&text),
            "{text} missing from the bars' legend"
        );
    }
    for text in ["RocksDB-style", "(flush + compaction output bytes)"] {
        assert!(
            bars.contains(text),
            "{text} missing from the write amplification bars"
        );
    }
    let leveled = &cells[0];
    assert_eq!(leveled["style"], "leveled");
    let value = format!("{:.2}", leveled["write_amp_rocksdb"].as_f64().unwrap());
    assert!(texts.contains(&value.as_str()), "{value} not on a bar");
    let total = std::fs::read_to_string(out.join("write-amp-total-by-workload.svg")).unwrap();
    assert!(total.contains("bytes PUT to the store"));
    let latency = std::fs::read_to_string(out.join("get-latency-cdf-ycsb-a.svg")).unwrap();
    assert!(latency.contains("log scale"));
    // The cost section: three topologies × three styles, dated prices, the headline.
    let costs = json["costs"].as_array().unwrap();
    assert_eq!(costs.len(), 9);
    for point in costs {
        assert_eq!(point["verdict"], "pass", "{point}");
        assert!(point["usd_per_million_writes"].as_f64().unwrap() > 0.0);
    }
    assert!(markdown.contains("## What each topology costs on an object store"));
    assert!(markdown.contains("as of 2026-06"));
    assert!(markdown.contains("Headline (uniform-overwrite, leveled)"));
    assert!(markdown.contains("](cost-by-topology.svg)"));
    let _ = std::fs::remove_dir_all(&out);
}

#[test]
fn an_out_that_cannot_be_written_is_refused_before_any_cell_runs() {
    let file = std::env::temp_dir().join(format!("sediment-reports-file-{}", std::process::id()));
    std::fs::write(&file, "a file, not a directory").unwrap();
    let out = file.join("report");
    let started = std::time::Instant::now();
    let output = Command::new(env!("CARGO_BIN_EXE_reports"))
        .args(["--quick", "--out"])
        .arg(&out)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2), "{output:?}");
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(
        stderr.contains(&format!("--out {}", out.display())),
        "{stderr}"
    );
    assert!(
        started.elapsed() < std::time::Duration::from_secs(2),
        "ran cells first"
    );
    let _ = std::fs::remove_file(&file);
}
