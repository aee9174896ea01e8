//! The node daemon `tandemd`: membership, CIB replica, designated controller,
//! transition execution and the LRM as tasks in one process.
//!
//! Not yet implemented (see the membership issue for its first form).
