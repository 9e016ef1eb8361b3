//! `sim compaction-sim`: a compaction simulator without faults (in the spirit of mini-lsm's).
//! A seeded stream of puts fills a memtable; every full memtable is flushed into a real L0
//! SST, and after each flush the chosen strategy's picker runs until it has nothing to do,
//! every plan executed by the real merge and installed by the real manifest `apply` (so the
//! manifest invariants are checked after every step). The report gives the tree's shape
//! over time and the final write amplification, space amplification and sorted runs.

mod args;
mod concurrent;
mod driver;
mod dump;
mod error;
pub mod fidelity;
mod render;
mod report;
mod stream;
mod workload;
mod write_controller;
mod writes;

pub use args::{CompactionSimArgs, SimSchedule, SimStyle, SimWorkload};
pub use driver::run;
pub use dump::dump_stream;
pub use error::CompactionSimError;
pub use render::render_human;
pub use report::{CompactionSimReport, LevelShape, ReasonTotals, ShapeSample};

use std::process::ExitCode;

/// Runs the simulator for the command line: prints the report (human or `--json`) and
/// returns 0, or prints the error and returns 1 (the run failed a check, e.g. did not
/// converge) or 2 (bad arguments).
pub fn run_cli(args: &CompactionSimArgs) -> ExitCode {
    if let Some(path) = &args.dump_stream {
        return match dump_stream(args, path) {
            Ok(count) => {
                eprintln!(
                    "compaction-sim: {count} writes dumped to {}",
                    path.display()
                );
                ExitCode::SUCCESS
            }
            Err(error) => {
                eprintln!("compaction-sim: {error}");
                ExitCode::from(if error.is_usage() { 2 } else { 1 })
            }
        };
    }
    match run(args) {
        Ok(report) => {
            if args.json {
                match serde_json::to_string_pretty(&report) {
                    Ok(json) => println!("{json}"),
                    Err(error) => {
                        eprintln!("compaction-sim: cannot serialize the report: {error}");
                        return ExitCode::from(1);
                    }
                }
            } else {
                print!("{}", render_human(&report));
            }
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("compaction-sim: {error}");
            ExitCode::from(if error.is_usage() { 2 } else { 1 })
        }
    }
}

#[cfg(test)]
mod tests;
