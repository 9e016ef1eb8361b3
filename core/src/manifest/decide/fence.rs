//! Fencing decisions: a new incarnation claims the next epoch of its role.

use super::Decision;
use crate::ids::Epoch;
use crate::manifest::{Edit, Manifest, ManifestError, Role};

/// A new writer incarnation claims the epoch after the newest manifest's.
pub fn fence_writer(latest: &Manifest) -> Result<Decision<Epoch>, ManifestError> {
    let new_epoch = next_epoch(latest.writer_epoch, "writer epoch")?;
    let edit = Edit::FenceWriter { new_epoch };
    Ok(Decision::Install {
        edit,
        output: new_epoch,
    })
}

/// A new compactor incarnation claims the epoch after the newest manifest's. An embedded
/// compactor names its writer's epoch (`writer_epoch`): refused once another writer fenced
/// it, since this incarnation is then already a zombie.
pub fn fence_compactor(
    latest: &Manifest,
    writer_epoch: Option<Epoch>,
) -> Result<Decision<Epoch>, ManifestError> {
    if let Some(writer_epoch) = writer_epoch
        && latest.writer_epoch != writer_epoch
    {
        return Err(ManifestError::StaleEpoch {
            role: Role::Writer,
            edit_epoch: writer_epoch,
            current_epoch: latest.writer_epoch,
        });
    }
    let new_epoch = next_epoch(latest.compactor_epoch, "compactor epoch")?;
    let edit = Edit::FenceCompactor { new_epoch };
    Ok(Decision::Install {
        edit,
        output: new_epoch,
    })
}

fn next_epoch(current: Epoch, what: &'static str) -> Result<Epoch, ManifestError> {
    let next = current
        .0
        .checked_add(1)
        .ok_or(ManifestError::Overflow { what })?;
    Ok(Epoch(next))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_writer_claims_the_next_epoch() {
        let mut latest = Manifest::initial();
        latest.writer_epoch = Epoch(4);
        let decision = fence_writer(&latest).unwrap();
        assert_eq!(*decision.output(), Epoch(5));
        assert_eq!(
            decision.edit(),
            Some(&Edit::FenceWriter {
                new_epoch: Epoch(5)
            })
        );
    }

    #[test]
    fn an_epoch_at_its_maximum_is_an_overflow_not_a_wrap() {
        let mut latest = Manifest::initial();
        latest.writer_epoch = Epoch(u64::MAX);
        latest.compactor_epoch = Epoch(u64::MAX);
        assert!(matches!(
            fence_writer(&latest),
            Err(ManifestError::Overflow { .. })
        ));
        assert!(matches!(
            fence_compactor(&latest, None),
            Err(ManifestError::Overflow { .. })
        ));
    }

    #[test]
    fn a_new_compactor_claims_the_next_epoch() {
        let mut latest = Manifest::initial();
        latest.compactor_epoch = Epoch(2);
        let decision = fence_compactor(&latest, None).unwrap();
        assert_eq!(*decision.output(), Epoch(3));
    }

    #[test]
    fn an_embedded_compactor_of_a_fenced_writer_cannot_fence() {
        let mut latest = Manifest::initial();
        latest.writer_epoch = Epoch(7);
        let refused = fence_compactor(&latest, Some(Epoch(6)));
        assert!(matches!(refused, Err(error) if error.is_fenced()));
        assert!(fence_compactor(&latest, Some(Epoch(7))).is_ok());
    }
}
