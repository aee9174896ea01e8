//! corosync.conf parser (TODO)
