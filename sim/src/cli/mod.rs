//! The `sim` command line: the clap types and the dispatch to one module per subcommand.
//! Exit status: 0 success, 1 a check failed, 2 bad usage or input (a message, no panic).

mod bugs;
mod campaign;
mod lincheck;
mod run;
mod shrink;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Exit status for bad usage or unreadable input.
pub const EXIT_USAGE: u8 = 2;

#[derive(Debug, Parser)]
#[command(
    name = "sim",
    version,
    about = "Sediment's deterministic simulator and checkers: `sim --seed N` replays one seeded world",
    args_conflicts_with_subcommands = true
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    /// Options of a seeded simulation run (the default job).
    #[command(flatten)]
    pub run: run::RunArgs,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check recorded histories for linearizability.
    Lincheck(lincheck::LincheckArgs),
    /// Run many seeds, each in its own process, and report failures, faults and coverage.
    Campaign(Box<campaign::CampaignArgs>),
    /// Reduce a failing seed's run (faults, clients, operations) while the same check
    /// still fails, and print the smallest reproduction.
    Shrink(Box<shrink::ShrinkArgs>),
    /// List the injectable protocol bugs (`--bug NAME`).
    Bugs,
    /// Drive the compaction pickers with a seeded stream of flushes (no faults) and report
    /// write amplification, space amplification and sorted runs.
    CompactionSim(Box<sim::compaction_sim::CompactionSimArgs>),
}

/// Parses the command line and runs it.
pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(err) => {
            // Help and version print to stdout and succeed; usage errors exit 2.
            let _ = err.print();
            return ExitCode::from(u8::try_from(err.exit_code()).unwrap_or(EXIT_USAGE));
        }
    };
    match cli.command {
        Some(Command::Lincheck(args)) => lincheck::run(&args),
        Some(Command::CompactionSim(args)) => sim::compaction_sim::run_cli(&args),
        Some(Command::Campaign(args)) => campaign::run(&args),
        Some(Command::Shrink(args)) => shrink::run(&args),
        Some(Command::Bugs) => bugs::run(),
        None => run::run(&cli.run),
    }
}
