//! The SST reader: open, point lookups, whole and range iteration — on the input as given
//! and with its checksums re-sealed (so mutations reach the block, index and filter parsers).
#![no_main]

use libfuzzer_sys::fuzz_target;
use sediment_fuzz::{decoders, reseal};

fuzz_target!(|data: &[u8]| {
    decoders::sst(data);
    let mut resealed = data.to_vec();
    reseal::reseal_sst(&mut resealed);
    decoders::sst(&resealed);
});
