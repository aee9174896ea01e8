//! The Cluster Information Base (work in progress).
pub mod version;
pub mod xml;
