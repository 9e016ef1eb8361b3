//! Where each role runs relative to the bucket. The default is the deployment a standalone
//! compactor is for: the writer anywhere (cross-region), the compactor, the garbage
//! collector and the remote workers next to the bucket (in-region).

use super::roles::Role;
use serde::Serialize;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum Region {
    /// In the bucket's region: transfer is free.
    InRegion,
    /// Outside it: every byte read from the bucket is egress.
    CrossRegion,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Placement {
    pub writer: Region,
    pub compactor: Region,
    pub gc: Region,
    pub workers: Region,
}

impl Default for Placement {
    fn default() -> Placement {
        Placement {
            writer: Region::CrossRegion,
            compactor: Region::InRegion,
            gc: Region::InRegion,
            workers: Region::InRegion,
        }
    }
}

impl Placement {
    /// Where `role` runs; senders of no known role are taken to be in-region.
    pub fn region_of(&self, role: Role) -> Region {
        match role {
            Role::Writer => self.writer,
            Role::Compactor => self.compactor,
            Role::Gc => self.gc,
            Role::Workers => self.workers,
            Role::Other => Region::InRegion,
        }
    }

    /// `writer cross-region, compactor in-region, ...` for the summary.
    pub fn describe(&self) -> String {
        let name = |region: Region| match region {
            Region::InRegion => "in-region",
            Region::CrossRegion => "cross-region",
        };
        format!(
            "writer {}, compactor {}, gc {}, workers {}",
            name(self.writer),
            name(self.compactor),
            name(self.gc),
            name(self.workers)
        )
    }
}
