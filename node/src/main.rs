//! `sediment`: core's roles as real processes on a real bucket (DESIGN.md; issue #22).
//! Exit status: 0 done, 1 a failure at run time (fenced, store errors), 2 bad input (the
//! command line, the configuration file, the store URL).

mod checkpoint_cmd;
mod commands;
mod compactor;
mod config;
mod frame;
mod gc;
mod glob;
mod info;
mod inspect;
mod options;
mod remote_link;
mod remote_primary;
mod request;
mod resp;
mod role_error;
mod server;
mod store;
mod worker;
mod writer_batch;
mod writer_host;
mod writer_serve;

use clap::{Parser, Subcommand};
use config::Config;
use role_error::RoleError;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

#[derive(Parser)]
#[command(
    name = "sediment",
    about = "The Sediment LSM as real processes on a real bucket"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// The writer: a RESP server with group commit, flushes, checkpoints, and the embedded
    /// compactor unless --no-compactor.
    Serve {
        #[arg(short, long)]
        config: PathBuf,
        /// Leave compaction to `sediment compactor` (writes stall when L0 grows).
        #[arg(long)]
        no_compactor: bool,
    },
    /// The standalone compactor.
    Compactor {
        #[arg(short, long)]
        config: PathBuf,
        /// Compact until nothing is left to pick, then print bytes, seconds and MB/s as JSON.
        #[arg(long)]
        once: bool,
    },
    /// A remote compaction worker: connects to the primary (`serve` with
    /// `[lsm] compaction = "remote"`) at `[remote] listen` and runs the jobs it sends.
    Worker {
        #[arg(short, long)]
        config: PathBuf,
    },
    /// The garbage collector: one pass every gc_interval_ms.
    Gc {
        #[arg(short, long)]
        config: PathBuf,
    },
    /// The newest manifest and the bucket's contents.
    Inspect {
        #[arg(short, long)]
        config: PathBuf,
        #[arg(long)]
        json: bool,
    },
    /// Create or list checkpoints.
    Checkpoint {
        #[arg(short, long)]
        config: PathBuf,
        #[command(subcommand)]
        action: CheckpointAction,
    },
}

#[derive(Subcommand)]
enum CheckpointAction {
    Create,
    List,
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(error) => {
            let code = if error.use_stderr() { 2 } else { 0 };
            let _ = error.print();
            return ExitCode::from(code);
        }
    };
    let path = match &cli.command {
        Command::Serve { config, .. }
        | Command::Compactor { config, .. }
        | Command::Worker { config }
        | Command::Gc { config }
        | Command::Inspect { config, .. }
        | Command::Checkpoint { config, .. } => config.clone(),
    };
    let config = match Config::load(&path) {
        Ok(config) => config,
        Err(error) => {
            eprintln!("sediment: {error}");
            return ExitCode::from(2);
        }
    };
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("sediment: cannot start the runtime: {error}");
            return ExitCode::from(1);
        }
    };
    match runtime.block_on(run(cli.command, config)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("sediment: {error}");
            ExitCode::from(error.exit_code())
        }
    }
}

/// Distinguishes this process's write tags from every other process's.
fn process_tag(role: &str) -> String {
    let now_ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |since| since.as_millis());
    format!("{role}-p{}-t{now_ms}", std::process::id())
}

async fn run(command: Command, config: Config) -> Result<(), RoleError> {
    match command {
        Command::Serve { no_compactor, .. } => serve(&config, no_compactor).await,
        Command::Compactor { once, .. } => {
            compactor::run_compactor(&config, &process_tag("compactor"), once).await
        }
        Command::Worker { .. } => {
            if config.lsm.compaction != config::Compaction::Remote {
                return Err(RoleError::Usage(
                    "`sediment worker` needs `[lsm] compaction = \"remote\"`".to_string(),
                ));
            }
            worker::run_worker(&config, &process_tag("worker")).await
        }
        Command::Gc { .. } => gc::run_gc(&config, &process_tag("gc")).await,
        Command::Inspect { json, .. } => {
            let report = inspect::inspect(&config).await?;
            if json {
                println!("{report:#}");
            } else {
                print!("{}", inspect::render_text(&report));
            }
            Ok(())
        }
        Command::Checkpoint { action, .. } => match action {
            CheckpointAction::Create => {
                let made = checkpoint_cmd::create(&config, &process_tag("checkpoint")).await?;
                println!(
                    "checkpoint {} {} -> manifest v{}",
                    made.id, made.name, made.manifest_version.0
                );
                Ok(())
            }
            CheckpointAction::List => {
                for listed in checkpoint_cmd::list(&config).await? {
                    println!(
                        "checkpoint {} {} -> manifest v{} created_at_ms={} expires_at_ms={:?}",
                        listed.id,
                        listed.name,
                        listed.manifest_version.0,
                        listed.created_at_ms,
                        listed.expires_at_ms
                    );
                }
                Ok(())
            }
        },
    }
}

/// Binds first (a taken port fails fast), then opens the writer and serves.
async fn serve(config: &Config, no_compactor: bool) -> Result<(), RoleError> {
    let remote = config.lsm.compaction == config::Compaction::Remote;
    if remote && no_compactor {
        return Err(RoleError::Usage(
            "--no-compactor contradicts `[lsm] compaction = \"remote\"` (the writer is the workers' primary)"
                .to_string(),
        ));
    }
    let store = store::open_store(config).map_err(RoleError::Store)?;
    let listener = bind(&config.server.listen).await?;
    let (remote_link, workers_accepted) = if remote {
        let (link, accepting) = listen_for_workers(config).await?;
        (Some(link), Some(accepting))
    } else {
        (None, None)
    };
    let clock = stores::SystemClock::new();
    let host = writer_host::WriterHost {
        store,
        clock,
        options: options::writer_options(config, no_compactor),
        schedule: options::schedule(config),
        process_tag: process_tag("writer"),
    };
    let (sender, receiver) = tokio::sync::mpsc::channel(REQUEST_QUEUE_MAX);
    let writer_task = writer_host::spawn_writer_thread(host, receiver, remote_link)
        .map_err(|error| RoleError::Io(format!("cannot start the writer thread: {error}")))?;
    eprintln!("sediment: serving RESP on {}", config.server.listen);
    let dispatcher = Arc::new(commands::Dispatcher {
        writer: sender,
        clock,
    });
    tokio::select! {
        accepted = server::accept_loop(listener, dispatcher) => {
            accepted.map_err(|error| RoleError::Io(format!("accept: {error}")))
        }
        Some(accepted) = async { match workers_accepted {
            Some(task) => Some(task.await),
            None => std::future::pending().await,
        } } => Err(RoleError::Io(format!("accepting workers stopped: {accepted:?}"))),
        stopped = writer_task => match stopped {
            Ok(stop) => Err(RoleError::Io(format!("the writer stopped: {stop:?}"))),
            Err(_) => Err(RoleError::Io("the writer thread died".to_string())),
        },
    }
}

async fn bind(address: &str) -> Result<tokio::net::TcpListener, RoleError> {
    tokio::net::TcpListener::bind(address)
        .await
        .map_err(|error| RoleError::Io(format!("bind {address}: {error}")))
}

/// Listens for remote workers on `[remote] listen`; the link goes to the writer, the task
/// accepts workers for the life of the process.
async fn listen_for_workers(
    config: &Config,
) -> Result<
    (
        remote_primary::RemoteLink,
        tokio::task::JoinHandle<std::io::Result<()>>,
    ),
    RoleError,
> {
    let listener = bind(&config.remote.listen).await?;
    let pool = Arc::new(remote_link::WorkerPool::default());
    let (results_sender, results) = tokio::sync::mpsc::unbounded_channel();
    let accepting = tokio::spawn(remote_link::accept_workers(
        listener,
        pool.clone(),
        results_sender,
    ));
    eprintln!(
        "sediment: remote compaction: workers connect to {}",
        config.remote.listen
    );
    let link = remote_primary::RemoteLink {
        options: options::remote_options(config),
        pool,
        results,
    };
    Ok((link, accepting))
}

/// Requests queued for the writer before connections wait (back-pressure).
const REQUEST_QUEUE_MAX: usize = 16_384;
