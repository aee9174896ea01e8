//! CIB version counters: `admin_epoch`, `epoch`, `num_updates`.
//!
//! Pacemaker orders CIB copies by the triple (admin_epoch, epoch,
//! num_updates), compared lexicographically. A change to the configuration
//! section bumps `epoch` and resets `num_updates` to 0; a change that touches
//! only the status section bumps `num_updates`. `admin_epoch` is only ever
//! raised by an administrator, to force one copy to win.

use std::fmt;

/// The version of one CIB copy. Ordering is Pacemaker's: lexicographic over
/// (admin_epoch, epoch, num_updates), so `a > b` means `a` is newer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Version {
    /// Raised by an administrator to override every other copy.
    pub admin_epoch: u64,
    /// Raised on every configuration change.
    pub epoch: u64,
    /// Raised on every status-only change; reset when `epoch` rises.
    pub num_updates: u64,
}

impl Version {
    /// A version from its three counters.
    pub const fn new(admin_epoch: u64, epoch: u64, num_updates: u64) -> Self {
        Version {
            admin_epoch,
            epoch,
            num_updates,
        }
    }

    /// The version after a change to the configuration section.
    pub fn bump_epoch(self) -> Self {
        Version {
            admin_epoch: self.admin_epoch,
            epoch: self.epoch + 1,
            num_updates: 0,
        }
    }

    /// The version after a change that touched only the status section.
    pub fn bump_num_updates(self) -> Self {
        Version {
            num_updates: self.num_updates + 1,
            ..self
        }
    }
}

impl fmt::Display for Version {
    /// Pacemaker's spelling: `admin_epoch.epoch.num_updates`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}.{}.{}",
            self.admin_epoch, self.epoch, self.num_updates
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ordering_is_lexicographic() {
        assert!(Version::new(1, 0, 0) > Version::new(0, 99, 99));
        assert!(Version::new(0, 2, 0) > Version::new(0, 1, 50));
        assert!(Version::new(0, 1, 3) > Version::new(0, 1, 2));
    }

    #[test]
    fn bumps() {
        let v = Version::new(0, 4, 91);
        assert_eq!(v.bump_epoch(), Version::new(0, 5, 0));
        assert_eq!(v.bump_num_updates(), Version::new(0, 4, 92));
        assert_eq!(v.to_string(), "0.4.91");
    }
}
