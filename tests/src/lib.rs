//! Multi-node integration tests and shared test helpers for the whole stack.
//!
//! Tests live in `tests/tests/`; helpers that several of them share live here.
