//! `sim lincheck --format jepsen-etcd`: the Jepsen etcd log parser.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sim::lincheck::parse::jepsen;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = jepsen::parse(text);
    }
});
