//! `sediment serve` with `[lsm] compaction = "remote"` and two `sediment worker` processes
//! on a local-files bucket: writes over RESP push L0 past its trigger before any worker is
//! up; once the workers connect they run the merges the primary sends, L0 drains under its
//! trigger without a local fallback, and every acknowledged write reads back.
#![allow(clippy::unwrap_used)]

mod support;

use redis::Commands;
use std::time::{Duration, Instant};
use support::{
    connect, count_lines, free_port, info_field, local_storage, remote_table, spawn, spawn_logged,
    write_config_with,
};

const L0_TRIGGER: usize = 4;
/// Distinct keys; every round rewrites all of them, so compactions are merges, not moves.
const KEYS: usize = 150;

fn info_u64(client: &mut redis::Connection, name: &str) -> (u64, String) {
    let info: String = redis::cmd("INFO").query(client).unwrap();
    let value = info_field(&info, name)
        .unwrap_or_else(|| panic!("INFO has no {name}: {info}"))
        .parse()
        .unwrap();
    (value, info)
}

fn write_round(client: &mut redis::Connection, round: usize) {
    for key in 0..KEYS {
        let _: () = client
            .set(format!("k{key:03}"), format!("r{round}-{}", "v".repeat(40)))
            .unwrap();
    }
}

#[test]
fn remote_workers_drain_l0_and_no_acknowledged_write_is_lost() {
    let dir = tempfile::tempdir().unwrap();
    let (port, worker_port) = (free_port(), free_port());
    let lsm = "compaction = \"remote\"\nwrite_buffer_size = 2048\n\
level0_file_num_compaction_trigger = 4\nmax_concurrent_compactions = 2";
    let remote = remote_table(worker_port, 2_000) + "remote_attempts_max = 8\n";
    let storage = local_storage(dir.path());
    let config = write_config_with(dir.path(), &storage, port, lsm, &remote);
    let _server = spawn(&["serve"], &config);
    let mut client = connect(port);
    let mut rounds = 0;
    // No worker yet: L0 grows past its trigger (the jobs sent so far go nowhere).
    while info_u64(&mut client, "l0_files").0 < L0_TRIGGER as u64 {
        write_round(&mut client, rounds);
        rounds += 1;
        assert!(rounds < 50, "L0 never reached its trigger");
    }
    let logs = [
        dir.path().join("worker1.log"),
        dir.path().join("worker2.log"),
    ];
    let _workers: Vec<_> = logs
        .iter()
        .map(|log| spawn_logged(&["worker"], &config, log))
        .collect();
    for _ in 0..3 {
        write_round(&mut client, rounds);
        rounds += 1;
    }
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let (l0, info) = info_u64(&mut client, "l0_files");
        let (succeeded, _) = info_u64(&mut client, "remote_jobs_succeeded");
        if (l0 as usize) < L0_TRIGGER && succeeded > 0 {
            assert_eq!(
                info_field(&info, "remote_fell_back_local").as_deref(),
                Some("0"),
                "{info}"
            );
            println!("remote e2e: {rounds} rounds, {succeeded} remote jobs installed\n{info}");
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the workers never drained L0: {info}"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    let jobs: Vec<usize> = logs
        .iter()
        .map(|log| count_lines(log, "outputs="))
        .collect();
    assert!(
        jobs.iter().sum::<usize>() > 0,
        "no worker ran a job: {jobs:?}"
    );
    let last = format!("r{}-{}", rounds - 1, "v".repeat(40));
    for key in 0..KEYS {
        let value: Option<String> = client.get(format!("k{key:03}")).unwrap();
        assert_eq!(value.as_deref(), Some(last.as_str()), "k{key:03}");
    }
    println!("jobs per worker: {jobs:?}");
}
