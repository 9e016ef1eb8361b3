//! [`LocalStore`]: core's `ObjectStore` on local files (`object_store`'s `LocalFileSystem`).
//!
//! Local files lack what S3 has, so this adapter adds it, documented in the crate docs:
//! - **Attributes and etags**: each file is an envelope (see [`crate::envelope`]) holding a
//!   fresh random etag per write and the attributes, then the body.
//! - **Update-if-match**: `LocalFileSystem` refuses `PutMode::Update`. Here every mutation of
//!   a path holds an advisory file lock (`flock`, one of 64 stripes under `locks/`, chosen
//!   by the path's CRC-32C) across "read the current etag, compare, write", so conditional
//!   puts are atomic against each other and against overwrites and deletes, across threads
//!   and processes. Writes themselves stay atomic renames (create-if-absent: a hard link),
//!   so readers need no lock and see one whole version.
//! - Reads open the file once and take header and bytes from that one handle, so a get never
//!   mixes two versions.

use crate::envelope::{self, FIXED_LEN, Fixed};
use crate::errors::{self, Request};
use crate::key::{self, Layout};
use crate::options::StoreOptions;
use crate::retry::with_retries;
use bytes::Bytes;
use futures::TryStreamExt;
use lsm_core::store::{
    Attributes, ETag, GetRange, GetResult, ObjectMeta, ObjectStore, PutMode, StoreError,
};
use object_store::local::LocalFileSystem;
use object_store::{GetOptions, GetResultPayload, ObjectStore as _, PutOptions, PutPayload};
use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::PathBuf;
use std::sync::Arc;

/// Lock stripes: mutations of paths in different stripes never wait for each other.
const LOCK_STRIPES: u32 = 64;

/// Objects under `ROOT/objects/`, lock stripes under `ROOT/locks/`. Cheap to clone.
#[derive(Clone, Debug)]
pub struct LocalStore {
    files: Arc<LocalFileSystem>,
    locks: PathBuf,
    options: StoreOptions,
}

fn transient(path: &str, detail: String) -> StoreError {
    StoreError::Transient {
        path: path.to_string(),
        detail,
    }
}

fn io_error(path: &str, error: std::io::Error) -> StoreError {
    if error.kind() == std::io::ErrorKind::NotFound {
        return StoreError::NotFound {
            path: path.to_string(),
        };
    }
    transient(path, format!("local file error: {error}"))
}

/// What a read wants from the file.
#[derive(Clone, Copy, Debug)]
enum Want {
    Header,
    Body(GetRange),
}

/// Reads one object's header (and bytes) from one open handle.
fn read_object(mut file: File, path: &str, want: Want) -> Result<GetResult, StoreError> {
    let corrupt = |error: envelope::EnvelopeError| transient(path, error.0);
    let mut fixed = [0u8; FIXED_LEN];
    file.read_exact(&mut fixed)
        .map_err(|error| transient(path, format!("short object file: {error}")))?;
    let fixed: Fixed = envelope::decode_fixed(&fixed).map_err(corrupt)?;
    let mut attributes = vec![0u8; fixed.attributes_len as usize];
    file.read_exact(&mut attributes)
        .map_err(|error| transient(path, format!("short object file: {error}")))?;
    let attributes = envelope::decode_attributes(&attributes).map_err(corrupt)?;
    let file_len = file
        .metadata()
        .map_err(|error| io_error(path, error))?
        .len();
    if file_len != fixed.body_offset() + fixed.body_len {
        return Err(transient(
            path,
            format!(
                "object file of {file_len} bytes, header says {}",
                fixed.body_offset() + fixed.body_len
            ),
        ));
    }
    let meta = ObjectMeta {
        path: path.to_string(),
        size_bytes: fixed.body_len,
        etag: fixed.etag.clone(),
        attributes,
    };
    let (start, end) = match want {
        Want::Header => (0, 0),
        Want::Body(GetRange::Whole) => (0, fixed.body_len),
        Want::Body(GetRange::Bytes { start, end }) => (start, end),
    };
    if start > end || end > fixed.body_len {
        return Err(StoreError::InvalidRange {
            path: path.to_string(),
            size_bytes: fixed.body_len,
            start,
            end,
        });
    }
    let mut bytes = vec![0u8; (end - start) as usize];
    file.seek(SeekFrom::Start(fixed.body_offset() + start))
        .and_then(|_| file.read_exact(&mut bytes))
        .map_err(|error| io_error(path, error))?;
    Ok(GetResult {
        meta,
        bytes: Bytes::from(bytes),
    })
}

impl LocalStore {
    /// Opens (creating if needed) the store rooted at directory `root`.
    pub fn open(root: impl Into<PathBuf>, options: StoreOptions) -> std::io::Result<LocalStore> {
        let root = root.into();
        let objects = root.join("objects");
        let locks = root.join("locks");
        std::fs::create_dir_all(&objects)?;
        std::fs::create_dir_all(&locks)?;
        let files = LocalFileSystem::new_with_prefix(&objects).map_err(std::io::Error::other)?;
        Ok(LocalStore {
            files: Arc::new(files),
            locks,
            options,
        })
    }

    /// Holds `path`'s lock stripe until the returned file is dropped.
    async fn lock(&self, path: &str) -> Result<File, StoreError> {
        let stripe = crc32c::crc32c(path.as_bytes()) % LOCK_STRIPES;
        let lock_path = self.locks.join(format!("{stripe:02}.lock"));
        let owned = path.to_string();
        tokio::task::spawn_blocking(move || {
            let file = std::fs::OpenOptions::new()
                .create(true)
                .truncate(false)
                .write(true)
                .open(&lock_path)?;
            file.lock()?;
            Ok(file)
        })
        .await
        .map_err(|error| transient(&owned, format!("lock task failed: {error}")))?
        .map_err(|error: std::io::Error| transient(&owned, format!("cannot lock: {error}")))
    }

    async fn read(&self, path: &str, want: Want) -> Result<GetResult, StoreError> {
        let location = key::encode(path, Layout::Files);
        let result = self
            .files
            .get_opts(&location, GetOptions::default())
            .await
            .map_err(|error| errors::map(path, Request::Read, error))?;
        let GetResultPayload::File(file, _) = result.payload else {
            panic!("LocalFileSystem answered a get without a file")
        };
        let owned = path.to_string();
        tokio::task::spawn_blocking(move || read_object(file, &owned, want))
            .await
            .map_err(|error| transient(path, format!("read task failed: {error}")))?
    }

    async fn write(
        &self,
        path: &str,
        bytes: &Bytes,
        create: bool,
        attributes: &Attributes,
    ) -> Result<ETag, StoreError> {
        let location = key::encode(path, Layout::Files);
        let etag = envelope::fresh_etag();
        let file = envelope::encode(&etag, attributes, bytes);
        let (mode, request) = if create {
            (object_store::PutMode::Create, Request::Create)
        } else {
            (object_store::PutMode::Overwrite, Request::Mutation)
        };
        let options = PutOptions {
            mode,
            ..PutOptions::default()
        };
        self.files
            .put_opts(&location, PutPayload::from(file), options)
            .await
            .map_err(|error| errors::map(path, request, error))?;
        Ok(etag)
    }

    async fn put_once(
        &self,
        path: &str,
        bytes: &Bytes,
        mode: &PutMode,
        attributes: &Attributes,
    ) -> Result<ETag, StoreError> {
        let _lock = self.lock(path).await?;
        match mode {
            PutMode::Overwrite => self.write(path, bytes, false, attributes).await,
            PutMode::Create => self.write(path, bytes, true, attributes).await,
            PutMode::Update(expected) => {
                let current = self.read(path, Want::Header).await?;
                if &current.meta.etag != expected {
                    return Err(StoreError::PreconditionFailed {
                        path: path.to_string(),
                    });
                }
                self.write(path, bytes, false, attributes).await
            }
        }
    }

    async fn delete_once(&self, path: &str) -> Result<(), StoreError> {
        let _lock = self.lock(path).await?;
        match self.files.delete(&key::encode(path, Layout::Files)).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(error) => Err(errors::map(path, Request::Mutation, error)),
        }
    }

    async fn list_once(&self, prefix: &str) -> Result<Vec<ObjectMeta>, StoreError> {
        let listed: Vec<object_store::ObjectMeta> = self
            .files
            .list(key::list_directory(prefix).as_ref())
            .try_collect()
            .await
            .map_err(|error| errors::map(prefix, Request::Read, error))?;
        let mut paths: Vec<String> = listed
            .iter()
            .filter_map(|meta| key::decode(meta.location.as_ref(), Layout::Files))
            .filter(|path| path.starts_with(prefix))
            .collect();
        paths.sort();
        let mut metas = Vec::with_capacity(paths.len());
        for path in paths {
            match self.read(&path, Want::Header).await {
                Ok(result) => metas.push(ObjectMeta {
                    // A listing carries no attributes, as on S3.
                    attributes: Attributes::new(),
                    ..result.meta
                }),
                // Deleted since the directory was read: not part of the listing.
                Err(StoreError::NotFound { .. }) => {}
                Err(error) => return Err(error),
            }
        }
        Ok(metas)
    }
}

impl ObjectStore for LocalStore {
    async fn get(&self, path: &str, range: GetRange) -> Result<GetResult, StoreError> {
        with_retries(&self.options, Request::Read, || {
            self.read(path, Want::Body(range))
        })
        .await
    }

    async fn head(&self, path: &str) -> Result<ObjectMeta, StoreError> {
        with_retries(&self.options, Request::Read, || async {
            Ok(self.read(path, Want::Header).await?.meta)
        })
        .await
    }

    async fn put(
        &self,
        path: &str,
        bytes: Bytes,
        mode: PutMode,
        attributes: Attributes,
    ) -> Result<ETag, StoreError> {
        crate::attributes::assert_portable(&attributes);
        let request = match mode {
            PutMode::Overwrite => Request::Mutation,
            PutMode::Create => Request::Create,
            PutMode::Update(_) => Request::Update,
        };
        with_retries(&self.options, request, || {
            self.put_once(path, &bytes, &mode, &attributes)
        })
        .await
    }

    async fn delete(&self, path: &str) -> Result<(), StoreError> {
        with_retries(&self.options, Request::Mutation, || self.delete_once(path)).await
    }

    async fn list(&self, prefix: &str) -> Result<Vec<ObjectMeta>, StoreError> {
        with_retries(&self.options, Request::Read, || self.list_once(prefix)).await
    }
}
