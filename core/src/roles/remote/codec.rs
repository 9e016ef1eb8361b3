//! The wire form of a job description and of a result: magic u64, format version u32,
//! bincode body (serde, standard config, size-limited), CRC-32C u32 of everything before it.
//! Decoding never panics: a corrupt, truncated or other-version message is a typed error.

use super::job::{RemoteJob, RemoteResult};
use crate::bincode_body::decode_bounded;
use crate::checksum::crc32c;
use crate::codec::{DecodeError, Reader};
use bincode::config::Config;
use bytes::Bytes;
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::fmt;

/// "SEDRJOB1" read as a little-endian u64.
pub const REMOTE_JOB_MAGIC: u64 = u64::from_le_bytes(*b"SEDRJOB1");
/// "SEDRRES1" read as a little-endian u64.
pub const REMOTE_RESULT_MAGIC: u64 = u64::from_le_bytes(*b"SEDRRES1");
/// The message format this build writes and reads (2: a job's SST options carry the
/// restart interval).
pub const REMOTE_FORMAT_VERSION: u32 = 2;
/// Largest body the decoder accepts (and allocates for); a shorter body is decoded under a
/// limit that follows its length.
pub const REMOTE_BODY_LIMIT_BYTES: usize = 4 << 20;

const HEADER_LEN: usize = 8 + 4;
const CHECKSUM_LEN: usize = 4;

fn bincode_config() -> impl Config {
    bincode::config::standard().with_limit::<REMOTE_BODY_LIMIT_BYTES>()
}

/// Why a message could not be encoded (not expected for these plain-data types).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RemoteEncodeError {
    pub detail: String,
}

impl fmt::Display for RemoteEncodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "remote message cannot be encoded: {}", self.detail)
    }
}

impl std::error::Error for RemoteEncodeError {}

pub fn encode_job(job: &RemoteJob) -> Result<Bytes, RemoteEncodeError> {
    encode(REMOTE_JOB_MAGIC, job)
}

/// Decodes a job description and checks that it is self-consistent (its prefix and its
/// output ids belong to its id, it has inputs).
pub fn decode_job(bytes: &[u8]) -> Result<RemoteJob, DecodeError> {
    let job: RemoteJob = decode(REMOTE_JOB_MAGIC, "remote job", bytes)?;
    let invalid = |detail: &str| DecodeError::Invalid {
        what: "remote job",
        offset: 0,
        detail: detail.to_string(),
    };
    if job.output_prefix != job.id.tmp_prefix() {
        return Err(invalid("output prefix does not match the job id"));
    }
    if job.output_ids.compactor_epoch != job.id.compactor_epoch {
        return Err(invalid("output ids of another compactor epoch"));
    }
    if job.plan.input_count() == 0 {
        return Err(invalid("no inputs"));
    }
    Ok(job)
}

pub fn encode_result(result: &RemoteResult) -> Result<Bytes, RemoteEncodeError> {
    encode(REMOTE_RESULT_MAGIC, result)
}

pub fn decode_result(bytes: &[u8]) -> Result<RemoteResult, DecodeError> {
    decode(REMOTE_RESULT_MAGIC, "remote result", bytes)
}

fn encode<T: Serialize>(magic: u64, value: &T) -> Result<Bytes, RemoteEncodeError> {
    let body = bincode::serde::encode_to_vec(value, bincode_config()).map_err(|error| {
        RemoteEncodeError {
            detail: error.to_string(),
        }
    })?;
    let mut out = Vec::with_capacity(HEADER_LEN + body.len() + CHECKSUM_LEN);
    out.extend_from_slice(&magic.to_le_bytes());
    out.extend_from_slice(&REMOTE_FORMAT_VERSION.to_le_bytes());
    out.extend_from_slice(&body);
    let crc = crc32c(&out);
    out.extend_from_slice(&crc.to_le_bytes());
    Ok(Bytes::from(out))
}

fn decode<T: DeserializeOwned>(
    magic: u64,
    what: &'static str,
    bytes: &[u8],
) -> Result<T, DecodeError> {
    let mut reader = Reader::new(bytes);
    let found = reader.u64(what)?;
    if found != magic {
        return Err(DecodeError::BadMagic {
            what,
            offset: 0,
            found,
        });
    }
    let version = reader.u32(what)?;
    if version != REMOTE_FORMAT_VERSION {
        return Err(DecodeError::UnsupportedVersion {
            what,
            found: version,
        });
    }
    let body_len = reader
        .remaining()
        .checked_sub(CHECKSUM_LEN)
        .ok_or_else(|| DecodeError::Truncated {
            what,
            offset: reader.offset(),
            needed_bytes: CHECKSUM_LEN,
            available_bytes: reader.remaining(),
        })?;
    let body_offset = reader.offset();
    let body = reader.take(body_len, what)?;
    let checksum_offset = reader.offset();
    let stored = reader.u32(what)?;
    let computed = crc32c(bytes.get(..checksum_offset).unwrap_or_default());
    if stored != computed {
        return Err(DecodeError::ChecksumMismatch {
            what,
            offset: checksum_offset,
            stored,
            computed,
        });
    }
    let invalid = |detail: String| DecodeError::Invalid {
        what,
        offset: body_offset,
        detail,
    };
    let (value, consumed): (T, usize) = decode_bounded::<T, REMOTE_BODY_LIMIT_BYTES>(body)
        .map_err(|error| invalid(error.to_string()))?;
    if consumed != body.len() {
        return Err(invalid(format!(
            "{} bytes after the message",
            body.len().saturating_sub(consumed)
        )));
    }
    Ok(value)
}
