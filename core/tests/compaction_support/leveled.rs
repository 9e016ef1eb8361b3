//! Leveled options and hand-built versions shared by the `compaction_leveled*` tests.

use super::{MIB, levels, table, version};
use lsm_core::compaction::leveled::LeveledOptions;
use lsm_core::sst::SstMeta;

pub fn options() -> LeveledOptions {
    LeveledOptions {
        max_bytes_for_level_base: 16 * MIB,
        target_file_size_base: 4 * MIB,
        ..LeveledOptions::default()
    }
}

pub fn l0_files(count: u64) -> Vec<SstMeta> {
    (0..count)
        .rev()
        .map(|i| table(100 + i, 0, 1000, (i * 10 + 1, i * 10 + 10), MIB))
        .collect()
}

/// L5 (base, target 16 MiB) over target with three files; L6 150 MiB.
pub fn base_level_over_target(l5: Vec<SstMeta>, l6: Vec<SstMeta>) -> lsm_core::manifest::Manifest {
    version(Vec::new(), levels(vec![(5, l5), (6, l6)]))
}
