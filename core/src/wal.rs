//! WAL segments.
