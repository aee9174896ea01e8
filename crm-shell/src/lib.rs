//! The `crm` shell: crmsh's configure language, status, node and resource commands.
//!
//! Not yet implemented (see the crm shell issue). Commands enter as text
//! (interactive, stdin or a file); they read and write a CIB through the `cib`
//! crate, offline on a file (`CIB_file`) or through the daemon's socket.
