//! Choosing the kind of each operation from the mix.

use crate::spec::Mix;

/// The six kinds a [`Mix`] weighs, in the order the ratios are laid out on `[0, 1)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum OpKind {
    Read,
    Update,
    Insert,
    Scan,
    ReadModifyWrite,
    Delete,
}

const KINDS: [OpKind; 6] = [
    OpKind::Read,
    OpKind::Update,
    OpKind::Insert,
    OpKind::Scan,
    OpKind::ReadModifyWrite,
    OpKind::Delete,
];

/// Cumulative thresholds of a validated mix.
#[derive(Clone, Debug)]
pub(crate) struct MixChooser {
    upper_bounds: [f64; 6],
    /// The last kind with a non-zero ratio: takes a draw above the last bound, which only
    /// rounding (ratios summing to just under 1) can produce.
    fallback: OpKind,
}

impl MixChooser {
    pub(crate) fn new(mix: &Mix) -> MixChooser {
        let mut upper_bounds = [0.0; 6];
        let mut cumulative = 0.0;
        let mut fallback = OpKind::Read;
        for ((bound, (_, ratio)), kind) in upper_bounds.iter_mut().zip(mix.named()).zip(KINDS) {
            cumulative += ratio;
            *bound = cumulative;
            if ratio > 0.0 {
                fallback = kind;
            }
        }
        MixChooser {
            upper_bounds,
            fallback,
        }
    }

    /// The kind for a uniform draw `u` in `[0, 1)`; a kind with ratio 0 is never chosen.
    pub(crate) fn choose(&self, u: f64) -> OpKind {
        self.upper_bounds
            .iter()
            .zip(KINDS)
            .find(|(bound, _)| u < **bound)
            .map_or(self.fallback, |(_, kind)| kind)
    }
}
