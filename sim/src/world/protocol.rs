//! What clients and the writer host say to each other over madsim's network, and how keys
//! and values are laid out in bytes.

use bytes::Bytes;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};

/// Tag of client requests at the writer host; replies are tagged with the request id.
pub const CLIENT_REQUEST_TAG: u64 = 0x5345_4457_5249_5445;
/// Port the writer host listens on.
pub const WRITER_PORT: u16 = 7000;
/// Writer hosts: the active one and a standby that takes over when the active one stalls.
pub const WRITER_HOSTS: usize = 2;

/// A client operation. Keys and values are ids; values are unique per put, so a read names
/// exactly which write it saw. A put may carry an absolute expiry (wall ms, as Redis's
/// `PXAT`), after which the key reads as absent.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KvCommand {
    Get {
        key: u64,
    },
    Put {
        key: u64,
        value: u64,
        expires_at_ms: Option<u64>,
    },
    Delete {
        key: u64,
    },
}

pub struct ClientRequest {
    pub request_id: u64,
    pub command: KvCommand,
}

/// The writer host's answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ClientReply {
    /// A put or delete is durable.
    Written,
    /// What a get found (`None`: absent); `Err` when the stored bytes are not a value this
    /// world wrote (a corruption the check must see).
    Read(Result<Option<u64>, String>),
    /// Certainly not applied (the writer refused, or failed before anything was durable).
    Failed(String),
    /// Maybe applied: the writer could not learn the outcome.
    Unknown(String),
    /// This host does not (or no longer) run the current writer.
    NotLeader,
}

/// Writer host `index`'s node name.
pub fn writer_host_name(index: usize) -> String {
    format!("writer-{index}")
}

/// Writer host `index`'s address.
pub fn writer_host_address(index: usize) -> SocketAddr {
    let last = 10 + (index % 200) as u8;
    SocketAddr::new(IpAddr::V4(Ipv4Addr::new(10, 0, 1, last)), WRITER_PORT)
}

/// Client `index`'s IP (the final reader uses index `u32::MAX`'s slot, 250).
pub fn client_ip(index: u32) -> IpAddr {
    let last = 10 + (index % 240) as u8;
    IpAddr::V4(Ipv4Addr::new(10, 0, 2, last))
}

/// The 16-byte key of key id `key`: big-endian, zero padded (as compaction-sim's keys).
pub fn key_bytes(key: u64) -> Bytes {
    let mut bytes = [0u8; 16];
    bytes[..8].copy_from_slice(&key.to_be_bytes());
    Bytes::copy_from_slice(&bytes)
}

/// The stored value of value id `value`: its big-endian bytes, padded to `size_bytes`
/// (at least 8) with a byte derived from the id, so a misplaced value shows.
pub fn value_bytes(value: u64, size_bytes: u32) -> Bytes {
    let size = (size_bytes as usize).max(8);
    let mut bytes = vec![(value % 251) as u8; size];
    bytes[..8].copy_from_slice(&value.to_be_bytes());
    Bytes::from(bytes)
}

/// The value id stored in `bytes`, if they are a value [`value_bytes`] made.
pub fn parse_value(bytes: &[u8]) -> Result<u64, String> {
    let Some((id, rest)) = bytes.split_first_chunk::<8>() else {
        return Err(format!("value of {} bytes is too short", bytes.len()));
    };
    let value = u64::from_be_bytes(*id);
    let fill = (value % 251) as u8;
    if rest.iter().any(|byte| *byte != fill) {
        return Err(format!("value {value} has corrupt padding"));
    }
    Ok(value)
}

/// Tag of remote compaction jobs at a worker (the payload is `encode_job`'s bytes).
pub const REMOTE_JOB_TAG: u64 = 0x5345_4452_4A4F_4231;
/// Tag of remote compaction results at the writer host (`encode_result`'s bytes).
pub const REMOTE_RESULT_TAG: u64 = 0x5345_4452_5245_5331;
/// Port remote compaction workers listen on.
pub const WORKER_PORT: u16 = 7100;

/// Remote worker `index`'s node name.
/// Compactor nodes: the active one and a standby.
pub const COMPACTOR_NODES: usize = 2;

pub fn compactor_node_name(index: usize) -> String {
    format!("compactor-{index}")
}

pub fn worker_name(index: usize) -> String {
    format!("worker-{index}")
}

/// Remote worker `index`'s address.
pub fn worker_address(index: usize) -> SocketAddr {
    let last = 10 + (index % 200) as u8;
    SocketAddr::new(IpAddr::V4(Ipv4Addr::new(10, 0, 4, last)), WORKER_PORT)
}

/// The tag the primary acknowledges a result with, at the worker that sent it: unique per
/// job (the epoch in the high bits, the counter in the low ones).
pub fn remote_ack_tag(job: lsm_core::roles::remote::RemoteJobId) -> u64 {
    const ACK_BASE: u64 = 0x4143_4B00_0000_0000;
    ACK_BASE ^ (job.compactor_epoch.0 << 32) ^ (job.counter & 0xFFFF_FFFF)
}
