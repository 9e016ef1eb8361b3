//! Which protocol step a store request belongs to, judged from its op and path: the column
//! of a campaign's coverage table (fault kind × protocol step).

use super::op::StoreOp;

/// The protocol step of a request, by the object layout (DESIGN.md, "Object layout").
pub fn protocol_step(op: StoreOp, path: &str) -> &'static str {
    let area = path.split('/').next().unwrap_or("");
    match (area, op) {
        ("wal", StoreOp::PutCreate | StoreOp::PutOverwrite | StoreOp::PutUpdate) => "wal-write",
        ("wal", StoreOp::Head) => "leadership-check",
        ("wal", _) => "wal-read",
        ("sst", StoreOp::PutCreate | StoreOp::PutOverwrite | StoreOp::PutUpdate) => "sst-upload",
        ("sst", StoreOp::Delete) => "sst-delete",
        ("sst", StoreOp::List) => "sst-list",
        ("sst", _) => "sst-read",
        ("manifest", StoreOp::PutCreate | StoreOp::PutOverwrite | StoreOp::PutUpdate) => {
            "manifest-cas"
        }
        ("manifest", _) => "manifest-read",
        _ => "other",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steps_follow_the_layout() {
        let wal = "wal/00000000000000000001.wal";
        assert_eq!(protocol_step(StoreOp::PutCreate, wal), "wal-write");
        assert_eq!(protocol_step(StoreOp::Get, wal), "wal-read");
        assert_eq!(
            protocol_step(StoreOp::PutCreate, "sst/12.sst"),
            "sst-upload"
        );
        assert_eq!(protocol_step(StoreOp::List, "sst/"), "sst-list");
        assert_eq!(
            protocol_step(StoreOp::PutCreate, "manifest/00000000000000000002.manifest"),
            "manifest-cas"
        );
        assert_eq!(protocol_step(StoreOp::Get, "jobs/x"), "other");
    }
}
