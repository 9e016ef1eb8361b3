//! A campaign's progress on stderr: a bar on a terminal; elsewhere (CI, a log file) one
//! line every few seeds or every 10 s with the seeds done, the failures, the speed and
//! the time left; nothing with `--quiet`.

use indicatif::{ProgressBar, ProgressStyle};
use std::io::IsTerminal;
use std::time::{Duration, Instant};

/// Longest silence between two progress lines.
pub const LINE_EVERY: Duration = Duration::from_secs(10);
/// Progress lines due by seed count over a whole campaign (one per 5%).
const LINES_BY_COUNT: u64 = 20;

/// The figures one progress line shows.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Figures {
    pub done: u64,
    pub total: u64,
    pub failed: u64,
    pub elapsed: Duration,
}

impl Figures {
    /// Seeds per minute so far.
    pub fn seeds_per_minute(&self) -> f64 {
        let seconds = self.elapsed.as_secs_f64();
        if seconds <= 0.0 {
            0.0
        } else {
            self.done as f64 * 60.0 / seconds
        }
    }

    /// `campaign: 40/200 seeds (20%), 1 failed, 35.2 seeds/min, ETA 4m 33s`.
    pub fn line(&self) -> String {
        let percent = (self.done * 100).checked_div(self.total).unwrap_or(100);
        let speed = self.seeds_per_minute();
        let eta = if self.done == self.total {
            "done".to_string()
        } else if speed > 0.0 {
            let left_s = (self.total - self.done) as f64 * 60.0 / speed;
            format!("ETA {}", duration_text(left_s))
        } else {
            "ETA unknown".to_string()
        };
        format!(
            "campaign: {}/{} seeds ({percent}%), {} failed, {speed:.1} seeds/min, {eta}",
            self.done, self.total, self.failed
        )
    }
}

/// `4m 33s`, `2h 05m`, `12s`.
pub fn duration_text(seconds: f64) -> String {
    let seconds = seconds.max(0.0).round() as u64;
    match seconds {
        0..60 => format!("{seconds}s"),
        60..3600 => format!("{}m {:02}s", seconds / 60, seconds % 60),
        _ => format!("{}h {:02}m", seconds / 3600, seconds % 3600 / 60),
    }
}

/// Seeds between two progress lines due by count.
pub fn seeds_per_line(total: u64) -> u64 {
    total.div_ceil(LINES_BY_COUNT).max(1)
}

/// Whether a line is due: `seeds_per_line` more seeds done since the last line, the last
/// seed done, or `LINE_EVERY` passed (a heartbeat while long seeds run).
pub fn line_due(done: u64, total: u64, done_at_last_line: u64, since_last_line: Duration) -> bool {
    let new = done > done_at_last_line;
    done == total && new
        || done >= done_at_last_line + seeds_per_line(total)
        || since_last_line >= LINE_EVERY
}

pub enum Progress {
    Hidden,
    Bar(ProgressBar),
    Lines {
        total: u64,
        started: Instant,
        last_line: Instant,
        done_at_last_line: u64,
    },
}

impl Progress {
    pub fn new(total: u64, quiet: bool) -> Progress {
        if quiet {
            return Progress::Hidden;
        }
        if !std::io::stderr().is_terminal() {
            let now = Instant::now();
            return Progress::Lines {
                total,
                started: now,
                last_line: now,
                done_at_last_line: 0,
            };
        }
        let bar = ProgressBar::new(total);
        if let Ok(style) = ProgressStyle::with_template(
            "{elapsed_precise} [{bar:40}] {pos}/{len} seeds, {msg} ({eta} left)",
        ) {
            bar.set_style(style.progress_chars("=> "));
        }
        Progress::Bar(bar)
    }

    /// A line that must be seen (a failing seed), above the bar if there is one.
    pub fn println(&self, text: &str) {
        match self {
            Progress::Hidden => {}
            Progress::Bar(bar) => bar.println(text),
            Progress::Lines { .. } => eprintln!("{text}"),
        }
    }

    /// Called with the counts after each result and on every idle tick.
    pub fn update(&mut self, done: u64, failed: u64) {
        match self {
            Progress::Hidden => {}
            Progress::Bar(bar) => {
                bar.set_message(format!("{failed} failed"));
                bar.set_position(done);
            }
            Progress::Lines {
                total,
                started,
                last_line,
                done_at_last_line,
            } => {
                if !line_due(done, *total, *done_at_last_line, last_line.elapsed()) {
                    return;
                }
                let figures = Figures {
                    done,
                    total: *total,
                    failed,
                    elapsed: started.elapsed(),
                };
                eprintln!("{}", figures.line());
                *last_line = Instant::now();
                *done_at_last_line = done;
            }
        }
    }

    pub fn finish(&self) {
        if let Progress::Bar(bar) = self {
            bar.finish_and_clear();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_line_shows_counts_speed_and_time_left() {
        let figures = Figures {
            done: 40,
            total: 200,
            failed: 1,
            elapsed: Duration::from_secs(60),
        };
        assert_eq!(
            figures.line(),
            "campaign: 40/200 seeds (20%), 1 failed, 40.0 seeds/min, ETA 4m 00s"
        );
        let end = Figures {
            done: 200,
            ..figures
        };
        assert!(end.line().ends_with("seeds/min, done"), "{}", end.line());
        assert_eq!(duration_text(7_530.0), "2h 05m");
        assert_eq!(duration_text(12.4), "12s");
    }

    #[test]
    fn lines_come_every_twentieth_of_the_seeds_or_every_ten_seconds() {
        assert_eq!(seeds_per_line(10_000), 500);
        assert_eq!(seeds_per_line(4), 1);
        let quick = Duration::from_secs(1);
        assert!(!line_due(499, 10_000, 0, quick));
        assert!(line_due(500, 10_000, 0, quick));
        assert!(line_due(501, 10_000, 500, LINE_EVERY));
        assert!(line_due(10_000, 10_000, 9_990, quick));
        assert!(!line_due(10_000, 10_000, 10_000, quick));
    }
}
