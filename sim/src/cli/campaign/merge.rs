//! `sim campaign merge FILE...`: the results files of a campaign's shards (each machine's
//! `--out`) as one summary — the same a single machine would have printed. Refused: a torn
//! or unreadable line, files run with different options, a seed in two files, and (unless
//! `--partial`) a seed of a file's campaign that no file holds (a shard's campaign is its
//! whole `--seeds` range: every other shard is expected too).

use super::child::SeedResult;
use super::results_file::{Header, ResultsFile};
use super::seeds::{self, Shard};
use super::summary::Summary;
use crate::cli::EXIT_USAGE;
use clap::Args;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// Missing seeds named in the message; the rest are counted.
const MISSING_NAMED_MAX: usize = 10;

#[derive(Clone, Debug, Args)]
pub struct MergeArgs {
    /// Print the summary as one JSON object.
    #[arg(long)]
    pub json: bool,
    /// Sum what the files hold even if some selected seeds have no result yet (a shard
    /// still running or stopped); the summary says how many are missing.
    #[arg(long)]
    pub partial: bool,
    /// Results files written by `sim campaign --out` (one per shard).
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<PathBuf>,
}

pub fn run(args: &MergeArgs) -> ExitCode {
    let merged = match merge(&args.files, args.partial) {
        Ok(merged) => merged,
        Err(message) => {
            eprintln!("sim campaign merge: {message}");
            return ExitCode::from(EXIT_USAGE);
        }
    };
    let summary = Summary::merged(&merged.results, args.files.len(), merged.missing);
    if args.json {
        match serde_json::to_string(&summary) {
            Ok(json) => println!("{json}"),
            Err(error) => eprintln!("sim campaign merge: the summary does not serialize: {error}"),
        }
    } else {
        print!("{}", summary.text(&merged.title));
    }
    if summary.failed > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

struct Merged {
    title: String,
    results: Vec<SeedResult>,
    missing: u64,
}

/// Where a seed's result came from, for the message about a seed in two files.
struct Origin<'a> {
    path: &'a Path,
    line: usize,
}

fn merge(paths: &[PathBuf], partial: bool) -> Result<Merged, String> {
    let mut options: Option<(&Path, Vec<String>)> = None;
    let mut expected = BTreeSet::new();
    let mut origins: BTreeMap<u64, Origin> = BTreeMap::new();
    let mut results = Vec::new();
    // --seeds of each file → the shards given with it.
    let mut campaigns: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for path in paths {
        let file = read_whole(path)?;
        let Some(last) = file.last_header().cloned() else {
            return Err(format!(
                "{}: no header line: not a results file of `sim campaign --out`",
                path.display()
            ));
        };
        let (first_path, first_options) =
            options.get_or_insert_with(|| (path.as_path(), last.options.clone()));
        if let Some((line, other)) = file.other_options(first_options) {
            return Err(format!(
                "{}:{line}: run with the options [{}], but {} with [{}]: results of \
                 different campaigns do not merge",
                path.display(),
                other.options.join(" "),
                first_path.display(),
                first_options.join(" ")
            ));
        }
        let (selected, campaign) = selection(path, &last)?;
        campaigns
            .entry(last.seeds.clone())
            .or_default()
            .extend(last.shard.clone());
        let mut outside = 0u64;
        for (line, result) in file.results {
            if !selected.contains(&result.seed) {
                outside += 1;
                continue;
            }
            if let Some(first) = origins.get(&result.seed) {
                return Err(format!(
                    "seed {} is in {}:{} and in {}:{line}: shards overlap",
                    result.seed,
                    first.path.display(),
                    first.line,
                    path.display()
                ));
            }
            origins.insert(result.seed, Origin { path, line });
            results.push(result);
        }
        if outside > 0 {
            eprintln!(
                "sim campaign merge: {}: {outside} results outside its campaign's seeds \
                 ({}) left out",
                path.display(),
                campaign_words(&last)
            );
        }
        // A shard's campaign is its whole range: the other shards are expected too.
        expected.extend(campaign);
    }
    let missing: Vec<u64> = expected
        .iter()
        .filter(|seed| !origins.contains_key(seed))
        .copied()
        .collect();
    if !missing.is_empty() {
        let named: Vec<String> = missing
            .iter()
            .take(MISSING_NAMED_MAX)
            .map(u64::to_string)
            .collect();
        let message = format!(
            "{} of {} seeds have no result (seeds {}{}): a shard is missing or was stopped",
            missing.len(),
            expected.len(),
            named.join(", "),
            if missing.len() > MISSING_NAMED_MAX {
                ", ..."
            } else {
                ""
            }
        );
        if !partial {
            return Err(format!(
                "{message}; resume it (--resume), or add --partial to merge what there is"
            ));
        }
        eprintln!("sim campaign merge: {message}");
    }
    let options = options.map(|(_, options)| options).unwrap_or_default();
    let campaigns: Vec<String> = campaigns
        .into_iter()
        .map(|(seeds, shards)| match shards.is_empty() {
            true => format!("--seeds {seeds}"),
            false => format!("--seeds {seeds} --shard {}", shards.join(",")),
        })
        .collect();
    let mut title = format!("merge of {} files: {}", paths.len(), campaigns.join("; "));
    if !options.is_empty() {
        title.push(' ');
        title.push_str(&options.join(" "));
    }
    title.push_str(&format!(" ({} seeds)", expected.len()));
    Ok(Merged {
        title,
        results,
        missing: missing.len() as u64,
    })
}

/// A shard's file, refused if any line of it cannot be used.
fn read_whole(path: &Path) -> Result<ResultsFile, String> {
    let bytes =
        std::fs::read(path).map_err(|error| format!("cannot read {}: {error}", path.display()))?;
    let file = ResultsFile::parse(&bytes);
    if let Some(torn) = file.torn {
        return Err(format!(
            "{}:{}: the last line is torn (that campaign stopped while writing it): resume it \
             (--resume) to run its seed again",
            path.display(),
            torn.line
        ));
    }
    if !file.bad_lines.is_empty() {
        return Err(file.bad_lines_message(path));
    }
    Ok(file)
}

/// The seeds a file's header selects, and those of the whole campaign it is a shard of.
fn selection(path: &Path, header: &Header) -> Result<(BTreeSet<u64>, Vec<u64>), String> {
    let bad = |message: String| format!("{}: header: {message}", path.display());
    let range = seeds::parse_range(&header.seeds).map_err(bad)?;
    let shard = header
        .shard
        .as_deref()
        .map(Shard::parse)
        .transpose()
        .map_err(bad)?;
    let selected = seeds::select(range, shard).into_iter().collect();
    Ok((selected, seeds::select(range, None)))
}

/// `--seeds 0..100 --shard 2/4`.
fn campaign_words(header: &Header) -> String {
    match &header.shard {
        Some(shard) => format!("--seeds {} --shard {shard}", header.seeds),
        None => format!("--seeds {}", header.seeds),
    }
}
