//! Level scores (RocksDB's `ComputeCompactionScore` for leveled compaction): a level is
//! due for compaction when its score reaches 1, and the highest score goes first.

use super::{LevelTargets, LeveledOptions};
use crate::compaction::{Busy, Compensation};
use crate::manifest::Manifest;

/// RocksDB's `kScoreScale`: scores of levels that must compact are scaled up so they rank
/// above "unnecessary" levels being drained.
const SCORE_SCALE: f64 = 10.0;

/// The score of one level.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LevelScore {
    pub level: usize,
    pub score: f64,
}

/// Scores of L0 ..= the second-to-last level, highest first (ties in RocksDB's order).
/// Tables being compacted are left out of the counts and sizes.
///
/// - L0: sorted runs (tables not being compacted) over
///   `level0_file_num_compaction_trigger`. With dynamic level bytes, at least 1.01 once L0
///   holds `max_bytes_for_level_base`, and at least L0 size over the base level's size
///   (or target) once L0 outgrows the base target; scaled by 10 when above 1. Without,
///   the larger of the count score and L0 size over `max_bytes_for_level_base`.
/// - L1+: compensated size over target. With dynamic level bytes, a level at or over its
///   target divides by target plus the bytes still coming down from above, scaled by 10;
///   unnecessary levels score just above 10 so they drain after urgent work.
pub fn level_scores(
    manifest: &Manifest,
    options: &LeveledOptions,
    targets: &LevelTargets,
    compensation: &Compensation,
    busy: &Busy,
) -> Vec<LevelScore> {
    let last_input_level = targets.num_levels().saturating_sub(2);
    let dynamic = options.level_compaction_dynamic_level_bytes;
    let mut downcompact_bytes = 0f64;
    let mut scores = Vec::with_capacity(last_input_level + 1);
    for level in 0..=last_input_level {
        let files = manifest.level(level);
        let idle = || files.iter().filter(|sst| !busy.is_busy(sst.id));
        let score = if level == 0 {
            downcompact_bytes += manifest.level_size_bytes(0) as f64;
            let runs = idle().count();
            let size = compensation.total(idle());
            l0_score(manifest, options, targets, compensation, runs, size)
        } else {
            let idle_size = compensation.total(idle());
            let total = manifest.level_size_bytes(level);
            let target = targets.max_bytes_for_level(level);
            let score = level_score(idle_size, target, downcompact_bytes, dynamic);
            let unnecessary = targets
                .lowest_unnecessary_level
                .filter(|lowest| level <= *lowest);
            let score = match unnecessary {
                Some(lowest) if dynamic && idle_size > 0 => {
                    let depth = lowest.saturating_sub(level) as f64;
                    score.max(SCORE_SCALE * (1.001 + 0.001 * depth))
                }
                _ => score,
            };
            if unnecessary.is_some() {
                downcompact_bytes += total as f64;
            } else if total > target {
                downcompact_bytes += (total - target) as f64;
            }
            score
        };
        scores.push(LevelScore { level, score });
    }
    sort_like_rocksdb(&mut scores);
    // The picker walks levels in this order and stops at the first score below 1.
    assert!(scores.windows(2).all(|pair| pair[0].score >= pair[1].score));
    scores
}

fn l0_score(
    manifest: &Manifest,
    options: &LeveledOptions,
    targets: &LevelTargets,
    compensation: &Compensation,
    runs: usize,
    size: u64,
) -> f64 {
    let trigger = options.level0_file_num_compaction_trigger.max(1);
    let mut score = runs as f64 / trigger as f64;
    if !options.level_compaction_dynamic_level_bytes {
        let base = options.max_bytes_for_level_base.max(1);
        return score.max(size as f64 / base as f64);
    }
    if size >= options.max_bytes_for_level_base {
        score = score.max(1.01);
    }
    let base_target = targets.max_bytes_for_level(targets.base_level);
    if size > base_target {
        let base_size = compensation.total(manifest.level(targets.base_level));
        score = score.max(size as f64 / base_size.max(base_target).max(1) as f64);
    }
    if score > 1.0 {
        score *= SCORE_SCALE;
    }
    score
}

fn level_score(size: u64, target: u64, downcompact_bytes: f64, dynamic: bool) -> f64 {
    let target = target.max(1) as f64;
    if !dynamic || (size as f64) < target {
        size as f64 / target
    } else {
        size as f64 / (target + downcompact_bytes) * SCORE_SCALE
    }
}

/// RocksDB orders scores with this exchange sort; its treatment of ties decides which of
/// two equal levels goes first, so it is kept as is.
fn sort_like_rocksdb(scores: &mut [LevelScore]) {
    let count = scores.len();
    for i in 0..count {
        for j in i + 1..count {
            let (Some(a), Some(b)) = (scores.get(i), scores.get(j)) else {
                continue;
            };
            if a.score < b.score {
                scores.swap(i, j);
            }
        }
    }
}
