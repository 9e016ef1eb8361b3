//! Small helpers of the cases: calls that turn unexpected answers into messages.

use bytes::Bytes;
use lsm_core::store::{
    Attributes, ETag, GetRange, GetResult, ObjectMeta, ObjectStore, PutMode, StoreError,
};

pub type CaseResult = Result<(), String>;

/// Fails the case with a message unless `$cond`.
macro_rules! ensure {
    ($cond:expr, $($message:tt)+) => {
        if !$cond {
            return Err(format!($($message)+));
        }
    };
}

/// Fails the case unless `$left == $right`, showing both.
macro_rules! ensure_eq {
    ($left:expr, $right:expr, $($message:tt)+) => {{
        let (left, right) = (&$left, &$right);
        if left != right {
            return Err(format!(
                "{}: got {:?}, want {:?}",
                format!($($message)+),
                left,
                right
            ));
        }
    }};
}

pub(crate) use {ensure, ensure_eq};

pub fn no_attributes() -> Attributes {
    Attributes::new()
}

pub fn attributes(pairs: &[(&str, &str)]) -> Attributes {
    pairs
        .iter()
        .map(|(key, value)| (key.to_string(), value.to_string()))
        .collect()
}

/// A put that must succeed.
pub async fn put_ok<S: ObjectStore>(
    store: &S,
    path: &str,
    body: impl Into<Bytes>,
    mode: PutMode,
    attributes: Attributes,
) -> Result<ETag, String> {
    let mode_shown = format!("{mode:?}");
    store
        .put(path, body.into(), mode, attributes)
        .await
        .map_err(|error| format!("put {path:?} {mode_shown}: unexpected {error:?}"))
}

pub async fn get_ok<S: ObjectStore>(
    store: &S,
    path: &str,
    range: GetRange,
) -> Result<GetResult, String> {
    store
        .get(path, range)
        .await
        .map_err(|error| format!("get {path:?} {range:?}: unexpected {error:?}"))
}

pub async fn head_ok<S: ObjectStore>(store: &S, path: &str) -> Result<ObjectMeta, String> {
    store
        .head(path)
        .await
        .map_err(|error| format!("head {path:?}: unexpected {error:?}"))
}

pub async fn list_ok<S: ObjectStore>(store: &S, prefix: &str) -> Result<Vec<ObjectMeta>, String> {
    store
        .list(prefix)
        .await
        .map_err(|error| format!("list {prefix:?}: unexpected {error:?}"))
}

pub async fn delete_ok<S: ObjectStore>(store: &S, path: &str) -> Result<(), String> {
    store
        .delete(path)
        .await
        .map_err(|error| format!("delete {path:?}: unexpected {error:?}"))
}

pub fn not_found(path: &str) -> StoreError {
    StoreError::NotFound {
        path: path.to_string(),
    }
}

/// `len` bytes of a fixed pseudo-random pattern (xorshift), different per `seed`.
pub fn pattern(len: usize, seed: u64) -> Bytes {
    let mut state = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let mut out = Vec::with_capacity(len);
    while out.len() < len {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        let take = (len - out.len()).min(8);
        out.extend_from_slice(&state.to_le_bytes()[..take]);
    }
    Bytes::from(out)
}
