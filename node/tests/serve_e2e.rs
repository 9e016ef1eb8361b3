//! `sediment serve` on a local-files bucket, driven by the `redis` crate (a real client):
//! the commands, TTL expiry, restart recovery; then the seed's behaviour: with
//! `--no-compactor` and no compactor, L0 grows until the writer stalls by RocksDB's rules,
//! no acknowledged write is lost, and `sediment compactor` drains L0.
#![allow(clippy::unwrap_used)]

mod support;

use redis::Commands;
use std::time::{Duration, Instant};
use support::{connect, free_port, info_field, spawn, write_config};

#[test]
fn commands_ttl_and_restart() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let config = write_config(dir.path(), port, "write_buffer_size = 4096");
    let server = spawn(&["serve"], &config);
    let mut client = connect(port);

    let _: () = client.set("alpha", "1").unwrap();
    let _: () = client.set("beta", "2").unwrap();
    assert_eq!(
        client.get::<_, Option<String>>("alpha").unwrap(),
        Some("1".to_string())
    );
    assert_eq!(
        client
            .exists::<_, i64>(&["alpha", "beta", "gamma"])
            .unwrap(),
        2
    );
    assert_eq!(client.del::<_, i64>(&["alpha", "gamma"]).unwrap(), 1);
    assert_eq!(client.get::<_, Option<String>>("alpha").unwrap(), None);

    // NX / XX.
    let nx: Option<String> = redis::cmd("SET")
        .arg("beta")
        .arg("x")
        .arg("NX")
        .query(&mut client)
        .unwrap();
    assert_eq!(nx, None);
    let xx: Option<String> = redis::cmd("SET")
        .arg("beta")
        .arg("3")
        .arg("XX")
        .query(&mut client)
        .unwrap();
    assert_eq!(xx.as_deref(), Some("OK"));
    assert_eq!(
        client.get::<_, Option<String>>("beta").unwrap(),
        Some("3".to_string())
    );

    // TTL: PX expires, a key without one stays.
    let _: () = redis::cmd("SET")
        .arg("short")
        .arg("v")
        .arg("PX")
        .arg(300)
        .query(&mut client)
        .unwrap();
    assert_eq!(
        client.get::<_, Option<String>>("short").unwrap(),
        Some("v".to_string())
    );
    std::thread::sleep(Duration::from_millis(600));
    assert_eq!(client.get::<_, Option<String>>("short").unwrap(), None);

    // Enough writes for several flushes (4 KiB memtable) and an embedded compaction.
    for i in 0..400 {
        let _: () = client
            .set(
                format!("key{i:04}"),
                format!("value-{i}-{}", "x".repeat(64)),
            )
            .unwrap();
    }
    let mut keys: Vec<String> = redis::cmd("KEYS").arg("key00*").query(&mut client).unwrap();
    keys.sort();
    assert_eq!(
        keys,
        (0..100).map(|i| format!("key{i:04}")).collect::<Vec<_>>()
    );
    let info: String = redis::cmd("INFO").query(&mut client).unwrap();
    let flushes: u64 = info_field(&info, "flushes").unwrap().parse().unwrap();
    assert!(flushes >= 3, "{info}");
    assert_eq!(
        info_field(&info, "stall_state").as_deref(),
        Some("normal"),
        "{info}"
    );
    let error = redis::cmd("NOSUCH")
        .query::<String>(&mut client)
        .unwrap_err();
    assert!(error.to_string().contains("unknown command"), "{error}");

    // A restart recovers every acknowledged write from the WAL and the tables.
    drop(client);
    drop(server);
    let _server = spawn(&["serve"], &config);
    let mut client = connect(port);
    for i in (0..400).step_by(37) {
        let value: Option<String> = client.get(format!("key{i:04}")).unwrap();
        assert_eq!(value, Some(format!("value-{i}-{}", "x".repeat(64))));
    }
    assert_eq!(
        client.get::<_, Option<String>>("beta").unwrap(),
        Some("3".to_string())
    );
    assert_eq!(client.get::<_, Option<String>>("alpha").unwrap(), None);
}

/// Writes one key after another until a write does not come back within `timeout`
/// (the writer stalled); returns the acknowledged ones.
fn write_until_stalled(port: u16, timeout: Duration, limit: usize) -> (Vec<String>, bool) {
    let mut client = connect(port);
    client.set_read_timeout(Some(timeout)).unwrap();
    let mut acked = Vec::new();
    for i in 0..limit {
        let key = format!("stall{i:05}");
        match client.set::<_, _, ()>(&key, "v".repeat(200)) {
            Ok(()) => acked.push(key),
            Err(_) => return (acked, true),
        }
    }
    (acked, false)
}

#[test]
fn no_compactor_stalls_then_the_compactor_drains_l0() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let config = write_config(
        dir.path(),
        port,
        "write_buffer_size = 2048\nlevel0_file_num_compaction_trigger = 4\nmanifest_poll_ms = 100\ncompactor_poll_ms = 100",
    );
    let _server = spawn(&["serve", "--no-compactor"], &config);
    let (acked, stalled) = write_until_stalled(port, Duration::from_secs(3), 5_000);
    assert!(
        stalled,
        "36 L0 tables (RocksDB's stop trigger) never stalled the writer"
    );
    let mut client = connect(port);
    let info: String = redis::cmd("INFO").query(&mut client).unwrap();
    let state = info_field(&info, "stall_state").unwrap();
    assert!(state.starts_with("stopped"), "{info}");
    let l0: usize = info_field(&info, "l0_files").unwrap().parse().unwrap();
    assert!(
        l0 >= 36,
        "stopped below RocksDB's level0_stop_writes_trigger: {info}"
    );
    // Reads are still served while writes wait; nothing acknowledged is lost.
    for key in &acked {
        assert!(
            client.exists::<_, bool>(key).unwrap(),
            "acknowledged {key} lost"
        );
    }
    let _compactor = spawn(&["compactor"], &config);
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let info: String = redis::cmd("INFO").query(&mut client).unwrap();
        let l0: usize = info_field(&info, "l0_files").unwrap().parse().unwrap();
        if l0 < 4 && info_field(&info, "stall_state").as_deref() == Some("normal") {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the compactor never drained L0: {info}"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    // Writes flow again, and every acknowledged write is still there.
    let _: () = client.set("after", "stall").unwrap();
    for key in &acked {
        assert!(
            client.exists::<_, bool>(key).unwrap(),
            "acknowledged {key} lost"
        );
    }
    println!("acknowledged before the stall: {}", acked.len());
}
