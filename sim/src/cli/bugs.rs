//! `sim bugs`: the injectable protocol bugs, one sentence each (see `lsm_core::bugs`), and
//! `--bug NAME`'s values: both from `Bug::ALL`, so the list `--bug` accepts is the one
//! `sim bugs` prints.

use clap::ValueEnum;
use clap::builder::PossibleValue;
use lsm_core::bugs::Bug;
use std::process::ExitCode;

/// Core's [`Bug`] as a command-line value (clap's trait cannot be implemented on core's
/// type here, and core knows nothing of clap).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BugName(pub Bug);

/// Every bug, wrapped, in `Bug::ALL`'s order.
static BUG_NAMES: [BugName; Bug::ALL.len()] = wrap_all();

const fn wrap_all() -> [BugName; Bug::ALL.len()] {
    let mut names = [BugName(Bug::ALL[0]); Bug::ALL.len()];
    let mut index = 0;
    while index < Bug::ALL.len() {
        names[index] = BugName(Bug::ALL[index]);
        index += 1;
    }
    names
}

impl ValueEnum for BugName {
    fn value_variants<'a>() -> &'a [BugName] {
        &BUG_NAMES
    }

    fn to_possible_value(&self) -> Option<PossibleValue> {
        Some(PossibleValue::new(self.0.name()).help(self.0.description()))
    }
}

pub fn run() -> ExitCode {
    let width = Bug::ALL
        .iter()
        .map(|bug| bug.name().len())
        .max()
        .unwrap_or(0);
    for bug in Bug::ALL {
        println!("{:width$}  {}", bug.name(), bug.description());
    }
    ExitCode::SUCCESS
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_bug_parses_back_from_its_name() {
        for bug in Bug::ALL {
            assert_eq!(BugName::from_str(bug.name(), false), Ok(BugName(bug)));
        }
        assert_eq!(BugName::value_variants().len(), Bug::ALL.len());
        assert!(BugName::from_str("no-such-bug", false).is_err());
    }
}
