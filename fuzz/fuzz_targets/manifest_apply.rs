//! A sequence of manifest edits (an `arbitrary` mirror of `Edit`) applied from the empty
//! manifest; see `sediment_fuzz::edits`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sediment_fuzz::edits;

fuzz_target!(|input: edits::Input| {
    edits::run(&input);
});
