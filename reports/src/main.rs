//! `cargo run --release -p reports -- [--out DIR] [--quick] [--faults LEVEL] [--topology T]
//! [--ops N] [--jobs N]`: runs the amplification matrix (styles × workloads) through the
//! simulated world and writes `report.md`, `report.json` and SVG charts into DIR (default
//! `target/reports`).
#![forbid(unsafe_code)]

mod bars;
mod cell_result;
mod charts;
mod cost;
mod fidelity;
mod log_costs;
mod markdown;
mod matrix;
mod models;
mod pool;

use cell_result::CellResult;
use clap::{Parser, ValueEnum};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use markdown::PhaseTimes;
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
    /// Faults during the runs.
    #[arg(long, value_enum, default_value_t = FaultLevel::None)]
    faults: FaultLevel,
    /// Where compaction runs: embedded (default) or standalone (a compactor node and a
    /// garbage collector: physical space then shows the price of deferred deletion).
    #[arg(long, value_enum, default_value_t = Topology::Embedded)]
    topology: Topology,
    /// Client operations of each matrix cell (default: 400000, or the quick scale's 4000;
    /// the log and cost sweeps keep their scale's own).
    #[arg(long, value_parser = clap::value_parser!(u64).range(100..))]
    ops: Option<u64>,
    /// Worlds run at once (each world is single-threaded; figures do not depend on this).
    #[arg(long, default_value_t = default_jobs(), value_parser = clap::value_parser!(u64).range(1..=64))]
    jobs: u64,
}

fn default_jobs() -> u64 {
    std::thread::available_parallelism().map_or(1, |n| n.get() as u64)
}

/// `report.json`.
#[derive(Serialize)]
struct JsonReport<'a> {
    seed: u64,
    faults: &'a str,
    topology: &'a str,
    quick: bool,
    /// The matrix cells' scale.
    scale: Scale,
    /// The log-compaction and cost sweeps' scale.
    sweep_scale: Scale,
    jobs: u64,
    wall_time_s: f64,
    /// Wall time of each phase: the matrix cells, the two sweeps, the RocksDB comparison.
    phases: PhaseTimes,
    charts: Vec<String>,
    cells: &'a [CellResult],
    /// Log compaction, scan vs lookup (`log_costs.rs`).
    log_costs: &'a [log_costs::LogCostPoint],
    /// compaction-sim against the committed RocksDB reference (`fidelity.rs`).
    fidelity: &'a fidelity::Fidelity,
    /// What each topology and style costs on an object store (`cost.rs`).
    costs: &'a [cost::CostPoint],
}

fn main() -> ExitCode {
    let args = match Args::try_parse() {
        Ok(args) => args,
        Err(error) => {
            let _ = error.print();
            return ExitCode::from(u8::try_from(error.exit_code()).unwrap_or(EXIT_USAGE));
        }
    };
    // Checked before any cell runs: a report that cannot be written is bad usage.
    if let Err(message) = check_out(&args.out) {
        eprintln!("reports: {message}");
        return ExitCode::from(EXIT_USAGE);
    }
    match run(&args) {
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

/// One matrix cell's world.
fn run_cell(cell: &matrix::Cell, scale: Scale, args: &Args) -> Result<CellResult, String> {
    let config = config(cell, scale, args.faults, args.topology);
    let ops = args
        .ops
        .map(|ops| format!("--ops {ops} "))
        .unwrap_or_default();
    let replay = format!(
        "cargo run --release -p reports -- {}{ops}--faults {} --topology {} (cell {})",
        if args.quick { "--quick " } else { "" },
        value_name(args.faults),
        value_name(args.topology),
        cell.label()
    );
    let report = sim::world::run(config, None, replay)
        .map_err(|error| format!("cell {}: {error}", cell.label()))?;
    Ok(CellResult::new(cell, report))
}

/// The name the command line gives `value`.
fn value_name<T: ValueEnum>(value: T) -> String {
    value
        .to_possible_value()
        .map(|value| value.get_name().to_string())
        .expect("the world's enums have no skipped variants")
}

/// Runs the matrix and writes the report; returns whether every cell passed its checks.
fn run(args: &Args) -> Result<bool, String> {
    let (faults_name, topology_name) = (value_name(args.faults), value_name(args.topology));
    let started = Instant::now();
    let sweep_scale = if args.quick {
        Scale::quick()
    } else {
        Scale::full()
    };
    let default_ops = if args.quick {
        sweep_scale.ops
    } else {
        matrix::FULL_MATRIX_OPS
    };
    let scale = Scale {
        ops: args.ops.unwrap_or(default_ops),
        ..sweep_scale
    };
    let jobs = usize::try_from(args.jobs).map_err(|error| error.to_string())?;
    let matrix = cells();
    // Every phase on one bar: the cells, the log-compaction runs, the cost runs, the charts,
    // the files.
    let steps = matrix.len() + log_costs::runs() + cost::runs(args.quick) + 2;
    let progress = progress_bar(steps as u64);
    let done = || progress.inc(1);
    progress.set_message(format!("{} matrix cells", matrix.len()));
    let (results, matrix_s) = timed(|| {
        let order = matrix::costliest_first(&matrix);
        pool::run_in_order(&matrix, &order, jobs, &done, |cell| {
            run_cell(cell, scale, args)
        })
    });
    let results = results?;
    progress.set_message("log compaction runs");
    let (log_costs, log_costs_s) = timed(|| log_costs::measure(sweep_scale, jobs, &done));
    let log_costs = log_costs?;
    progress.set_message("cost runs");
    let (costs, costs_s) =
        timed(|| cost::measure(sweep_scale, args.quick, args.faults, jobs, &done));
    let costs = costs?;
    progress.set_message("charts");
    let mut charts = charts::draw_all(&args.out, &results).map_err(|error| error.to_string())?;
    charts.extend(log_costs::draw(&args.out, &log_costs).map_err(|error| error.to_string())?);
    charts.extend(cost::draw(&args.out, &costs).map_err(|error| error.to_string())?);
    progress.set_message("compaction-sim against the RocksDB reference");
    let (fidelity, fidelity_s) = timed(|| fidelity::measure(args.quick, jobs));
    let fidelity = fidelity?;
    let phases = PhaseTimes {
        matrix_s,
        log_costs_s,
        costs_s,
        fidelity_s,
    };
    charts.extend(fidelity::draw(&args.out, &fidelity).map_err(|error| error.to_string())?);
    progress.inc(1);
    progress.set_message("report.md, report.json");
    let wall_time_s = started.elapsed().as_secs_f64();
    let header = markdown::Header {
        scale,
        sweep_scale,
        faults: &faults_name,
        topology: &topology_name,
        seed: matrix::SEED,
        wall_time_s,
        phases,
        charts: &charts,
    };
    let mut markdown = markdown::render(&header, &results);
    markdown.push('\n');
    markdown.push_str(&log_costs::markdown(&log_costs));
    markdown.push('\n');
    markdown.push_str(&cost::markdown(&costs));
    markdown.push('\n');
    markdown.push_str(&fidelity::markdown(&fidelity));
    write(&args.out.join("report.md"), markdown.as_bytes())?;
    let json = JsonReport {
        seed: matrix::SEED,
        faults: &faults_name,
        topology: &topology_name,
        quick: args.quick,
        scale,
        sweep_scale,
        jobs: args.jobs,
        wall_time_s,
        phases,
        charts: charts
            .iter()
            .filter_map(|path| path.file_name()?.to_str().map(str::to_string))
            .collect(),
        cells: &results,
        log_costs: &log_costs,
        fidelity: &fidelity,
        costs: &costs,
    };
    let json = serde_json::to_vec_pretty(&json).map_err(|error| error.to_string())?;
    write(&args.out.join("report.json"), &json)?;
    progress.inc(1);
    progress.finish_and_clear();
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

/// `f`'s result and its wall time in seconds.
fn timed<T>(f: impl FnOnce() -> T) -> (T, f64) {
    let started = Instant::now();
    let result = f();
    (result, started.elapsed().as_secs_f64())
}

/// Makes `--out` and proves a file can be written in it, before hours of cells.
fn check_out(dir: &std::path::Path) -> Result<(), String> {
    std::fs::create_dir_all(dir).map_err(|error| {
        format!(
            "--out {}: cannot create the directory: {error}",
            dir.display()
        )
    })?;
    let probe = dir.join(format!(".reports-probe-{}", std::process::id()));
    std::fs::write(&probe, b"probe")
        .and_then(|()| std::fs::remove_file(&probe))
        .map_err(|error| format!("--out {}: cannot write there: {error}", dir.display()))
}

fn write(path: &std::path::Path, bytes: &[u8]) -> Result<(), String> {
    std::fs::write(path, bytes).map_err(|error| format!("cannot write {}: {error}", path.display()))
}

/// A progress bar on stderr over every phase, hidden when stderr is not a terminal.
fn progress_bar(steps: u64) -> ProgressBar {
    let target = if std::io::stderr().is_terminal() {
        ProgressDrawTarget::stderr()
    } else {
        ProgressDrawTarget::hidden()
    };
    let bar = ProgressBar::with_draw_target(Some(steps), target);
    if let Ok(style) = ProgressStyle::with_template("{bar:30} {pos}/{len} steps  {elapsed}  {msg}")
    {
        bar.set_style(style);
    }
    bar
}
