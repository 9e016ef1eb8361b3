//! `sim shrink --seed N [run options]`: reduces a failing run — no or fewer faults, fewer
//! clients, fewer operations — while the same check still fails, then prints the smallest
//! reproduction as a command. Every trial is a child process (as in a campaign).

use super::EXIT_USAGE;
use super::campaign::{SeedResult, run_seed};
use super::run::{RunArgs, check_options, option_args, replay_command};
use crate::cli::run::DEFAULT_OPS_FOR_SHRINK;
use clap::Args;
use sim::world::FaultLevel;
use std::process::ExitCode;
use std::time::Duration;

#[derive(Debug, Args)]
// One run's outputs mean nothing to a shrink: out of its help, refused in `run`.
#[command(mut_arg("json", |arg| arg.hide(true)))]
#[command(mut_arg("trace", |arg| arg.hide(true)))]
#[command(mut_arg("series", |arg| arg.hide(true)))]
#[command(mut_arg("check_determinism", |arg| arg.hide(true)))]
#[command(mut_arg("verbose", |arg| arg.hide(true)))]
#[command(mut_arg("html", |arg| arg.hide(true)))]
pub struct ShrinkArgs {
    /// Trials (child runs) at most, the first included.
    #[arg(long, default_value_t = 40, value_parser = clap::value_parser!(u32).range(1..))]
    pub trials_max: u32,
    /// Wall-clock limit per trial, in seconds (at least 1).
    #[arg(long, default_value_t = 300, value_parser = clap::value_parser!(u64).range(1..))]
    pub seed_timeout_s: u64,
    #[command(flatten)]
    pub run: RunArgs,
}

struct Shrinker {
    exe: std::path::PathBuf,
    seed: u64,
    check: String,
    trials: u32,
    trials_max: u32,
    limit: Duration,
}

impl Shrinker {
    /// Runs `candidate`; true when it still fails the check being shrunk.
    fn still_fails(&mut self, candidate: &RunArgs) -> bool {
        if self.trials >= self.trials_max {
            return false;
        }
        self.trials += 1;
        let result = self.trial(candidate);
        let fails = result.failures.iter().any(|f| f.check == self.check);
        eprintln!(
            "trial {:>2}: {} -> {}",
            self.trials,
            option_args(candidate).join(" "),
            if fails { "still fails" } else { "passes" }
        );
        fails
    }

    fn trial(&self, candidate: &RunArgs) -> SeedResult {
        let replay = replay_command(self.seed, candidate);
        run_seed(
            &self.exe,
            self.seed,
            &option_args(candidate),
            self.limit,
            replay,
        )
    }
}

pub fn run(args: &ShrinkArgs) -> ExitCode {
    let Some(seed) = args.run.seed else {
        eprintln!("sim shrink: --seed N is required");
        return ExitCode::from(EXIT_USAGE);
    };
    let run = &args.run;
    let one_run = run.json || run.trace.is_some() || run.series || run.verbose;
    if one_run || run.check_determinism || run.html.is_some() {
        eprintln!(
            "sim shrink: --json, --trace, --series, --verbose, --html and --check-determinism \
             are for one run (replay the result)"
        );
        return ExitCode::from(EXIT_USAGE);
    }
    if let Err(message) = check_options(&args.run) {
        eprintln!("sim shrink: {message}");
        return ExitCode::from(EXIT_USAGE);
    }
    let exe = match std::env::current_exe() {
        Ok(exe) => exe,
        Err(error) => {
            eprintln!("sim shrink: cannot find the sim executable: {error}");
            return ExitCode::from(EXIT_USAGE);
        }
    };
    let mut current = args.run.clone();
    current.json = false;
    current.trace = None;
    current.series = false;
    let mut shrinker = Shrinker {
        exe,
        seed,
        check: String::new(),
        trials: 1,
        trials_max: args.trials_max.max(1),
        limit: Duration::from_secs(args.seed_timeout_s.max(1)),
    };
    let first = shrinker.trial(&current);
    let Some(check) = first
        .failures
        .iter()
        .map(|f| f.check.clone())
        .find(|check| check != "timeout")
    else {
        println!(
            "seed {seed} does not fail a check with these options; nothing to shrink: {}",
            first.replay
        );
        return ExitCode::SUCCESS;
    };
    eprintln!(
        "shrinking seed {seed}, which fails {check}: {}",
        first.replay
    );
    shrinker.check = check.clone();
    shrink_faults(&mut shrinker, &mut current);
    shrink_clients(&mut shrinker, &mut current);
    shrink_ops(&mut shrinker, &mut current);
    println!(
        "smallest reproduction of {check} ({} trials): {}",
        shrinker.trials,
        replay_command(seed, &current)
    );
    ExitCode::SUCCESS
}

/// No faults at all, else the smallest fault scale that still fails.
fn shrink_faults(shrinker: &mut Shrinker, current: &mut RunArgs) {
    if current.faults == Some(FaultLevel::None) {
        return;
    }
    let none = RunArgs {
        faults: Some(FaultLevel::None),
        fault_scale: None,
        ..current.clone()
    };
    if shrinker.still_fails(&none) {
        *current = none;
        return;
    }
    let scale_now = current.fault_scale.unwrap_or(1.0);
    for scale in [0.1, 0.25, 0.5] {
        if scale >= scale_now {
            break;
        }
        let candidate = RunArgs {
            fault_scale: Some(scale),
            ..current.clone()
        };
        if shrinker.still_fails(&candidate) {
            *current = candidate;
            return;
        }
    }
}

/// The fewest clients (from 1 up) that still fail.
fn shrink_clients(shrinker: &mut Shrinker, current: &mut RunArgs) {
    for clients in 1..=3u32 {
        if current.clients.is_some_and(|now| clients >= now) {
            return;
        }
        let candidate = RunArgs {
            clients: Some(clients),
            ..current.clone()
        };
        if shrinker.still_fails(&candidate) {
            *current = candidate;
            return;
        }
    }
}

/// Bisects the number of operations between 1 and the current count (which fails).
fn shrink_ops(shrinker: &mut Shrinker, current: &mut RunArgs) {
    let mut failing = current.ops.unwrap_or(DEFAULT_OPS_FOR_SHRINK);
    let mut passing = 0u64;
    while failing - passing > (failing / 20).max(1) {
        let middle = passing + (failing - passing) / 2;
        let candidate = RunArgs {
            ops: Some(middle),
            ..current.clone()
        };
        if shrinker.trials >= shrinker.trials_max {
            break;
        }
        if shrinker.still_fails(&candidate) {
            failing = middle;
            *current = candidate;
        } else {
            passing = middle;
        }
    }
}
