//! The store's objects and S3 semantics, synchronous and free of faults and time: the same
//! answers as `lsm_core::store::MemoryStore` (including its `"v<N>"` etags), plus the byte
//! accounting the end-of-run checks need.

use bytes::Bytes;
use lsm_core::store::{
    Attributes, ETag, GetRange, GetResult, ObjectMeta, PutMode, StoreError, check_put_precondition,
    slice_range,
};
use std::collections::BTreeMap;

/// One object as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredObject {
    pub bytes: Bytes,
    pub etag: ETag,
    pub attributes: Attributes,
}

impl StoredObject {
    pub fn meta(&self, path: &str) -> ObjectMeta {
        ObjectMeta {
            attributes: self.attributes.clone(),
            ..self.listed_meta(path)
        }
    }

    /// The object as a listing shows it: no attributes, as S3's ListObjectsV2 carries no
    /// user metadata.
    pub fn listed_meta(&self, path: &str) -> ObjectMeta {
        ObjectMeta {
            path: path.to_string(),
            size_bytes: self.bytes.len() as u64,
            etag: self.etag.clone(),
            attributes: Attributes::new(),
        }
    }
}

/// What a successful put did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PutApplied {
    pub etag: ETag,
    /// The tag of the version it replaced, if there was one.
    pub replaced: Option<ETag>,
}

/// All objects, strongly consistent, plus counters over every applied mutation.
#[derive(Clone, Debug, Default)]
pub struct StoreState {
    objects: BTreeMap<String, StoredObject>,
    /// Successful puts so far; the Nth gets etag `"v<N>"`.
    puts_applied: u64,
    deletes_applied: u64,
    bytes_put_total: u64,
    /// Bytes PUT by top-level prefix (see [`top_prefix`]).
    bytes_put_by_prefix: BTreeMap<String, u64>,
    /// Bytes of every object stored now, kept at each put and delete so a meter can read
    /// the bucket's size at every mutation without walking it.
    stored_bytes: u64,
}

/// What one class of objects holds: how many and how many bytes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct PrefixUsage {
    pub objects: u64,
    pub bytes: u64,
}

/// The classes the bucket is counted in: `wal`, `sst`, `manifest`, `tmp` (remote jobs'
/// outputs before install) and `other` (any object outside those prefixes).
pub const BUCKET_CLASSES: [&str; 5] = ["wal", "sst", "manifest", "tmp", "other"];

/// The accounting class of a path (one of [`BUCKET_CLASSES`]).
pub fn bucket_class(path: &str) -> &'static str {
    match top_prefix(path) {
        "wal/" => "wal",
        "sst/" => "sst",
        "manifest/" => "manifest",
        "tmp/" => "tmp",
        _ => "other",
    }
}

/// The top-level prefix of a path, `"sst/"` for `"sst/12.sst"`; `""` without a `/`.
pub fn top_prefix(path: &str) -> &str {
    match path.find('/') {
        Some(index) => path.get(..=index).unwrap_or(""),
        None => "",
    }
}

impl StoreState {
    pub fn new() -> StoreState {
        StoreState::default()
    }

    pub fn get(&self, path: &str, range: GetRange) -> Result<GetResult, StoreError> {
        let object = self.objects.get(path).ok_or_else(|| StoreError::NotFound {
            path: path.to_string(),
        })?;
        let bytes = slice_range(path, &object.bytes, range)?;
        Ok(GetResult {
            meta: object.meta(path),
            bytes,
        })
    }

    pub fn head(&self, path: &str) -> Result<ObjectMeta, StoreError> {
        self.objects
            .get(path)
            .map(|object| object.meta(path))
            .ok_or_else(|| StoreError::NotFound {
                path: path.to_string(),
            })
    }

    /// Every object under `prefix`, sorted by path.
    pub fn list(&self, prefix: &str) -> Vec<ObjectMeta> {
        self.objects
            .range(prefix.to_string()..)
            .take_while(|(path, _)| path.starts_with(prefix))
            .map(|(path, object)| object.listed_meta(path))
            .collect()
    }

    /// Whether a put with `mode` would be accepted now (S3's precondition check).
    pub fn check_put(&self, path: &str, mode: &PutMode) -> Result<(), StoreError> {
        let current = self.objects.get(path).map(|object| &object.etag);
        check_put_precondition(path, current, mode)
    }

    pub fn put(
        &mut self,
        path: &str,
        bytes: Bytes,
        mode: &PutMode,
        attributes: Attributes,
    ) -> Result<PutApplied, StoreError> {
        self.check_put(path, mode)?;
        self.puts_applied += 1;
        let etag = ETag(format!("v{}", self.puts_applied));
        let size_bytes = bytes.len() as u64;
        self.bytes_put_total += size_bytes;
        *self
            .bytes_put_by_prefix
            .entry(top_prefix(path).to_string())
            .or_insert(0) += size_bytes;
        let replaced = self.objects.insert(
            path.to_string(),
            StoredObject {
                bytes,
                etag: etag.clone(),
                attributes,
            },
        );
        let replaced_bytes = replaced
            .as_ref()
            .map_or(0, |object| object.bytes.len() as u64);
        self.stored_bytes = self.stored_bytes_after(replaced_bytes, size_bytes);
        Ok(PutApplied {
            etag,
            replaced: replaced.map(|object| object.etag),
        })
    }

    /// Idempotent; returns the tag of the removed version, if there was one.
    pub fn delete(&mut self, path: &str) -> Option<ETag> {
        self.deletes_applied += 1;
        let removed = self.objects.remove(path)?;
        self.stored_bytes = self.stored_bytes_after(removed.bytes.len() as u64, 0);
        Some(removed.etag)
    }

    /// The stored total once `removed_bytes` leave and `added_bytes` arrive.
    fn stored_bytes_after(&self, removed_bytes: u64, added_bytes: u64) -> u64 {
        assert!(
            removed_bytes <= self.stored_bytes,
            "the store's byte total {} is below an object it held ({removed_bytes} bytes)",
            self.stored_bytes
        );
        self.stored_bytes - removed_bytes + added_bytes
    }

    /// Bytes of every object stored now (the whole bucket).
    pub fn stored_bytes(&self) -> u64 {
        self.stored_bytes
    }

    /// Objects and bytes by class ([`bucket_class`]); every class present, empty or not.
    pub fn bucket_usage(&self) -> BTreeMap<&'static str, PrefixUsage> {
        let mut usage: BTreeMap<&'static str, PrefixUsage> = BUCKET_CLASSES
            .iter()
            .map(|class| (*class, PrefixUsage::default()))
            .collect();
        for (path, object) in &self.objects {
            let class = usage.entry(bucket_class(path)).or_default();
            class.objects += 1;
            class.bytes += object.bytes.len() as u64;
        }
        let bytes: u64 = usage.values().map(|class| class.bytes).sum();
        assert_eq!(bytes, self.stored_bytes, "the bucket's classes miss bytes");
        usage
    }

    // ---- inspection for end-of-run checks ----

    pub fn object(&self, path: &str) -> Option<&StoredObject> {
        self.objects.get(path)
    }

    /// Every object, sorted by path.
    pub fn objects(&self) -> impl Iterator<Item = (&str, &StoredObject)> {
        self.objects
            .iter()
            .map(|(path, object)| (path.as_str(), object))
    }

    pub fn object_count(&self) -> usize {
        self.objects.len()
    }

    /// Bytes currently stored under `prefix` (`""`: all).
    pub fn total_bytes_under(&self, prefix: &str) -> u64 {
        self.objects
            .range(prefix.to_string()..)
            .take_while(|(path, _)| path.starts_with(prefix))
            .map(|(_, object)| object.bytes.len() as u64)
            .sum()
    }

    /// Bytes currently stored, by top-level prefix.
    pub fn total_bytes_by_prefix(&self) -> BTreeMap<String, u64> {
        let mut totals = BTreeMap::new();
        for (path, object) in &self.objects {
            *totals.entry(top_prefix(path).to_string()).or_insert(0) += object.bytes.len() as u64;
        }
        totals
    }

    /// Bytes of every successful put ever (the numerator of write amplification).
    pub fn bytes_put_total(&self) -> u64 {
        self.bytes_put_total
    }

    /// Bytes of every successful put ever, by top-level prefix.
    pub fn bytes_put_by_prefix(&self) -> &BTreeMap<String, u64> {
        &self.bytes_put_by_prefix
    }

    pub fn puts_applied(&self) -> u64 {
        self.puts_applied
    }

    /// Deletes applied, including deletes of absent objects.
    pub fn deletes_applied(&self) -> u64 {
        self.deletes_applied
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn put(state: &mut StoreState, path: &str, body: &'static [u8], mode: PutMode) -> ETag {
        match state.put(path, Bytes::from_static(body), &mode, Attributes::new()) {
            Ok(applied) => applied.etag,
            Err(error) => panic!("put {path}: {error}"),
        }
    }

    #[test]
    fn conditional_puts_and_accounting() {
        let mut state = StoreState::new();
        let v1 = put(&mut state, "manifest/1", b"abc", PutMode::Create);
        assert_eq!(v1, ETag("v1".into()));
        assert_eq!(
            state.check_put("manifest/1", &PutMode::Create),
            Err(StoreError::AlreadyExists {
                path: "manifest/1".into()
            })
        );
        let v2 = put(
            &mut state,
            "manifest/1",
            b"abcd",
            PutMode::Update(v1.clone()),
        );
        assert_eq!(
            state.check_put("manifest/1", &PutMode::Update(v1)),
            Err(StoreError::PreconditionFailed {
                path: "manifest/1".into()
            })
        );
        put(&mut state, "sst/1", b"12345", PutMode::Overwrite);
        put(&mut state, "root", b"1", PutMode::Overwrite);
        assert_eq!(state.bytes_put_total(), 3 + 4 + 5 + 1);
        assert_eq!(state.bytes_put_by_prefix().get("manifest/"), Some(&7));
        assert_eq!(state.bytes_put_by_prefix().get(""), Some(&1));
        assert_eq!(state.total_bytes_under("manifest/"), 4);
        assert_eq!(state.total_bytes_by_prefix().get("sst/"), Some(&5));
        assert_eq!(state.delete("manifest/1"), Some(v2));
        assert_eq!(state.delete("manifest/1"), None);
        assert_eq!(state.deletes_applied(), 2);
        assert_eq!(state.object_count(), 2);
        assert_eq!(state.stored_bytes(), 5 + 1);
    }

    #[test]
    fn bucket_usage_counts_every_object_by_class() {
        let mut state = StoreState::new();
        put(&mut state, "wal/1", b"ab", PutMode::Create);
        put(&mut state, "wal/2", b"abc", PutMode::Create);
        put(&mut state, "sst/1.sst", b"abcd", PutMode::Create);
        put(&mut state, "tmp/job/1.sst", b"a", PutMode::Create);
        put(&mut state, "jobs/7", b"abcdef", PutMode::Create);
        // An overwrite replaces the bytes it held.
        put(&mut state, "sst/1.sst", b"ab", PutMode::Overwrite);
        state.delete("wal/1");
        let usage = state.bucket_usage();
        assert_eq!(usage.len(), BUCKET_CLASSES.len());
        let of = |class: &str| usage.get(class).copied().unwrap_or_default();
        assert_eq!(
            of("wal"),
            PrefixUsage {
                objects: 1,
                bytes: 3
            }
        );
        assert_eq!(
            of("sst"),
            PrefixUsage {
                objects: 1,
                bytes: 2
            }
        );
        assert_eq!(of("manifest"), PrefixUsage::default());
        assert_eq!(
            of("tmp"),
            PrefixUsage {
                objects: 1,
                bytes: 1
            }
        );
        assert_eq!(
            of("other"),
            PrefixUsage {
                objects: 1,
                bytes: 6
            }
        );
        assert_eq!(state.stored_bytes(), 3 + 2 + 1 + 6);
    }
}
