//! `sim campaign --seeds A..B [--jobs J] [--bug NAME] [run options] [--json] [--out FILE]
//! [--resume] [--shard K/N]`: many seeds, each in its own child process, `--jobs` at once;
//! results appended to a JSON-lines file as they finish, after a header recording the run
//! options (so `--resume` continues an interrupted campaign exactly, and refuses to mix
//! options); at the end the passed/failed counts, every failing seed with the command that
//! replays it, the faults exercised and the coverage table. SIGINT or SIGTERM stops every
//! child, keeps what finished and prints how to resume. `sim campaign merge FILE...` sums
//! the results files of a campaign's shards. Exit 1 if a seed failed (with
//! `--expect-catch`: exit 1 unless a seed failed a check), 2 on bad usage, 128 + the signal
//! when stopped by one.

mod child;
mod merge;
mod progress;
mod results_file;
mod seeds;
mod stop;
mod summary;

pub use child::{SeedResult, run_seed};

use super::EXIT_USAGE;
use super::run::{RunArgs, option_args, replay_command};
use child::run_seed_stoppable;
use clap::{Args, Subcommand};
use progress::Progress;
use results_file::{FORMAT, Header, ResultsFile, result_line};
use seeds::Shard;
use std::collections::{BTreeSet, VecDeque};
use std::fs::OpenOptions;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use stop::Stop;

/// Parallel children at most.
const JOBS_MAX: u64 = 256;
/// How often the result loop wakes without a result (progress heartbeat, stop request).
const TICK: Duration = Duration::from_millis(250);

#[derive(Clone, Debug, Args)]
#[command(args_conflicts_with_subcommands = true, subcommand_negates_reqs = true)]
// The run options a campaign refuses (one run's own) stay out of its help.
#[command(mut_arg("seed", |arg| arg.hide(true)))]
#[command(mut_arg("trace", |arg| arg.hide(true)))]
#[command(mut_arg("series", |arg| arg.hide(true)))]
#[command(mut_arg("verbose", |arg| arg.hide(true)))]
#[command(mut_arg("html", |arg| arg.hide(true)))]
pub struct CampaignArgs {
    #[command(subcommand)]
    pub command: Option<CampaignCommand>,
    /// Seeds to run: `A..B` (B excluded) or `A..=B`.
    #[arg(long, required = true)]
    pub seeds: Option<String>,
    /// Seeds run at once, each in its own process (default: the available cores).
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..=JOBS_MAX))]
    pub jobs: Option<u64>,
    /// Append each seed's result to this JSON-lines file as it finishes (after a header
    /// line recording the run options).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Continue the campaign of `--out`: the seeds already there are not run again; a torn
    /// last line is cut off and its seed runs again.
    #[arg(long)]
    pub resume: bool,
    /// With `--resume`: continue even if the file's run options differ from these, or it
    /// holds lines that are not results (they are skipped and their seeds run again).
    #[arg(long)]
    pub force: bool,
    /// Run only shard K of N: the seeds with `seed % N == K - 1` (K from 1), so a CI
    /// matrix of N machines with shards 1/N..N/N covers the range once.
    #[arg(long)]
    pub shard: Option<String>,
    /// Wall-clock limit per seed, in seconds (at least 1); a child past it is killed and
    /// the seed fails as "timeout".
    #[arg(long, default_value_t = 300, value_parser = clap::value_parser!(u64).range(1..))]
    pub seed_timeout_s: u64,
    /// Proof of teeth: exit 0 only if some seed failed a named check (a timeout or a crash
    /// does not count), 1 otherwise.
    #[arg(long)]
    pub expect_catch: bool,
    /// No progress (a bar on a terminal, else a line every 5% of the seeds or 10 s).
    #[arg(long)]
    pub quiet: bool,
    #[command(flatten)]
    pub run: RunArgs,
}

#[derive(Clone, Debug, Subcommand)]
pub enum CampaignCommand {
    /// Sum the results files of a campaign's shards (`--out` of each) into one summary;
    /// overlapping seeds, missing seeds or different run options are refused.
    Merge(merge::MergeArgs),
}

/// Runs the campaign (or `campaign merge`).
pub fn run(args: &CampaignArgs) -> ExitCode {
    if let Some(CampaignCommand::Merge(merge)) = &args.command {
        return merge::run(merge);
    }
    let plan = match Plan::new(args) {
        Ok(plan) => plan,
        Err(message) => {
            eprintln!("sim campaign: {message}");
            return ExitCode::from(EXIT_USAGE);
        }
    };
    let stop = match Stop::install() {
        Ok(stop) => stop,
        Err(message) => {
            eprintln!("sim campaign: {message}");
            return ExitCode::from(EXIT_USAGE);
        }
    };
    let started = Instant::now();
    let fresh = match execute(args, &plan, &stop) {
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
    if let Some(signal) = stop.signal() {
        eprintln!(
            "sim campaign: stopped by signal {signal}: {}",
            stopped_message(results.len(), plan.seeds_total, args.out.as_deref())
        );
        return ExitCode::from(u8::try_from(128 + signal).unwrap_or(1));
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

/// "N of M seeds done; resume with: ..." (or why it cannot be resumed).
fn stopped_message(done: usize, total: u64, out: Option<&Path>) -> String {
    if out.is_none() {
        return format!(
            "{done} of {total} seeds done; no --out FILE kept them: run again with --out FILE \
             to be able to resume"
        );
    }
    let mut words: Vec<String> = std::env::args().skip(1).collect();
    if !words.iter().any(|word| word == "--resume") {
        words.push("--resume".to_string());
    }
    let words: Vec<String> = words.iter().map(|word| shell_word(word)).collect();
    format!(
        "{done} of {total} seeds done; resume with: cargo run --release -p sim -- {}",
        words.join(" ")
    )
}

/// A word as a POSIX shell reads it back: plain if safe, else single-quoted.
fn shell_word(word: &str) -> String {
    let plain = !word.is_empty()
        && word
            .bytes()
            .all(|byte| byte.is_ascii_alphanumeric() || b"-_./:=,+%@".contains(&byte));
    if plain {
        word.to_string()
    } else {
        format!("'{}'", word.replace('\'', r"'\''"))
    }
}

/// What to run, validated before anything starts.
struct Plan {
    title: String,
    /// Seeds the campaign selects (done before or not).
    seeds_total: u64,
    todo: Vec<u64>,
    previous: Vec<SeedResult>,
    jobs: usize,
    /// What each child gets after `--seed N --json`.
    options: Vec<String>,
    exe: PathBuf,
    out: Option<OutPlan>,
}

/// How the results file is prepared before the first result is appended.
struct OutPlan {
    path: PathBuf,
    /// Cut a torn last line off here.
    truncate_at_bytes: Option<u64>,
    /// Written first when the file does not already end with this campaign's header.
    header_line: Option<String>,
}

impl Plan {
    fn new(args: &CampaignArgs) -> Result<Plan, String> {
        let Some(seeds_text) = args.seeds.as_deref() else {
            return Err("--seeds A..B is required".to_string());
        };
        if args.run.seed.is_some() {
            return Err("--seed is for one run; a campaign takes --seeds A..B".to_string());
        }
        let run = &args.run;
        if run.trace.is_some() || run.series || run.verbose || run.html.is_some() {
            return Err(
                "--trace, --series, --verbose and --html are for one run (replay the seed)"
                    .to_string(),
            );
        }
        if args.resume && args.out.is_none() {
            return Err("--resume needs --out FILE".to_string());
        }
        if args.force && !args.resume {
            return Err("--force only applies to --resume".to_string());
        }
        // The run options are checked once here, so a typo fails fast, not in every child.
        super::run::check_options(&args.run)?;
        let range = seeds::parse_range(seeds_text)?;
        let shard = args.shard.as_deref().map(Shard::parse).transpose()?;
        let selected = seeds::select(range, shard);
        let wanted: BTreeSet<u64> = selected.iter().copied().collect();
        let options = child_options(&args.run);
        let header = Header {
            format: FORMAT,
            options: options.clone(),
            seeds: seeds_text.to_string(),
            shard: args.shard.clone(),
        };
        let (previous, out) = match &args.out {
            Some(path) => {
                let (previous, out) = prepare_out(path, args, &header, &wanted)?;
                (previous, Some(out))
            }
            None => (Vec::new(), None),
        };
        let done: BTreeSet<u64> = previous.iter().map(|result| result.seed).collect();
        let todo: Vec<u64> = selected
            .into_iter()
            .filter(|seed| !done.contains(seed))
            .collect();
        let cores = std::thread::available_parallelism().map_or(1, usize::from);
        let jobs = args
            .jobs
            .and_then(|jobs| usize::try_from(jobs).ok())
            .unwrap_or(cores);
        let exe = std::env::current_exe()
            .map_err(|error| format!("cannot find the sim executable: {error}"))?;
        let mut title = format!("--seeds {seeds_text}");
        if let Some(shard) = &args.shard {
            title.push_str(&format!(" --shard {shard}"));
        }
        if !options.is_empty() {
            title.push(' ');
            title.push_str(&options.join(" "));
        }
        title.push_str(&format!(
            " ({} seeds, {} already done, {jobs} jobs)",
            wanted.len(),
            done.len()
        ));
        Ok(Plan {
            title,
            seeds_total: wanted.len() as u64,
            todo,
            previous,
            jobs,
            options,
            exe,
            out,
        })
    }
}

/// The words each child gets after `--seed N --json`: the run options, and
/// `--check-determinism` (which the replay commands carry too).
fn child_options(run: &RunArgs) -> Vec<String> {
    let mut options = option_args(run);
    if run.check_determinism {
        options.push("--check-determinism".to_string());
    }
    options
}

/// The command that replays one seed of this campaign.
fn seed_replay(seed: u64, run: &RunArgs) -> String {
    let mut replay = replay_command(seed, run);
    if run.check_determinism && !replay.contains("--check-determinism") {
        replay.push_str(" --check-determinism");
    }
    replay
}

/// Reads `--out` before anything runs: a fresh campaign needs an empty file; a resumed one
/// gets the results of its `wanted` seeds back, and is refused (unless `--force`) when the
/// file holds lines that are not results or was run with other options. A torn last line
/// is reported and cut off (in `execute`), so its seed runs again.
fn prepare_out(
    path: &Path,
    args: &CampaignArgs,
    header: &Header,
    wanted: &BTreeSet<u64>,
) -> Result<(Vec<SeedResult>, OutPlan), String> {
    let shown = path.display();
    let file = ResultsFile::read(path)?;
    let header_line = header.line()?;
    if !args.resume {
        if !file.is_empty() || file.torn.is_some() {
            return Err(format!(
                "{shown} already holds a campaign's results: add --resume to continue it, \
                 or remove the file"
            ));
        }
        let out = OutPlan {
            path: path.to_path_buf(),
            truncate_at_bytes: None,
            header_line: Some(header_line),
        };
        return Ok((Vec::new(), out));
    }
    if !file.bad_lines.is_empty() {
        let message = file.bad_lines_message(path);
        if !args.force {
            return Err(format!(
                "{message}; fix or remove them, or add --force to skip them (their seeds \
                 run again)"
            ));
        }
        eprintln!("sim campaign: {message}; skipped (--force)");
    }
    if !file.results.is_empty() && file.headers.is_empty() {
        let message = format!("{shown} has results but no header recording their run options");
        if !args.force {
            return Err(format!("{message}; add --force to resume it anyway"));
        }
        eprintln!("sim campaign: {message}; resumed anyway (--force)");
    }
    if let Some((line, other)) = file.other_options(&header.options) {
        let message = format!(
            "{shown}:{line}: that campaign ran with the options [{}]; this one has [{}]",
            other.options.join(" "),
            header.options.join(" ")
        );
        if !args.force {
            return Err(format!(
                "{message}: resume with the same options, or add --force to mix both in one \
                 file"
            ));
        }
        eprintln!("sim campaign: {message}; mixed (--force)");
    }
    if let Some(torn) = file.torn {
        eprintln!(
            "sim campaign: {shown}:{}: the last line is torn (the campaign stopped while \
             writing it); it is cut off and its seed runs again",
            torn.line
        );
    }
    let previous = file
        .results
        .iter()
        .map(|(_, result)| result)
        .filter(|result| wanted.contains(&result.seed))
        .cloned()
        .collect();
    let out = OutPlan {
        path: path.to_path_buf(),
        truncate_at_bytes: file.torn.map(|torn| torn.offset_bytes),
        header_line: (file.last_header() != Some(header)).then_some(header_line),
    };
    Ok((previous, out))
}

/// Opens the results file for appending, after cutting off a torn line and writing the
/// header if due.
fn open_out(out: &OutPlan) -> Result<std::fs::File, String> {
    let cannot = |error: std::io::Error| format!("cannot write {}: {error}", out.path.display());
    if let Some(length) = out.truncate_at_bytes {
        OpenOptions::new()
            .write(true)
            .open(&out.path)
            .and_then(|file| file.set_len(length))
            .map_err(cannot)?;
    }
    let mut file = OpenOptions::new()
        .create(true)
        .append(true)
        .open(&out.path)
        .map_err(cannot)?;
    if let Some(line) = &out.header_line {
        file.write_all(line.as_bytes())
            .and_then(|()| file.flush())
            .map_err(cannot)?;
    }
    Ok(file)
}

/// Runs every seed of the plan on `jobs` worker threads, each driving one child process
/// at a time; appends results to `--out` as they arrive. A stop (a signal, or the results
/// file failing) lets no new child start, kills the running ones and keeps what finished.
fn execute(args: &CampaignArgs, plan: &Plan, stop: &Stop) -> Result<Vec<SeedResult>, String> {
    let mut out = plan.out.as_ref().map(open_out).transpose()?;
    let queue = Arc::new(Mutex::new(
        plan.todo.iter().copied().collect::<VecDeque<_>>(),
    ));
    let (sender, receiver) = mpsc::channel::<SeedResult>();
    let limit = Duration::from_secs(args.seed_timeout_s);
    let mut workers = Vec::new();
    for _ in 0..plan.jobs.min(plan.todo.len()) {
        let queue = queue.clone();
        let sender = sender.clone();
        let exe = plan.exe.clone();
        let options = plan.options.clone();
        let run_args = args.run.clone();
        let stop = stop.clone();
        workers.push(std::thread::spawn(move || {
            while !stop.requested() {
                let next = queue
                    .lock()
                    .unwrap_or_else(|poisoned| poisoned.into_inner())
                    .pop_front();
                let Some(seed) = next else { return };
                let replay = seed_replay(seed, &run_args);
                let Some(result) = run_seed_stoppable(&exe, seed, &options, limit, replay, &stop)
                else {
                    return;
                };
                if sender.send(result).is_err() {
                    return;
                }
            }
        }));
    }
    drop(sender);
    let mut progress = Progress::new(plan.todo.len() as u64, args.quiet);
    let mut results = Vec::with_capacity(plan.todo.len());
    let mut failed = 0u64;
    let mut write_error = None;
    loop {
        let result = match receiver.recv_timeout(TICK) {
            Ok(result) => result,
            Err(RecvTimeoutError::Timeout) => {
                progress.update(results.len() as u64, failed);
                continue;
            }
            Err(RecvTimeoutError::Disconnected) => break,
        };
        if write_error.is_some() {
            continue;
        }
        if let Some(file) = out.as_mut()
            && let Err(error) = append(file, &result)
        {
            // Nothing more can be kept: stop every child rather than run unrecorded seeds.
            write_error = Some(error);
            stop.request();
            continue;
        }
        if !result.passed() {
            failed += 1;
            progress.println(&failure_line(&result));
        }
        results.push(result);
        progress.update(results.len() as u64, failed);
    }
    progress.finish();
    for worker in workers {
        let _ = worker.join();
    }
    match write_error {
        Some(error) => Err(error),
        None => Ok(results),
    }
}

fn append(file: &mut std::fs::File, result: &SeedResult) -> Result<(), String> {
    let line = result_line(result)?;
    file.write_all(line.as_bytes())
        .and_then(|()| file.flush())
        .map_err(|error| format!("cannot append to the results file: {error}"))
}

fn failure_line(result: &SeedResult) -> String {
    let checks: Vec<&str> = result.failures.iter().map(|f| f.check.as_str()).collect();
    format!(
        "FAILED seed {} [{}]: {}",
        result.seed,
        checks.join(", "),
        result.replay
    )
}
