//! The agents, one module each.

pub mod dummy;
pub mod filesystem;
pub mod ipaddr2;
pub mod mysql;
pub mod stateful;
