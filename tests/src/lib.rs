//! Shared test helpers for the whole stack, and (in `tests/tests/`)
//! multi-node integration tests.
//!
//! - [`sys`]: shell helpers and drop guards for network namespaces and loop
//!   devices, used by the LRM and agent tests, which run as root.

pub mod sys;
