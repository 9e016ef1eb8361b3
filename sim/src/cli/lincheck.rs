//! `sim lincheck`: checks recorded history files for linearizability and prints one line
//! per file: path, verdict, checking time in milliseconds (parsing excluded).

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use clap::{Args, ValueEnum};
use sim::lincheck::html::{HtmlSection, render_page};
use sim::lincheck::models::cas_register::CasRegisterModel;
use sim::lincheck::parse::{BYTE_ORDER_MARK, ParseError, jepsen, porcupine_kv, printable};
use sim::lincheck::{CheckOptions, CheckReport, Limits, Verdict, check};

use super::EXIT_USAGE;

/// Exit status when a history is not linearizable or its verdict is unknown.
const EXIT_NOT_LINEARIZABLE: u8 = 1;

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

/// Reads a file as UTF-8 (a leading byte-order mark is dropped), naming the line of the
/// first invalid byte; a file without a single event is malformed, not a passing history.
fn read_text(path: &Path) -> Result<String, FileError> {
    let bytes = std::fs::read(path).map_err(FileError::Unreadable)?;
    let mut text = utf8(bytes)?;
    if text.starts_with(BYTE_ORDER_MARK) {
        text.drain(..BYTE_ORDER_MARK.len_utf8());
    }
    if text.trim().is_empty() {
        let found = if text.is_empty() {
            "an empty file"
        } else {
            "only blank lines"
        };
        return Err(FileError::Malformed(ParseError::new(
            1,
            "a history (one event per line)",
            found,
        )));
    }
    Ok(text)
}

fn utf8(bytes: Vec<u8>) -> Result<String, FileError> {
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

/// Runs `sim lincheck`: exit 0 when every history is linearizable, 1 when one is not or its
/// verdict is unknown (a search bound was hit: never a pass), 2 when a file was unreadable
/// or malformed or the page could not be written (2 wins over 1).
pub fn run(args: &LincheckArgs) -> ExitCode {
    let options = CheckOptions {
        limits: Limits {
            max_steps: args.max_steps,
            max_cache_entries: args.max_cache_entries,
        },
        partition: !args.no_partition,
    };
    let mut failed = false;
    let mut not_linearizable = false;
    let mut sections = Vec::new();
    for path in &args.files {
        let shown = printable(&path.display().to_string());
        match check_file(path, args, &options) {
            Ok((report, ms, section)) => {
                println!("{shown}\t{}\t{ms:.3} ms", report.verdict.name());
                not_linearizable |= !matches!(report.verdict, Verdict::Linearizable);
                if args.explain {
                    let why = match &report.verdict {
                        Verdict::NotLinearizable(why) => why.to_string(),
                        Verdict::Unknown(why) => why.to_string(),
                        Verdict::Linearizable => String::new(),
                    };
                    // Keys and values come from the file: escaped, line by line.
                    for line in why.lines() {
                        println!("{}", printable(line));
                    }
                }
                sections.extend(section);
            }
            Err(FileError::Unreadable(err)) => {
                eprintln!("sim: {shown}: cannot read: {err}");
                failed = true;
            }
            Err(FileError::Malformed(err)) => {
                eprintln!(
                    "sim: {shown}:{}: expected {}, found `{}`",
                    err.line, err.expected, err.found
                );
                failed = true;
            }
        }
    }
    if let Some(out) = &args.html {
        let page = render_page("sim lincheck", &sections);
        if let Err(err) = std::fs::write(out, page) {
            eprintln!(
                "sim: {}: cannot write: {err}",
                printable(&out.display().to_string())
            );
            failed = true;
        }
    }
    if failed {
        ExitCode::from(EXIT_USAGE)
    } else if not_linearizable {
        ExitCode::from(EXIT_NOT_LINEARIZABLE)
    } else {
        ExitCode::SUCCESS
    }
}
