//! The campaign results reader (`sim campaign --out FILE --resume`, `sim campaign merge`): a
//! header line, then one `SeedResult` JSON object per line. The reader lives in the `sim`
//! binary (`sim/src/cli/campaign`), which no other crate can depend on, so its files are
//! compiled in here by path, as one module tree like the binary's.
#![no_main]

#[allow(dead_code)]
#[path = "../../sim/src/cli/campaign"]
mod campaign {
    pub mod child;
    pub mod results_file;
    pub mod stop;
}

use campaign::child::SeedResult;
use campaign::results_file::ResultsFile;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let file = ResultsFile::parse(data);
    // A torn line is the last one, and nothing after it was classified.
    if let Some(torn) = file.torn {
        assert!(torn.offset_bytes <= data.len() as u64);
        assert!(file.results.iter().all(|(line, _)| *line < torn.line));
    }
    for (_, result) in &file.results {
        let again = serde_json::to_string(result).expect("a result serializes");
        let back: SeedResult = serde_json::from_str(&again).expect("and parses back");
        // `PartialEq` with floats: compare the re-serialized text instead.
        assert_eq!(serde_json::to_string(&back).expect("serializes"), again);
    }
});
