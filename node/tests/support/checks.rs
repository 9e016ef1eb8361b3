//! The crash test's checks on the bucket after the faults: C3 and C4.

use super::sediment;
use std::path::Path;
use std::time::{Duration, Instant};

pub fn inspect(config: &Path) -> serde_json::Value {
    let output = sediment()
        .args(["inspect", "--json", "-c"])
        .arg(config)
        .output()
        .expect("run inspect");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).expect("inspect --json prints JSON")
}

/// C4: with compaction running, L0 comes under its trigger; after a checkpoint, GC drains
/// the pending deletions. Returns how long it took.
pub fn check_c4(config: &Path, l0_trigger: usize) -> Duration {
    let started = Instant::now();
    let deadline = started + Duration::from_secs(60);
    loop {
        let report = inspect(config);
        let l0 = report["levels"][0]["files"].as_u64().expect("L0 files") as usize;
        let pending = report["pending_deletions"].as_u64().expect("pending");
        if l0 < l0_trigger && pending == 0 {
            return started.elapsed();
        }
        assert!(
            Instant::now() < deadline,
            "C4: L0 {l0}, pending {pending}: {report:#}"
        );
        std::thread::sleep(Duration::from_millis(300));
    }
}

/// C3: every table the newest manifest or a live checkpoint references exists. Returns
/// how many tables that is.
pub fn check_c3(store: &stores::RealStore) -> usize {
    use lsm_core::layout::sst_path;
    use lsm_core::roles::checkpoint_reader::CheckpointReader;
    use lsm_core::roles::manifest_io::read_latest_manifest;
    use lsm_core::roles::retry::RetryPolicy;
    use lsm_core::store::ObjectStore;
    let clock = stores::SystemClock::new();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    runtime.block_on(async {
        let retry = RetryPolicy::default();
        let newest = read_latest_manifest(store, &clock, &retry)
            .await
            .expect("the newest manifest");
        let mut referenced = newest.live_sst_ids();
        for checkpoint in &newest.checkpoints {
            let reader = CheckpointReader::open(store.clone(), clock, retry, checkpoint.id)
                .await
                .expect("a live checkpoint opens");
            referenced.extend(reader.manifest().live_sst_ids());
        }
        for id in &referenced {
            let path = sst_path(*id);
            assert!(
                store.head(&path).await.is_ok(),
                "C3: {path} is referenced but missing"
            );
        }
        referenced.len()
    })
}
