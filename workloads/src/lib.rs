//! Deterministic operation streams for Sediment (YCSB-style mixes, key and value
//! distributions, TTL series). Filled in by the workloads issue; empty until then.
#![forbid(unsafe_code)]
