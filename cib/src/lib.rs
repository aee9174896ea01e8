//! The Cluster Information Base (work in progress).
