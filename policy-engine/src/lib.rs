//! The policy engine: a pure function from a CIB (configuration + status) and
//! the current time to a transition.
//!
//! Not yet implemented (see the policy engine issue).
