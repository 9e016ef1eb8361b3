//! Request accounting: what one sender asked of the store, by request kind and by the class
//! of the objects it touched ([`bucket_class`]), with the bytes it uploaded and downloaded.
//! The store node keeps one tally per sending node; the cost model sums them by role.

use crate::store::bucket_class;
use lsm_core::store::GetRange;
use serde::Serialize;
use std::collections::BTreeMap;

/// A request as an object store bills it: GETs split into whole and ranged reads (the same
/// price, different bytes), the three put modes together.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum RequestKind {
    Put,
    GetWhole,
    GetRanged,
    Head,
    List,
    Delete,
}

impl RequestKind {
    pub fn of_get(range: &GetRange) -> RequestKind {
        match range {
            GetRange::Whole => RequestKind::GetWhole,
            GetRange::Bytes { .. } => RequestKind::GetRanged,
        }
    }
}

/// Requests by kind.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct RequestCounts {
    pub put: u64,
    pub get_whole: u64,
    pub get_ranged: u64,
    pub head: u64,
    pub list: u64,
    pub delete: u64,
}

impl RequestCounts {
    pub fn note(&mut self, kind: RequestKind) {
        let count = match kind {
            RequestKind::Put => &mut self.put,
            RequestKind::GetWhole => &mut self.get_whole,
            RequestKind::GetRanged => &mut self.get_ranged,
            RequestKind::Head => &mut self.head,
            RequestKind::List => &mut self.list,
            RequestKind::Delete => &mut self.delete,
        };
        *count += 1;
    }

    pub fn total(&self) -> u64 {
        self.put + self.get_whole + self.get_ranged + self.head + self.list + self.delete
    }

    pub fn add(&mut self, other: &RequestCounts) {
        let before = self.total();
        self.put += other.put;
        self.get_whole += other.get_whole;
        self.get_ranged += other.get_ranged;
        self.head += other.head;
        self.list += other.list;
        self.delete += other.delete;
        assert_eq!(self.total(), before + other.total());
    }
}

/// Requests and bytes moved for one class of objects (or all of them).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Traffic {
    pub requests: RequestCounts,
    /// Bytes of PUT bodies that reached the store (applied or not).
    pub uploaded_bytes: u64,
    /// Object bytes in the replies the store sent (GET bodies).
    pub downloaded_bytes: u64,
}

impl Traffic {
    pub fn add(&mut self, other: &Traffic) {
        self.requests.add(&other.requests);
        self.uploaded_bytes += other.uploaded_bytes;
        self.downloaded_bytes += other.downloaded_bytes;
    }
}

/// One sender's (or one role's) traffic by object class.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct RequestTally {
    pub by_class: BTreeMap<&'static str, Traffic>,
}

impl RequestTally {
    /// A request arrived at the store: `path` is the object, or the prefix of a LIST.
    pub fn note_request(&mut self, kind: RequestKind, path: &str, uploaded_bytes: u64) {
        assert!(
            uploaded_bytes == 0 || kind == RequestKind::Put,
            "only a PUT carries a body ({kind:?} with {uploaded_bytes} bytes)"
        );
        let traffic = self.by_class.entry(bucket_class(path)).or_default();
        traffic.requests.note(kind);
        traffic.uploaded_bytes += uploaded_bytes;
    }

    /// The store sent a reply carrying `bytes` of `path`'s object.
    pub fn note_download(&mut self, path: &str, bytes: u64) {
        let traffic = self.by_class.entry(bucket_class(path)).or_default();
        assert!(
            bytes == 0 || traffic.requests.get_whole + traffic.requests.get_ranged > 0,
            "bytes downloaded from {path} with no GET of its class"
        );
        traffic.downloaded_bytes += bytes;
    }

    /// Every class together.
    pub fn total(&self) -> Traffic {
        let mut total = Traffic::default();
        for traffic in self.by_class.values() {
            total.add(traffic);
        }
        total
    }

    pub fn add(&mut self, other: &RequestTally) {
        for (class, traffic) in &other.by_class {
            self.by_class.entry(class).or_default().add(traffic);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tally_counts_by_kind_and_class() {
        let mut tally = RequestTally::default();
        tally.note_request(RequestKind::Put, "sst/1.sst", 100);
        tally.note_request(RequestKind::of_get(&GetRange::Whole), "sst/1.sst", 0);
        tally.note_download("sst/1.sst", 100);
        let ranged = GetRange::Bytes { start: 0, end: 10 };
        tally.note_request(RequestKind::of_get(&ranged), "sst/1.sst", 0);
        tally.note_download("sst/1.sst", 10);
        tally.note_request(RequestKind::List, "wal/", 0);
        tally.note_request(RequestKind::Delete, "tmp/a/1.sst", 0);
        let sst = tally.by_class.get("sst").copied().unwrap_or_default();
        assert_eq!(sst.requests.put, 1);
        assert_eq!(sst.requests.get_whole, 1);
        assert_eq!(sst.requests.get_ranged, 1);
        assert_eq!((sst.uploaded_bytes, sst.downloaded_bytes), (100, 110));
        let total = tally.total();
        assert_eq!(total.requests.total(), 5);
        assert_eq!(total.requests.list, 1);
        assert_eq!(total.requests.delete, 1);
        let mut twice = tally.clone();
        twice.add(&tally);
        assert_eq!(twice.total().requests.total(), 10);
        assert_eq!(twice.total().downloaded_bytes, 220);
    }
}
