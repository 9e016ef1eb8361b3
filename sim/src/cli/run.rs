//! `sim [--seed N] ...`: the seeded simulation run. Not built yet: the options are
//! accepted (so scripts can be written against the contract in DESIGN.md) and the command
//! says plainly that there is nothing to run, rather than pretend to simulate.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;

use super::EXIT_USAGE;

/// The options of one seeded run (DESIGN.md, "CLI contract").
#[derive(Debug, Args)]
pub struct RunArgs {
    /// Seed of the run; the same seed always gives the same run.
    #[arg(long)]
    pub seed: Option<u64>,
    /// Client operations to issue.
    #[arg(long)]
    pub ops: Option<u64>,
    /// Client nodes.
    #[arg(long)]
    pub clients: Option<u32>,
    /// Compaction style: leveled, universal, fifo or log.
    #[arg(long)]
    pub style: Option<String>,
    /// Topology: embedded, standalone or remote.
    #[arg(long)]
    pub topology: Option<String>,
    /// Durability mode: wal or checkpoint.
    #[arg(long)]
    pub durability: Option<String>,
    /// Fault level: none, light, heavy or swarm.
    #[arg(long)]
    pub faults: Option<String>,
    /// Inject a named protocol bug.
    #[arg(long)]
    pub bug: Option<String>,
    /// Print one JSON object instead of text.
    #[arg(long)]
    pub json: bool,
    /// Write the run's trace to this file.
    #[arg(long)]
    pub trace: Option<PathBuf>,
    /// Run the seed twice and compare digests.
    #[arg(long)]
    pub check_determinism: bool,
}

/// Says that the seeded simulator does not exist yet and what does; exit status 2.
pub fn run(_args: &RunArgs) -> ExitCode {
    eprintln!(
        "sim: the seeded simulator (`sim --seed N ...`) is not built yet; nothing was run.\n\
         Available now:\n  \
         sim lincheck --format jepsen-etcd|porcupine-kv [--no-partition] [--html OUT.html] FILE...\n\
         See `sim --help` and `sim lincheck --help`."
    );
    ExitCode::from(EXIT_USAGE)
}
