//! K-way merge of sorted entry sources.
