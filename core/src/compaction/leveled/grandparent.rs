//! Cutting leveled outputs at grandparent boundaries, as RocksDB 7.8+ does
//! (`CompactionOutputs::ShouldStopBefore` with `level_compaction_dynamic_file_size`, on by
//! default). An output of level n whose key range spans many files of level n + 1 (its
//! "grandparents", seen from the inputs) makes every later n → n + 1 compaction of it drag
//! in those files; cutting outputs where grandparent files begin or end keeps that future
//! work small. The rules, checked before each new user key:
//!
//! - **size**: an output stops at the target size — or at twice the target when the output
//!   is not bottommost and has grandparents, since the boundary rules below cut it earlier;
//! - **max_compaction_bytes**: when the key crosses a grandparent boundary and the output
//!   plus the grandparent bytes it overlaps would exceed `max_compaction_bytes`;
//! - **skip a large grandparent**: when the key would make the output span a whole
//!   grandparent file and the grandparent bytes newly overlapped exceed target / 8;
//! - **early cut**: when the key crosses a grandparent boundary and the output has reached
//!   50% of the target, plus 5 points per boundary it crossed, at most 90%.
//!
//! The picker computes the grandparents (the first level below the output level holding
//! files that overlap the inputs) into the plan, so `execute` needs no manifest.

use crate::manifest::Manifest;
use crate::sst::SstMeta;
use bytes::Bytes;
use serde::{Deserialize, Serialize};

/// Early cut threshold with no boundary crossed, in percent of the target size.
const EARLY_CUT_BASE_PERCENT: u64 = 50;
/// Added to the early cut threshold per boundary crossed since the output began.
const EARLY_CUT_STEP_PERCENT: u64 = 5;
/// The early cut threshold never exceeds 50 + 40 = 90% of the target.
const EARLY_CUT_STEP_MAX_PERCENT: u64 = 40;
/// A skipped grandparent file counts when its bytes exceed target / this.
const SKIPPABLE_FRACTION_DIVISOR: u64 = 8;

/// One grandparent table: its user-key range and size.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct GrandparentFile {
    pub smallest_key: Bytes,
    pub largest_key: Bytes,
    pub size_bytes: u64,
}

/// What a leveled merge needs to cut its outputs at grandparent boundaries.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct GrandparentCut {
    /// The grandparents in key order (disjoint: they are one L1+ level).
    pub files: Vec<GrandparentFile>,
    /// RocksDB's `max_compaction_bytes` (after sanitizing).
    pub max_compaction_bytes: u64,
}

impl GrandparentCut {
    /// The tables of the first level below `output_level` that overlap
    /// `[smallest, largest]` (RocksDB's `GetGrandparents`), with `max_compaction_bytes`.
    pub fn from_version(
        manifest: &Manifest,
        output_level: usize,
        smallest: &[u8],
        largest: &[u8],
        max_compaction_bytes: u64,
    ) -> GrandparentCut {
        let files = (output_level + 1..manifest.level_count())
            .map(|level| {
                manifest
                    .level(level)
                    .iter()
                    .filter(|sst| sst.overlaps_range(smallest, largest))
                    .map(GrandparentFile::of)
                    .collect::<Vec<_>>()
            })
            .find(|files| !files.is_empty())
            .unwrap_or_default();
        // `advance` walks the boundaries in key order: one level's run, sorted and disjoint.
        assert!(
            files
                .windows(2)
                .all(|pair| pair[0].largest_key < pair[1].smallest_key)
        );
        GrandparentCut {
            files,
            max_compaction_bytes,
        }
    }

    /// The most an output may grow before the size rule cuts it: twice the target when
    /// not bottommost and grandparents exist (the boundary rules cut it first), else the
    /// target.
    pub fn max_output_bytes(&self, target_bytes: u64, bottommost: bool) -> u64 {
        if bottommost || self.files.is_empty() {
            target_bytes
        } else {
            target_bytes.saturating_mul(2)
        }
    }
}

impl GrandparentFile {
    pub fn of(sst: &SstMeta) -> GrandparentFile {
        GrandparentFile {
            smallest_key: sst.smallest_key.clone(),
            largest_key: sst.largest_key.clone(),
            size_bytes: sst.size_bytes,
        }
    }
}

/// Which rule cut an output (for tests and statistics).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CutRule {
    Size,
    MaxCompactionBytes,
    SkipLargeGrandparent,
    EarlyCut,
}

/// The walk over the grandparents as the merge's user keys ascend.
pub struct GrandparentCutter<'a> {
    cut: &'a GrandparentCut,
    target_bytes: u64,
    max_output_bytes: u64,
    /// The grandparent the walk is at (inside it, or in the gap before it).
    index: usize,
    in_gap: bool,
    seen_key: bool,
    /// Grandparent bytes the current output overlaps.
    overlapped_bytes: u64,
    /// Boundaries crossed since the current output began.
    boundaries_crossed: u64,
}

impl<'a> GrandparentCutter<'a> {
    pub fn new(
        cut: &'a GrandparentCut,
        target_bytes: u64,
        bottommost: bool,
    ) -> GrandparentCutter<'a> {
        // Paired with `assert_plan_well_formed`: a plan's target size is never zero.
        assert!(target_bytes > 0);
        GrandparentCutter {
            cut,
            target_bytes,
            max_output_bytes: cut.max_output_bytes(target_bytes, bottommost),
            index: 0,
            in_gap: true,
            seen_key: false,
            overlapped_bytes: 0,
            boundaries_crossed: 0,
        }
    }

    /// Called before each new user key (ascending) with the bytes of the open output
    /// (`None` when no output is open): moves the walk to `user_key` and says whether the
    /// open output must end before it, and by which rule. After a cut the caller calls
    /// [`GrandparentCutter::output_started`].
    pub fn should_stop_before(
        &mut self,
        user_key: &[u8],
        open_bytes: Option<u64>,
    ) -> Option<CutRule> {
        let previous_overlapped = self.overlapped_bytes;
        let crossed = self.advance(user_key);
        let size = open_bytes?;
        if size >= self.max_output_bytes {
            return Some(CutRule::Size);
        }
        if crossed == 0 {
            return None;
        }
        if self.overlapped_bytes.saturating_add(size) > self.cut.max_compaction_bytes {
            return Some(CutRule::MaxCompactionBytes);
        }
        // Leaving the gap, entering a file and leaving it (2), or leaving a file, crossing
        // a whole one and entering the next (3): a grandparent file was skipped over.
        let skipping_crossings = if self.in_gap { 2 } else { 3 };
        let newly_overlapped = self.overlapped_bytes.saturating_sub(previous_overlapped);
        if crossed >= skipping_crossings
            && newly_overlapped > self.target_bytes / SKIPPABLE_FRACTION_DIVISOR
        {
            return Some(CutRule::SkipLargeGrandparent);
        }
        let percent = EARLY_CUT_BASE_PERCENT.saturating_add(
            self.boundaries_crossed
                .saturating_mul(EARLY_CUT_STEP_PERCENT)
                .min(EARLY_CUT_STEP_MAX_PERCENT),
        );
        let threshold = self.target_bytes.div_ceil(100).saturating_mul(percent);
        (size >= threshold).then_some(CutRule::EarlyCut)
    }

    /// A new output begins with `user_key` (the key [`Self::should_stop_before`] was
    /// called with): it overlaps the grandparent the key is inside, and has crossed nothing.
    pub fn output_started(&mut self, _user_key: &[u8]) {
        self.boundaries_crossed = 0;
        self.overlapped_bytes = self.current_overlap();
    }

    /// Moves the walk to `user_key`; returns the boundaries crossed (none for the first
    /// key, which only places the walk).
    fn advance(&mut self, user_key: &[u8]) -> u64 {
        let files = &self.cut.files;
        let mut crossed = 0u64;
        // Each pass crosses one boundary or stops; there are two per file.
        for _ in 0..=files.len().saturating_mul(2) {
            let Some(file) = files.get(self.index) else {
                break;
            };
            if self.in_gap {
                if user_key < &file.smallest_key[..] {
                    break;
                }
                if self.seen_key {
                    crossed += 1;
                    self.overlapped_bytes = self.overlapped_bytes.saturating_add(file.size_bytes);
                }
                self.in_gap = false;
            } else {
                if user_key <= &file.largest_key[..] {
                    break;
                }
                if self.seen_key {
                    crossed += 1;
                }
                self.in_gap = true;
                self.index += 1;
            }
        }
        if !self.seen_key {
            assert_eq!(self.overlapped_bytes, 0, "no output before the first key");
            self.overlapped_bytes = self.current_overlap();
            self.seen_key = true;
        }
        self.boundaries_crossed = self.boundaries_crossed.saturating_add(crossed);
        assert!(self.index <= files.len());
        crossed
    }

    fn current_overlap(&self) -> u64 {
        if self.in_gap {
            return 0;
        }
        self.cut
            .files
            .get(self.index)
            .map_or(0, |file| file.size_bytes)
    }
}
