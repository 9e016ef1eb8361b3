//! The remote compaction job decoder, on the input as given and with its checksum re-sealed;
//! whatever decodes must round-trip.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sediment_fuzz::{decoders, reseal};

fuzz_target!(|data: &[u8]| {
    decoders::remote_job(data);
    let mut resealed = data.to_vec();
    reseal::reseal_trailer(&mut resealed);
    decoders::remote_job(&resealed);
});
