//! Opens the configured bucket with the `stores` crate.

use crate::config::Config;
use stores::{OpenError, RealStore, S3Config, StoreOptions};

/// `s3://` takes its endpoint, region and keys from `[aws]` (or the `AWS_*` variables);
/// every other scheme is opened by URL.
pub fn open_store(config: &Config) -> Result<RealStore, OpenError> {
    let url = &config.storage.url;
    let Some(rest) = url.strip_prefix("s3://") else {
        return stores::open(url, StoreOptions::default());
    };
    let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
    if bucket.is_empty() {
        return Err(OpenError::BadUrl {
            url: url.clone(),
            reason: "s3:// needs a bucket".to_string(),
        });
    }
    let aws = &config.aws;
    let s3 = S3Config {
        bucket: bucket.to_string(),
        prefix: prefix.trim_matches('/').to_string(),
        endpoint: aws.endpoint.clone(),
        region: aws.region.clone(),
        access_key_id: aws.access_key_id.clone(),
        secret_access_key: aws.secret_access_key.clone(),
        allow_http: aws.allow_http,
    };
    Ok(RealStore::Native(stores::open_s3(
        &s3,
        StoreOptions::default(),
    )?))
}
