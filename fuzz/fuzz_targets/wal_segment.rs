//! The WAL segment decoder (strict, expecting an id, and prefix), on the input as given and
//! with its header and frame checksums re-sealed.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sediment_fuzz::{decoders, reseal};

fuzz_target!(|data: &[u8]| {
    decoders::wal(data);
    let mut resealed = data.to_vec();
    reseal::reseal_wal(&mut resealed);
    decoders::wal(&resealed);
});
