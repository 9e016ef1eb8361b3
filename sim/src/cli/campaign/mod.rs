//! `sim campaign --seeds A..B [--jobs J] [--bug NAME] [run options] [--json] [--out FILE]
//! [--resume] [--shard K/N]`: many seeds, each in its own child process, `--jobs` at once;
//! results appended to a JSON-lines file as they finish (so `--resume` continues an
//! interrupted campaign); at the end the passed/failed counts, every failing seed with the
//! command that replays it, the faults exercised and the coverage table. Exit 1 if a seed
//! failed (with `--expect-catch`: exit 1 unless a seed failed a check), 2 on bad usage.

mod child;
mod seeds;
mod summary;

pub use child::{SeedResult, run_seed};

use super::EXIT_USAGE;
use super::run::{RunArgs, option_args, replay_command};
use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};
use seeds::Shard;
use std::collections::{BTreeSet, VecDeque};
use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Parallel children at most, whatever `--jobs` asks.
const JOBS_MAX: usize = 256;

#[derive(Clone, Debug, Args)]
pub struct CampaignArgs {
    /// Seeds to run: `A..B` (B excluded) or `A..=B`.
    #[arg(long)]
    pub seeds: String,
    /// Seeds run at once, each in its own process (default: the available cores).
    #[arg(long)]
    pub jobs: Option<usize>,
    /// Append each seed's result to this JSON-lines file as it finishes.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Skip the seeds already in `--out` (an interrupted campaign continues).
    #[arg(long)]
    pub resume: bool,
    /// Run only shard K of N: the seeds with `seed % N == K - 1` (K from 1), so a CI
    /// matrix of N machines with shards 1/N..N/N covers the range once.
    #[arg(long)]
    pub shard: Option<String>,
    /// Wall-clock limit per seed, in seconds; a child past it is killed and the seed fails
    /// as "timeout".
    #[arg(long, default_value_t = 300)]
    pub seed_timeout_s: u64,
    /// Proof of teeth: exit 0 only if some seed failed a named check (a timeout or a crash
    /// does not count), 1 otherwise.
    #[arg(long)]
    pub expect_catch: bool,
    /// No progress bar.
    #[arg(long)]
    pub quiet: bool,
    #[command(flatten)]
    pub run: RunArgs,
}

/// Runs the campaign.
pub fn run(args: &CampaignArgs) -> ExitCode {
    let plan = match Plan::new(args) {
        Ok(plan) => plan,
        Err(message) => {
            eprintln!("sim campaign: {message}");
            return ExitCode::from(EXIT_USAGE);
        }
    };
    let started = Instant::now();
    let fresh = match execute(args, &plan) {
        Ok(fresh) => fresh,
        Err(message) => {
            eprintln!("sim campaign: {message}");
            return ExitCode::from(EXIT_USAGE);
        }
    };
    let seeds_run = fresh.len() as u64;
    let mut results = plan.previous;
    results.extend(fresh);
    let summary = summary::Summary::new(&results, started.elapsed().as_secs_f64(), seeds_run);
    if args.run.json {
        match serde_json::to_string(&summary) {
            Ok(json) => println!("{json}"),
            Err(error) => eprintln!("sim campaign: the summary does not serialize: {error}"),
        }
    } else {
        print!("{}", summary.text(&plan.title));
    }
    if args.expect_catch {
        let caught = results.iter().any(SeedResult::caught_by_check);
        if !caught {
            eprintln!("sim campaign: --expect-catch: no seed failed a check");
        }
        return if caught {
            ExitCode::SUCCESS
        } else {
            ExitCode::from(1)
        };
    }
    if summary.failed > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

/// What to run, validated before anything starts.
struct Plan {
    title: String,
    todo: Vec<u64>,
    previous: Vec<SeedResult>,
    jobs: usize,
    options: Vec<String>,
    exe: PathBuf,
}

impl Plan {
    fn new(args: &CampaignArgs) -> Result<Plan, String> {
        if args.run.seed.is_some() {
            return Err("--seed is for one run; a campaign takes --seeds A..B".to_string());
        }
        if args.run.trace.is_some() || args.run.series {
            return Err("--trace and --series are for one run (replay the seed)".to_string());
        }
        if args.resume && args.out.is_none() {
            return Err("--resume needs --out FILE".to_string());
        }
        // The run options are checked once here, so a typo fails fast, not in every child.
        super::run::check_options(&args.run)?;
        let range = seeds::parse_range(&args.seeds)?;
        let shard = args.shard.as_deref().map(Shard::parse).transpose()?;
        let selected = seeds::select(range, shard);
        let wanted: BTreeSet<u64> = selected.iter().copied().collect();
        let previous = match (&args.out, args.resume) {
            (Some(path), true) => read_previous(path, &wanted)?,
            _ => Vec::new(),
        };
        let done: BTreeSet<u64> = previous.iter().map(|result| result.seed).collect();
        let todo: Vec<u64> = selected
            .into_iter()
            .filter(|seed| !done.contains(seed))
            .collect();
        let cores = std::thread::available_parallelism().map_or(1, usize::from);
        let jobs = args.jobs.unwrap_or(cores).clamp(1, JOBS_MAX);
        let exe = std::env::current_exe()
            .map_err(|error| format!("cannot find the sim executable: {error}"))?;
        let mut title = format!("--seeds {}", args.seeds);
        if let Some(shard) = &args.shard {
            title.push_str(&format!(" --shard {shard}"));
        }
        let options = option_args(&args.run);
        if !options.is_empty() {
            title.push(' ');
            title.push_str(&options.join(" "));
        }
        title.push_str(&format!(
            " ({} seeds, {} already done, {jobs} jobs)",
            wanted.len(),
            done.len()
        ));
        let mut options = options;
        if args.run.check_determinism {
            options.push("--check-determinism".to_string());
        }
        Ok(Plan {
            title,
            todo,
            previous,
            jobs,
            options,
            exe,
        })
    }
}

/// Results of a previous invocation (for `--resume`), only those of `wanted` seeds; a
/// truncated last line (the campaign was killed mid-write) is ignored.
fn read_previous(path: &Path, wanted: &BTreeSet<u64>) -> Result<Vec<SeedResult>, String> {
    let file = match File::open(path) {
        Ok(file) => file,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(error) => return Err(format!("cannot read {}: {error}", path.display())),
    };
    let mut seen = BTreeSet::new();
    let mut results = Vec::new();
    for line in BufReader::new(file).lines() {
        let line = line.map_err(|error| format!("cannot read {}: {error}", path.display()))?;
        let Ok(result) = serde_json::from_str::<SeedResult>(&line) else {
            continue;
        };
        if wanted.contains(&result.seed) && seen.insert(result.seed) {
            results.push(result);
        }
    }
    Ok(results)
}

/// Runs every seed of the plan on `jobs` worker threads, each driving one child process
/// at a time; appends results to `--out` as they arrive.
fn execute(args: &CampaignArgs, plan: &Plan) -> Result<Vec<SeedResult>, String> {
    let mut out = match &args.out {
        Some(path) => Some(
            OpenOptions::new()
                .create(true)
                .append(true)
                .open(path)
                .map_err(|error| format!("cannot open {}: {error}", path.display()))?,
        ),
        None => None,
    };
    let queue = Arc::new(Mutex::new(
        plan.todo.iter().copied().collect::<VecDeque<_>>(),
    ));
    let (sender, receiver) = mpsc::channel::<SeedResult>();
    let limit = Duration::from_secs(args.seed_timeout_s.max(1));
    let mut workers = Vec::new();
    for _ in 0..plan.jobs.min(plan.todo.len()) {
        let queue = queue.clone();
        let sender = sender.clone();
        let exe = plan.exe.clone();
        let options = plan.options.clone();
        let run_args = args.run.clone();
        workers.push(std::thread::spawn(move || {
            loop {
                let next = queue
                    .lock()
                    .unwrap_or_else(|poisoned| poisoned.into_inner())
                    .pop_front();
                let Some(seed) = next else { return };
                let replay = replay_command(seed, &run_args);
                let result = run_seed(&exe, seed, &options, limit, replay);
                if sender.send(result).is_err() {
                    return;
                }
            }
        }));
    }
    drop(sender);
    let progress = progress_bar(plan.todo.len() as u64, args.quiet);
    let mut results = Vec::with_capacity(plan.todo.len());
    let mut failed = 0u64;
    for result in receiver {
        if let Some(file) = out.as_mut() {
            let line = serde_json::to_string(&result)
                .map_err(|error| format!("a result does not serialize: {error}"))?;
            writeln!(file, "{line}")
                .and_then(|()| file.flush())
                .map_err(|error| format!("cannot append to the results file: {error}"))?;
        }
        if !result.passed() {
            failed += 1;
            progress.println(format!(
                "FAILED seed {} [{}]: {}",
                result.seed,
                result
                    .failures
                    .iter()
                    .map(|f| f.check.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
                result.replay
            ));
        }
        progress.set_message(format!("{failed} failed"));
        progress.inc(1);
        results.push(result);
    }
    progress.finish_and_clear();
    for worker in workers {
        let _ = worker.join();
    }
    Ok(results)
}

fn progress_bar(total: u64, quiet: bool) -> ProgressBar {
    if quiet {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(total);
    if let Ok(style) = ProgressStyle::with_template(
        "{elapsed_precise} [{bar:40}] {pos}/{len} seeds, {msg} ({eta} left)",
    ) {
        bar.set_style(style.progress_chars("=> "));
    }
    bar
}
