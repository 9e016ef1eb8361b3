//! Which seeds a campaign runs: `--seeds A..B` (B excluded) or `A..=B` (up to the largest
//! 64-bit seed), narrowed by `--shard K/N` to the seeds with `seed % N == K - 1` (K counts
//! from 1, as CI matrices do), so N machines given shards 1/N .. N/N cover the range exactly
//! once between them.

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

/// Seeds from `first` to `last`, both included (so the largest seed can be named).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SeedRange {
    pub first: u64,
    pub last: u64,
}

impl SeedRange {
    /// Seeds in the range (saturating: `0..=u64::MAX` holds one more than `u64` counts).
    pub fn len(self) -> u64 {
        (self.last - self.first).saturating_add(1)
    }
}

/// Parses `A..B` (B excluded) or `A..=B`.
pub fn parse_range(text: &str) -> Result<SeedRange, String> {
    let usage = || format!("--seeds {text:?}: expected A..B (B excluded) or A..=B");
    let (first, end, inclusive) = match text.split_once("..=") {
        Some((first, end)) => (first, end, true),
        None => {
            let (first, end) = text.split_once("..").ok_or_else(usage)?;
            (first, end, false)
        }
    };
    let first = parse_seed(text, first).ok_or_else(usage)??;
    let end = parse_seed(text, end).ok_or_else(usage)??;
    let last = if inclusive {
        Some(end)
    } else {
        end.checked_sub(1)
    };
    let Some(last) = last.filter(|last| *last >= first) else {
        return Err(format!("--seeds {text:?} selects no seed"));
    };
    let range = SeedRange { first, last };
    if range.len() > SEEDS_MAX {
        return Err(format!(
            "--seeds {text:?}: at most {SEEDS_MAX} seeds per campaign"
        ));
    }
    Ok(range)
}

/// A seed of `--seeds`: `None` if not a number at all, an error if a number too large.
fn parse_seed(range: &str, word: &str) -> Option<Result<u64, String>> {
    let word = word.trim();
    if word.is_empty() || !word.bytes().all(|byte| byte.is_ascii_digit()) {
        return None;
    }
    Some(word.parse().map_err(|_| {
        format!(
            "--seeds {range:?}: {word} is past the largest seed, {} (seeds are 64-bit)",
            u64::MAX
        )
    }))
}

/// The seeds of `range` in `shard` (all of them without one), ascending.
pub fn select(range: SeedRange, shard: Option<Shard>) -> Vec<u64> {
    (range.first..=range.last)
        .filter(|seed| shard.is_none_or(|shard| shard.holds(*seed)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_and_shards() {
        let range = |first, last| Ok(SeedRange { first, last });
        assert_eq!(parse_range("0..3"), range(0, 2));
        assert_eq!(parse_range("5..=6"), range(5, 6));
        assert!(parse_range("3..3").unwrap_err().contains("selects no seed"));
        assert!(parse_range("0..0").unwrap_err().contains("selects no seed"));
        assert!(parse_range("x..3").is_err());
        assert!(parse_range("3").is_err());
        assert!(parse_range("-1..3").unwrap_err().contains("expected A..B"));
        let max = u64::MAX;
        assert_eq!(
            parse_range(&format!("{}..={max}", max - 1)),
            range(max - 1, max)
        );
        assert!(
            parse_range("0..18446744073709551616")
                .unwrap_err()
                .contains("past the largest seed, 18446744073709551615")
        );
        assert!(
            parse_range(&format!("0..={max}"))
                .unwrap_err()
                .contains("at most")
        );
        let shard = Shard::parse("2/3").unwrap();
        let ten = SeedRange { first: 0, last: 9 };
        assert_eq!(select(ten, Some(shard)), vec![1, 4, 7]);
        assert!(Shard::parse("0/3").is_err());
        assert!(Shard::parse("4/3").is_err());
        let all: Vec<u64> = (1..=3)
            .flat_map(|k| select(ten, Some(Shard { index: k, count: 3 })))
            .collect();
        assert_eq!(all.len(), 10);
    }
}
