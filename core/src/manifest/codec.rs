//! The manifest object: magic u64, format version u32, bincode body (serde, standard
//! config), CRC-32C u32 of everything before it. Decoding bounds memory with a size limit and
//! checks the invariants, so a decoded manifest is always one `apply` could have produced.

use crate::bincode_body::decode_bounded;
use crate::checksum::crc32c;
use crate::codec::{DecodeError, Reader};
use crate::manifest::error::{ManifestDecodeError, ManifestEncodeError};
use crate::manifest::invariants::check_invariants;
use crate::manifest::model::Manifest;
use bincode::config::Config;
use bytes::Bytes;

/// "SEDMANIF" read as a little-endian u64.
pub const MANIFEST_MAGIC: u64 = u64::from_le_bytes(*b"SEDMANIF");
/// The body format this build writes and reads.
pub const MANIFEST_FORMAT_VERSION: u32 = 1;
/// Largest body the decoder accepts, and the most it will allocate for one (64 MiB: about
/// 300 000 table entries); a shorter body is decoded under a limit that follows its length.
pub const MANIFEST_BODY_LIMIT_BYTES: usize = 64 << 20;

const HEADER_LEN: usize = 8 + 4;
const CHECKSUM_LEN: usize = 4;

fn bincode_config() -> impl Config {
    bincode::config::standard().with_limit::<MANIFEST_BODY_LIMIT_BYTES>()
}

/// Encodes `manifest`, refusing one that breaks an invariant (the decoder would reject it).
pub fn encode_manifest(manifest: &Manifest) -> Result<Bytes, ManifestEncodeError> {
    check_invariants(manifest).map_err(ManifestEncodeError::Invariant)?;
    let body = bincode::serde::encode_to_vec(manifest, bincode_config()).map_err(|error| {
        ManifestEncodeError::Serialize {
            detail: error.to_string(),
        }
    })?;
    if body.len() > MANIFEST_BODY_LIMIT_BYTES {
        return Err(ManifestEncodeError::TooLarge {
            size_bytes: body.len(),
            limit_bytes: MANIFEST_BODY_LIMIT_BYTES,
        });
    }
    let mut out = Vec::with_capacity(HEADER_LEN + body.len() + CHECKSUM_LEN);
    out.extend_from_slice(&MANIFEST_MAGIC.to_le_bytes());
    out.extend_from_slice(&MANIFEST_FORMAT_VERSION.to_le_bytes());
    out.extend_from_slice(&body);
    let crc = crc32c(&out);
    out.extend_from_slice(&crc.to_le_bytes());
    // Paired with `decode_manifest`, which reads the body between header and checksum.
    assert_eq!(out.len(), HEADER_LEN + body.len() + CHECKSUM_LEN);
    Ok(Bytes::from(out))
}

/// Decodes a manifest object: magic, version, checksum, body, then the invariants.
pub fn decode_manifest(bytes: &[u8]) -> Result<Manifest, ManifestDecodeError> {
    let mut reader = Reader::new(bytes);
    let magic = reader.u64("manifest magic")?;
    if magic != MANIFEST_MAGIC {
        return Err(DecodeError::BadMagic {
            what: "manifest",
            offset: 0,
            found: magic,
        }
        .into());
    }
    let version = reader.u32("manifest format version")?;
    if version != MANIFEST_FORMAT_VERSION {
        return Err(DecodeError::UnsupportedVersion {
            what: "manifest",
            found: version,
        }
        .into());
    }
    let body_len = reader
        .remaining()
        .checked_sub(CHECKSUM_LEN)
        .ok_or_else(|| DecodeError::Truncated {
            what: "manifest checksum",
            offset: reader.offset(),
            needed_bytes: CHECKSUM_LEN,
            available_bytes: reader.remaining(),
        })?;
    let body_offset = reader.offset();
    let body = reader.take(body_len, "manifest body")?;
    let checksum_offset = reader.offset();
    assert_eq!(checksum_offset, HEADER_LEN + body_len);
    let stored = reader.u32("manifest checksum")?;
    assert_eq!(reader.remaining(), 0, "the checksum ends the object");
    // The reader took the checksum from `bytes`, so everything before it is there.
    assert!(checksum_offset + CHECKSUM_LEN == bytes.len());
    let computed = crc32c(&bytes[..checksum_offset]);
    if stored != computed {
        return Err(DecodeError::ChecksumMismatch {
            what: "manifest",
            offset: checksum_offset,
            stored,
            computed,
        }
        .into());
    }
    let manifest = decode_body(body, body_offset)?;
    check_invariants(&manifest).map_err(ManifestDecodeError::Invariant)?;
    Ok(manifest)
}

fn decode_body(body: &[u8], body_offset: usize) -> Result<Manifest, DecodeError> {
    let invalid = |detail: String| DecodeError::Invalid {
        what: "manifest body",
        offset: body_offset,
        detail,
    };
    let (manifest, consumed): (Manifest, usize) =
        decode_bounded::<Manifest, MANIFEST_BODY_LIMIT_BYTES>(body)
            .map_err(|error| invalid(error.to_string()))?;
    if consumed != body.len() {
        return Err(invalid(format!(
            "{} bytes after the manifest",
            body.len().saturating_sub(consumed)
        )));
    }
    Ok(manifest)
}
