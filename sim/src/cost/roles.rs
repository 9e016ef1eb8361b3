//! Which role a store request came from, judged by the sending node's name. The world
//! names its nodes `writer-<i>` (the writer, its embedded compactor, the remote primary),
//! `compactor-<i>` (standalone compactors), `gc` and `worker-<i>` (remote workers). The
//! checks and the report read the store's state directly, never through a request, so no
//! observer traffic is counted; any other sender is `other`.

use serde::Serialize;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Writer,
    Compactor,
    Gc,
    Workers,
    Other,
}

impl Role {
    pub const ALL: [Role; 5] = [
        Role::Writer,
        Role::Compactor,
        Role::Gc,
        Role::Workers,
        Role::Other,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Role::Writer => "writer",
            Role::Compactor => "compactor",
            Role::Gc => "gc",
            Role::Workers => "workers",
            Role::Other => "other",
        }
    }
}

/// The role of the node named `node`.
pub fn role_of(node: &str) -> Role {
    let indexed = |prefix: &str| {
        node.strip_prefix(prefix)
            .is_some_and(|index| !index.is_empty() && index.bytes().all(|b| b.is_ascii_digit()))
    };
    if indexed("writer-") {
        Role::Writer
    } else if indexed("compactor-") {
        Role::Compactor
    } else if node == "gc" {
        Role::Gc
    } else if indexed("worker-") {
        Role::Workers
    } else {
        Role::Other
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_by_node_name() {
        assert_eq!(role_of("writer-0"), Role::Writer);
        assert_eq!(role_of("writer-12"), Role::Writer);
        assert_eq!(role_of("compactor-1"), Role::Compactor);
        assert_eq!(role_of("gc"), Role::Gc);
        assert_eq!(role_of("worker-3"), Role::Workers);
        assert_eq!(role_of("writer-"), Role::Other);
        assert_eq!(role_of("client-0"), Role::Other);
        assert_eq!(role_of("gc-1"), Role::Other);
    }
}
