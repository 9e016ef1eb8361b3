//! C2 checkpoint stability, watched from the store: when a checkpoint becomes durable (the
//! manifest naming it is put), its content — every visible key and value of the tree at
//! its version — is read straight from the store and its digest recorded; later, at
//! regular points of the run and at the end, every checkpoint still listed is read again
//! and must be readable with the same digest. In `checkpoint` durability mode it also
//! checks recovery: a new writer epoch must start from exactly the newest checkpoint's
//! content.

use super::ttl_recovery::{LatestJudgeWall, expiring_mismatch, newest_puts};
use super::violations::Violations;
use crate::clock::sim_elapsed_ns;
use crate::store::StoreState;
use bytes::Bytes;
use lsm_core::ids::{CheckpointId, SstId};
use lsm_core::layout::sst_path;
use lsm_core::manifest::Manifest;
use lsm_core::roles::checkpoint_reader::{content_digest, visible_content};
use lsm_core::sst::SstReader;
use lsm_core::store::GetRange;
use std::cell::OnceCell;
use std::collections::{BTreeMap, BTreeSet};

/// A checkpoint as it was when it became durable.
struct Recorded {
    tree: Manifest,
    /// Each live table's bytes as the checkpoint read them, every one fully readable then. The
    /// same bytes later mean the same content: re-reading the whole tree at every
    /// checkpoint and verification cost the square of the run's length.
    table_bytes: BTreeMap<SstId, Bytes>,
    /// The content digest, computed from `table_bytes` when a comparison first needs it.
    digest: OnceCell<u64>,
}

impl Recorded {
    /// The digest of the content, merging the tables in the tree's read order as
    /// [`tree_content`] does.
    fn digest(&self) -> u64 {
        *self.digest.get_or_init(|| {
            let tables = self
                .tree
                .all_live_ssts()
                .map(|sst| {
                    let bytes = self.table_bytes.get(&sst.id);
                    SstReader::open(bytes.expect("every live table is recorded").clone())
                })
                .collect::<Result<Vec<_>, _>>()
                .expect("a recorded checkpoint's tables opened when it was recorded");
            let content = visible_content(&tables, None)
                .expect("a recorded checkpoint's tables were read whole when it was recorded");
            content_digest(&content)
        })
    }

    /// Whether every table is in the store with the bytes the checkpoint read; the first
    /// missing table's error otherwise.
    fn unchanged_in(&self, store: &StoreState) -> Result<bool, String> {
        let mut unchanged = true;
        for (id, recorded) in &self.table_bytes {
            let now = table_bytes(*id, store)?;
            unchanged &= same_bytes(recorded, &now);
        }
        Ok(unchanged)
    }
}

#[derive(Default)]
pub struct CheckpointWatch {
    recorded: BTreeMap<CheckpointId, Recorded>,
    pub stability: Violations,
    pub recovery: Violations,
    pub checkpoints_recorded: u64,
    pub verifications: u64,
    pub recoveries_checked: u64,
    /// FIFO and shift drop tables after the checkpoint too, and a recovery does not bring
    /// them back: the recovered content must then be a subset of the checkpoint's, with the
    /// same values (the FIFO contract), rather than equal to it.
    pub lossy_recovery: bool,
    /// A run with TTL in a style that keeps data: the TTL filter may have removed keys
    /// whose expiry this (the latest any node's clock reads at a sim time) had reached.
    pub expiring_recovery: Option<LatestJudgeWall>,
}

impl CheckpointWatch {
    /// Records the checkpoints `manifest` (just put) creates, and forgets released ones.
    pub fn on_manifest(&mut self, manifest: &Manifest, store: &StoreState) {
        for checkpoint in &manifest.checkpoints {
            if self.recorded.contains_key(&checkpoint.id)
                || checkpoint.manifest_version != manifest.version
            {
                continue;
            }
            match self.read_tables(manifest, store) {
                Ok(table_bytes) => {
                    self.checkpoints_recorded += 1;
                    self.recorded.insert(
                        checkpoint.id,
                        Recorded {
                            tree: manifest.clone(),
                            table_bytes,
                            digest: OnceCell::new(),
                        },
                    );
                }
                Err(error) => self.stability.push(format!(
                    "checkpoint {} unreadable when taken at v{}: {error}",
                    checkpoint.id, manifest.version.0
                )),
            }
        }
    }

    /// Every live table of `manifest` from the store, each read whole (decoded, in order)
    /// unless a listed checkpoint already read the same bytes: a table is immutable, so
    /// its readability is its own, and the tree's content is readable when every table is.
    fn read_tables(
        &self,
        manifest: &Manifest,
        store: &StoreState,
    ) -> Result<BTreeMap<SstId, Bytes>, String> {
        let mut read = BTreeMap::new();
        for sst in manifest.all_live_ssts() {
            let bytes = table_bytes(sst.id, store)?;
            let known = self.recorded.values().any(|recorded| {
                recorded
                    .table_bytes
                    .get(&sst.id)
                    .is_some_and(|seen| same_bytes(seen, &bytes))
            });
            if !known {
                let path = sst_path(sst.id);
                let reader =
                    SstReader::open(bytes.clone()).map_err(|error| format!("{path}: {error}"))?;
                visible_content(&[reader], None).map_err(|error| format!("{path}: {error}"))?;
            }
            read.insert(sst.id, bytes);
        }
        Ok(read)
    }

    /// Forgets checkpoints `newest` no longer lists (released or expired).
    pub fn retain_listed(&mut self, newest: &Manifest) {
        let listed: BTreeSet<CheckpointId> = newest.checkpoints.iter().map(|c| c.id).collect();
        self.recorded.retain(|id, _| listed.contains(id));
    }

    /// Tables some listed checkpoint still reads.
    pub fn protected_tables(&self) -> BTreeSet<SstId> {
        self.recorded
            .values()
            .flat_map(|recorded| recorded.table_bytes.keys().copied())
            .collect()
    }

    /// Which listed checkpoint reads `id`, if any.
    pub fn checkpoint_reading(&self, id: SstId) -> Option<CheckpointId> {
        self.recorded
            .iter()
            .find(|(_, recorded)| recorded.table_bytes.contains_key(&id))
            .map(|(checkpoint, _)| *checkpoint)
    }

    /// Re-reads every listed checkpoint: still readable, same digest. Tables still holding
    /// the bytes the checkpoint read need no reading.
    pub fn verify(&mut self, store: &StoreState, when: &str) {
        for (id, recorded) in &self.recorded {
            self.verifications += 1;
            match recorded.unchanged_in(store) {
                Ok(true) => continue,
                Ok(false) => {}
                Err(error) => {
                    self.stability
                        .push(format!("{when}: checkpoint {id} unreadable: {error}"));
                    continue;
                }
            }
            match tree_content(&recorded.tree, store) {
                Ok(content) if content_digest(&content) == recorded.digest() => {}
                Ok(_) => self
                    .stability
                    .push(format!("{when}: checkpoint {id} changed content")),
                Err(error) => self
                    .stability
                    .push(format!("{when}: checkpoint {id} unreadable: {error}")),
            }
        }
    }

    /// Checkpoint durability mode: the manifest a new writer epoch starts from must hold
    /// exactly the newest checkpoint's content (compactions since change no visible value).
    pub fn check_recovery(&mut self, manifest: &Manifest, store: &StoreState) {
        let Some(newest) = manifest.checkpoints.iter().max_by_key(|c| c.id) else {
            return;
        };
        let Some(recorded) = self.recorded.get(&newest.id) else {
            return;
        };
        self.recoveries_checked += 1;
        match tree_content(manifest, store) {
            Ok(content) if content_digest(&content) == recorded.digest() => {}
            Ok(content) if self.lossy_recovery => {
                match lossy_mismatch(&content, &recorded.tree, store) {
                    None => {}
                    Some(detail) => self.recovery.push(format!(
                        "writer epoch {} recovered at v{} to a state that is not checkpoint {} \
                         less dropped keys: {detail}",
                        manifest.writer_epoch, manifest.version.0, newest.id
                    )),
                }
            }
            Ok(content) if self.expiring_recovery.is_some() => {
                let latest_wall_ms = self
                    .expiring_recovery
                    .as_ref()
                    .map_or(0, |latest| latest(sim_elapsed_ns()));
                match expired_mismatch(&content, &recorded.tree, store, latest_wall_ms) {
                    None => {}
                    Some(detail) => self.recovery.push(format!(
                        "writer epoch {} recovered at v{} to a state that is not checkpoint {} \
                         less expired keys: {detail}",
                        manifest.writer_epoch, manifest.version.0, newest.id
                    )),
                }
            }
            Ok(_) => self.recovery.push(format!(
                "writer epoch {} recovered at v{} to a state other than checkpoint {}",
                manifest.writer_epoch, manifest.version.0, newest.id
            )),
            Err(error) => self.recovery.push(format!(
                "writer epoch {} recovered at v{} from an unreadable tree: {error}",
                manifest.writer_epoch, manifest.version.0
            )),
        }
    }
}

/// Why `recovered` is not the content of the checkpoint `tree` less some keys, if it is not.
fn lossy_mismatch(
    recovered: &BTreeMap<Bytes, Bytes>,
    tree: &Manifest,
    store: &StoreState,
) -> Option<String> {
    let checkpoint = match tree_content(tree, store) {
        Ok(checkpoint) => checkpoint,
        Err(error) => return Some(format!("the checkpoint is unreadable: {error}")),
    };
    recovered
        .iter()
        .find_map(|(key, value)| match checkpoint.get(key) {
            Some(expected) if expected == value => None,
            Some(_) => Some(format!("key {key:?} has another value")),
            None => Some(format!("key {key:?} is not in the checkpoint")),
        })
}

/// Why `recovered` is not the content of the checkpoint `tree` less keys expired by
/// `latest_wall_ms`, if it is not.
fn expired_mismatch(
    recovered: &BTreeMap<Bytes, Bytes>,
    tree: &Manifest,
    store: &StoreState,
    latest_wall_ms: u64,
) -> Option<String> {
    let puts = tree_tables(tree, store)
        .and_then(|tables| newest_puts(&tables).map_err(|error| error.to_string()));
    match puts {
        Ok(puts) => expiring_mismatch(recovered, &puts, latest_wall_ms),
        Err(error) => Some(format!("the checkpoint is unreadable: {error}")),
    }
}

/// Every visible key and value of `manifest`'s tree, read from the store as it is now.
fn tree_content(manifest: &Manifest, store: &StoreState) -> Result<BTreeMap<Bytes, Bytes>, String> {
    let tables = tree_tables(manifest, store)?;
    visible_content(&tables, None).map_err(|error| error.to_string())
}

/// Table `id`'s bytes in the store now.
fn table_bytes(id: SstId, store: &StoreState) -> Result<Bytes, String> {
    let path = sst_path(id);
    store
        .get(&path, GetRange::Whole)
        .map(|got| got.bytes)
        .map_err(|error| format!("{path}: {error}"))
}

/// The same bytes: the same buffer (the store hands out clones of what was put) or equal.
fn same_bytes(a: &Bytes, b: &Bytes) -> bool {
    (a.as_ptr() == b.as_ptr() && a.len() == b.len()) || a == b
}

/// The readers of `manifest`'s live tables, from the store as it is now.
fn tree_tables(manifest: &Manifest, store: &StoreState) -> Result<Vec<SstReader>, String> {
    let mut tables = Vec::new();
    for sst in manifest.all_live_ssts() {
        let path = sst_path(sst.id);
        let got = store
            .get(&path, GetRange::Whole)
            .map_err(|error| format!("{path}: {error}"))?;
        tables.push(SstReader::open(got.bytes).map_err(|error| format!("{path}: {error}"))?);
    }
    Ok(tables)
}
