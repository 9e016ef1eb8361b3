//! A fault-free in-memory object store for unit tests and examples.

use super::{
    Attributes, ETag, GetRange, GetResult, ObjectMeta, ObjectStore, PutMode, StoreError,
    check_put_precondition, slice_range,
};
use bytes::Bytes;
use std::collections::BTreeMap;
use std::sync::Mutex;

#[derive(Clone, Debug)]
struct StoredObject {
    bytes: Bytes,
    etag: ETag,
    attributes: Attributes,
}

#[derive(Debug, Default)]
struct State {
    objects: BTreeMap<String, StoredObject>,
    /// Source of etags: one per successful put, so every version has its own tag.
    puts_total: u64,
}

/// Strongly consistent, never fails, answers at once. Etags are `"v<N>"` for the Nth put.
#[derive(Debug, Default)]
pub struct MemoryStore {
    state: Mutex<State>,
}

impl MemoryStore {
    pub fn new() -> MemoryStore {
        MemoryStore::default()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        // A poisoned lock only means another test thread panicked; the map is still whole.
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn meta(path: &str, object: &StoredObject) -> ObjectMeta {
        ObjectMeta {
            attributes: object.attributes.clone(),
            ..Self::listed_meta(path, object)
        }
    }

    /// The object as a listing shows it: no attributes, as on S3.
    fn listed_meta(path: &str, object: &StoredObject) -> ObjectMeta {
        ObjectMeta {
            path: path.to_string(),
            size_bytes: object.bytes.len() as u64,
            etag: object.etag.clone(),
            attributes: Attributes::new(),
        }
    }

    fn get_now(&self, path: &str, range: GetRange) -> Result<GetResult, StoreError> {
        let state = self.lock();
        let object = state
            .objects
            .get(path)
            .ok_or_else(|| StoreError::NotFound {
                path: path.to_string(),
            })?;
        let bytes = slice_range(path, &object.bytes, range)?;
        assert!(bytes.len() <= object.bytes.len());
        Ok(GetResult {
            meta: Self::meta(path, object),
            bytes,
        })
    }

    fn put_now(
        &self,
        path: &str,
        bytes: Bytes,
        mode: PutMode,
        attributes: Attributes,
    ) -> Result<ETag, StoreError> {
        let mut state = self.lock();
        let current = state.objects.get(path).map(|object| &object.etag);
        check_put_precondition(path, current, &mode)?;
        state.puts_total += 1;
        let etag = ETag(format!("v{}", state.puts_total));
        // A new tag per version: a conditional put can never match a replaced version.
        assert!(current_tag_differs(state.objects.get(path), &etag));
        state.objects.insert(
            path.to_string(),
            StoredObject {
                bytes,
                etag: etag.clone(),
                attributes,
            },
        );
        Ok(etag)
    }
}

fn current_tag_differs(current: Option<&StoredObject>, etag: &ETag) -> bool {
    current.is_none_or(|object| object.etag != *etag)
}

impl ObjectStore for MemoryStore {
    async fn get(&self, path: &str, range: GetRange) -> Result<GetResult, StoreError> {
        self.get_now(path, range)
    }

    async fn head(&self, path: &str) -> Result<ObjectMeta, StoreError> {
        let state = self.lock();
        state
            .objects
            .get(path)
            .map(|object| Self::meta(path, object))
            .ok_or_else(|| StoreError::NotFound {
                path: path.to_string(),
            })
    }

    async fn put(
        &self,
        path: &str,
        bytes: Bytes,
        mode: PutMode,
        attributes: Attributes,
    ) -> Result<ETag, StoreError> {
        self.put_now(path, bytes, mode, attributes)
    }

    async fn delete(&self, path: &str) -> Result<(), StoreError> {
        self.lock().objects.remove(path);
        Ok(())
    }

    async fn list(&self, prefix: &str) -> Result<Vec<ObjectMeta>, StoreError> {
        let state = self.lock();
        let listed: Vec<ObjectMeta> = state
            .objects
            .range(prefix.to_string()..)
            .take_while(|(path, _)| path.starts_with(prefix))
            .map(|(path, object)| Self::listed_meta(path, object))
            .collect();
        // S3 lists in key order; roles rely on it (WAL replay, manifest discovery).
        assert!(listed.windows(2).all(|pair| pair[0].path < pair[1].path));
        Ok(listed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::future::Future;
    use std::pin::pin;
    use std::task::{Context, Poll, Waker};

    /// The memory store never waits, so one poll completes any of its futures.
    fn now<F: Future>(future: F) -> F::Output {
        let mut future = pin!(future);
        match future
            .as_mut()
            .poll(&mut Context::from_waker(Waker::noop()))
        {
            Poll::Ready(output) => output,
            Poll::Pending => panic!("memory store future was pending"),
        }
    }

    fn put(
        store: &MemoryStore,
        path: &str,
        body: &'static [u8],
        mode: PutMode,
    ) -> Result<ETag, StoreError> {
        now(store.put(path, Bytes::from_static(body), mode, Attributes::new()))
    }

    #[test]
    fn create_if_absent_fails_when_present() {
        let store = MemoryStore::new();
        put(&store, "a", b"1", PutMode::Create).unwrap();
        assert_eq!(
            put(&store, "a", b"2", PutMode::Create),
            Err(StoreError::AlreadyExists { path: "a".into() })
        );
        assert_eq!(
            &now(store.get("a", GetRange::Whole)).unwrap().bytes[..],
            b"1"
        );
    }

    #[test]
    fn update_if_match_needs_the_current_tag() {
        let store = MemoryStore::new();
        let first = put(&store, "m", b"1", PutMode::Create).unwrap();
        let second = put(&store, "m", b"2", PutMode::Update(first.clone())).unwrap();
        assert_ne!(first, second);
        assert_eq!(
            put(&store, "m", b"3", PutMode::Update(first)),
            Err(StoreError::PreconditionFailed { path: "m".into() })
        );
        assert_eq!(
            put(&store, "absent", b"3", PutMode::Update(second)),
            Err(StoreError::NotFound {
                path: "absent".into()
            })
        );
    }

    #[test]
    fn ranges_lists_attributes_and_idempotent_delete() {
        let store = MemoryStore::new();
        let mut attributes = Attributes::new();
        attributes.insert("tag".into(), "t1".into());
        now(store.put(
            "sst/2",
            Bytes::from_static(b"hello"),
            PutMode::Overwrite,
            attributes.clone(),
        ))
        .unwrap();
        put(&store, "sst/1", b"x", PutMode::Overwrite).unwrap();
        put(&store, "wal/1", b"y", PutMode::Overwrite).unwrap();
        let got = now(store.get("sst/2", GetRange::Bytes { start: 1, end: 4 })).unwrap();
        assert_eq!(&got.bytes[..], b"ell");
        assert_eq!(got.meta.attributes, attributes);
        assert!(matches!(
            now(store.get("sst/2", GetRange::Bytes { start: 3, end: 9 })),
            Err(StoreError::InvalidRange { .. })
        ));
        let listed: Vec<String> = now(store.list("sst/"))
            .unwrap()
            .into_iter()
            .map(|m| m.path)
            .collect();
        assert_eq!(listed, vec!["sst/1".to_string(), "sst/2".to_string()]);
        now(store.delete("sst/1")).unwrap();
        now(store.delete("sst/1")).unwrap();
        assert!(matches!(
            now(store.head("sst/1")),
            Err(StoreError::NotFound { .. })
        ));
    }
}
