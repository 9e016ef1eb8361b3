//! The garbage collector's node: every `gc_interval_ms` on its own clock it runs one pass
//! of core's [`GarbageCollector`] — expire checkpoints by its wall clock, delete pending
//! tables no checkpoint needs once a newer checkpoint exists (Garnet's rule), delete
//! orphans of fenced epochs, WAL segments below the replay point, manifest versions beyond
//! the newest kept — and the supervisor kills, restarts and pauses it like the
//! other processes.

use super::options::gc_options;
use super::shared::Shared;
use crate::clock::SimClock;
use crate::store::SimStore;
use lsm_core::roles::gc::GarbageCollector;
use std::sync::Arc;
use std::time::Duration;

pub const GC_NODE: &str = "gc";

pub async fn gc_main(shared: Arc<Shared>, store: SimStore, clock: SimClock) {
    let incarnation = shared.next_node_incarnation(GC_NODE);
    let tag = format!("{GC_NODE}/i{incarnation}");
    let options = gc_options(&shared.config);
    let mut collector = GarbageCollector::new(store, clock.clone(), options).with_tag(&tag);
    let interval = Duration::from_millis(shared.config.lsm.gc_interval_ms.max(1));
    loop {
        madsim::time::sleep(interval).await;
        let coverage = &shared.coverage;
        coverage.set_activity(GC_NODE, Some("gc-pass"));
        clock.note_jumps();
        let jumps_before = clock.jumps_applied();
        let outcome = collector.run_once().await;
        clock.note_jumps();
        if clock.jumps_applied() != jumps_before {
            coverage.hit("clock-jump", "gc-pass");
        }
        coverage.set_activity(GC_NODE, None);
        match outcome {
            Ok(pass) => {
                shared.record_gc_pass(&tag, Some(&pass));
                shared.remote(|tally| tally.tmp_collected_by_gc += pass.tmp_deleted);
                let changes = pass.pending_deleted
                    + pass.orphans_deleted
                    + pass.checkpoints_expired
                    + pass.tmp_deleted
                    + pass.wal_deleted
                    + pass.manifests_deleted;
                if changes > 0 {
                    shared.note(
                        &tag,
                        "gc_pass",
                        format!(
                            "v{} pending_deleted={} orphans_deleted={} checkpoints_expired={} tmp_deleted={} wal_deleted={} manifests_deleted={}",
                            pass.manifest_version.0,
                            pass.pending_deleted,
                            pass.orphans_deleted,
                            pass.checkpoints_expired,
                            pass.tmp_deleted,
                            pass.wal_deleted,
                            pass.manifests_deleted
                        ),
                    );
                }
            }
            Err(error) => {
                shared.record_gc_pass(&tag, None);
                shared.note(&tag, "gc_pass_failed", error.to_string());
            }
        }
    }
}
