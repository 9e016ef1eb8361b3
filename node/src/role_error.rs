//! Why a role process stopped: the exit status follows from it.

use std::fmt;

#[derive(Debug)]
pub enum RoleError {
    /// The store could not be opened (bad URL, directory, S3 settings): bad input.
    Store(stores::OpenError),
    /// The command line and the configuration contradict each other: bad input.
    Usage(String),
    /// A newer incarnation of the role took over.
    Fenced(String),
    Compactor(String),
    Io(String),
}

impl fmt::Display for RoleError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RoleError::Store(error) => write!(f, "cannot open the store: {error}"),
            RoleError::Usage(detail) => write!(f, "{detail}"),
            RoleError::Fenced(detail) => write!(f, "fenced by a newer incarnation: {detail}"),
            RoleError::Compactor(detail) => write!(f, "compactor: {detail}"),
            RoleError::Io(detail) => write!(f, "{detail}"),
        }
    }
}

impl RoleError {
    /// 2 for bad input (the configuration's store), 1 for anything that happened at run time.
    pub fn exit_code(&self) -> u8 {
        match self {
            RoleError::Store(_) | RoleError::Usage(_) => 2,
            _ => 1,
        }
    }
}
