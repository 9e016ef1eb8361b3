//! Level targets: how big each level may grow, and which level L0 compacts into (RocksDB's
//! `CalculateBaseBytes` and `MaxFileSizeForLevel`).

use super::LeveledOptions;
use crate::manifest::Manifest;

/// Targets of every level of one version.
#[derive(Clone, Debug, PartialEq)]
pub struct LevelTargets {
    /// The level L0 compacts into.
    pub base_level: usize,
    /// Target size per level (index 0 unused); `u64::MAX` for a level nothing compacts
    /// from (above the base level, with dynamic level bytes).
    pub level_max_bytes: Vec<u64>,
    /// Dynamic level bytes: the deepest level whose target would fall below
    /// `max_bytes_for_level_base / multiplier`; such levels hold data only from before the
    /// tree grew and are drained downwards.
    pub lowest_unnecessary_level: Option<usize>,
}

impl LevelTargets {
    /// Static targets: L1 = base, each deeper level × multiplier, base level 1. Dynamic:
    /// the largest L1+ level is the last level's target, each level above is 1/multiplier
    /// of the one below, and the base level is the shallowest level whose target stays
    /// above `max_bytes_for_level_base / multiplier`; no target is set below
    /// `max_bytes_for_level_base`.
    pub fn compute(manifest: &Manifest, options: &LeveledOptions) -> LevelTargets {
        let num_levels = options.bounded_num_levels().max(manifest.level_count());
        let targets = if options.level_compaction_dynamic_level_bytes {
            dynamic_targets(manifest, options, num_levels)
        } else {
            static_targets(options, num_levels)
        };
        // L0 compacts into an existing level below it: pickers take `base_level` as an
        // output level and `num_levels` from the targets' length.
        assert_eq!(targets.level_max_bytes.len(), num_levels);
        assert!(targets.base_level >= 1 && targets.base_level < num_levels);
        targets
    }

    /// Number of levels, L0 included.
    pub fn num_levels(&self) -> usize {
        self.level_max_bytes.len()
    }

    /// Target of `level`; `u64::MAX` when it has none.
    pub fn max_bytes_for_level(&self, level: usize) -> u64 {
        self.level_max_bytes.get(level).copied().unwrap_or(u64::MAX)
    }

    /// Output file size for `level` (RocksDB's `MaxFileSizeForLevel`): L0 and L1 (with
    /// dynamic level bytes: the base level and the one below) get `target_file_size_base`,
    /// each deeper level × `target_file_size_multiplier`.
    pub fn target_file_size(&self, level: usize, options: &LeveledOptions) -> u64 {
        let first = if options.level_compaction_dynamic_level_bytes && level >= self.base_level {
            self.base_level
        } else {
            0
        };
        let steps = level.saturating_sub(first).saturating_sub(1);
        let mut size = options.target_file_size_base.max(1);
        for _ in 0..steps {
            size = size.saturating_mul(options.target_file_size_multiplier.max(1));
        }
        size
    }
}

fn scaled(size: u64, factor: f64) -> u64 {
    let product = size as f64 * factor;
    if product >= u64::MAX as f64 {
        u64::MAX
    } else {
        product as u64
    }
}

fn static_targets(options: &LeveledOptions, num_levels: usize) -> LevelTargets {
    let mut level_max_bytes = vec![options.max_bytes_for_level_base; num_levels];
    let mut size = options.max_bytes_for_level_base;
    for target in level_max_bytes.iter_mut().skip(2) {
        size = scaled(size, options.multiplier());
        *target = size;
    }
    LevelTargets {
        base_level: 1,
        level_max_bytes,
        lowest_unnecessary_level: None,
    }
}

fn dynamic_targets(
    manifest: &Manifest,
    options: &LeveledOptions,
    num_levels: usize,
) -> LevelTargets {
    let last_level = num_levels - 1;
    let mut level_max_bytes = vec![u64::MAX; num_levels];
    let sizes: Vec<u64> = (0..num_levels)
        .map(|level| manifest.level_size_bytes(level))
        .collect();
    let first_non_empty = (1..num_levels).find(|level| sizes.get(*level).is_some_and(|s| *s > 0));
    let max_level_size = sizes.iter().skip(1).copied().max().unwrap_or(0);
    let Some(first_non_empty) = first_non_empty else {
        // Nothing below L0 yet: L0 compacts straight into the last level.
        return LevelTargets {
            base_level: last_level,
            level_max_bytes,
            lowest_unnecessary_level: None,
        };
    };
    let multiplier = options.multiplier();
    let base_bytes_max = options.max_bytes_for_level_base;
    let base_bytes_min = (base_bytes_max as f64 / multiplier) as u64;
    let mut lowest_unnecessary_level = None;
    let mut cur_level_size = max_level_size;
    for level in (first_non_empty..last_level).rev() {
        cur_level_size = (cur_level_size as f64 / multiplier) as u64;
        if lowest_unnecessary_level.is_none() && cur_level_size <= base_bytes_min {
            lowest_unnecessary_level = Some(level);
        }
    }
    let (base_level, base_level_size) = if cur_level_size <= base_bytes_min {
        (first_non_empty, base_bytes_min.saturating_add(1))
    } else {
        let mut base_level = first_non_empty;
        while base_level > 1 && cur_level_size > base_bytes_max {
            base_level -= 1;
            cur_level_size = (cur_level_size as f64 / multiplier) as u64;
        }
        if cur_level_size > base_bytes_max {
            (base_level, base_bytes_max)
        } else {
            (base_level, cur_level_size.max(1))
        }
    };
    let mut level_size = base_level_size;
    for (level, target) in level_max_bytes.iter_mut().enumerate().skip(base_level) {
        if level > base_level {
            level_size = scaled(level_size, multiplier);
        }
        *target = level_size.max(base_bytes_max);
    }
    LevelTargets {
        base_level,
        level_max_bytes,
        lowest_unnecessary_level,
    }
}
