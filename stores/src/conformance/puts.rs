//! Put modes, alone and racing.

use super::checks::{CaseResult, ensure, ensure_eq, get_ok, no_attributes, not_found, put_ok};
use bytes::Bytes;
use futures::future::join_all;
use lsm_core::store::{ETag, GetRange, ObjectStore, PutMode, StoreError};

/// A tag no store issued: an `If-Match` with it never matches.
fn bogus_tag() -> ETag {
    ETag("\"0123456789abcdef0123456789abcdef\"".to_string())
}

pub async fn overwrite<S: ObjectStore>(store: &S, p: &str) -> CaseResult {
    let path = format!("{p}object");
    let first = put_ok(
        store,
        &path,
        &b"first"[..],
        PutMode::Overwrite,
        no_attributes(),
    )
    .await?;
    let second = put_ok(
        store,
        &path,
        &b"second!"[..],
        PutMode::Overwrite,
        no_attributes(),
    )
    .await?;
    ensure!(
        first != second,
        "two puts of different bytes share etag {first:?}"
    );
    let got = get_ok(store, &path, GetRange::Whole).await?;
    ensure_eq!(
        got.bytes,
        Bytes::from_static(b"second!"),
        "bytes after overwrite"
    );
    ensure_eq!(got.meta.etag, second, "etag after overwrite");
    ensure_eq!(got.meta.size_bytes, 7u64, "size after overwrite");
    ensure_eq!(got.meta.path, path, "path in meta");
    Ok(())
}

pub async fn create_if_absent<S: ObjectStore>(store: &S, p: &str) -> CaseResult {
    let path = format!("{p}object");
    let tag = put_ok(store, &path, &b"one"[..], PutMode::Create, no_attributes()).await?;
    let again = store
        .put(
            &path,
            Bytes::from_static(b"two"),
            PutMode::Create,
            no_attributes(),
        )
        .await;
    ensure_eq!(
        again,
        Err(StoreError::AlreadyExists { path: path.clone() }),
        "second create-if-absent"
    );
    let got = get_ok(store, &path, GetRange::Whole).await?;
    ensure_eq!(
        got.bytes,
        Bytes::from_static(b"one"),
        "bytes after a refused create"
    );
    ensure_eq!(got.meta.etag, tag, "etag after a refused create");
    Ok(())
}

pub async fn update_if_match<S: ObjectStore>(store: &S, p: &str) -> CaseResult {
    let path = format!("{p}object");
    let first = put_ok(store, &path, &b"v1"[..], PutMode::Create, no_attributes()).await?;
    let second = put_ok(
        store,
        &path,
        &b"v2-longer"[..],
        PutMode::Update(first.clone()),
        no_attributes(),
    )
    .await?;
    ensure!(first != second, "update kept etag {first:?}");
    for (tag, what) in [(first, "a stale tag"), (bogus_tag(), "a tag never issued")] {
        let stale = store
            .put(
                &path,
                Bytes::from_static(b"v3"),
                PutMode::Update(tag),
                no_attributes(),
            )
            .await;
        ensure_eq!(
            stale,
            Err(StoreError::PreconditionFailed { path: path.clone() }),
            "update-if-match with {what}"
        );
    }
    let absent = format!("{p}absent");
    let missing = store
        .put(
            &absent,
            Bytes::from_static(b"x"),
            PutMode::Update(second.clone()),
            no_attributes(),
        )
        .await;
    ensure_eq!(
        missing,
        Err(not_found(&absent)),
        "update-if-match of an absent object"
    );
    let got = get_ok(store, &path, GetRange::Whole).await?;
    ensure_eq!(
        got.bytes,
        Bytes::from_static(b"v2-longer"),
        "bytes after refused updates"
    );
    ensure_eq!(got.meta.etag, second, "etag after refused updates");
    let absent_get = store.get(&absent, GetRange::Whole).await;
    ensure!(
        absent_get == Err(not_found(&absent)),
        "a refused update created {absent:?}: {absent_get:?}"
    );
    Ok(())
}

pub async fn update_after_delete<S: ObjectStore>(store: &S, p: &str) -> CaseResult {
    let path = format!("{p}object");
    let tag = put_ok(
        store,
        &path,
        &b"gone soon"[..],
        PutMode::Create,
        no_attributes(),
    )
    .await?;
    store
        .delete(&path)
        .await
        .map_err(|error| format!("delete: {error:?}"))?;
    let update = store
        .put(
            &path,
            Bytes::from_static(b"zombie"),
            PutMode::Update(tag),
            no_attributes(),
        )
        .await;
    ensure_eq!(
        update,
        Err(not_found(&path)),
        "update-if-match after delete"
    );
    put_ok(
        store,
        &path,
        &b"reborn"[..],
        PutMode::Create,
        no_attributes(),
    )
    .await?;
    let got = get_ok(store, &path, GetRange::Whole).await?;
    ensure_eq!(
        got.bytes,
        Bytes::from_static(b"reborn"),
        "bytes after re-create"
    );
    Ok(())
}

pub async fn update_after_overwrite<S: ObjectStore>(store: &S, p: &str) -> CaseResult {
    let path = format!("{p}object");
    let first = put_ok(store, &path, &b"a"[..], PutMode::Create, no_attributes()).await?;
    let second = put_ok(
        store,
        &path,
        &b"bb"[..],
        PutMode::Overwrite,
        no_attributes(),
    )
    .await?;
    let stale = store
        .put(
            &path,
            Bytes::from_static(b"ccc"),
            PutMode::Update(first),
            no_attributes(),
        )
        .await;
    ensure_eq!(
        stale,
        Err(StoreError::PreconditionFailed { path: path.clone() }),
        "update-if-match with the tag an overwrite replaced"
    );
    put_ok(
        store,
        &path,
        &b"dddd"[..],
        PutMode::Update(second),
        no_attributes(),
    )
    .await?;
    let got = get_ok(store, &path, GetRange::Whole).await?;
    ensure_eq!(got.bytes, Bytes::from_static(b"dddd"), "bytes after update");
    Ok(())
}

/// Conditional writers racing on one path.
const RACERS: usize = 8;

/// Checks the outcome of racing conditional puts: at most one won, every loser was refused
/// with `lost_with` or `Conflict`, and the object holds the winner's bytes (or `before`).
async fn check_race<S: ObjectStore>(
    store: &S,
    path: &str,
    bodies: &[Bytes],
    results: Vec<Result<ETag, StoreError>>,
    lost_with: StoreError,
    before: Option<(Bytes, ETag)>,
) -> CaseResult {
    let mut winner = None;
    for (index, result) in results.into_iter().enumerate() {
        match result {
            Ok(tag) => {
                ensure!(winner.is_none(), "two racing conditional puts both won");
                winner = Some((bodies[index].clone(), tag));
            }
            Err(error) if error == lost_with => {}
            Err(StoreError::Conflict { path: conflict }) if conflict == path => {}
            Err(error) => return Err(format!("racer {index}: unexpected {error:?}")),
        }
    }
    match winner.or(before) {
        Some((bytes, tag)) => {
            let got = get_ok(store, path, GetRange::Whole).await?;
            ensure_eq!(got.bytes, bytes, "bytes after the race");
            ensure_eq!(got.meta.etag, tag, "etag after the race");
        }
        None => {
            let got = store.get(path, GetRange::Whole).await;
            ensure_eq!(got, Err(not_found(path)), "no racer won, yet");
        }
    }
    Ok(())
}

pub async fn racing_creates<S: ObjectStore>(store: &S, p: &str) -> CaseResult {
    let path = format!("{p}object");
    let bodies: Vec<Bytes> = (0..RACERS)
        .map(|index| Bytes::from(format!("writer {index}")))
        .collect();
    let results = join_all(
        bodies
            .iter()
            .map(|body| store.put(&path, body.clone(), PutMode::Create, no_attributes())),
    )
    .await;
    let lost = StoreError::AlreadyExists { path: path.clone() };
    check_race(store, &path, &bodies, results, lost, None).await
}

pub async fn racing_updates<S: ObjectStore>(store: &S, p: &str) -> CaseResult {
    let path = format!("{p}object");
    let base = Bytes::from_static(b"base");
    let tag = put_ok(store, &path, base.clone(), PutMode::Create, no_attributes()).await?;
    let bodies: Vec<Bytes> = (0..RACERS)
        .map(|index| Bytes::from(format!("update {index}")))
        .collect();
    let results = join_all(bodies.iter().map(|body| {
        store.put(
            &path,
            body.clone(),
            PutMode::Update(tag.clone()),
            no_attributes(),
        )
    }))
    .await;
    let lost = StoreError::PreconditionFailed { path: path.clone() };
    check_race(store, &path, &bodies, results, lost, Some((base, tag))).await
}
