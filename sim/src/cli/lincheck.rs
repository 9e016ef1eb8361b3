//! `sim lincheck`: checks recorded history files for linearizability and prints one line
//! per file: path, verdict, checking time in milliseconds (parsing excluded).

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use clap::{Args, ValueEnum};
use sim::lincheck::html::{HtmlSection, render_page};
use sim::lincheck::models::cas_register::CasRegisterModel;
use sim::lincheck::parse::{ParseError, jepsen, porcupine_kv};
use sim::lincheck::{CheckOptions, CheckReport, Limits, Verdict, check};

use super::EXIT_USAGE;

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Jepsen etcd logs: one compare-and-set register.
    JepsenEtcd,
    /// Porcupine kv histories: string keys with get, put and append.
    PorcupineKv,
}

#[derive(Debug, Args)]
pub struct LincheckArgs {
    /// Format of every FILE.
    #[arg(long, value_enum)]
    pub format: Format,
    /// Check each history as a whole instead of per key.
    #[arg(long)]
    pub no_partition: bool,
    /// Write one self-contained HTML page showing every history checked.
    #[arg(long, value_name = "OUT.html")]
    pub html: Option<PathBuf>,
    /// Print why, under the line of each history that is not linearizable.
    #[arg(long)]
    pub explain: bool,
    /// Search steps per partition before the verdict is `unknown`.
    #[arg(long, default_value_t = Limits::default().max_steps)]
    pub max_steps: u64,
    /// Explored configurations kept per partition (the memory bound) before `unknown`.
    #[arg(long, default_value_t = Limits::default().max_cache_entries)]
    pub max_cache_entries: usize,
    /// History files.
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<PathBuf>,
}

/// Why a file could not be checked; printed as `sim: <path>:<line>: ...`.
enum FileError {
    Unreadable(std::io::Error),
    Malformed(ParseError),
}

/// Reads a file as UTF-8, naming the line of the first invalid byte.
fn read_text(path: &Path) -> Result<String, FileError> {
    let bytes = std::fs::read(path).map_err(FileError::Unreadable)?;
    String::from_utf8(bytes).map_err(|err| {
        let valid = err.utf8_error().valid_up_to();
        let bytes = err.as_bytes();
        let line = bytes
            .get(..valid)
            .unwrap_or(bytes)
            .iter()
            .filter(|&&b| b == b'\n')
            .count()
            + 1;
        FileError::Malformed(ParseError::new(line, "UTF-8 text", "an invalid byte"))
    })
}

/// Parses and checks one file; the time covers the check only.
fn check_file(
    path: &Path,
    args: &LincheckArgs,
    options: &CheckOptions,
) -> Result<(CheckReport, f64, Option<HtmlSection>), FileError> {
    let text = read_text(path)?;
    let title = path.display().to_string();
    match args.format {
        Format::JepsenEtcd => {
            let history = jepsen::parse(&text).map_err(FileError::Malformed)?;
            let start = Instant::now();
            let report = check(&CasRegisterModel, &history, options);
            let ms = start.elapsed().as_secs_f64() * 1000.0;
            let section = args
                .html
                .as_ref()
                .map(|_| HtmlSection::new(&title, &CasRegisterModel, &history, &report));
            Ok((report, ms, section))
        }
        Format::PorcupineKv => {
            let parsed = porcupine_kv::parse(&text).map_err(FileError::Malformed)?;
            let start = Instant::now();
            let report = check(&parsed.model, &parsed.history, options);
            let ms = start.elapsed().as_secs_f64() * 1000.0;
            let section = args
                .html
                .as_ref()
                .map(|_| HtmlSection::new(&title, &parsed.model, &parsed.history, &report));
            Ok((report, ms, section))
        }
    }
}

/// Runs `sim lincheck`: exit 0 when every file was read and checked (whatever the
/// verdicts), 2 when a file was unreadable or malformed or the page could not be written.
pub fn run(args: &LincheckArgs) -> ExitCode {
    let options = CheckOptions {
        limits: Limits {
            max_steps: args.max_steps,
            max_cache_entries: args.max_cache_entries,
        },
        partition: !args.no_partition,
    };
    let mut failed = false;
    let mut sections = Vec::new();
    for path in &args.files {
        match check_file(path, args, &options) {
            Ok((report, ms, section)) => {
                println!("{}\t{}\t{ms:.3} ms", path.display(), report.verdict.name());
                if args.explain {
                    match &report.verdict {
                        Verdict::NotLinearizable(why) => print!("{why}"),
                        Verdict::Unknown(why) => println!("{why}"),
                        Verdict::Linearizable => {}
                    }
                }
                sections.extend(section);
            }
            Err(FileError::Unreadable(err)) => {
                eprintln!("sim: {}: cannot read: {err}", path.display());
                failed = true;
            }
            Err(FileError::Malformed(err)) => {
                eprintln!(
                    "sim: {}:{}: expected {}, found `{}`",
                    path.display(),
                    err.line,
                    err.expected,
                    err.found
                );
                failed = true;
            }
        }
    }
    if let Some(out) = &args.html {
        let page = render_page("sim lincheck", &sections);
        if let Err(err) = std::fs::write(out, page) {
            eprintln!("sim: {}: cannot write: {err}", out.display());
            failed = true;
        }
    }
    if failed {
        ExitCode::from(EXIT_USAGE)
    } else {
        ExitCode::SUCCESS
    }
}
