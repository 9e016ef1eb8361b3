//! What a check that watches the run found wrong: how often, and the first few findings in
//! full.

/// Violations kept per check (the first ones say what went wrong; the count says how often).
const VIOLATIONS_KEPT_MAX: usize = 20;

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Violations {
    pub count: u64,
    pub first: Vec<String>,
}

impl Violations {
    pub fn push(&mut self, what: String) {
        self.count += 1;
        if self.first.len() < VIOLATIONS_KEPT_MAX {
            self.first.push(what);
        }
    }
}
