//! `sim [--seed N] ...`: one seeded world (DESIGN.md, "CLI contract"). Prints a human summary
//! or, with `--json`, one JSON object; exit 0 when every check passed, 1 when one failed (the
//! replay command is printed), 2 on bad usage.

use std::collections::hash_map::RandomState;
use std::fs::File;
use std::hash::{BuildHasher, Hasher};
use std::io::{BufWriter, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, ValueEnum};
use sim::world::{
    self, CLIENTS_MAX, DurabilityName, FaultLevel, LogCompaction, OPS_MAX, Overrides, RunReport,
    StyleName, Topology, WorldConfig, WorldStyle,
};

use sim::cost::{Placement, PriceTable, Region};

use super::EXIT_USAGE;
use super::bugs::BugName;

const EXIT_CHECK_FAILED: u8 = 1;

/// Operations of a run that does not fix `--ops` (what `sim shrink` bisects from).
pub const DEFAULT_OPS_FOR_SHRINK: u64 = world::DEFAULT_OPS;

/// The options of one seeded run (DESIGN.md, "CLI contract").
#[derive(Clone, Debug, Args)]
pub struct RunArgs {
    /// Seed of the run; the same seed always gives the same run. Drawn from the OS (and
    /// printed) when absent.
    #[arg(long)]
    pub seed: Option<u64>,
    /// Client operations to issue (default 10000).
    #[arg(long)]
    pub ops: Option<u64>,
    /// Client nodes (drawn from the seed when absent).
    #[arg(long)]
    pub clients: Option<u32>,
    /// Compaction style: leveled, universal, fifo or log (leveled, universal or, now and
    /// then, log drawn when absent).
    #[arg(long, value_enum)]
    pub style: Option<StyleName>,
    /// With `--style log`: Garnet's compaction type, shift, scan or lookup (drawn when
    /// absent).
    #[arg(long, value_enum)]
    pub log_compaction: Option<LogCompaction>,
    /// Topology: embedded (the writer runs its own compactor), standalone (a compactor on
    /// its own node) or remote (the writer schedules compactions on worker nodes); drawn
    /// when absent.
    #[arg(long, value_enum)]
    pub topology: Option<Topology>,
    /// Durability mode: wal (an acknowledged write survives any crash) or checkpoint (no
    /// WAL: a crash rolls back to the last checkpoint); drawn when absent.
    #[arg(long, value_enum)]
    pub durability: Option<DurabilityName>,
    /// Compaction deletes its inputs at install instead of deferring them to the garbage
    /// collector. UNSAFE on purpose: the run shows the loss it causes. Also spelt
    /// `--compaction-force-delete` (Garnet's name).
    #[arg(long, alias = "compaction-force-delete")]
    pub force_delete: bool,
    /// Fault level: none, light, heavy or swarm (default swarm: every rate drawn).
    #[arg(long, value_enum)]
    pub faults: Option<FaultLevel>,
    /// Inject a named protocol bug (`sim bugs` lists them).
    #[arg(long, value_enum, hide_possible_values = true)]
    pub bug: Option<BugName>,
    /// The long-pause regime: some writer, compactor and worker pauses are held until the
    /// paused process's successor has flushed, compacted or checkpointed (drawn under
    /// swarm when absent).
    #[arg(long)]
    pub long_pauses: bool,
    /// Multiply every fault rate (store faults, process incidents, clock jumps) by this
    /// factor in 0..=1 (`sim shrink` uses it); default 1.
    #[arg(long)]
    pub fault_scale: Option<f64>,
    /// Share of puts, in 0..=1, that carry an expiry (a TTL of a twentieth to a third of
    /// the run's expected length); 0 turns TTL off. Default: drawn under swarm faults
    /// (half the runs), none otherwise; `ttl-series` always sets its own.
    #[arg(long)]
    pub ttl_share: Option<f64>,
    /// Print one JSON object instead of text.
    #[arg(long)]
    pub json: bool,
    /// Write the explanation page of the run's own C1 verdict here when C1 fails (the page
    /// `sim lincheck --html` draws: each key's operations, the search's deepest point).
    #[arg(long, value_name = "OUT.html")]
    pub html: Option<PathBuf>,
    /// Add the whole configuration (as JSON) to the text summary.
    #[arg(long, short = 'v')]
    pub verbose: bool,
    /// Write the run's trace to this file, one JSON object per line.
    #[arg(long)]
    pub trace: Option<PathBuf>,
    /// Run the seed twice, in fresh threads, and compare digests (check C6).
    #[arg(long)]
    pub check_determinism: bool,
    /// The clients' workload: a `workloads` preset name (an unknown name lists them);
    /// without it, uniform keys with the drawn get and delete shares.
    #[arg(long)]
    pub workload: Option<String>,
    /// C5: RocksDB-style write amplification target (default: the style's model).
    #[arg(long)]
    pub target_write_amp: Option<f64>,
    /// C5: space amplification target (default: the style's model).
    #[arg(long)]
    pub target_space_amp: Option<f64>,
    /// C5: SST data blocks per get, mean (default: the bloom filter model).
    #[arg(long)]
    pub target_read_blocks: Option<f64>,
    /// Skip C5 (amplification targets).
    #[arg(long)]
    pub no_c5: bool,
    /// With `--json`, include the timeline and distributions behind the reports' charts.
    #[arg(long)]
    pub series: bool,
    /// Cost model: the price table, a JSON file like sim/prices/s3-standard-us-east-1.json
    /// (the default, compiled in). Pricing never changes the run.
    #[arg(long)]
    pub prices: Option<PathBuf>,
    /// Cost model: where the writer runs relative to the bucket (default cross-region).
    #[arg(long, value_enum)]
    pub place_writer: Option<Region>,
    /// Cost model: where standalone compactors run (default in-region).
    #[arg(long, value_enum)]
    pub place_compactor: Option<Region>,
    /// Cost model: where the garbage collector runs (default in-region).
    #[arg(long, value_enum)]
    pub place_gc: Option<Region>,
    /// Cost model: where remote compaction workers run (default in-region).
    #[arg(long, value_enum)]
    pub place_workers: Option<Region>,
}

/// Runs one world per the arguments.
pub fn run(args: &RunArgs) -> ExitCode {
    let overrides = match overrides(args) {
        Ok(overrides) => overrides,
        Err(message) => {
            eprintln!("sim: {message}");
            return ExitCode::from(EXIT_USAGE);
        }
    };
    let pricing = match pricing(args) {
        Ok(pricing) => pricing,
        Err(message) => {
            eprintln!("sim: {message}");
            return ExitCode::from(EXIT_USAGE);
        }
    };
    let seed = args.seed.unwrap_or_else(seed_from_os);
    if args.seed.is_none() && !args.json {
        println!("seed {seed} (drawn from the OS)");
    }
    let config = WorldConfig::draw(seed, &overrides);
    let replay = replay_command(seed, args);
    let sink: Option<Box<dyn Write + Send>> = match &args.trace {
        None => None,
        Some(path) => match File::create(path) {
            Ok(file) => Some(Box::new(BufWriter::new(file))),
            Err(error) => {
                eprintln!("sim: cannot create trace file {}: {error}", path.display());
                return ExitCode::from(EXIT_USAGE);
            }
        },
    };
    let mut report = match world::run(config.clone(), sink, replay.clone()) {
        Ok(report) => report,
        Err(error @ world::WorldError::TraceIo(_)) => {
            eprintln!("sim: {error}");
            return ExitCode::from(EXIT_USAGE);
        }
        Err(error) => {
            eprintln!("sim: seed {seed}: {error}\nreplay: {replay}");
            return ExitCode::from(EXIT_CHECK_FAILED);
        }
    };
    if args.check_determinism {
        check_determinism(&mut report, config, replay);
    }
    if !args.series {
        report.series = None;
    }
    if let (Some((placement, prices)), Some(cost)) = (&pricing, report.cost.as_mut()) {
        cost.estimate = sim::cost::estimate(&cost.accounting, placement, prices);
    }
    if args.json {
        match serde_json::to_string(&report) {
            Ok(json) => println!("{json}"),
            Err(error) => {
                eprintln!("sim: the report does not serialize: {error}");
                return ExitCode::from(EXIT_CHECK_FAILED);
            }
        }
    } else {
        print!("{}", report.summary(args.verbose));
    }
    if let Some(path) = &args.html
        && let Err(message) = write_explanation(&report, path)
    {
        eprintln!("sim: {message}");
        return ExitCode::from(EXIT_USAGE);
    }
    if report.passed() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(EXIT_CHECK_FAILED)
    }
}

/// C6: the same seed again, on a fresh thread and runtime, must give the same digest.
fn check_determinism(report: &mut RunReport, config: WorldConfig, replay: String) {
    let again = world::run(config, None, replay);
    let failure = match again {
        Ok(again) if again.digest == report.digest => None,
        Ok(again) => Some(format!(
            "digest {} then {} ({} then {} trace events)",
            report.digest, again.digest, report.trace_events, again.trace_events
        )),
        Err(error) => Some(format!("the second run failed: {error}")),
    };
    report.checks.insert("C6".to_string(), failure.is_none());
    if let Some(detail) = failure {
        report.failures.push(world::Failure {
            check: "C6".to_string(),
            detail,
        });
        report.verdict = "fail".to_string();
    }
}

/// The placement and price table the options ask for; `None`: the defaults the run used.
fn pricing(args: &RunArgs) -> Result<Option<(Placement, PriceTable)>, String> {
    let places = [
        args.place_writer,
        args.place_compactor,
        args.place_gc,
        args.place_workers,
    ];
    if args.prices.is_none() && places.iter().all(Option::is_none) {
        return Ok(None);
    }
    let prices = match &args.prices {
        Some(path) => PriceTable::read(path).map_err(|error| error.to_string())?,
        None => PriceTable::default_table(),
    };
    let default = Placement::default();
    let placement = Placement {
        writer: args.place_writer.unwrap_or(default.writer),
        compactor: args.place_compactor.unwrap_or(default.compactor),
        gc: args.place_gc.unwrap_or(default.gc),
        workers: args.place_workers.unwrap_or(default.workers),
    };
    Ok(Some((placement, prices)))
}

/// Validates the options without running anything.
pub fn check_options(args: &RunArgs) -> Result<(), String> {
    pricing(args)?;
    overrides(args).map(|_| ())
}

/// The fixed options, validated. Options of protocols that do not exist yet are refused
/// with a message rather than silently ignored.
fn overrides(args: &RunArgs) -> Result<Overrides, String> {
    if let Some(ops) = args.ops
        && !(1..=OPS_MAX).contains(&ops)
    {
        return Err(format!("--ops must be in 1..={OPS_MAX}, not {ops}"));
    }
    if let Some(clients) = args.clients
        && !(1..=CLIENTS_MAX).contains(&clients)
    {
        return Err(format!(
            "--clients must be in 1..={CLIENTS_MAX}, not {clients}"
        ));
    }
    let style = args.style.map(|name| match name {
        StyleName::Leveled => WorldStyle::Leveled,
        StyleName::Universal => WorldStyle::Universal,
        StyleName::Fifo => WorldStyle::Fifo,
        // The strategy is fixed below or drawn from the seed.
        StyleName::Log => WorldStyle::Log(LogCompaction::Scan),
    });
    if args.log_compaction.is_some() && args.style != Some(StyleName::Log) {
        return Err("--log-compaction needs --style log".to_string());
    }
    let fault_scale_permille = match args.fault_scale {
        None => None,
        Some(scale) if (0.0..=1.0).contains(&scale) => Some((scale * 1000.0).round() as u32),
        Some(scale) => return Err(format!("--fault-scale must be in 0..=1, not {scale}")),
    };
    let ttl_share_permille = match args.ttl_share {
        None => None,
        Some(share) if (0.0..=1.0).contains(&share) => Some((share * 1000.0).round() as u32),
        Some(share) => return Err(format!("--ttl-share must be in 0..=1, not {share}")),
    };
    Ok(Overrides {
        ops: args.ops,
        clients: args.clients,
        style,
        log_compaction: args.log_compaction,
        faults: args.faults,
        topology: args.topology,
        durability: args.durability.map(Into::into),
        force_delete: args.force_delete,
        bug: args.bug.map(|BugName(bug)| bug),
        long_pauses: args.long_pauses,
        fault_scale_permille,
        workload: workload_override(args.workload.as_deref())?,
        ttl_share_permille,
        targets: target_overrides(args)?,
    })
}

/// The exact command that replays this run.
pub fn replay_command(seed: u64, args: &RunArgs) -> String {
    let mut command = format!("cargo run --release -p sim -- --seed {seed}");
    for option in option_args(args) {
        command.push(' ');
        command.push_str(&option);
    }
    command
}

/// The options that shape the world (everything but the seed and the output), as
/// command-line words: what a replay, a campaign's child or a shrink trial passes on.
pub fn option_args(args: &RunArgs) -> Vec<String> {
    let mut words = Vec::new();
    let mut push = |name: &str, value: Option<String>| {
        if let Some(value) = value {
            words.push(format!("--{name}"));
            words.push(value);
        }
    };
    push("ops", args.ops.map(|ops| ops.to_string()));
    push("clients", args.clients.map(|clients| clients.to_string()));
    push("style", args.style.map(value_name));
    push("log-compaction", args.log_compaction.map(value_name));
    push("faults", args.faults.map(value_name));
    push(
        "fault-scale",
        args.fault_scale.map(|scale| scale.to_string()),
    );
    push("topology", args.topology.map(value_name));
    push("durability", args.durability.map(value_name));
    if args.force_delete {
        words.push("--force-delete".to_string());
    }
    if args.long_pauses {
        words.push("--long-pauses".to_string());
    }
    let mut push = |name: &str, value: Option<String>| {
        if let Some(value) = value {
            words.push(format!("--{name}"));
            words.push(value);
        }
    };
    push("bug", args.bug.map(value_name));
    push("workload", args.workload.clone());
    push("ttl-share", args.ttl_share.map(|share| share.to_string()));
    push(
        "target-write-amp",
        args.target_write_amp.map(|v| v.to_string()),
    );
    push(
        "target-space-amp",
        args.target_space_amp.map(|v| v.to_string()),
    );
    push(
        "target-read-blocks",
        args.target_read_blocks.map(|v| v.to_string()),
    );
    if args.no_c5 {
        words.push("--no-c5".to_string());
    }
    words
}

/// How the command line spells `value`.
fn value_name<T: ValueEnum>(value: T) -> String {
    let possible = value.to_possible_value();
    assert!(possible.is_some(), "a skipped value was parsed");
    possible.map_or_else(String::new, |possible| possible.get_name().to_string())
}

/// A seed for a run nobody gave one: from the OS's randomness (through std's hasher keys).
fn seed_from_os() -> u64 {
    let mut hasher = RandomState::new().build_hasher();
    hasher.write_u64(0x5345_4449_4d45_4e54);
    hasher.finish()
}

/// `--workload`, checked against the presets.
fn workload_override(name: Option<&str>) -> Result<Option<String>, String> {
    let Some(name) = name else { return Ok(None) };
    if world::workload_names().contains(&name) {
        Ok(Some(name.to_string()))
    } else {
        Err(format!(
            "unknown --workload {name:?}; expected one of: {}",
            world::workload_names().join(", ")
        ))
    }
}

/// The C5 options, checked: targets are positive, finite numbers.
fn target_overrides(args: &RunArgs) -> Result<world::TargetOverrides, String> {
    let checked = |name: &str, value: Option<f64>| match value {
        Some(target) if !(target.is_finite() && target > 0.0) => {
            Err(format!("--{name} must be a positive number, not {target}"))
        }
        _ => Ok(value),
    };
    Ok(world::TargetOverrides {
        disabled: args.no_c5,
        write_amp: checked("target-write-amp", args.target_write_amp)?,
        space_amp: checked("target-space-amp", args.target_space_amp)?,
        read_blocks: checked("target-read-blocks", args.target_read_blocks)?,
    })
}

/// `--html`: the page of a failed C1; otherwise says (on stderr) why there is none.
fn write_explanation(report: &RunReport, path: &std::path::Path) -> Result<(), String> {
    let Some(section) = &report.c1_explanation else {
        let why = match (report.checks.get("C1"), report.checks_skipped.get("C1")) {
            (Some(true), _) => "C1 passed".to_string(),
            (_, Some(reason)) => format!("C1 did not run: {reason}"),
            _ => "C1 did not run".to_string(),
        };
        eprintln!("sim: {why}; no explanation page written");
        return Ok(());
    };
    let title = format!("sim --seed {}: C1", report.seed);
    let page = sim::lincheck::html::render_page(&title, std::slice::from_ref(section));
    std::fs::write(path, page)
        .map_err(|error| format!("{}: cannot write: {error}", path.display()))?;
    eprintln!("C1 explanation: {}", path.display());
    Ok(())
}
