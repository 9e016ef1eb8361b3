//! Times the checker on the labelled Porcupine histories, per group, parsing excluded:
//! `cargo run --release -p sim --example lincheck_bench [-- --verbose] [--only NAME]`
//! (`--only` keeps the files whose path contains NAME, for profiling).
#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use sim::lincheck::models::cas_register::CasRegisterModel;
use sim::lincheck::parse::{jepsen, porcupine_kv};
use sim::lincheck::{CheckOptions, CheckReport, check};

fn testdata() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/porcupine")
}

fn timed(f: impl FnOnce() -> CheckReport) -> (CheckReport, Duration) {
    let start = Instant::now();
    let report = f();
    (report, start.elapsed())
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let verbose = args.iter().any(|a| a == "--verbose");
    let only = args
        .iter()
        .position(|a| a == "--only")
        .and_then(|i| args.get(i + 1))
        .cloned()
        .unwrap_or_default();
    let partitioned = CheckOptions::default();
    let whole = CheckOptions {
        partition: false,
        ..CheckOptions::default()
    };
    let mut groups = [
        ("etcd (all files)", Duration::ZERO),
        ("kv partitioned (six files)", Duration::ZERO),
        ("kv c10 unpartitioned (ok + bad)", Duration::ZERO),
    ];
    let mut names: Vec<_> = std::fs::read_dir(testdata().join("jepsen"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    names.sort();
    for path in names
        .into_iter()
        .filter(|p| p.display().to_string().contains(&only))
    {
        let history = jepsen::parse(&std::fs::read_to_string(&path).unwrap()).unwrap();
        let (report, took) = timed(|| check(&CasRegisterModel, &history, &partitioned));
        groups[0].1 += took;
        if verbose {
            println!(
                "{}\t{}\t{:?}\t{:?}",
                path.display(),
                report.verdict.name(),
                took,
                report.stats
            );
        }
    }
    for name in [
        "c01-ok", "c01-bad", "c10-ok", "c10-bad", "c50-ok", "c50-bad",
    ] {
        let path = testdata().join(format!("kv/{name}.txt"));
        if !path.display().to_string().contains(&only) {
            continue;
        }
        let parsed = porcupine_kv::parse(&std::fs::read_to_string(&path).unwrap()).unwrap();
        let (report, took) = timed(|| check(&parsed.model, &parsed.history, &partitioned));
        groups[1].1 += took;
        if verbose {
            println!(
                "{name}\t{}\t{:?}\t{:?} strings {}",
                report.verdict.name(),
                took,
                report.stats,
                parsed.model.interned_count()
            );
        }
        if name.starts_with("c10") {
            let (report, took) = timed(|| check(&parsed.model, &parsed.history, &whole));
            groups[2].1 += took;
            if verbose {
                println!(
                    "{name} whole\t{}\t{:?}\t{:?}",
                    report.verdict.name(),
                    took,
                    report.stats
                );
            }
        }
    }
    for (group, total) in groups {
        println!("{group}: {:.1} ms", total.as_secs_f64() * 1000.0);
    }
}
