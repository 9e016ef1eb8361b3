//! [`NativeStore`]: core's `ObjectStore` on an `object_store` backend that has conditional
//! puts and user metadata of its own (S3, `object_store`'s in-memory store).

use crate::attributes;
use crate::errors::{self, Request};
use crate::key::{self, Layout};
use crate::options::StoreOptions;
use crate::retry::with_retries;
use bytes::Bytes;
use futures::TryStreamExt;
use lsm_core::store::{
    Attributes, ETag, GetRange, GetResult, ObjectMeta, ObjectStore, PutMode, StoreError,
};
use object_store::{GetOptions, ObjectStore as _, PutOptions, PutPayload, UpdateVersion};
use std::sync::Arc;

/// A store with native conditional puts and metadata. Cheap to clone.
#[derive(Clone, Debug)]
pub struct NativeStore {
    inner: Arc<dyn object_store::ObjectStore>,
    options: StoreOptions,
}

fn etag_of(path: &str, e_tag: Option<String>) -> ETag {
    // S3 and the in-memory store always answer with one; a store without is unusable here.
    ETag(e_tag.unwrap_or_else(|| panic!("{path}: the store returned no ETag")))
}

fn invalid_range(path: &str, size_bytes: u64, start: u64, end: u64) -> StoreError {
    StoreError::InvalidRange {
        path: path.to_string(),
        size_bytes,
        start,
        end,
    }
}

impl NativeStore {
    pub fn new(inner: Arc<dyn object_store::ObjectStore>, options: StoreOptions) -> NativeStore {
        NativeStore { inner, options }
    }

    /// One HEAD: meta with the user attributes (`head` of `object_store` has none).
    async fn head_once(&self, path: &str) -> Result<ObjectMeta, StoreError> {
        let location = key::encode(path, Layout::Objects);
        let options = GetOptions {
            head: true,
            ..GetOptions::default()
        };
        let result = self
            .inner
            .get_opts(&location, options)
            .await
            .map_err(|error| errors::map(path, Request::Read, error))?;
        Ok(ObjectMeta {
            path: path.to_string(),
            size_bytes: result.meta.size,
            etag: etag_of(path, result.meta.e_tag.clone()),
            attributes: attributes::from_object_store(&result.attributes),
        })
    }

    async fn get_once(&self, path: &str, range: GetRange) -> Result<GetResult, StoreError> {
        let (start, end) = match range {
            GetRange::Whole => return self.fetch(path, None).await,
            GetRange::Bytes { start, end } => (start, end),
        };
        // `object_store` refuses empty ranges and clamps ranges past the end; core wants
        // empty ranges answered and overlong ones refused, so check against the size.
        if start >= end {
            let meta = self.head_once(path).await?;
            if start > end || end > meta.size_bytes {
                return Err(invalid_range(path, meta.size_bytes, start, end));
            }
            return Ok(GetResult {
                meta,
                bytes: Bytes::new(),
            });
        }
        match self.fetch(path, Some(start..end)).await {
            Ok(result) if result.meta.size_bytes < end => {
                Err(invalid_range(path, result.meta.size_bytes, start, end))
            }
            Ok(result) => Ok(result),
            Err(error @ StoreError::NotFound { .. }) => Err(error),
            Err(error) => {
                // A range starting past the end is refused (416) without the size.
                let meta = self.head_once(path).await?;
                if end > meta.size_bytes {
                    return Err(invalid_range(path, meta.size_bytes, start, end));
                }
                Err(error)
            }
        }
    }

    async fn fetch(
        &self,
        path: &str,
        range: Option<std::ops::Range<u64>>,
    ) -> Result<GetResult, StoreError> {
        let location = key::encode(path, Layout::Objects);
        let options = GetOptions {
            range: range.map(object_store::GetRange::Bounded),
            ..GetOptions::default()
        };
        let result = self
            .inner
            .get_opts(&location, options)
            .await
            .map_err(|error| errors::map(path, Request::Read, error))?;
        let meta = ObjectMeta {
            path: path.to_string(),
            size_bytes: result.meta.size,
            etag: etag_of(path, result.meta.e_tag.clone()),
            attributes: attributes::from_object_store(&result.attributes),
        };
        let bytes = result
            .bytes()
            .await
            .map_err(|error| errors::map(path, Request::Read, error))?;
        Ok(GetResult { meta, bytes })
    }

    async fn put_once(
        &self,
        path: &str,
        bytes: Bytes,
        mode: &PutMode,
        attributes: &Attributes,
    ) -> Result<ETag, StoreError> {
        let location = key::encode(path, Layout::Objects);
        let (mode, request) = match mode {
            PutMode::Overwrite => (object_store::PutMode::Overwrite, Request::Mutation),
            PutMode::Create => (object_store::PutMode::Create, Request::Create),
            PutMode::Update(etag) => (
                object_store::PutMode::Update(UpdateVersion {
                    e_tag: Some(etag.0.clone()),
                    version: None,
                }),
                Request::Update,
            ),
        };
        let options = PutOptions {
            mode,
            attributes: attributes::to_object_store(attributes),
            ..PutOptions::default()
        };
        let error = match self
            .inner
            .put_opts(&location, PutPayload::from(bytes), options)
            .await
        {
            Ok(result) => return Ok(etag_of(path, result.e_tag)),
            Err(error) => error,
        };
        let untold = errors::status_in_chain(&error).is_none();
        match errors::map(path, request, error) {
            // The in-memory store refuses an update of an absent object as a precondition
            // failure, without a status. Either answer means "not applied"; reading back
            // tells which, and is linearizable: the update takes effect at the read.
            StoreError::PreconditionFailed { .. } if untold => match self.head_once(path).await {
                Err(StoreError::NotFound { .. }) => Err(StoreError::NotFound {
                    path: path.to_string(),
                }),
                _ => Err(StoreError::PreconditionFailed {
                    path: path.to_string(),
                }),
            },
            mapped => Err(mapped),
        }
    }

    async fn list_once(&self, prefix: &str) -> Result<Vec<ObjectMeta>, StoreError> {
        let directory = key::list_directory(prefix);
        let listed: Vec<object_store::ObjectMeta> = self
            .inner
            .list(directory.as_ref())
            .try_collect()
            .await
            .map_err(|error| errors::map(prefix, Request::Read, error))?;
        let mut metas: Vec<ObjectMeta> = listed
            .into_iter()
            .filter_map(|meta| {
                let path = key::decode(meta.location.as_ref(), Layout::Objects)?;
                path.starts_with(prefix).then(|| ObjectMeta {
                    etag: etag_of(&path, meta.e_tag),
                    path,
                    size_bytes: meta.size,
                    // A listing carries no user metadata (S3's ListObjectsV2 has none).
                    attributes: Attributes::new(),
                })
            })
            .collect();
        metas.sort_by(|a, b| a.path.cmp(&b.path));
        Ok(metas)
    }
}

impl ObjectStore for NativeStore {
    async fn get(&self, path: &str, range: GetRange) -> Result<GetResult, StoreError> {
        with_retries(&self.options, Request::Read, || self.get_once(path, range)).await
    }

    async fn head(&self, path: &str) -> Result<ObjectMeta, StoreError> {
        with_retries(&self.options, Request::Read, || self.head_once(path)).await
    }

    async fn put(
        &self,
        path: &str,
        bytes: Bytes,
        mode: PutMode,
        attributes: Attributes,
    ) -> Result<ETag, StoreError> {
        let request = match mode {
            PutMode::Overwrite => Request::Mutation,
            PutMode::Create => Request::Create,
            PutMode::Update(_) => Request::Update,
        };
        with_retries(&self.options, request, || {
            self.put_once(path, bytes.clone(), &mode, &attributes)
        })
        .await
    }

    async fn delete(&self, path: &str) -> Result<(), StoreError> {
        let location = key::encode(path, Layout::Objects);
        with_retries(&self.options, Request::Mutation, || async {
            match self.inner.delete(&location).await {
                Ok(()) => Ok(()),
                Err(object_store::Error::NotFound { .. }) => Ok(()),
                Err(error) => Err(errors::map(path, Request::Mutation, error)),
            }
        })
        .await
    }

    async fn list(&self, prefix: &str) -> Result<Vec<ObjectMeta>, StoreError> {
        with_retries(&self.options, Request::Read, || self.list_once(prefix)).await
    }
}
