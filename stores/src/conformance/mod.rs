//! The store conformance suite: S3's semantics as named cases, written once and run against
//! every store — core's `MemoryStore`, the simulated store (faults off), and the local-files,
//! memory and S3 adapters. Generic over core's `ObjectStore` and runtime-agnostic (it only
//! awaits the store's futures), so the simulator runs it inside madsim and the adapters'
//! tests inside tokio.
//!
//! Each case works under its own prefix (`ROOT<case>/`), so one store can hold every case's
//! objects; run the suite on an empty `ROOT`.

mod checks;
mod listing;
mod puts;
mod reads;

use lsm_core::store::ObjectStore;

/// Every case, by name, in the order [`run_all`] runs them.
pub const CASES: &[&str] = &[
    "put_overwrite",
    "put_create_if_absent",
    "put_update_if_match",
    "put_update_after_delete",
    "put_update_after_overwrite",
    "racing_creates",
    "racing_updates",
    "etags_identify_versions",
    "attributes_round_trip",
    "ranged_gets",
    "empty_object",
    "large_object",
    "overwrite_shrinks",
    "absent_objects",
    "delete_is_idempotent",
    "list_order_and_prefixes",
    "odd_keys",
];

/// A case that failed, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CaseFailure {
    pub case: &'static str,
    pub message: String,
}

/// Runs the case `case` (one of [`CASES`]) under `ROOT<case>/`.
pub async fn run_case<S: ObjectStore>(store: &S, case: &str, root: &str) -> Result<(), String> {
    let prefix = format!("{root}{case}/");
    let p = prefix.as_str();
    match case {
        "put_overwrite" => puts::overwrite(store, p).await,
        "put_create_if_absent" => puts::create_if_absent(store, p).await,
        "put_update_if_match" => puts::update_if_match(store, p).await,
        "put_update_after_delete" => puts::update_after_delete(store, p).await,
        "put_update_after_overwrite" => puts::update_after_overwrite(store, p).await,
        "racing_creates" => puts::racing_creates(store, p).await,
        "racing_updates" => puts::racing_updates(store, p).await,
        "etags_identify_versions" => reads::etags_identify_versions(store, p).await,
        "attributes_round_trip" => reads::attributes_round_trip(store, p).await,
        "ranged_gets" => reads::ranged_gets(store, p).await,
        "empty_object" => reads::empty_object(store, p).await,
        "large_object" => reads::large_object(store, p).await,
        "overwrite_shrinks" => reads::overwrite_shrinks(store, p).await,
        "absent_objects" => reads::absent_objects(store, p).await,
        "delete_is_idempotent" => listing::delete_is_idempotent(store, p).await,
        "list_order_and_prefixes" => listing::list_order_and_prefixes(store, p).await,
        "odd_keys" => listing::odd_keys(store, p).await,
        _ => panic!("no conformance case named {case:?}; see CASES"),
    }
}

/// Runs every case; returns the failures (empty: the store conforms).
pub async fn run_all<S: ObjectStore>(store: &S, root: &str) -> Vec<CaseFailure> {
    let mut failures = Vec::new();
    for case in CASES {
        if let Err(message) = run_case(store, case, root).await {
            failures.push(CaseFailure { case, message });
        }
    }
    failures
}

/// Panics with every failure of `backend`, one per line, or returns when there are none.
pub fn assert_conforms(backend: &str, failures: &[CaseFailure]) {
    let lines: Vec<String> = failures
        .iter()
        .map(|failure| format!("  {}: {}", failure.case, failure.message))
        .collect();
    assert!(
        failures.is_empty(),
        "{backend} fails {} of {} conformance cases:\n{}",
        failures.len(),
        CASES.len(),
        lines.join("\n")
    );
}
