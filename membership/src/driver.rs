//! tokio driver (TODO)
