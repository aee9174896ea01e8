//! Tandem's own OCF resource agents (IPaddr2, Filesystem, mysql, Dummy, Stateful).
//!
//! Not yet implemented (see the LRM/agents issue). Agents are invoked by an
//! executor with `OCF_RESKEY_*` variables and an action argument, and answer
//! with an OCF exit code.
