//! Opening a real store from a URL: `file://PATH`, `memory://`, `s3://BUCKET[/PREFIX]`.

use crate::local::LocalStore;
use crate::native::NativeStore;
use crate::options::StoreOptions;
use bytes::Bytes;
use lsm_core::store::{
    Attributes, ETag, GetRange, GetResult, ObjectMeta, ObjectStore, PutMode, StoreError,
};
use object_store::aws::{AmazonS3Builder, S3ConditionalPut};
use object_store::memory::InMemory;
use object_store::prefix::PrefixStore;
use object_store::{ClientOptions, RetryConfig};
use std::fmt;
use std::sync::Arc;

/// Why a store could not be opened.
#[derive(Debug)]
pub enum OpenError {
    /// Not `file://`, `memory://` or `s3://`.
    UnknownScheme { url: String },
    /// A malformed URL or option.
    BadUrl { url: String, reason: String },
    /// The local directory could not be created or opened.
    Local {
        path: String,
        source: std::io::Error,
    },
    /// The S3 client could not be built (bad endpoint, region...).
    S3 { reason: String },
}

impl fmt::Display for OpenError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            OpenError::UnknownScheme { url } => write!(
                f,
                "{url}: unknown store; use file://PATH, memory:// or s3://BUCKET[/PREFIX]"
            ),
            OpenError::BadUrl { url, reason } => write!(f, "{url}: {reason}"),
            OpenError::Local { path, source } => write!(f, "{path}: {source}"),
            OpenError::S3 { reason } => write!(f, "S3 store: {reason}"),
        }
    }
}

impl std::error::Error for OpenError {}

/// Where an S3 bucket is and how to reach it. Fields left `None` come from the usual
/// `AWS_*` environment variables (`AWS_ACCESS_KEY_ID`, `AWS_REGION`, `AWS_ENDPOINT`...).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct S3Config {
    pub bucket: String,
    /// Key prefix inside the bucket (no leading or trailing `/`), `""` for none.
    pub prefix: String,
    /// e.g. `http://127.0.0.1:5000` for a local server; path-style requests are used then.
    pub endpoint: Option<String>,
    pub region: Option<String>,
    pub access_key_id: Option<String>,
    pub secret_access_key: Option<String>,
    /// Allow plain HTTP (a local server).
    pub allow_http: bool,
}

/// Any real store; implements core's `ObjectStore`.
#[derive(Clone, Debug)]
pub enum RealStore {
    Local(LocalStore),
    Native(NativeStore),
}

/// Opens the store `url` names.
pub fn open(url: &str, options: StoreOptions) -> Result<RealStore, OpenError> {
    if let Some(path) = url.strip_prefix("file://") {
        if path.is_empty() {
            return Err(OpenError::BadUrl {
                url: url.to_string(),
                reason: "file:// needs a directory".to_string(),
            });
        }
        let store = LocalStore::open(path, options).map_err(|source| OpenError::Local {
            path: path.to_string(),
            source,
        })?;
        return Ok(RealStore::Local(store));
    }
    if url == "memory://" {
        return Ok(RealStore::Native(NativeStore::new(
            Arc::new(InMemory::new()),
            options,
        )));
    }
    if let Some(rest) = url.strip_prefix("s3://") {
        let config = parse_s3(url, rest)?;
        return Ok(RealStore::Native(open_s3(&config, options)?));
    }
    Err(OpenError::UnknownScheme {
        url: url.to_string(),
    })
}

/// `BUCKET[/PREFIX][?endpoint=URL&region=R&allow_http=true]`.
fn parse_s3(url: &str, rest: &str) -> Result<S3Config, OpenError> {
    let bad = |reason: String| OpenError::BadUrl {
        url: url.to_string(),
        reason,
    };
    let (location, query) = rest.split_once('?').unwrap_or((rest, ""));
    let (bucket, prefix) = location.split_once('/').unwrap_or((location, ""));
    if bucket.is_empty() {
        return Err(bad("s3:// needs a bucket".to_string()));
    }
    let mut config = S3Config {
        bucket: bucket.to_string(),
        prefix: prefix.trim_matches('/').to_string(),
        ..S3Config::default()
    };
    for pair in query.split('&').filter(|pair| !pair.is_empty()) {
        let (name, value) = pair
            .split_once('=')
            .ok_or_else(|| bad(format!("option {pair:?} has no value")))?;
        match name {
            "endpoint" => config.endpoint = Some(value.to_string()),
            "region" => config.region = Some(value.to_string()),
            "allow_http" => {
                config.allow_http = value
                    .parse()
                    .map_err(|_| bad(format!("allow_http={value}: not true or false")))?
            }
            _ => return Err(bad(format!("unknown option {name:?}"))),
        }
    }
    Ok(config)
}

/// The S3 store `config` names. `object_store`'s retries are off (see [`StoreOptions`]).
pub fn open_s3(config: &S3Config, options: StoreOptions) -> Result<NativeStore, OpenError> {
    let client = ClientOptions::new()
        .with_timeout(options.request_timeout)
        .with_connect_timeout(options.connect_timeout)
        .with_allow_http(config.allow_http);
    let retry = RetryConfig {
        max_retries: 0,
        ..RetryConfig::default()
    };
    let mut builder = AmazonS3Builder::from_env()
        .with_bucket_name(&config.bucket)
        .with_client_options(client)
        .with_retry(retry)
        .with_conditional_put(S3ConditionalPut::ETagMatch)
        .with_allow_http(config.allow_http);
    if let Some(endpoint) = &config.endpoint {
        builder = builder.with_endpoint(endpoint);
    }
    if let Some(region) = &config.region {
        builder = builder.with_region(region);
    }
    if let Some(key) = &config.access_key_id {
        builder = builder.with_access_key_id(key);
    }
    if let Some(secret) = &config.secret_access_key {
        builder = builder.with_secret_access_key(secret);
    }
    let s3 = builder.build().map_err(|error| OpenError::S3 {
        reason: error.to_string(),
    })?;
    let inner: Arc<dyn object_store::ObjectStore> = if config.prefix.is_empty() {
        Arc::new(s3)
    } else {
        Arc::new(PrefixStore::new(s3, config.prefix.as_str()))
    };
    Ok(NativeStore::new(inner, options))
}

impl ObjectStore for RealStore {
    async fn get(&self, path: &str, range: GetRange) -> Result<GetResult, StoreError> {
        match self {
            RealStore::Local(store) => store.get(path, range).await,
            RealStore::Native(store) => store.get(path, range).await,
        }
    }

    async fn head(&self, path: &str) -> Result<ObjectMeta, StoreError> {
        match self {
            RealStore::Local(store) => store.head(path).await,
            RealStore::Native(store) => store.head(path).await,
        }
    }

    async fn put(
        &self,
        path: &str,
        bytes: Bytes,
        mode: PutMode,
        attributes: Attributes,
    ) -> Result<ETag, StoreError> {
        match self {
            RealStore::Local(store) => store.put(path, bytes, mode, attributes).await,
            RealStore::Native(store) => store.put(path, bytes, mode, attributes).await,
        }
    }

    async fn delete(&self, path: &str) -> Result<(), StoreError> {
        match self {
            RealStore::Local(store) => store.delete(path).await,
            RealStore::Native(store) => store.delete(path).await,
        }
    }

    async fn list(&self, prefix: &str) -> Result<Vec<ObjectMeta>, StoreError> {
        match self {
            RealStore::Local(store) => store.list(prefix).await,
            RealStore::Native(store) => store.list(prefix).await,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn s3_urls_parse() {
        let config = parse_s3(
            "s3://b/p/q/?endpoint=http://127.0.0.1:9&region=r&allow_http=true",
            "b/p/q/?endpoint=http://127.0.0.1:9&region=r&allow_http=true",
        )
        .unwrap();
        assert_eq!(config.bucket, "b");
        assert_eq!(config.prefix, "p/q");
        assert_eq!(config.endpoint.as_deref(), Some("http://127.0.0.1:9"));
        assert!(config.allow_http);
        assert!(matches!(
            open("s3://?x", StoreOptions::default()),
            Err(OpenError::BadUrl { .. })
        ));
        assert!(matches!(
            open("gs://b", StoreOptions::default()),
            Err(OpenError::UnknownScheme { .. })
        ));
        assert!(matches!(
            open("s3://b?colour=red", StoreOptions::default()),
            Err(OpenError::BadUrl { .. })
        ));
    }
}
