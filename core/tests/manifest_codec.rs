//! The manifest object: round trips, and typed errors (never panics) on every truncation,
//! every bit flip, arbitrary bytes, hostile bodies and manifests that break invariants.
#![allow(clippy::unwrap_used)]

mod manifest_support;

use lsm_core::checksum::crc32c;
use lsm_core::codec::DecodeError;
use lsm_core::ids::{ManifestVersion, SstId};
use lsm_core::manifest::{
    InvariantViolation, MANIFEST_FORMAT_VERSION, MANIFEST_MAGIC, Manifest, ManifestDecodeError,
    ManifestEncodeError, PendingDeletion, check_invariants, decode_manifest, encode_manifest,
    manifest_path, parse_manifest_path,
};
use manifest_support::{build, manifest_strategy, sst, step_strategy};
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::TestRunner;

/// Wraps `body` in a valid envelope: magic, version, body, checksum.
fn envelope(body: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    out.extend_from_slice(&MANIFEST_MAGIC.to_le_bytes());
    out.extend_from_slice(&MANIFEST_FORMAT_VERSION.to_le_bytes());
    out.extend_from_slice(body);
    let crc = crc32c(&out);
    out.extend_from_slice(&crc.to_le_bytes());
    out
}

/// The body bincode writes for `manifest`, bypassing the encoder's invariant check.
fn raw_body(manifest: &Manifest) -> Vec<u8> {
    bincode::serde::encode_to_vec(manifest, bincode::config::standard()).unwrap()
}

/// A manifest built from 60 random steps, the same on every run.
fn sample() -> Manifest {
    let mut runner = TestRunner::deterministic();
    let steps = prop::collection::vec(step_strategy(), 60)
        .new_tree(&mut runner)
        .unwrap()
        .current();
    build(&steps).0
}

fn decode_error(bytes: &[u8]) -> DecodeError {
    match decode_manifest(bytes) {
        Err(ManifestDecodeError::Decode(error)) => error,
        other => panic!("expected a decode error, got {other:?}"),
    }
}

#[test]
fn the_sample_is_not_trivial() {
    let m = sample();
    assert!(m.all_live_ssts().count() >= 3, "{m:?}");
    assert!(m.version.0 >= 20);
}

#[test]
fn initial_manifest_round_trips() {
    let m = Manifest::initial();
    let bytes = encode_manifest(&m).unwrap();
    assert_eq!(decode_manifest(&bytes).unwrap(), m);
}

#[test]
fn encoding_is_deterministic() {
    let m = sample();
    assert_eq!(
        encode_manifest(&m).unwrap(),
        encode_manifest(&m.clone()).unwrap()
    );
}

#[test]
fn every_truncation_is_a_typed_error() {
    let bytes = encode_manifest(&sample()).unwrap();
    for len in 0..bytes.len() {
        let error = decode_error(&bytes[..len]);
        assert!(
            matches!(
                error,
                DecodeError::Truncated { .. } | DecodeError::ChecksumMismatch { .. }
            ),
            "length {len}: {error}"
        );
    }
}

#[test]
fn every_single_bit_flip_is_a_typed_error() {
    let bytes = encode_manifest(&sample()).unwrap().to_vec();
    let mut flipped = bytes.clone();
    for bit in 0..bytes.len() * 8 {
        flipped[bit / 8] ^= 1 << (bit % 8);
        let error = decode_error(&flipped);
        let expected = match bit / 8 {
            0..8 => matches!(error, DecodeError::BadMagic { .. }),
            8..12 => matches!(error, DecodeError::UnsupportedVersion { .. }),
            _ => matches!(error, DecodeError::ChecksumMismatch { .. }),
        };
        assert!(expected, "bit {bit}: {error}");
        flipped[bit / 8] ^= 1 << (bit % 8);
    }
}

#[test]
fn appended_bytes_are_rejected() {
    let m = sample();
    let mut body = raw_body(&m);
    body.push(0);
    let error = decode_error(&envelope(&body));
    assert!(
        matches!(
            error,
            DecodeError::Invalid {
                what: "manifest body",
                ..
            }
        ),
        "{error}"
    );
    let mut bytes = encode_manifest(&m).unwrap().to_vec();
    bytes.push(0);
    assert!(matches!(
        decode_error(&bytes),
        DecodeError::ChecksumMismatch { .. }
    ));
}

#[test]
fn other_objects_are_bad_magic_and_newer_formats_are_unsupported() {
    let mut bytes = encode_manifest(&sample()).unwrap().to_vec();
    bytes[..8].copy_from_slice(b"SEDWAL\0\0");
    assert!(matches!(
        decode_error(&bytes),
        DecodeError::BadMagic { offset: 0, .. }
    ));
    let mut newer = envelope(&raw_body(&sample()));
    newer[8..12].copy_from_slice(&(MANIFEST_FORMAT_VERSION + 1).to_le_bytes());
    assert_eq!(
        decode_error(&newer),
        DecodeError::UnsupportedVersion {
            what: "manifest",
            found: MANIFEST_FORMAT_VERSION + 1
        }
    );
}

#[test]
fn a_decoded_manifest_that_breaks_an_invariant_is_rejected() {
    let mut m = sample();
    m.pending_deletion.push(PendingDeletion {
        sst: sst(9_999, 0, 1, (1, 1)),
        obsoleted_at: ManifestVersion(m.version.0 + 1),
    });
    let violation = check_invariants(&m).unwrap_err();
    assert!(matches!(
        violation,
        InvariantViolation::PendingFromFuture {
            id: SstId(9_999),
            ..
        }
    ));
    assert_eq!(
        decode_manifest(&envelope(&raw_body(&m))).unwrap_err(),
        ManifestDecodeError::Invariant(violation.clone())
    );
    assert_eq!(
        encode_manifest(&m).unwrap_err(),
        ManifestEncodeError::Invariant(violation)
    );
}

#[test]
fn hostile_lengths_hit_the_size_limit_instead_of_allocating() {
    // version 0, epochs 0, then an L0 of 2^40 tables.
    let mut huge_list = vec![0u8, 0, 0, 253];
    huge_list.extend_from_slice(&(1u64 << 40).to_le_bytes());
    // version 0, epochs 0, one L0 table with id 0 and a 2^40-byte smallest key.
    let mut huge_key = vec![0u8, 0, 0, 1, 0, 253];
    huge_key.extend_from_slice(&(1u64 << 40).to_le_bytes());
    for body in [huge_list, huge_key] {
        let error = decode_error(&envelope(&body));
        assert!(
            matches!(
                error,
                DecodeError::Invalid {
                    what: "manifest body",
                    ..
                }
            ),
            "{error}"
        );
    }
}

#[test]
fn manifest_paths_round_trip() {
    let path = manifest_path(ManifestVersion(31));
    assert_eq!(path, "manifest/00000000000000000031.manifest");
    assert_eq!(parse_manifest_path(&path), Some(ManifestVersion(31)));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn manifests_built_from_valid_edits_round_trip(m in manifest_strategy()) {
        let bytes = encode_manifest(&m).unwrap();
        prop_assert_eq!(decode_manifest(&bytes).unwrap(), m);
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        let _ = decode_manifest(&bytes);
    }

    /// Arbitrary bodies in a valid envelope reach bincode: they decode to a manifest that
    /// keeps every invariant, or fail with a typed error.
    #[test]
    fn arbitrary_bodies_never_panic(body in prop::collection::vec(any::<u8>(), 0..512)) {
        if let Ok(m) = decode_manifest(&envelope(&body)) {
            prop_assert!(check_invariants(&m).is_ok());
        }
    }

    /// Mutations of real bodies (re-checksummed) get past the envelope and probe bincode
    /// and the invariants.
    #[test]
    fn mutated_bodies_never_panic(
        m in manifest_strategy(),
        edits in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..8),
    ) {
        let mut body = raw_body(&m);
        if !body.is_empty() {
            for (index, byte) in edits {
                let at = index.index(body.len());
                body[at] = byte;
            }
        }
        if let Ok(decoded) = decode_manifest(&envelope(&body)) {
            prop_assert!(check_invariants(&decoded).is_ok());
        }
    }

    #[test]
    fn every_truncation_of_random_manifests_is_an_error(m in manifest_strategy()) {
        let bytes = encode_manifest(&m).unwrap();
        for len in 0..bytes.len() {
            prop_assert!(decode_manifest(&bytes[..len]).is_err());
        }
    }
}
