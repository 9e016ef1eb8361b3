//! A campaign's results file (`--out`): JSON lines, a header line recording the run options
//! (and the seeds and shard) first, then one line per finished seed. Appending only, one
//! whole line per write, so a campaign killed mid-write leaves at most a torn last line.
//! Reading classifies every line, so that `--resume` and `campaign merge` can refuse a file
//! that would lose or mix results instead of skipping what they cannot read.

use super::child::SeedResult;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::Path;

/// Version of the header's fields.
pub const FORMAT: u32 = 1;
/// Problem lines named in full in a message; the rest are counted.
const LINES_NAMED_MAX: usize = 10;

/// What every seed of a campaign ran with: the first line of its results file, and again
/// whenever a resume widens the seeds.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Header {
    pub format: u32,
    /// The run options each child got after `--seed N --json`, in a fixed order (what a
    /// resume and a merge must match).
    pub options: Vec<String>,
    /// `--seeds` as given.
    pub seeds: String,
    /// `--shard K/N` as given.
    pub shard: Option<String>,
}

#[derive(Serialize, Deserialize)]
struct HeaderLine {
    campaign: Header,
}

impl Header {
    /// The header as one line, newline included.
    pub fn line(&self) -> Result<String, String> {
        let line = HeaderLine {
            campaign: self.clone(),
        };
        serde_json::to_string(&line)
            .map(|json| json + "\n")
            .map_err(|error| format!("the header does not serialize: {error}"))
    }
}

/// A result as one line, newline included (written with one call, so never half-glued).
pub fn result_line(result: &SeedResult) -> Result<String, String> {
    serde_json::to_string(result)
        .map(|json| json + "\n")
        .map_err(|error| format!("a result does not serialize: {error}"))
}

/// A line that is neither a header nor a result.
#[derive(Clone, Debug, PartialEq)]
pub struct BadLine {
    /// 1-based.
    pub line: usize,
    pub reason: String,
}

/// A last line without its newline: the campaign stopped while writing it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Torn {
    pub line: usize,
    /// Where the torn line starts: the file's length once it is cut off.
    pub offset_bytes: u64,
}

/// Every line of a results file, classified.
#[derive(Clone, Debug, Default)]
pub struct ResultsFile {
    /// (line, header), in file order.
    pub headers: Vec<(usize, Header)>,
    /// (line, result), the first line of each seed only.
    pub results: Vec<(usize, SeedResult)>,
    pub bad_lines: Vec<BadLine>,
    pub torn: Option<Torn>,
}

impl ResultsFile {
    /// Classifies the bytes of a results file (blank lines are ignored).
    pub fn parse(bytes: &[u8]) -> ResultsFile {
        let mut file = ResultsFile::default();
        let mut first_line_of_seed = BTreeMap::new();
        let mut offset = 0usize;
        for (index, line) in bytes.split_inclusive(|&byte| byte == b'\n').enumerate() {
            let number = index + 1;
            let start = offset;
            offset += line.len();
            let Some(line) = line.strip_suffix(b"\n") else {
                file.torn = Some(Torn {
                    line: number,
                    offset_bytes: start as u64,
                });
                break;
            };
            let Ok(text) = std::str::from_utf8(line) else {
                file.bad(number, "not UTF-8 text".to_string());
                continue;
            };
            if text.trim().is_empty() {
                continue;
            }
            match classify(text) {
                Ok(Line::Header(header)) => file.headers.push((number, header)),
                Ok(Line::Result(result)) => match first_line_of_seed.get(&result.seed) {
                    Some(first) => {
                        let reason = format!("seed {} again (first on line {first})", result.seed);
                        file.bad(number, reason);
                    }
                    None => {
                        first_line_of_seed.insert(result.seed, number);
                        file.results.push((number, result));
                    }
                },
                Err(reason) => file.bad(number, reason),
            }
        }
        file
    }

    /// Reads and classifies a file; a missing file is an empty one.
    pub fn read(path: &Path) -> Result<ResultsFile, String> {
        match std::fs::read(path) {
            Ok(bytes) => Ok(ResultsFile::parse(&bytes)),
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
                Ok(ResultsFile::default())
            }
            Err(error) => Err(format!("cannot read {}: {error}", path.display())),
        }
    }

    fn bad(&mut self, line: usize, reason: String) {
        self.bad_lines.push(BadLine { line, reason });
    }

    /// Whether the file holds anything but blank lines and a torn tail.
    pub fn is_empty(&self) -> bool {
        self.headers.is_empty() && self.results.is_empty() && self.bad_lines.is_empty()
    }

    /// The campaign the file was last run as.
    pub fn last_header(&self) -> Option<&Header> {
        self.headers.last().map(|(_, header)| header)
    }

    /// The bad lines as one message: `FILE: line 3: ...; line 9: ...`.
    pub fn bad_lines_message(&self, path: &Path) -> String {
        let mut named: Vec<String> = self
            .bad_lines
            .iter()
            .take(LINES_NAMED_MAX)
            .map(|bad| format!("line {}: {}", bad.line, bad.reason))
            .collect();
        if self.bad_lines.len() > LINES_NAMED_MAX {
            named.push(format!(
                "and {} more",
                self.bad_lines.len() - LINES_NAMED_MAX
            ));
        }
        let count = match self.bad_lines.len() {
            1 => "1 line is not a result".to_string(),
            lines => format!("{lines} lines are not results"),
        };
        format!("{}: {count}: {}", path.display(), named.join("; "))
    }

    /// The first header whose options differ from `options`, if any.
    pub fn other_options(&self, options: &[String]) -> Option<(usize, &Header)> {
        self.headers
            .iter()
            .find(|(_, header)| header.options != options)
            .map(|(line, header)| (*line, header))
    }
}

enum Line {
    Header(Header),
    Result(SeedResult),
}

fn classify(text: &str) -> Result<Line, String> {
    let value: serde_json::Value =
        serde_json::from_str(text).map_err(|error| format!("not JSON ({error})"))?;
    if value.get("campaign").is_some() {
        let header: HeaderLine = serde_json::from_value(value)
            .map_err(|error| format!("not a campaign header ({error})"))?;
        if header.campaign.format != FORMAT {
            return Err(format!(
                "header format {} (this sim reads {FORMAT})",
                header.campaign.format
            ));
        }
        return Ok(Line::Header(header.campaign));
    }
    let result: SeedResult =
        serde_json::from_value(value).map_err(|error| format!("not a seed's result ({error})"))?;
    if result.verdict != "pass" && result.verdict != "fail" {
        return Err(format!(
            "verdict {:?} (expected \"pass\" or \"fail\")",
            result.verdict
        ));
    }
    Ok(Line::Result(result))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn result(seed: u64) -> SeedResult {
        SeedResult {
            seed,
            verdict: "pass".to_string(),
            failures: Vec::new(),
            replay: format!("sim --seed {seed}"),
            wall_time_s: 1.0,
            sim_time_s: 2.0,
            digest: "d".to_string(),
            faults: BTreeMap::new(),
            coverage: BTreeMap::new(),
        }
    }

    fn header() -> Header {
        Header {
            format: FORMAT,
            options: vec!["--ops".to_string(), "300".to_string()],
            seeds: "0..4".to_string(),
            shard: None,
        }
    }

    #[test]
    fn a_whole_file_reads_back() {
        let mut text = header().line().unwrap();
        for seed in 0..3 {
            text.push_str(&result_line(&result(seed)).unwrap());
        }
        let file = ResultsFile::parse(text.as_bytes());
        assert_eq!(file.headers, vec![(1, header())]);
        assert_eq!(file.results.len(), 3);
        assert_eq!(file.results[2], (4, result(2)));
        assert!(file.bad_lines.is_empty());
        assert_eq!(file.torn, None);
    }

    #[test]
    fn a_torn_tail_is_found_where_it_starts() {
        let mut text = header().line().unwrap();
        text.push_str(&result_line(&result(0)).unwrap());
        let whole = text.len() as u64;
        let next = result_line(&result(1)).unwrap();
        text.push_str(&next[..next.len() / 2]);
        let file = ResultsFile::parse(text.as_bytes());
        assert_eq!(
            file.torn,
            Some(Torn {
                line: 3,
                offset_bytes: whole
            })
        );
        assert_eq!(file.results.len(), 1);
        // A complete JSON object without its newline is torn too (the write was cut).
        let file = ResultsFile::parse(next.trim_end().as_bytes());
        assert_eq!(file.torn.map(|torn| torn.line), Some(1));
        assert!(file.results.is_empty());
    }

    #[test]
    fn garbage_duplicates_and_bad_verdicts_are_named_by_line() {
        let mut text = header().line().unwrap();
        text.push_str(&result_line(&result(0)).unwrap());
        text.push_str("not json\n\n");
        text.push_str(&result_line(&result(0)).unwrap());
        text.push_str(
            &result_line(&result(1))
                .unwrap()
                .replace("\"pass\"", "\"ok\""),
        );
        text.push_str("{\"seed\":1}\n");
        let file = ResultsFile::parse(text.as_bytes());
        let lines: Vec<usize> = file.bad_lines.iter().map(|bad| bad.line).collect();
        assert_eq!(lines, vec![3, 5, 6, 7]);
        assert!(file.bad_lines[1].reason.contains("first on line 2"));
        let message = file.bad_lines_message(Path::new("r.jsonl"));
        assert!(message.starts_with("r.jsonl: 4 lines are not results: line 3: not JSON"));
    }

    #[test]
    fn options_are_compared_header_by_header() {
        let mut other = header();
        other.options.push("--bug".to_string());
        let text = header().line().unwrap() + &other.line().unwrap();
        let file = ResultsFile::parse(text.as_bytes());
        assert_eq!(file.other_options(&header().options), Some((2, &other)));
        assert_eq!(file.last_header(), Some(&other));
    }

    /// Found by the `campaign_jsonl` fuzz target: without serde_json's `float_roundtrip`, a
    /// time read back from a results file could differ from the one written in its last
    /// bit, so a resumed or merged campaign reported a figure its seeds never produced.
    #[test]
    fn a_time_reads_back_to_the_same_bits() {
        let digits = format!(
            "41{}2049638230412172395.5",
            "7".repeat(14) + &"0".repeat(100)
        );
        let line = format!(
            "{{\"seed\":3,\"verdict\":\"pass\",\"failures\":[],\"replay\":\"r\",\"wall_time_s\":1.25,\"sim_time_s\":{digits},\"digest\":\"d\",\"faults\":{{}},\"coverage\":{{}}}}\n"
        );
        let file = ResultsFile::parse(line.as_bytes());
        let read = &file.results[0].1;
        let again: SeedResult = serde_json::from_str(&result_line(read).unwrap()).unwrap();
        assert_eq!(again.sim_time_s.to_bits(), read.sim_time_s.to_bits());
    }
}
