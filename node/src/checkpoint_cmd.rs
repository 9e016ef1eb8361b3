//! `sediment checkpoint create|list`: a named checkpoint of the newest manifest version,
//! recorded by core's manifest install (`Edit::AddCheckpoint`), or the live ones listed.
//! Creating one fences nobody: the writer and compactor go on.

use crate::config::Config;
use crate::options::writer_options;
use crate::role_error::RoleError;
use crate::store::open_store;
use lsm_core::clock::Clock;
use lsm_core::manifest::decide::Decision;
use lsm_core::manifest::{Checkpoint, Edit};
use lsm_core::roles::manifest_io::{install, read_latest_manifest};
use stores::SystemClock;

/// The name manual checkpoints are recorded under (the writer's own are `writer`).
pub const MANUAL_CHECKPOINT_NAME: &str = "manual";

pub async fn create(config: &Config, process_tag: &str) -> Result<Checkpoint, RoleError> {
    let store = open_store(config).map_err(RoleError::Store)?;
    let clock = SystemClock::new();
    let options = writer_options(config, true);
    let now_ms = clock.wall_ms();
    let expires_at_ms = options
        .checkpoint_lifetime_ms
        .map(|lifetime| now_ms.saturating_add(lifetime));
    let installed = install(
        &store,
        &clock,
        &options.retry,
        options.cas_attempts_max,
        &format!("checkpoint-create/{process_tag}"),
        |latest| {
            let checkpoint = Checkpoint {
                id: latest.next_checkpoint_id,
                name: MANUAL_CHECKPOINT_NAME.to_string(),
                manifest_version: latest.version,
                created_at_ms: now_ms,
                expires_at_ms,
            };
            Ok(Decision::Install {
                edit: Edit::AddCheckpoint {
                    checkpoint: checkpoint.clone(),
                },
                output: checkpoint,
            })
        },
    )
    .await
    .map_err(|error| RoleError::Io(format!("recording the checkpoint: {error}")))?;
    assert!(
        installed
            .manifest
            .checkpoints
            .iter()
            .any(|listed| listed.id == installed.output.id),
        "an installed checkpoint is listed"
    );
    Ok(installed.output)
}

pub async fn list(config: &Config) -> Result<Vec<Checkpoint>, RoleError> {
    let store = open_store(config).map_err(RoleError::Store)?;
    let options = writer_options(config, true);
    let manifest = read_latest_manifest(&store, &SystemClock::new(), &options.retry)
        .await
        .map_err(|error| RoleError::Io(format!("reading the manifest: {error}")))?;
    Ok(manifest.checkpoints)
}
