//! The campaign results reader (`sim campaign --out FILE --resume`): one `SeedResult` JSON
//! object per line. The reader lives in the `sim` binary (`sim/src/cli/campaign`), which no
//! other crate can depend on, so its file is compiled in here by path.
#![no_main]

#[path = "../../sim/src/cli/campaign/child.rs"]
#[allow(dead_code)]
mod child;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // As `read_previous` reads its file: line by line, skipping what does not parse.
    for line in String::from_utf8_lossy(data).lines() {
        if let Ok(result) = serde_json::from_str::<child::SeedResult>(line) {
            let again = serde_json::to_string(&result).expect("a result serializes");
            let back: child::SeedResult = serde_json::from_str(&again).expect("and parses back");
            // `PartialEq` with floats: compare the re-serialized text instead.
            assert_eq!(serde_json::to_string(&back).expect("serializes"), again);
        }
    }
});
