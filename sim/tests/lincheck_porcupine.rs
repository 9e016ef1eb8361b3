//! Every labelled history in `testdata/porcupine/expected.tsv` gets its expected verdict.
#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};

use sim::lincheck::models::cas_register::CasRegisterModel;
use sim::lincheck::parse::{jepsen, porcupine_kv};
use sim::lincheck::{CheckOptions, check};

fn testdata() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/porcupine")
}

/// Verdict names of `file` under `model`: partitioned, then (c01 and c10 only) unpartitioned.
fn verdicts(model: &str, file: &str) -> Vec<(&'static str, &'static str)> {
    let text = std::fs::read_to_string(testdata().join(file)).unwrap();
    let partitioned = CheckOptions::default();
    let whole = CheckOptions {
        partition: false,
        ..CheckOptions::default()
    };
    match model {
        "etcd-cas-register" => {
            let history = jepsen::parse(&text).unwrap();
            assert!(!history.is_empty(), "{file} parsed as empty");
            vec![(
                "",
                check(&CasRegisterModel, &history, &partitioned)
                    .verdict
                    .name(),
            )]
        }
        "kv-get-put-append" => {
            let parsed = porcupine_kv::parse(&text).unwrap();
            let mut out = vec![(
                "",
                check(&parsed.model, &parsed.history, &partitioned)
                    .verdict
                    .name(),
            )];
            if file.contains("c01") || file.contains("c10") {
                let name = check(&parsed.model, &parsed.history, &whole).verdict.name();
                out.push((" (unpartitioned)", name));
            }
            out
        }
        other => panic!("unknown model {other} for {file}"),
    }
}

#[test]
fn every_labelled_history_gets_its_expected_verdict() {
    let expected = std::fs::read_to_string(testdata().join("expected.tsv")).unwrap();
    let mut rows = 0;
    let mut checks = 0;
    let mut wrong = Vec::new();
    for line in expected.lines().filter(|l| !l.trim().is_empty()) {
        let fields: Vec<&str> = line.split('\t').collect();
        let [file, model, verdict] = fields.as_slice() else {
            panic!("bad expected.tsv line {line:?}");
        };
        rows += 1;
        for (how, got) in verdicts(model, file) {
            checks += 1;
            if got != *verdict {
                wrong.push(format!("{file}{how}: expected {verdict}, got {got}"));
            }
        }
    }
    assert_eq!(rows, 108);
    assert_eq!(checks, 112);
    assert!(wrong.is_empty(), "wrong verdicts:\n{}", wrong.join("\n"));
}

#[test]
fn the_empty_etcd_log_is_an_empty_history() {
    let text = std::fs::read_to_string(testdata().join("jepsen/etcd_095.log")).unwrap();
    let history = jepsen::parse(&text).unwrap();
    assert!(history.is_empty());
    let report = check(&CasRegisterModel, &history, &CheckOptions::default());
    assert!(report.verdict.is_linearizable());
}
