//! Core attributes ↔ S3 user metadata (`x-amz-meta-*`).
//!
//! HTTP lower-cases header names and trims values, so only attributes that survive that
//! round trip exactly are accepted: keys of `[a-z0-9-]` (underscores are dropped by WSGI servers such as moto, and some proxies), values of printable ASCII without
//! leading or trailing spaces. Core's only attribute (`sediment-write-tag`, a tag of ids and
//! counters) is such; anything else is a programmer error and asserted.

use lsm_core::store::Attributes;
use object_store::{Attribute, AttributeValue};

/// Asserts that `attributes` survive S3's metadata headers unchanged.
pub fn assert_portable(attributes: &Attributes) {
    for (key, value) in attributes {
        assert!(
            !key.is_empty()
                && key
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-'),
            "attribute key {key:?} is not portable: use [a-z0-9-]"
        );
        assert!(
            value.bytes().all(|b| (b' '..=b'~').contains(&b)) && value.trim() == value,
            "attribute {key:?} has a value that is not portable printable ASCII: {value:?}"
        );
    }
}

pub fn to_object_store(attributes: &Attributes) -> object_store::Attributes {
    assert_portable(attributes);
    attributes
        .iter()
        .map(|(key, value)| {
            (
                Attribute::Metadata(key.clone().into()),
                AttributeValue::from(value.clone()),
            )
        })
        .collect()
}

/// The user metadata among `attributes`; other attributes (content type...) are not core's.
pub fn from_object_store(attributes: &object_store::Attributes) -> Attributes {
    attributes
        .iter()
        .filter_map(|(attribute, value)| match attribute {
            Attribute::Metadata(key) => Some((key.to_string(), value.to_string())),
            _ => None,
        })
        .collect()
}
