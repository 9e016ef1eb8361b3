//! `sim lincheck --format porcupine-kv`: the EDN map reader, line by line, and the whole
//! history parser.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sim::lincheck::parse::{edn, porcupine_kv};

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        for line in text.lines() {
            let _ = edn::parse_map(line);
        }
        let _ = porcupine_kv::parse(text);
    }
});
