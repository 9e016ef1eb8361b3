//! Which seeds a campaign runs: `--seeds A..B` (B excluded) or `A..=B`, narrowed by
//! `--shard K/N` to the seeds with `seed % N == K - 1` (K counts from 1, as CI matrices do),
//! so N machines given shards 1/N .. N/N cover the range exactly once between them.

/// Most seeds one campaign may select (a bound on memory and on the result file).
pub const SEEDS_MAX: u64 = 10_000_000;

/// One shard of N.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Shard {
    /// 1..=count
    pub index: u64,
    pub count: u64,
}

impl Shard {
    pub fn parse(text: &str) -> Result<Shard, String> {
        let usage = || format!("--shard {text:?}: expected K/N with 1 <= K <= N");
        let (index, count) = text.split_once('/').ok_or_else(usage)?;
        let index: u64 = index.trim().parse().map_err(|_| usage())?;
        let count: u64 = count.trim().parse().map_err(|_| usage())?;
        if count == 0 || index == 0 || index > count {
            return Err(usage());
        }
        Ok(Shard { index, count })
    }

    pub fn holds(self, seed: u64) -> bool {
        seed % self.count == self.index - 1
    }
}

/// Parses `A..B` or `A..=B` into the half-open range `[start, end)`.
pub fn parse_range(text: &str) -> Result<(u64, u64), String> {
    let usage = || format!("--seeds {text:?}: expected A..B (B excluded) or A..=B");
    let (start, end, inclusive) = match text.split_once("..=") {
        Some((start, end)) => (start, end, true),
        None => {
            let (start, end) = text.split_once("..").ok_or_else(usage)?;
            (start, end, false)
        }
    };
    let start: u64 = start.trim().parse().map_err(|_| usage())?;
    let end: u64 = end.trim().parse().map_err(|_| usage())?;
    let end = if inclusive {
        end.checked_add(1).ok_or_else(usage)?
    } else {
        end
    };
    if end <= start {
        return Err(format!("--seeds {text:?} selects no seed"));
    }
    if end - start > SEEDS_MAX {
        return Err(format!(
            "--seeds {text:?}: at most {SEEDS_MAX} seeds per campaign"
        ));
    }
    Ok((start, end))
}

/// The seeds of `range` in `shard` (all of them without one), ascending.
pub fn select(range: (u64, u64), shard: Option<Shard>) -> Vec<u64> {
    (range.0..range.1)
        .filter(|seed| shard.is_none_or(|shard| shard.holds(*seed)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_and_shards() {
        assert_eq!(parse_range("0..3"), Ok((0, 3)));
        assert_eq!(parse_range("5..=6"), Ok((5, 7)));
        assert!(parse_range("3..3").is_err());
        assert!(parse_range("x..3").is_err());
        assert!(parse_range("3").is_err());
        let shard = Shard::parse("2/3").unwrap();
        assert_eq!(select((0, 10), Some(shard)), vec![1, 4, 7]);
        assert!(Shard::parse("0/3").is_err());
        assert!(Shard::parse("4/3").is_err());
        let all: Vec<u64> = (1..=3)
            .flat_map(|k| select((0, 10), Some(Shard { index: k, count: 3 })))
            .collect();
        assert_eq!(all.len(), 10);
    }
}
