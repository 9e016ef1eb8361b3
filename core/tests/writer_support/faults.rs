//! What the fault-schedule tests share: the schedules of lost replies and transient errors
//! they all run, and the values each key may hold after writes of unknown outcome.

use super::Fault;
use std::collections::{BTreeMap, BTreeSet};

/// The acceptable values of each key: exactly one once a write was acknowledged, several
/// after writes whose outcome stayed unknown.
pub type Possible = BTreeMap<String, BTreeSet<Option<String>>>;

/// Records a write of `value` to `key` (`None`: a delete); `certain` once acknowledged.
pub fn record(possible: &mut Possible, key: &str, value: Option<String>, certain: bool) {
    let entry = possible
        .entry(key.to_string())
        .or_insert_with(|| BTreeSet::from([None]));
    if certain {
        entry.clear();
    }
    entry.insert(value);
}

/// Short mixes of lost replies (applied or not) and transient errors.
pub fn mixed_fault_patterns() -> Vec<Vec<Fault>> {
    vec![
        vec![Fault::None, Fault::LostReplyApplied],
        vec![Fault::None, Fault::LostReplyDropped, Fault::None],
        vec![
            Fault::Transient,
            Fault::None,
            Fault::LostReplyApplied,
            Fault::LostReplyDropped,
        ],
    ]
}

/// The mixes, a longer one, and runs of lost replies long enough to exhaust every retry
/// (unresolved installs); each test adds its own run of transient errors.
pub fn compaction_fault_patterns() -> Vec<Vec<Fault>> {
    let mut patterns = mixed_fault_patterns();
    patterns.extend([
        [
            vec![Fault::None; 6],
            vec![Fault::LostReplyApplied],
            vec![Fault::Transient; 3],
            vec![Fault::LostReplyDropped; 2],
        ]
        .concat(),
        [vec![Fault::None; 23], vec![Fault::LostReplyDropped; 8]].concat(),
        [vec![Fault::None; 17], vec![Fault::LostReplyApplied; 8]].concat(),
    ]);
    patterns
}
