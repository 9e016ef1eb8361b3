//! Sorted, size-accounted, freezable in-memory table.
