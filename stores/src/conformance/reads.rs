//! Etags, attributes, ranges, sizes and absent objects.

use super::checks::{
    CaseResult, attributes, ensure, ensure_eq, get_ok, head_ok, list_ok, no_attributes, not_found,
    pattern, put_ok,
};
use bytes::Bytes;
use lsm_core::store::{GetRange, ObjectStore, PutMode, StoreError};

pub async fn etags_identify_versions<S: ObjectStore>(store: &S, p: &str) -> CaseResult {
    let path = format!("{p}object");
    let first = put_ok(
        store,
        &path,
        &b"aaa"[..],
        PutMode::Overwrite,
        no_attributes(),
    )
    .await?;
    ensure_eq!(
        head_ok(store, &path).await?.etag,
        first,
        "head etag = put etag"
    );
    let range = GetRange::Bytes { start: 1, end: 2 };
    ensure_eq!(
        get_ok(store, &path, range).await?.meta.etag,
        first,
        "ranged get etag"
    );
    let listed = list_ok(store, p).await?;
    ensure_eq!(listed.len(), 1usize, "objects listed");
    ensure_eq!(listed[0].etag, first, "listed etag = put etag");
    let second = put_ok(
        store,
        &path,
        &b"bbbb"[..],
        PutMode::Overwrite,
        no_attributes(),
    )
    .await?;
    ensure!(first != second, "new content kept etag {first:?}");
    ensure_eq!(
        get_ok(store, &path, GetRange::Whole).await?.meta.etag,
        second,
        "get etag"
    );
    ensure_eq!(
        list_ok(store, p).await?[0].etag,
        second,
        "listed etag after overwrite"
    );
    Ok(())
}

pub async fn attributes_round_trip<S: ObjectStore>(store: &S, p: &str) -> CaseResult {
    let path = format!("{p}object");
    let tagged = attributes(&[
        ("sediment-write-tag", "writer-3-epoch-7-42"),
        ("x-other", "a b=c/d;e"),
    ]);
    put_ok(store, &path, &b"body"[..], PutMode::Create, tagged.clone()).await?;
    ensure_eq!(
        head_ok(store, &path).await?.attributes,
        tagged,
        "head attributes"
    );
    ensure_eq!(
        get_ok(store, &path, GetRange::Whole).await?.meta.attributes,
        tagged,
        "get attributes"
    );
    let range = GetRange::Bytes { start: 0, end: 2 };
    ensure_eq!(
        get_ok(store, &path, range).await?.meta.attributes,
        tagged,
        "ranged get attributes"
    );
    for listed in list_ok(store, p).await? {
        // S3 lists no user metadata; a store that lists attributes must list the right ones.
        ensure!(
            listed.attributes.is_empty() || listed.attributes == tagged,
            "listed attributes {:?}",
            listed.attributes
        );
    }
    let tag = put_ok(
        store,
        &path,
        &b"plain"[..],
        PutMode::Overwrite,
        no_attributes(),
    )
    .await?;
    ensure_eq!(
        head_ok(store, &path).await?.attributes,
        no_attributes(),
        "attributes after an overwrite without any (replaced, not merged)"
    );
    let retagged = attributes(&[("sediment-write-tag", "second")]);
    put_ok(
        store,
        &path,
        &b"again"[..],
        PutMode::Update(tag),
        retagged.clone(),
    )
    .await?;
    ensure_eq!(
        head_ok(store, &path).await?.attributes,
        retagged,
        "attributes after update"
    );
    Ok(())
}

pub async fn ranged_gets<S: ObjectStore>(store: &S, p: &str) -> CaseResult {
    let path = format!("{p}digits");
    let body = Bytes::from_static(b"0123456789");
    put_ok(
        store,
        &path,
        body.clone(),
        PutMode::Overwrite,
        no_attributes(),
    )
    .await?;
    for (start, end) in [(0, 10), (2, 5), (9, 10), (0, 1), (0, 0), (5, 5), (10, 10)] {
        let got = get_ok(store, &path, GetRange::Bytes { start, end }).await?;
        ensure_eq!(
            got.bytes,
            body.slice(start as usize..end as usize),
            "range {start}..{end}"
        );
        ensure_eq!(
            got.meta.size_bytes,
            10u64,
            "size in a ranged get of {start}..{end}"
        );
    }
    for (start, end) in [(0, 11), (10, 11), (11, 12), (5, 4), (20, 30), (11, 11)] {
        let got = store.get(&path, GetRange::Bytes { start, end }).await;
        let want = StoreError::InvalidRange {
            path: path.clone(),
            size_bytes: 10,
            start,
            end,
        };
        ensure_eq!(got, Err(want), "range {start}..{end} of 10 bytes");
    }
    let absent = format!("{p}absent");
    let got = store
        .get(&absent, GetRange::Bytes { start: 0, end: 1 })
        .await;
    ensure_eq!(got, Err(not_found(&absent)), "range of an absent object");
    Ok(())
}

pub async fn empty_object<S: ObjectStore>(store: &S, p: &str) -> CaseResult {
    let path = format!("{p}empty");
    put_ok(store, &path, Bytes::new(), PutMode::Create, no_attributes()).await?;
    let got = get_ok(store, &path, GetRange::Whole).await?;
    ensure!(
        got.bytes.is_empty(),
        "empty object read back as {} bytes",
        got.bytes.len()
    );
    ensure_eq!(got.meta.size_bytes, 0u64, "size of the empty object");
    ensure_eq!(head_ok(store, &path).await?.size_bytes, 0u64, "head size");
    let empty = get_ok(store, &path, GetRange::Bytes { start: 0, end: 0 }).await?;
    ensure!(empty.bytes.is_empty(), "range 0..0 of the empty object");
    let over = store.get(&path, GetRange::Bytes { start: 0, end: 1 }).await;
    let want = StoreError::InvalidRange {
        path: path.clone(),
        size_bytes: 0,
        start: 0,
        end: 1,
    };
    ensure_eq!(over, Err(want), "range 0..1 of the empty object");
    let listed = list_ok(store, p).await?;
    ensure_eq!(listed.len(), 1usize, "the empty object is listed");
    ensure_eq!(
        listed[0].size_bytes,
        0u64,
        "listed size of the empty object"
    );
    Ok(())
}

/// Past S3's 5 MiB multipart threshold, and not a round number.
const LARGE_BYTES: usize = 5 * 1024 * 1024 + 17;

pub async fn large_object<S: ObjectStore>(store: &S, p: &str) -> CaseResult {
    let path = format!("{p}large");
    let body = pattern(LARGE_BYTES, 7);
    put_ok(store, &path, body.clone(), PutMode::Create, no_attributes()).await?;
    ensure_eq!(
        head_ok(store, &path).await?.size_bytes,
        LARGE_BYTES as u64,
        "head size"
    );
    let got = get_ok(store, &path, GetRange::Whole).await?;
    ensure!(
        got.bytes == body,
        "large object read back differs ({} bytes)",
        got.bytes.len()
    );
    let (start, end) = (1024 * 1024 + 3, 4 * 1024 * 1024 + 5);
    let range = GetRange::Bytes {
        start: start as u64,
        end: end as u64,
    };
    let got = get_ok(store, &path, range).await?;
    ensure!(
        got.bytes == body.slice(start..end),
        "middle range of the large object differs"
    );
    let last = GetRange::Bytes {
        start: LARGE_BYTES as u64 - 1,
        end: LARGE_BYTES as u64,
    };
    ensure_eq!(
        get_ok(store, &path, last).await?.bytes,
        body.slice(LARGE_BYTES - 1..),
        "last byte"
    );
    Ok(())
}

pub async fn overwrite_shrinks<S: ObjectStore>(store: &S, p: &str) -> CaseResult {
    let path = format!("{p}object");
    put_ok(
        store,
        &path,
        pattern(1000, 3),
        PutMode::Overwrite,
        no_attributes(),
    )
    .await?;
    put_ok(
        store,
        &path,
        pattern(10, 4),
        PutMode::Overwrite,
        no_attributes(),
    )
    .await?;
    ensure_eq!(
        head_ok(store, &path).await?.size_bytes,
        10u64,
        "size after shrinking"
    );
    ensure_eq!(
        get_ok(store, &path, GetRange::Whole).await?.bytes,
        pattern(10, 4),
        "bytes after shrinking"
    );
    let over = store
        .get(&path, GetRange::Bytes { start: 5, end: 11 })
        .await;
    ensure!(
        matches!(over, Err(StoreError::InvalidRange { size_bytes: 10, .. })),
        "a range past the new end: {over:?}"
    );
    Ok(())
}

pub async fn absent_objects<S: ObjectStore>(store: &S, p: &str) -> CaseResult {
    let path = format!("{p}never-written");
    ensure_eq!(
        store.head(&path).await,
        Err(not_found(&path)),
        "head of an absent object"
    );
    ensure_eq!(
        store.get(&path, GetRange::Whole).await,
        Err(not_found(&path)),
        "get of an absent object"
    );
    ensure_eq!(
        list_ok(store, p).await?.len(),
        0usize,
        "listing of an empty prefix"
    );
    Ok(())
}
