//! Core paths ↔ `object_store` paths, bijectively.
//!
//! S3 keys are arbitrary strings, but `object_store::path::Path` drops empty segments
//! (`a//b` becomes `a/b`), refuses `.` and `..`, and percent-encodes some characters, so two
//! core paths could alias and odd keys would not round trip. Every segment is therefore
//! escaped: bytes in `[A-Za-z0-9._-]` stay, any other byte becomes `~XX` (uppercase hex), a
//! segment that is `.` or `..` has its dots escaped, and an empty segment is `~e`. Core's
//! own paths (`sst/00000000000000000012.sst`) are unchanged by this.
//!
//! On local files a key may also be a directory of another key (`a` and `a/b` both exist on
//! S3); the final segment of a file name therefore ends in `~f`, which no directory segment
//! can end with (escapes are uppercase hex), so the two never collide.

use object_store::path::Path;

/// Suffix of the final segment in the local-files layout.
const FILE_SUFFIX: &str = "~f";
/// An empty segment.
const EMPTY_SEGMENT: &str = "~e";

/// Which layout the encoded path is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Layout {
    /// Object stores (memory, S3): segments escaped.
    Objects,
    /// Local files: segments escaped, and the final one marked as a file.
    Files,
}

fn keeps(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || matches!(byte, b'.' | b'_' | b'-')
}

fn escape_segment(segment: &str, out: &mut String) {
    if segment.is_empty() {
        out.push_str(EMPTY_SEGMENT);
        return;
    }
    let dots_only = segment == "." || segment == "..";
    for byte in segment.bytes() {
        if keeps(byte) && !dots_only {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("~{byte:02X}"));
        }
    }
}

fn hex_value(digit: u8) -> Option<u8> {
    match digit {
        b'0'..=b'9' => Some(digit - b'0'),
        b'A'..=b'F' => Some(digit - b'A' + 10),
        _ => None,
    }
}

/// The bytes of one escaped segment, or `None` when it is not a valid escape.
fn unescape_segment(segment: &str, out: &mut Vec<u8>) -> Option<()> {
    if segment == EMPTY_SEGMENT {
        return Some(());
    }
    if segment.is_empty() {
        return None;
    }
    let bytes = segment.as_bytes();
    let mut index = 0;
    while index < bytes.len() {
        let byte = bytes[index];
        if byte == b'~' {
            let high = hex_value(*bytes.get(index + 1)?)?;
            let low = hex_value(*bytes.get(index + 2)?)?;
            out.push(high * 16 + low);
            index += 3;
        } else if keeps(byte) {
            out.push(byte);
            index += 1;
        } else {
            return None;
        }
    }
    Some(())
}

/// The escaped form of every segment of `path`, joined by `/`.
fn escape(path: &str, layout: Layout) -> String {
    let mut out = String::with_capacity(path.len() + 4);
    for (index, segment) in path.split('/').enumerate() {
        if index > 0 {
            out.push('/');
        }
        escape_segment(segment, &mut out);
    }
    if layout == Layout::Files {
        out.push_str(FILE_SUFFIX);
    }
    out
}

/// The `object_store` path of the object at core path `path`.
pub fn encode(path: &str, layout: Layout) -> Path {
    let escaped = escape(path, layout);
    // Every segment is non-empty and free of `/`, `.`/`..` and control bytes: always valid.
    Path::parse(&escaped)
        .unwrap_or_else(|error| panic!("escaped path {escaped:?} is invalid: {error}"))
}

/// The core path of an encoded object path, or `None` for a name this crate never writes
/// (a foreign file in the bucket, a staging file).
pub fn decode(encoded: &str, layout: Layout) -> Option<String> {
    let body = match layout {
        Layout::Objects => encoded,
        Layout::Files => encoded.strip_suffix(FILE_SUFFIX)?,
    };
    let mut bytes = Vec::with_capacity(body.len());
    for (index, segment) in body.split('/').enumerate() {
        if index > 0 {
            bytes.push(b'/');
        }
        unescape_segment(segment, &mut bytes)?;
    }
    String::from_utf8(bytes).ok()
}

/// The directory to list for a raw string prefix: its complete segments (everything up to
/// the last `/`), or `None` for the whole store. Listed paths must still be filtered by the
/// prefix itself, since its last segment may be partial (`a/1` matches `a/10`).
pub fn list_directory(prefix: &str) -> Option<Path> {
    let (directory, _partial) = prefix.rsplit_once('/')?;
    let escaped = escape(directory, Layout::Objects);
    Some(
        Path::parse(&escaped)
            .unwrap_or_else(|error| panic!("escaped prefix {escaped:?} is invalid: {error}")),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const ODD: &[&str] = &[
        "sst/00000000000000000012.sst",
        "a",
        "a/",
        "a//b",
        "/lead",
        ".",
        "..",
        "a/./b",
        "a/../b",
        "sp ace/tab\there",
        "percent%41/tilde~e/hash#1",
        "unicode/é/ø/日本",
        "~f",
        "~e/~",
        "",
    ];

    #[test]
    fn every_odd_key_round_trips_in_both_layouts() {
        for layout in [Layout::Objects, Layout::Files] {
            for key in ODD {
                let encoded = encode(key, layout);
                assert_eq!(
                    decode(encoded.as_ref(), layout).as_deref(),
                    Some(*key),
                    "{key:?} as {encoded}"
                );
            }
        }
    }

    #[test]
    fn core_paths_stay_readable() {
        assert_eq!(
            encode("manifest/00000000000000000001.manifest", Layout::Objects).as_ref(),
            "manifest/00000000000000000001.manifest"
        );
        assert_eq!(encode("a//b", Layout::Objects).as_ref(), "a/~e/b");
        assert_eq!(encode("a/b", Layout::Files).as_ref(), "a/b~f");
    }

    #[test]
    fn no_file_name_is_a_directory_of_another() {
        // On local files, `a` and `a/b` must not need `a` to be both a file and a directory.
        let file = encode("a", Layout::Files);
        let nested = encode("a/b", Layout::Files);
        assert_ne!(
            file.as_ref(),
            nested.as_ref().split('/').next().unwrap_or("")
        );
    }

    #[test]
    fn foreign_names_are_not_decoded() {
        assert_eq!(decode("a b", Layout::Objects), None);
        assert_eq!(decode("a~zz", Layout::Objects), None);
        assert_eq!(decode("a/b", Layout::Files), None);
        assert_eq!(decode("x~f#123", Layout::Files), None);
    }

    #[test]
    fn list_directory_keeps_complete_segments() {
        assert_eq!(list_directory("sst/00"), Some(Path::from("sst")));
        assert_eq!(list_directory("a/b/"), Some(Path::from("a/b")));
        assert_eq!(list_directory("a"), None);
        assert_eq!(list_directory(""), None);
    }
}
