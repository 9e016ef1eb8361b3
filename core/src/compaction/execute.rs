//! Running a plan: the k-way merge of its inputs (newest version wins, tombstones and
//! filtered puts dropped only at the bottommost level), cut into output tables on user-key
//! boundaries — at the target size, and for leveled merges also at grandparent boundaries
//! (RocksDB's rules, in [`super::leveled::GrandparentCutter`]) — with the job's statistics.

use super::leveled::GrandparentCutter;
use super::{CompactionPlan, CompactionStats, PlanKind};
use crate::codec::DecodeError;
use crate::entry::{Entry, WallMs};
use crate::ids::SstId;
use crate::merge::{CompactionFilter, MergeError, MergeOptions, MergingIterator};
use crate::sst::{SstBuildError, SstBuilder, SstIter, SstMeta, SstOptions, SstReader};
use bytes::Bytes;
use std::collections::BTreeMap;
use std::fmt;

/// The new tables of a merge (encoded, with metadata) in key order, and the statistics.
/// Moves and deletions write nothing.
#[derive(Clone, Debug)]
pub struct CompactionOutput {
    pub outputs: Vec<(Bytes, SstMeta)>,
    pub stats: CompactionStats,
}

impl CompactionOutput {
    /// The outputs' metadata, as [`CompactionPlan::into_edit`] takes it.
    pub fn output_metas(&self) -> Vec<SstMeta> {
        self.outputs.iter().map(|(_, meta)| meta.clone()).collect()
    }
}

/// Why a plan could not be executed. Nothing was written that matters: the caller drops
/// whatever it built.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ExecuteError {
    /// The plan names a table not among the inputs given.
    MissingInput { id: SstId },
    /// An input could not be read, or was out of order.
    Merge(MergeError),
    /// An output could not be built.
    Build(SstBuildError),
    /// The id source ran out before every output was named.
    OutputIdsExhausted { outputs_named: usize },
}

impl fmt::Display for ExecuteError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ExecuteError::MissingInput { id } => write!(f, "input sst {id} was not given"),
            ExecuteError::Merge(error) => write!(f, "merge failed: {error}"),
            ExecuteError::Build(error) => write!(f, "building an output failed: {error}"),
            ExecuteError::OutputIdsExhausted { outputs_named } => {
                write!(f, "output ids ran out after {outputs_named} outputs")
            }
        }
    }
}

impl std::error::Error for ExecuteError {}

impl From<MergeError> for ExecuteError {
    fn from(error: MergeError) -> ExecuteError {
        ExecuteError::Merge(error)
    }
}

impl From<SstBuildError> for ExecuteError {
    fn from(error: SstBuildError) -> ExecuteError {
        ExecuteError::Build(error)
    }
}

/// Executes `plan` on `inputs` (every table it names, in any order; others are ignored).
/// Sources are merged newest first — each L0 table on its own, newest first, then each
/// level as one run — with `filter` deciding on every surviving put. Outputs are built with
/// `sst_options`, named by `next_id`, stamped per the plan's [`super::OutputTime`], and cut
/// never inside a user key: once their data reaches `plan.target_file_size_bytes`, or,
/// when the plan carries grandparents, by RocksDB's grandparent-boundary rules.
pub fn execute<F: CompactionFilter>(
    plan: &CompactionPlan,
    inputs: &[(SstMeta, SstReader)],
    filter: F,
    now_ms: WallMs,
    next_id: &mut impl FnMut() -> Option<SstId>,
    sst_options: &SstOptions,
) -> Result<CompactionOutput, ExecuteError> {
    let by_id: BTreeMap<SstId, &(SstMeta, SstReader)> =
        inputs.iter().map(|input| (input.0.id, input)).collect();
    let mut stats = CompactionStats::empty(plan.kind, plan.reason, plan.output_level);
    let mut metas = Vec::new();
    let mut sources = Vec::new();
    for input in &plan.inputs {
        let mut level_tables = Vec::new();
        for id in &input.ids {
            let (meta, reader) = by_id
                .get(id)
                .copied()
                .ok_or(ExecuteError::MissingInput { id: *id })?;
            stats.input_files += 1;
            metas.push(meta);
            level_tables.push((meta, reader));
        }
        if input.level == 0 {
            sources.extend(
                level_tables
                    .iter()
                    .map(|(_, reader)| RunSource::new(vec![reader.iter()])),
            );
        } else {
            level_tables.sort_by(|a, b| a.0.smallest_key.cmp(&b.0.smallest_key));
            // Read one after another as one source, a level's tables must be disjoint
            // (`levels_sorted_and_disjoint`), or the run would yield keys out of order.
            assert!(
                level_tables
                    .windows(2)
                    .all(|pair| pair[0].0.largest_key < pair[1].0.smallest_key)
            );
            sources.push(RunSource::new(
                level_tables
                    .iter()
                    .map(|(_, reader)| reader.iter())
                    .collect(),
            ));
        }
    }
    // Every input named by the plan was found, once.
    assert_eq!(metas.len(), plan.input_count());
    let table_bytes = metas
        .iter()
        .fold(0u64, |sum, meta| sum.saturating_add(meta.size_bytes));
    match plan.kind {
        PlanKind::Move => {
            stats.moved_files = stats.input_files;
            stats.moved_bytes = table_bytes;
            return Ok(CompactionOutput {
                outputs: Vec::new(),
                stats,
            });
        }
        PlanKind::Delete => {
            stats.deleted_files = stats.input_files;
            stats.deleted_bytes = table_bytes;
            return Ok(CompactionOutput {
                outputs: Vec::new(),
                stats,
            });
        }
        PlanKind::Merge => stats.input_bytes = table_bytes,
    }
    let created_at_ms = plan.output_created_at_ms(&metas, now_ms);
    let options = MergeOptions {
        bottommost: plan.bottommost,
    };
    let mut merging = MergingIterator::new(sources, options, filter);
    let mut writer = OutputWriter {
        sst_options: *sst_options,
        target_bytes: plan.target_file_size_bytes,
        cutter: plan
            .grandparents
            .as_ref()
            .map(|cut| GrandparentCutter::new(cut, plan.target_file_size_bytes, plan.bottommost)),
        created_at_ms,
        builder: None,
        last_key: Bytes::new(),
        outputs: Vec::new(),
    };
    for entry in merging.by_ref() {
        writer.add(&entry?, next_id)?;
    }
    writer.finish(next_id)?;
    stats.record_merge(&merging.stats());
    stats.output_files = writer.outputs.len() as u64;
    stats.output_bytes = writer
        .outputs
        .iter()
        .fold(0u64, |sum, (_, meta)| sum.saturating_add(meta.size_bytes));
    Ok(CompactionOutput {
        outputs: writer.outputs,
        stats,
    })
}

/// One sorted run: its tables' iterators in key order, read one after another.
struct RunSource {
    tables: std::vec::IntoIter<SstIter>,
    current: Option<SstIter>,
}

impl RunSource {
    fn new(tables: Vec<SstIter>) -> RunSource {
        let mut tables = tables.into_iter();
        let current = tables.next();
        RunSource { tables, current }
    }
}

impl Iterator for RunSource {
    type Item = Result<Entry, DecodeError>;

    fn next(&mut self) -> Option<Self::Item> {
        // Each pass yields or moves to the next table, so this ends.
        loop {
            let current = self.current.as_mut()?;
            if let Some(item) = current.next() {
                return Some(item);
            }
            self.current = self.tables.next();
        }
    }
}

/// Builds output tables, cutting between user keys at the target size or where the
/// grandparent cutter says.
struct OutputWriter<'a> {
    sst_options: SstOptions,
    target_bytes: u64,
    cutter: Option<GrandparentCutter<'a>>,
    created_at_ms: WallMs,
    builder: Option<SstBuilder>,
    last_key: Bytes,
    outputs: Vec<(Bytes, SstMeta)>,
}

impl OutputWriter<'_> {
    fn add(
        &mut self,
        entry: &Entry,
        next_id: &mut impl FnMut() -> Option<SstId>,
    ) -> Result<(), ExecuteError> {
        let open_bytes = self
            .builder
            .as_ref()
            .filter(|builder| !builder.is_empty())
            .map(SstBuilder::data_size_bytes);
        let new_user_key = open_bytes.is_none() || entry.user_key() != &self.last_key[..];
        if new_user_key {
            let cut = match self.cutter.as_mut() {
                Some(cutter) => {
                    let cut = cutter
                        .should_stop_before(entry.user_key(), open_bytes)
                        .is_some();
                    if cut {
                        cutter.output_started(entry.user_key());
                    }
                    cut
                }
                None => open_bytes.is_some_and(|bytes| bytes >= self.target_bytes),
            };
            if cut {
                self.finish(next_id)?;
            }
        }
        // The merge yields user keys in order, so outputs are sorted and never share a key.
        assert!(
            entry.user_key() >= &self.last_key[..],
            "merge output out of order"
        );
        let builder = self
            .builder
            .get_or_insert_with(|| SstBuilder::new(self.sst_options));
        builder.add(entry)?;
        if entry.user_key() != &self.last_key[..] {
            self.last_key = entry.key.user_key.clone();
        }
        Ok(())
    }

    fn next_output_id(
        &self,
        next_id: &mut impl FnMut() -> Option<SstId>,
    ) -> Result<SstId, ExecuteError> {
        let id = next_id().ok_or(ExecuteError::OutputIdsExhausted {
            outputs_named: self.outputs.len(),
        })?;
        // Ids are unique: the manifest refuses a duplicate, so a repeat is a source bug.
        assert!(
            self.outputs.iter().all(|(_, meta)| meta.id != id),
            "output id {id} drawn twice"
        );
        Ok(id)
    }

    fn finish(&mut self, next_id: &mut impl FnMut() -> Option<SstId>) -> Result<(), ExecuteError> {
        if let Some(builder) = self.builder.take()
            && !builder.is_empty()
        {
            self.outputs
                .push(builder.finish(self.next_output_id(next_id)?, self.created_at_ms)?);
            // Paired with the install's `levels_sorted_and_disjoint` and the remote
            // primary's `check_metadata`: outputs are cut between user keys.
            if let [.., (_, before), (_, last)] = &self.outputs[..] {
                assert!(before.largest_key < last.smallest_key, "outputs overlap");
            }
        }
        Ok(())
    }
}
