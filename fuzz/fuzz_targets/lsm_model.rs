//! Memtable, SST and merge operations against a `BTreeMap` oracle; see
//! `sediment_fuzz::model`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sediment_fuzz::model;

fuzz_target!(|input: model::Input| {
    model::run(input);
});
