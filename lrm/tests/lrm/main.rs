//! Integration tests of the LRM: fixture agents (timeouts, process groups,
//! recurring monitors, output bounds), Debian's own agents run unmodified,
//! and the `tandem-lrm` command line. Run as root (CI does).

mod cli;
mod debian;
mod fixtures;
mod support;
