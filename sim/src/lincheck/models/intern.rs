//! Strings for models whose states hold them, as `u32` ids so that a state clones, hashes
//! and compares cheaply.
//!
//! Strings read from a history are interned by content. A concatenation is a node
//! (prefix id, suffix id), hash-consed, so appending during the search costs one table
//! lookup and never copies the (possibly long) prefix. Equal ids always mean equal
//! strings (the search cache stays exact); equal strings built in different ways may get
//! different ids, so content comparison goes through [`Interner::same_content`]: a length
//! and polynomial fingerprint computed in O(1) per node rejects almost every unequal pair,
//! and a pair whose fingerprints match is compared byte by byte once and remembered.

use std::collections::HashMap;

use crate::lincheck::hash::FixedState;

/// Id of a string.
pub type StrId = u32;

/// The fingerprint's modulus, the Mersenne prime 2^61 - 1, and a fixed base below it.
const MODULUS: u64 = (1 << 61) - 1;
const BASE: u64 = 0x0f3a_5b7c_9d2e_4f61 % MODULUS;

fn mul_mod(a: u64, b: u64) -> u64 {
    let product = u128::from(a) * u128::from(b);
    // 2^61 ≡ 1 (mod 2^61 - 1): fold the high bits onto the low ones.
    let folded = (product & u128::from(MODULUS)) as u64 + (product >> 61) as u64;
    reduce(folded)
}

fn add_mod(a: u64, b: u64) -> u64 {
    reduce(a + b)
}

/// Reduces `x < 2^63` modulo 2^61 - 1.
fn reduce(x: u64) -> u64 {
    let x = (x & MODULUS) + (x >> 61);
    if x >= MODULUS { x - MODULUS } else { x }
}

#[derive(Clone, Copy, Debug)]
enum Node {
    /// An interned string read from a history (index into `leaves`).
    Leaf(u32),
    Concat(StrId, StrId),
}

/// Per node: its shape and fingerprint (length, hash, BASE^length).
#[derive(Clone, Copy, Debug)]
struct Fingerprint {
    len: u64,
    hash: u64,
    power: u64,
}

/// The string table. Grows as the search builds new concatenations (one node per new
/// one, so the search's step bound bounds it).
#[derive(Debug)]
pub struct Interner {
    nodes: Vec<Node>,
    prints: Vec<Fingerprint>,
    leaves: Vec<Box<str>>,
    by_content: HashMap<Box<str>, StrId, FixedState>,
    /// (prefix << 32 | suffix) → node.
    concats: HashMap<u64, StrId, FixedState>,
    /// (smaller id << 32 | larger id) → same content; only for pairs whose fingerprints match.
    verified: HashMap<u64, bool, FixedState>,
    /// Per string asked about by [`Interner::may_be_prefix`]: the hash of each prefix.
    prefix_hashes: HashMap<StrId, Vec<u64>, FixedState>,
}

impl Default for Interner {
    fn default() -> Self {
        let mut interner = Interner {
            nodes: Vec::new(),
            prints: Vec::new(),
            leaves: Vec::new(),
            by_content: HashMap::with_hasher(FixedState),
            concats: HashMap::with_hasher(FixedState),
            verified: HashMap::with_hasher(FixedState),
            prefix_hashes: HashMap::with_hasher(FixedState),
        };
        interner.intern("");
        interner
    }
}

impl Interner {
    /// The id of the empty string.
    pub const EMPTY: StrId = 0;

    /// The id of `s`; the same for the same content.
    pub fn intern(&mut self, s: &str) -> StrId {
        if let Some(&id) = self.by_content.get(s) {
            return id;
        }
        let hash = s
            .bytes()
            .fold(0, |h, b| add_mod(mul_mod(h, BASE), u64::from(b) + 1));
        let power = s.bytes().fold(1, |p, _| mul_mod(p, BASE));
        let id = self.nodes.len() as StrId;
        self.nodes.push(Node::Leaf(self.leaves.len() as u32));
        self.prints.push(Fingerprint {
            len: s.len() as u64,
            hash,
            power,
        });
        self.leaves.push(s.into());
        self.by_content.insert(s.into(), id);
        id
    }

    /// The id of `a` followed by `b`.
    pub fn concat(&mut self, a: StrId, b: StrId) -> StrId {
        if b == Self::EMPTY {
            return a;
        }
        if a == Self::EMPTY {
            return b;
        }
        let key = (u64::from(a) << 32) | u64::from(b);
        if let Some(&id) = self.concats.get(&key) {
            return id;
        }
        let (Some(&pa), Some(&pb)) = (self.prints.get(a as usize), self.prints.get(b as usize))
        else {
            return a;
        };
        let id = self.nodes.len() as StrId;
        self.nodes.push(Node::Concat(a, b));
        self.prints.push(Fingerprint {
            len: pa.len + pb.len,
            hash: add_mod(mul_mod(pa.hash, pb.power), pb.hash),
            power: mul_mod(pa.power, pb.power),
        });
        self.concats.insert(key, id);
        id
    }

    /// Whether `a` and `b` are the same string.
    pub fn same_content(&mut self, a: StrId, b: StrId) -> bool {
        if a == b {
            return true;
        }
        let (Some(pa), Some(pb)) = (self.prints.get(a as usize), self.prints.get(b as usize))
        else {
            return false;
        };
        if pa.len != pb.len || pa.hash != pb.hash {
            return false;
        }
        let key = (u64::from(a.min(b)) << 32) | u64::from(a.max(b));
        if let Some(&same) = self.verified.get(&key) {
            return same;
        }
        let same = self.bytes(a) == self.bytes(b);
        self.verified.insert(key, same);
        same
    }

    /// Whether `prefix` may be a prefix of `of`: `false` is certain (the fingerprints of
    /// `prefix` and of `of`'s prefix of that length differ), `true` is not.
    pub fn may_be_prefix(&mut self, prefix: StrId, of: StrId) -> bool {
        if prefix == Self::EMPTY || prefix == of {
            return true;
        }
        let Some(&p) = self.prints.get(prefix as usize) else {
            return true;
        };
        if !self.prefix_hashes.contains_key(&of) {
            let mut hashes = vec![0];
            for b in self.bytes(of) {
                let last = hashes.last().copied().unwrap_or(0);
                hashes.push(add_mod(mul_mod(last, BASE), u64::from(b) + 1));
            }
            self.prefix_hashes.insert(of, hashes);
        }
        self.prefix_hashes
            .get(&of)
            .and_then(|hashes| usize::try_from(p.len).ok().and_then(|len| hashes.get(len)))
            .is_some_and(|&h| h == p.hash)
    }

    fn bytes(&self, id: StrId) -> Vec<u8> {
        let mut out = Vec::new();
        let mut pending = vec![id];
        // Each node is expanded once per occurrence and every node has a smaller id than
        // its parts' parent, so the walk ends; the bound below is only a guard.
        for _ in 0..(2 * self.nodes.len() + 2) * 64 {
            let Some(next) = pending.pop() else {
                break;
            };
            match self.nodes.get(next as usize) {
                Some(Node::Leaf(leaf)) => {
                    if let Some(s) = self.leaves.get(*leaf as usize) {
                        out.extend_from_slice(s.as_bytes());
                    }
                }
                Some(Node::Concat(a, b)) => {
                    pending.push(*b);
                    pending.push(*a);
                }
                None => {}
            }
        }
        out
    }

    /// The string of `id` (empty for an unknown id).
    pub fn get(&self, id: StrId) -> String {
        String::from_utf8_lossy(&self.bytes(id)).into_owned()
    }

    /// Number of nodes (a measure of the memory held).
    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_equality_holds_however_strings_were_built() {
        let mut i = Interner::default();
        let (a, bc, ab, c) = (i.intern("a"), i.intern("bc"), i.intern("ab"), i.intern("c"));
        let abc1 = i.concat(a, bc);
        let abc2 = i.concat(ab, c);
        let abc3 = i.intern("abc");
        assert!(i.same_content(abc1, abc2) && i.same_content(abc2, abc3));
        assert!(!i.same_content(abc1, ab));
        let (ac, b) = (i.intern("ac"), i.intern("b"));
        let acb = i.concat(ac, b);
        assert!(!i.same_content(abc1, acb));
        assert_eq!(i.get(abc1), "abc");
        assert_eq!(i.concat(a, Interner::EMPTY), a);
        assert_eq!(i.concat(Interner::EMPTY, a), a);
        assert_eq!(i.concat(a, bc), abc1);
        assert_eq!(i.intern(""), Interner::EMPTY);
        assert!(i.may_be_prefix(ab, abc1) && i.may_be_prefix(a, abc2));
        assert!(!i.may_be_prefix(bc, abc1) && !i.may_be_prefix(abc1, ab));
        let u = i.intern("é✓");
        let uu = i.concat(u, u);
        assert_eq!(i.get(uu), "é✓é✓");
    }
}
