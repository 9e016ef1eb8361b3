//! `sediment gc`: core's garbage collector, one pass every `gc_interval_ms`.

use crate::config::Config;
use crate::options::{gc_options, schedule};
use crate::role_error::RoleError;
use crate::store::open_store;
use lsm_core::roles::gc::GarbageCollector;
use stores::SystemClock;

pub async fn run_gc(config: &Config, process_tag: &str) -> Result<(), RoleError> {
    let store = open_store(config).map_err(RoleError::Store)?;
    let interval = schedule(config).gc_interval;
    let mut collector =
        GarbageCollector::new(store, SystemClock::new(), gc_options(config)).with_tag(process_tag);
    loop {
        match collector.run_once().await {
            Ok(pass) => {
                let changes = pass.pending_deleted
                    + pass.orphans_deleted
                    + pass.checkpoints_expired
                    + pass.tmp_deleted;
                if changes > 0 {
                    eprintln!(
                        "sediment: gc v{} pending_deleted={} orphans_deleted={} checkpoints_expired={} tmp_deleted={} bytes={}",
                        pass.manifest_version.0,
                        pass.pending_deleted,
                        pass.orphans_deleted,
                        pass.checkpoints_expired,
                        pass.tmp_deleted,
                        pass.bytes_deleted
                    );
                }
            }
            Err(error) => eprintln!("sediment: gc pass failed: {error}"),
        }
        tokio::time::sleep(interval).await;
    }
}
