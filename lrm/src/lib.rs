//! Local resource manager: runs OCF, LSB, Heartbeat and stonith agents.
//!
//! Not yet implemented (see the LRM issue). Requests (resource, action,
//! parameters, timeout) will enter through an async API; execution results
//! (execution status plus OCF rc) and operation history will leave it.
