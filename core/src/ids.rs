//! Newtypes for the numbers that must never be mixed up.

use serde::{Deserialize, Serialize};

macro_rules! id_newtype {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(
            Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
        )]
        pub struct $name(pub u64);

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                write!(f, "{}", self.0)
            }
        }
    };
}

id_newtype!(
    /// Sequence number of a write; higher is newer. Assigned by the writer.
    SeqNum
);
id_newtype!(
    /// Unique id of an SST object. Unique without coordination: see [`SstId::compose`].
    SstId
);
id_newtype!(
    /// Id of a WAL segment object; segments are numbered consecutively by the writer.
    WalId
);
id_newtype!(
    /// Fencing epoch of a role (writer or compactor); a newer incarnation bumps it.
    Epoch
);
id_newtype!(
    /// Version number of an immutable manifest object.
    ManifestVersion
);
id_newtype!(
    /// Id of a checkpoint recorded in the manifest.
    CheckpointId
);

impl SeqNum {
    /// The largest sequence number; sorts first among versions of one user key.
    pub const MAX: SeqNum = SeqNum(u64::MAX);
}

/// Which role minted an SST id; part of the id so roles never collide.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum IdRole {
    Writer = 1,
    Compactor = 2,
    RemoteWorker = 3,
}

impl SstId {
    const ROLE_BITS: u32 = 4;
    const EPOCH_BITS: u32 = 24;
    const COUNTER_BITS: u32 = 64 - Self::ROLE_BITS - Self::EPOCH_BITS;

    /// Builds an id unique without coordination from (role, epoch, per-incarnation counter).
    /// Returns `None` when epoch or counter overflow their bit budget.
    pub fn compose(role: IdRole, epoch: Epoch, counter: u64) -> Option<SstId> {
        if epoch.0 >= (1 << Self::EPOCH_BITS) || counter >= (1 << Self::COUNTER_BITS) {
            return None;
        }
        let role_bits = role as u64;
        let id = SstId(
            (role_bits << (Self::EPOCH_BITS + Self::COUNTER_BITS))
                | (epoch.0 << Self::COUNTER_BITS)
                | counter,
        );
        // Paired with the readers below, which GC relies on to judge orphans.
        assert_eq!(id.role(), Some(role));
        assert_eq!(id.epoch(), epoch);
        assert_eq!(id.counter(), counter);
        Some(id)
    }

    /// The role that minted this id, if its role bits name one (ids built by hand in tests,
    /// or by anything other than [`SstId::compose`], may name none).
    pub fn role(self) -> Option<IdRole> {
        match self.0 >> (Self::EPOCH_BITS + Self::COUNTER_BITS) {
            1 => Some(IdRole::Writer),
            2 => Some(IdRole::Compactor),
            3 => Some(IdRole::RemoteWorker),
            _ => None,
        }
    }

    /// The epoch of the incarnation that minted this id (meaningful when [`SstId::role`] is
    /// `Some`): garbage collection uses it to tell a fenced incarnation's uploads, which can
    /// never be installed, from work still in flight.
    pub fn epoch(self) -> Epoch {
        Epoch((self.0 >> Self::COUNTER_BITS) & ((1 << Self::EPOCH_BITS) - 1))
    }

    /// The per-incarnation counter part of the id.
    pub fn counter(self) -> u64 {
        self.0 & ((1 << Self::COUNTER_BITS) - 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn composed_ids_differ_by_role_epoch_and_counter() {
        let a = SstId::compose(IdRole::Writer, Epoch(1), 7).unwrap();
        let b = SstId::compose(IdRole::Compactor, Epoch(1), 7).unwrap();
        let c = SstId::compose(IdRole::Writer, Epoch(2), 7).unwrap();
        let d = SstId::compose(IdRole::Writer, Epoch(1), 8).unwrap();
        let all = [a, b, c, d];
        for (i, x) in all.iter().enumerate() {
            for y in &all[i + 1..] {
                assert_ne!(x, y);
            }
        }
        assert!(SstId::compose(IdRole::Writer, Epoch(1 << 24), 0).is_none());
        assert!(SstId::compose(IdRole::Writer, Epoch(0), 1 << 36).is_none());
    }

    #[test]
    fn role_epoch_and_counter_invert_compose() {
        let roles = [IdRole::Writer, IdRole::Compactor, IdRole::RemoteWorker];
        let epochs = [0, 1, 77, (1 << 24) - 1];
        let counters = [0, 1, 123_456, (1 << 36) - 1];
        for role in roles {
            for epoch in epochs {
                for counter in counters {
                    let id = SstId::compose(role, Epoch(epoch), counter).unwrap();
                    assert_eq!(id.role(), Some(role));
                    assert_eq!(id.epoch(), Epoch(epoch));
                    assert_eq!(id.counter(), counter);
                }
            }
        }
        assert_eq!(SstId(5).role(), None);
        assert_eq!(SstId(5).epoch(), Epoch(0));
        assert_eq!(SstId(u64::MAX).role(), None);
        assert_eq!(SstId(4 << 60).role(), None);
    }
}
