//! `sediment inspect`: the newest manifest and the bucket's contents by prefix, as text or
//! JSON. Read-only: it fences nobody.

use crate::config::Config;
use crate::role_error::RoleError;
use crate::store::open_store;
use lsm_core::layout::{MANIFEST_PREFIX, SST_PREFIX, TMP_PREFIX, WAL_PREFIX};
use lsm_core::roles::manifest_io::read_latest_manifest;
use lsm_core::roles::retry::RetryPolicy;
use lsm_core::store::ObjectStore;
use serde_json::{Value, json};
use stores::SystemClock;

pub async fn inspect(config: &Config) -> Result<Value, RoleError> {
    let store = open_store(config).map_err(RoleError::Store)?;
    let clock = SystemClock::new();
    let manifest = read_latest_manifest(&store, &clock, &RetryPolicy::default())
        .await
        .map_err(|error| RoleError::Io(format!("reading the manifest: {error}")))?;
    let listed = store
        .list("")
        .await
        .map_err(|error| RoleError::Io(format!("listing the bucket: {error}")))?;
    let mut prefixes = serde_json::Map::new();
    for prefix in [WAL_PREFIX, SST_PREFIX, MANIFEST_PREFIX, TMP_PREFIX, ""] {
        let known = [WAL_PREFIX, SST_PREFIX, MANIFEST_PREFIX, TMP_PREFIX];
        let matching: Vec<u64> = listed
            .iter()
            .filter(|meta| match prefix {
                "" => !known.iter().any(|known| meta.path.starts_with(known)),
                prefix => meta.path.starts_with(prefix),
            })
            .map(|meta| meta.size_bytes)
            .collect();
        let name = if prefix.is_empty() { "other" } else { prefix };
        prefixes.insert(
            name.trim_end_matches('/').to_string(),
            json!({"objects": matching.len(), "bytes": matching.iter().sum::<u64>()}),
        );
    }
    let mut levels = vec![json!({
        "level": 0,
        "files": manifest.l0.len(),
        "bytes": manifest.level_size_bytes(0),
    })];
    for level in 1..manifest.level_count() {
        levels.push(json!({
            "level": level,
            "files": manifest.level(level).len(),
            "bytes": manifest.level_size_bytes(level),
        }));
    }
    let checkpoints: Vec<Value> = manifest
        .checkpoints
        .iter()
        .map(|checkpoint| {
            json!({
                "id": checkpoint.id.0,
                "name": checkpoint.name,
                "manifest_version": checkpoint.manifest_version.0,
                "created_at_ms": checkpoint.created_at_ms,
                "expires_at_ms": checkpoint.expires_at_ms,
            })
        })
        .collect();
    Ok(json!({
        "manifest_version": manifest.version.0,
        "writer_epoch": manifest.writer_epoch.0,
        "compactor_epoch": manifest.compactor_epoch.0,
        "wal_replay_point": manifest.wal_replay_point.0,
        "last_seq": manifest.last_seq.0,
        "levels": levels,
        "live_bytes": manifest.live_size_bytes(),
        "pending_deletions": manifest.pending_deletion.len(),
        "checkpoints": checkpoints,
        "bucket": Value::Object(prefixes),
    }))
}

/// The report as lines for a person.
pub fn render_text(report: &Value) -> String {
    let mut out = String::new();
    let field = |name: &str| report[name].to_string();
    out.push_str(&format!(
        "manifest v{}  writer epoch {}  compactor epoch {}  wal replay point {}  last seq {}\n",
        field("manifest_version"),
        field("writer_epoch"),
        field("compactor_epoch"),
        field("wal_replay_point"),
        field("last_seq")
    ));
    for level in report["levels"].as_array().into_iter().flatten() {
        out.push_str(&format!(
            "  L{}: {} files, {} bytes\n",
            level["level"], level["files"], level["bytes"]
        ));
    }
    out.push_str(&format!(
        "live {} bytes, pending deletions {}\n",
        field("live_bytes"),
        field("pending_deletions")
    ));
    for checkpoint in report["checkpoints"].as_array().into_iter().flatten() {
        out.push_str(&format!(
            "checkpoint {} {} -> v{} (created {} ms, expires {})\n",
            checkpoint["id"],
            checkpoint["name"],
            checkpoint["manifest_version"],
            checkpoint["created_at_ms"],
            checkpoint["expires_at_ms"]
        ));
    }
    if let Some(bucket) = report["bucket"].as_object() {
        for (prefix, usage) in bucket {
            out.push_str(&format!(
                "bucket {prefix}/: {} objects, {} bytes\n",
                usage["objects"], usage["bytes"]
            ));
        }
    }
    out
}
