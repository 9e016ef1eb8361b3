//! The same spec and seed give the same stream; another seed gives another.
#![allow(clippy::unwrap_used)]

mod support;

use support::ops;
use workloads::{LoadStream, OpStream, preset, preset_names};

#[test]
fn same_seed_same_stream_for_every_preset() {
    for name in preset_names() {
        let spec = preset(name).unwrap();
        let first = ops(&spec, 42, 10_000);
        let second = ops(&spec, 42, 10_000);
        assert_eq!(first.len(), 10_000, "{name}");
        assert_eq!(first, second, "{name}");
    }
}

#[test]
fn different_seed_different_stream_for_every_preset() {
    for name in preset_names() {
        let spec = preset(name).unwrap();
        assert_ne!(ops(&spec, 1, 10_000), ops(&spec, 2, 10_000), "{name}");
    }
}

#[test]
fn a_cloned_stream_continues_identically() {
    let spec = preset("ycsb-e").unwrap();
    let mut stream = OpStream::new(&spec, 9).unwrap();
    stream.by_ref().take(1234).for_each(drop);
    let clone = stream.clone();
    assert!(stream.take(5000).eq(clone.take(5000)));
}

#[test]
fn load_phase_is_deterministic_and_seeded() {
    let spec = preset("ycsb-a").unwrap();
    let a: Vec<_> = LoadStream::new(&spec, 5).unwrap().collect();
    let b: Vec<_> = LoadStream::new(&spec, 5).unwrap().collect();
    let c: Vec<_> = LoadStream::new(&spec, 6).unwrap().collect();
    assert_eq!(a, b);
    assert_ne!(a, c);
}
