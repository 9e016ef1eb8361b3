//! Deletes, listings and keys with odd characters.

use super::checks::{
    CaseResult, attributes, delete_ok, ensure, ensure_eq, get_ok, head_ok, list_ok, no_attributes,
    not_found, put_ok,
};
use bytes::Bytes;
use lsm_core::store::{ETag, GetRange, ObjectStore, PutMode};
use std::collections::BTreeMap;

pub async fn delete_is_idempotent<S: ObjectStore>(store: &S, p: &str) -> CaseResult {
    let path = format!("{p}object");
    delete_ok(store, &path).await?;
    put_ok(store, &path, &b"x"[..], PutMode::Create, no_attributes()).await?;
    delete_ok(store, &path).await?;
    delete_ok(store, &path).await?;
    ensure_eq!(
        store.head(&path).await,
        Err(not_found(&path)),
        "head after delete"
    );
    ensure_eq!(
        store.get(&path, GetRange::Whole).await,
        Err(not_found(&path)),
        "get after delete"
    );
    ensure_eq!(
        list_ok(store, p).await?.len(),
        0usize,
        "listing after delete"
    );
    put_ok(store, &path, &b"y"[..], PutMode::Create, no_attributes()).await?;
    Ok(())
}

/// Writes `keys` under `p` (body: the key) and returns each one's etag.
async fn write_keys<S: ObjectStore>(
    store: &S,
    p: &str,
    keys: &[&str],
) -> Result<BTreeMap<String, ETag>, String> {
    let mut tags = BTreeMap::new();
    for key in keys {
        let path = format!("{p}{key}");
        let tag = put_ok(
            store,
            &path,
            Bytes::from(key.to_string()),
            PutMode::Overwrite,
            attributes(&[("k", "v")]),
        )
        .await?;
        tags.insert(path, tag);
    }
    Ok(tags)
}

/// `list(prefix)` must be exactly the written paths starting with it, sorted, with their
/// sizes and etags and no attributes.
async fn check_listing<S: ObjectStore>(
    store: &S,
    prefix: &str,
    written: &BTreeMap<String, ETag>,
) -> CaseResult {
    let listed = list_ok(store, prefix).await?;
    let got: Vec<&str> = listed.iter().map(|meta| meta.path.as_str()).collect();
    let want: Vec<&str> = written
        .keys()
        .map(String::as_str)
        .filter(|path| path.starts_with(prefix))
        .collect();
    ensure_eq!(got, want, "list {prefix:?}");
    for meta in &listed {
        ensure_eq!(
            Some(&meta.etag),
            written.get(&meta.path),
            "listed etag of {:?}",
            meta.path
        );
        // S3's ListObjectsV2 carries no user metadata; `head` reads them.
        ensure!(
            meta.attributes.is_empty(),
            "listed attributes of {:?}: {:?}",
            meta.path,
            meta.attributes
        );
    }
    Ok(())
}

pub async fn list_order_and_prefixes<S: ObjectStore>(store: &S, p: &str) -> CaseResult {
    let keys = [
        "b", "a/10", "ab", "a", "a/b/c", "A", "a-", "a/2", "a/1", "a/", "a/b/cd",
    ];
    let written = write_keys(store, p, &keys).await?;
    for suffix in [
        "", "a", "a/", "a/1", "a/b", "a/b/", "a/b/c", "A", "zz", "a/1/", "b",
    ] {
        check_listing(store, &format!("{p}{suffix}"), &written).await?;
    }
    for meta in list_ok(store, p).await? {
        let key = &meta.path[p.len()..];
        ensure_eq!(meta.size_bytes, key.len() as u64, "listed size of {key:?}");
    }
    Ok(())
}

pub async fn odd_keys<S: ObjectStore>(store: &S, p: &str) -> CaseResult {
    let keys = [
        "sp ace",
        "tab\there",
        "uni/é/日本",
        "pct%2F%",
        "tilde~e~f~",
        "hash#1",
        "plus+eq=amp&q?",
        "x//y",
        "trail/",
        "./dot",
        "../up",
        "a/./b/../c",
        "colon:semi;",
        "quote\"'",
        "back\\slash",
        "star*[]",
        "new\nline",
    ];
    let written = write_keys(store, p, &keys).await?;
    for key in keys {
        let path = format!("{p}{key}");
        let got = get_ok(store, &path, GetRange::Whole).await?;
        ensure_eq!(got.bytes, Bytes::from(key.to_string()), "bytes of {key:?}");
        ensure_eq!(got.meta.path, path, "path in the meta of {key:?}");
        ensure_eq!(
            head_ok(store, &path).await?.etag,
            written[&path],
            "etag of {key:?}"
        );
    }
    check_listing(store, p, &written).await?;
    check_listing(store, &format!("{p}x/"), &written).await?;
    check_listing(store, &format!("{p}x//"), &written).await?;
    check_listing(store, &format!("{p}uni/é"), &written).await?;
    for key in keys {
        delete_ok(store, &format!("{p}{key}")).await?;
    }
    ensure_eq!(
        list_ok(store, p).await?.len(),
        0usize,
        "listing after deleting every odd key"
    );
    Ok(())
}
