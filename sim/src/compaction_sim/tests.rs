//! Small runs of the simulator: convergence, determinism and the figures' sanity bounds.
#![allow(clippy::unwrap_used)]

use super::*;

fn small(style: SimStyle, workload: SimWorkload) -> CompactionSimArgs {
    CompactionSimArgs {
        style,
        workload,
        keys: Some(20_000),
        updates: 20_000,
        memtable_bytes: 64 << 10,
        base_bytes: 256 << 10,
        target_file_bytes: 64 << 10,
        shape_every: 4,
        ..CompactionSimArgs::default()
    }
}

#[test]
fn every_style_converges_and_the_same_seed_gives_the_same_report() {
    for style in [SimStyle::Leveled, SimStyle::Universal, SimStyle::Fifo] {
        for workload in [SimWorkload::UniformOverwrite, SimWorkload::InsertRandom] {
            let args = small(style, workload);
            let report = run(&args).unwrap();
            assert_eq!(report, run(&args).unwrap(), "{style:?} {workload:?}");
            assert!(report.flushes >= 20);
            assert!(!render_human(&report).is_empty());
            assert!(serde_json::to_string(&report).is_ok());
        }
    }
}

#[test]
fn figures_keep_their_sanity_bounds() {
    let fifo = run(&small(SimStyle::Fifo, SimWorkload::InsertRandom)).unwrap();
    assert_eq!(fifo.write_amplification_vs_flush, 1.0);
    assert_eq!(fifo.compaction_bytes_written, 0);
    let overwrite = |style| run(&small(style, SimWorkload::UniformOverwrite)).unwrap();
    let leveled = overwrite(SimStyle::Leveled);
    let universal = overwrite(SimStyle::Universal);
    assert!(leveled.space_amplification < universal.space_amplification);
    assert!(universal.space_amplification <= 3.0);
    assert!(leveled.write_amplification > 1.0 && universal.write_amplification > 1.0);
}

#[test]
fn a_tight_compaction_bound_is_an_error() {
    let args = CompactionSimArgs {
        max_compactions_per_flush: 0,
        ..small(SimStyle::Leveled, SimWorkload::UniformOverwrite)
    };
    assert!(matches!(
        run(&args),
        Err(CompactionSimError::NotConverging { .. })
    ));
    let bad = CompactionSimArgs {
        keys: Some(10),
        ..small(SimStyle::Leveled, SimWorkload::InsertRandom)
    };
    assert!(run(&bad).unwrap_err().is_usage());
}

#[test]
fn presets_drive_the_simulator_by_name() {
    for name in ["ycsb-a", "delete-heavy", "ttl-series", "ycsb-d"] {
        let workload = SimWorkload::parse(name).unwrap();
        assert_eq!(workload, SimWorkload::Preset(name));
        let args = CompactionSimArgs {
            keys: Some(5_000),
            ..small(SimStyle::Leveled, workload)
        };
        let report = run(&args).unwrap();
        assert_eq!(report, run(&args).unwrap(), "{name}");
        assert_eq!(report.puts, 20_000, "{name}: writes counted, reads skipped");
        assert!(report.flushes > 0);
        let json = serde_json::to_string(&report).unwrap();
        assert!(json.contains(&format!("\"workload\":\"{name}\"")), "{json}");
        let back: CompactionSimReport = serde_json::from_str(&json).unwrap();
        assert_eq!(back.workload, workload);
    }
    let deletes = run(&CompactionSimArgs {
        keys: Some(5_000),
        ..small(SimStyle::Leveled, SimWorkload::Preset("delete-heavy"))
    })
    .unwrap();
    // 4 puts to 3 deletes over 5000 keys: about 4/7 of them live at the end.
    assert!(
        deletes.live_keys < 4_000,
        "deletes remove keys: {}",
        deletes.live_keys
    );
    assert!(SimWorkload::parse("nope").is_err());
    assert_eq!(
        SimWorkload::parse("uniform-overwrite"),
        Ok(SimWorkload::UniformOverwrite)
    );
    let reads_only = CompactionSimArgs {
        keys: Some(100),
        ..small(SimStyle::Leveled, SimWorkload::Preset("ycsb-c"))
    };
    assert!(run(&reads_only).unwrap_err().is_usage());
}

#[test]
fn the_concurrent_schedule_converges_and_slow_compaction_stalls_the_writer() {
    for style in [SimStyle::Leveled, SimStyle::Universal, SimStyle::Fifo] {
        let args = CompactionSimArgs {
            schedule: SimSchedule::Concurrent,
            ..small(style, SimWorkload::UniformOverwrite)
        };
        let report = run(&args).unwrap();
        assert_eq!(report, run(&args).unwrap(), "{style:?}: deterministic");
        assert_eq!(report.puts, 20_000);
        assert!(report.sim_time_s > 0.0);
        let quiesced = run(&small(style, SimWorkload::UniformOverwrite)).unwrap();
        assert_eq!(report.flushes, quiesced.flushes, "{style:?}: same flushes");
    }
    let fast = run(&CompactionSimArgs {
        schedule: SimSchedule::Concurrent,
        ..small(SimStyle::Leveled, SimWorkload::InsertRandom)
    })
    .unwrap();
    let slow = run(&CompactionSimArgs {
        schedule: SimSchedule::Concurrent,
        merge_mib_per_s: 0.05,
        ..small(SimStyle::Leveled, SimWorkload::InsertRandom)
    })
    .unwrap();
    assert!(
        slow.stall_time_s > fast.stall_time_s,
        "{} vs {}",
        slow.stall_time_s,
        fast.stall_time_s
    );
    assert!(slow.sorted_runs_max > fast.sorted_runs_max);
}

#[test]
fn deleting_inputs_holds_the_compaction_slot() {
    let with_deletes = |table_delete_us: f64| {
        run(&CompactionSimArgs {
            schedule: SimSchedule::Concurrent,
            table_delete_us,
            ..small(SimStyle::Leveled, SimWorkload::InsertRandom)
        })
        .unwrap()
    };
    let instant = with_deletes(0.0);
    let slow = with_deletes(50_000.0);
    // The same bytes merge, but each job keeps its slot longer: the run lasts longer and
    // L0 waits longer for the next job.
    assert!(slow.sim_time_s > instant.sim_time_s);
    assert!(slow.sorted_runs_max > instant.sorted_runs_max);
    let negative = CompactionSimArgs {
        schedule: SimSchedule::Concurrent,
        table_delete_us: -1.0,
        ..small(SimStyle::Leveled, SimWorkload::InsertRandom)
    };
    assert!(run(&negative).unwrap_err().is_usage());
}

#[test]
fn a_flush_slot_faster_than_the_writer_never_stops_fifo() {
    // FIFO never stalls on L0, so only a memtable waiting for the flush slot stops its
    // writer: at the merge rate the flush is slower than the writer fills a memtable.
    let fifo = |flush_mib_per_s: Option<f64>| {
        run(&CompactionSimArgs {
            schedule: SimSchedule::Concurrent,
            write_rate_puts_per_s: 700_000,
            merge_mib_per_s: 53.0,
            flush_mib_per_s,
            fifo_max_table_files_bytes: 1 << 20,
            ..small(SimStyle::Fifo, SimWorkload::InsertRandom)
        })
        .unwrap()
    };
    let at_merge_rate = fifo(None);
    assert!(at_merge_rate.stall_time_s > 0.0);
    assert_eq!(
        at_merge_rate,
        fifo(Some(53.0)),
        "the default is the merge rate"
    );
    let fast = fifo(Some(1_000.0));
    assert_eq!(fast.stall_time_s, 0.0);
    assert_eq!(fast.flushes, at_merge_rate.flushes);
    for bad in [0.0, -1.0, f64::NAN, f64::INFINITY] {
        let args = CompactionSimArgs {
            schedule: SimSchedule::Concurrent,
            flush_mib_per_s: Some(bad),
            ..small(SimStyle::Fifo, SimWorkload::InsertRandom)
        };
        assert!(run(&args).unwrap_err().is_usage(), "{bad}");
    }
}

#[test]
fn the_dumped_stream_is_nine_bytes_a_write() {
    let path = std::env::temp_dir().join(format!("sediment-dump-{}", std::process::id()));
    let args = CompactionSimArgs {
        keys: Some(5_000),
        ..small(SimStyle::Leveled, SimWorkload::Preset("delete-heavy"))
    };
    assert_eq!(dump_stream(&args, &path).unwrap(), 20_000);
    let bytes = std::fs::read(&path).unwrap();
    std::fs::remove_file(&path).unwrap();
    assert_eq!(bytes.len(), 20_000 * 9);
    assert!(
        bytes
            .chunks(9)
            .all(|write| write[0] == b'P' || write[0] == b'D')
    );
    assert!(bytes.chunks(9).any(|write| write[0] == b'D'));
    let missing = std::path::Path::new("/nonexistent-dir/stream");
    assert!(dump_stream(&args, missing).unwrap_err().is_usage());
}
