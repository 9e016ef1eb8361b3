//! `cargo run --release -p reports -- [--out DIR] [--quick] [--faults LEVEL] [--topology T]`: runs the
//! amplification matrix (styles × workloads) through the simulated world and writes
//! `report.md`, `report.json` and SVG charts into DIR (default `target/reports`).
#![forbid(unsafe_code)]

mod cell_result;
mod charts;
mod fidelity;
mod log_costs;
mod markdown;
mod matrix;
mod models;

use cell_result::CellResult;
use clap::Parser;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use matrix::{Scale, cells, config};
use serde::Serialize;
use sim::world::{FaultLevel, Topology};
use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

const EXIT_FAILED: u8 = 1;
const EXIT_USAGE: u8 = 2;

/// Amplification reports: leveled, universal and FIFO on named workloads, and log
/// compaction's scan vs lookup costs.
#[derive(Debug, Parser)]
#[command(name = "reports", version)]
struct Args {
    /// Where to write report.md, report.json and the charts.
    #[arg(long, default_value = "target/reports")]
    out: PathBuf,
    /// A small matrix (fewer operations and keys): under a minute.
    #[arg(long)]
    quick: bool,
    /// Faults during the runs: none (default), light, heavy or swarm.
    #[arg(long, default_value = "none")]
    faults: String,
    /// Where compaction runs: embedded (default) or standalone (a compactor node and a
    /// garbage collector: physical space then shows the price of deferred deletion).
    #[arg(long, default_value = "embedded")]
    topology: String,
}

/// `report.json`.
#[derive(Serialize)]
struct JsonReport<'a> {
    seed: u64,
    faults: &'a str,
    topology: &'a str,
    quick: bool,
    scale: Scale,
    wall_time_s: f64,
    charts: Vec<String>,
    cells: &'a [CellResult],
    /// Log compaction, scan vs lookup (`log_costs.rs`).
    log_costs: &'a [log_costs::LogCostPoint],
    /// compaction-sim against the committed RocksDB reference (`fidelity.rs`).
    fidelity: &'a fidelity::Fidelity,
}

fn main() -> ExitCode {
    let args = match Args::try_parse() {
        Ok(args) => args,
        Err(error) => {
            let _ = error.print();
            return ExitCode::from(u8::try_from(error.exit_code()).unwrap_or(EXIT_USAGE));
        }
    };
    let Some(faults) = FaultLevel::parse(&args.faults) else {
        eprintln!(
            "reports: unknown --faults {:?}; expected none, light, heavy or swarm",
            args.faults
        );
        return ExitCode::from(EXIT_USAGE);
    };
    let Some(topology) = Topology::parse(&args.topology) else {
        eprintln!(
            "reports: unknown --topology {:?}; expected embedded or standalone",
            args.topology
        );
        return ExitCode::from(EXIT_USAGE);
    };
    match run(&args, faults, topology) {
        Ok(all_passed) => {
            if all_passed {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(EXIT_FAILED)
            }
        }
        Err(message) => {
            eprintln!("reports: {message}");
            ExitCode::from(EXIT_FAILED)
        }
    }
}

/// Runs the matrix and writes the report; returns whether every cell passed its checks.
fn run(args: &Args, faults: FaultLevel, topology: Topology) -> Result<bool, String> {
    let started = Instant::now();
    let scale = if args.quick {
        Scale::quick()
    } else {
        Scale::full()
    };
    std::fs::create_dir_all(&args.out)
        .map_err(|error| format!("cannot create {}: {error}", args.out.display()))?;
    let matrix = cells();
    let progress = progress_bar(matrix.len() as u64);
    let mut results = Vec::new();
    for cell in &matrix {
        progress.set_message(cell.label());
        let config = config(cell, scale, faults, topology);
        let replay = format!(
            "cargo run --release -p reports -- {}--topology {} (cell {})",
            if args.quick { "--quick " } else { "" },
            args.topology,
            cell.label()
        );
        let report = sim::world::run(config, None, replay)
            .map_err(|error| format!("cell {}: {error}", cell.label()))?;
        results.push(CellResult::new(cell, report));
        progress.inc(1);
    }
    progress.finish_and_clear();
    let log_costs = log_costs::measure(scale)?;
    let mut charts = charts::draw_all(&args.out, &results).map_err(|error| error.to_string())?;
    charts.extend(log_costs::draw(&args.out, &log_costs).map_err(|error| error.to_string())?);
    let fidelity = fidelity::measure(args.quick)?;
    charts.extend(fidelity::draw(&args.out, &fidelity).map_err(|error| error.to_string())?);
    let wall_time_s = started.elapsed().as_secs_f64();
    let header = markdown::Header {
        scale,
        faults: &args.faults,
        topology: &args.topology,
        seed: matrix::SEED,
        wall_time_s,
        charts: &charts,
    };
    let mut markdown = markdown::render(&header, &results);
    markdown.push('\n');
    markdown.push_str(&log_costs::markdown(&log_costs));
    markdown.push('\n');
    markdown.push_str(&fidelity::markdown(&fidelity));
    write(&args.out.join("report.md"), markdown.as_bytes())?;
    let json = JsonReport {
        seed: matrix::SEED,
        faults: &args.faults,
        topology: &args.topology,
        quick: args.quick,
        scale,
        wall_time_s,
        charts: charts
            .iter()
            .filter_map(|path| path.file_name()?.to_str().map(str::to_string))
            .collect(),
        cells: &results,
        log_costs: &log_costs,
        fidelity: &fidelity,
    };
    let json = serde_json::to_vec_pretty(&json).map_err(|error| error.to_string())?;
    write(&args.out.join("report.json"), &json)?;
    let failed: Vec<&CellResult> = results
        .iter()
        .filter(|cell| cell.verdict != "pass")
        .collect();
    eprintln!(
        "reports: {} cells in {wall_time_s:.1} s, {} failed; wrote {} (report.md, report.json, {} charts)",
        results.len(),
        failed.len(),
        args.out.display(),
        charts.len()
    );
    for cell in &failed {
        eprintln!(
            "  {} × {}: {}",
            cell.style,
            cell.workload,
            cell.failures.join("; ")
        );
    }
    Ok(failed.is_empty())
}

fn write(path: &std::path::Path, bytes: &[u8]) -> Result<(), String> {
    std::fs::write(path, bytes).map_err(|error| format!("cannot write {}: {error}", path.display()))
}

/// A progress bar on stderr, hidden when stderr is not a terminal.
fn progress_bar(cells: u64) -> ProgressBar {
    let target = if std::io::stderr().is_terminal() {
        ProgressDrawTarget::stderr()
    } else {
        ProgressDrawTarget::hidden()
    };
    let bar = ProgressBar::with_draw_target(Some(cells), target);
    if let Ok(style) = ProgressStyle::with_template("{bar:30} {pos}/{len} cells  {elapsed}  {msg}")
    {
        bar.set_style(style);
    }
    bar
}
