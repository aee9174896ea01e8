//! Naming and locating agents: `ocf:PROVIDER:TYPE`, `lsb:NAME`,
//! `heartbeat:NAME` and `stonith:NAME`.

use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use crate::error::LrmError;

/// The class of an agent, which decides how it is called.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum AgentSpec {
    /// OCF RA API 1.1 agent: `$OCF_ROOT/resource.d/PROVIDER/TYPE ACTION`,
    /// parameters in `OCF_RESKEY_*`.
    Ocf {
        /// Provider directory (`heartbeat`, `pacemaker`, `tandem`, ...).
        provider: String,
        /// Agent type (`IPaddr2`, ...).
        kind: String,
    },
    /// LSB init script `/etc/init.d/NAME ACTION`; no parameters.
    Lsb(String),
    /// Heartbeat v1 resource script `/etc/ha.d/resource.d/NAME [ARG...] ACTION`.
    Heartbeat(String),
    /// Fence agent (fence-agents style): `key=value` lines on stdin.
    Stonith(String),
}

impl AgentSpec {
    /// The class word (`ocf`, `lsb`, `heartbeat`, `stonith`).
    pub fn class(&self) -> &'static str {
        match self {
            AgentSpec::Ocf { .. } => "ocf",
            AgentSpec::Lsb(_) => "lsb",
            AgentSpec::Heartbeat(_) => "heartbeat",
            AgentSpec::Stonith(_) => "stonith",
        }
    }

    /// The agent type (last component of the name).
    pub fn kind(&self) -> &str {
        match self {
            AgentSpec::Ocf { kind, .. } => kind,
            AgentSpec::Lsb(n) | AgentSpec::Heartbeat(n) | AgentSpec::Stonith(n) => n,
        }
    }

    /// The executable that implements this agent under `dirs`.
    pub fn path(&self, dirs: &AgentDirs) -> PathBuf {
        match self {
            AgentSpec::Ocf { provider, kind } => {
                dirs.ocf_root.join("resource.d").join(provider).join(kind)
            }
            AgentSpec::Lsb(n) => dirs.lsb_dir.join(n),
            AgentSpec::Heartbeat(n) => dirs.heartbeat_dir.join(n),
            AgentSpec::Stonith(n) => dirs.stonith_dir.join(n),
        }
    }
}

impl fmt::Display for AgentSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AgentSpec::Ocf { provider, kind } => write!(f, "ocf:{provider}:{kind}"),
            other => write!(f, "{}:{}", other.class(), other.kind()),
        }
    }
}

fn valid_component(s: &str) -> bool {
    !s.is_empty() && !s.contains('/') && s != "." && s != ".." && !s.contains('\0')
}

impl FromStr for AgentSpec {
    type Err = LrmError;

    fn from_str(s: &str) -> Result<AgentSpec, LrmError> {
        let bad = |why: &str| LrmError::BadAgentName {
            name: s.to_string(),
            reason: why.to_string(),
        };
        let parts: Vec<&str> = s.split(':').collect();
        if parts.iter().any(|p| !valid_component(p)) {
            return Err(bad("empty component, '/' or '..'"));
        }
        match parts.as_slice() {
            ["ocf", provider, kind] => Ok(AgentSpec::Ocf {
                provider: provider.to_string(),
                kind: kind.to_string(),
            }),
            ["ocf", ..] => Err(bad("an OCF agent is written ocf:PROVIDER:TYPE")),
            ["lsb", n] => Ok(AgentSpec::Lsb(n.to_string())),
            ["heartbeat", n] => Ok(AgentSpec::Heartbeat(n.to_string())),
            ["stonith", n] => Ok(AgentSpec::Stonith(n.to_string())),
            [class, ..] if !CLASSES.contains(class) => Err(bad(&format!(
                "unknown class '{class}' (known: {})",
                CLASSES.join(", ")
            ))),
            _ => Err(bad("expected CLASS:NAME or ocf:PROVIDER:TYPE")),
        }
    }
}

/// The resource classes this LRM can run, as `crm ra classes` lists them.
pub const CLASSES: &[&str] = &["heartbeat", "lsb", "ocf", "stonith"];

/// Where agents of each class live.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgentDirs {
    /// `OCF_ROOT` (`/usr/lib/ocf`); agents are in `resource.d/PROVIDER/TYPE`.
    pub ocf_root: PathBuf,
    /// LSB init scripts (`/etc/init.d`).
    pub lsb_dir: PathBuf,
    /// Heartbeat v1 resource scripts (`/etc/ha.d/resource.d`).
    pub heartbeat_dir: PathBuf,
    /// Fence agents (`/usr/sbin`, files named `fence_*`).
    pub stonith_dir: PathBuf,
}

impl Default for AgentDirs {
    fn default() -> AgentDirs {
        AgentDirs {
            ocf_root: PathBuf::from("/usr/lib/ocf"),
            lsb_dir: PathBuf::from("/etc/init.d"),
            heartbeat_dir: PathBuf::from("/etc/ha.d/resource.d"),
            stonith_dir: PathBuf::from("/usr/sbin"),
        }
    }
}

fn executables_in(dir: &Path, filter: impl Fn(&str) -> bool) -> Vec<String> {
    use std::os::unix::fs::PermissionsExt;
    let mut out = Vec::new();
    if let Ok(rd) = std::fs::read_dir(dir) {
        for e in rd.flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            if name.starts_with('.') || !filter(&name) {
                continue;
            }
            // Follow symlinks: our own agents are links to one binary.
            if let Ok(md) = std::fs::metadata(e.path()) {
                if md.is_file() && md.permissions().mode() & 0o111 != 0 {
                    out.push(name);
                }
            }
        }
    }
    out.sort();
    out.dedup();
    out
}

impl AgentDirs {
    /// OCF providers (directories under `resource.d`), hidden ones excluded.
    pub fn ocf_providers(&self) -> Vec<String> {
        let mut out = Vec::new();
        if let Ok(rd) = std::fs::read_dir(self.ocf_root.join("resource.d")) {
            for e in rd.flatten() {
                let name = e.file_name().to_string_lossy().into_owned();
                if !name.starts_with('.') && e.path().is_dir() {
                    out.push(name);
                }
            }
        }
        out.sort();
        out
    }

    /// Agents of one class, optionally restricted to one OCF provider.
    ///
    /// Names are returned as the agent type only (`IPaddr2`), sorted and
    /// deduplicated, like `crm ra list ocf`.
    pub fn list(&self, class: &str, provider: Option<&str>) -> Result<Vec<String>, LrmError> {
        Ok(match class {
            "ocf" => {
                let providers = match provider {
                    Some(p) => vec![p.to_string()],
                    None => self.ocf_providers(),
                };
                let mut all: Vec<String> = providers
                    .iter()
                    .flat_map(|p| {
                        executables_in(&self.ocf_root.join("resource.d").join(p), |_| true)
                    })
                    .collect();
                all.sort();
                all.dedup();
                all
            }
            "lsb" => executables_in(&self.lsb_dir, |n| {
                !matches!(n, "README" | "skeleton" | "rc" | "rcS")
            }),
            "heartbeat" => executables_in(&self.heartbeat_dir, |_| true),
            "stonith" => executables_in(&self.stonith_dir, |n| n.starts_with("fence_")),
            other => {
                return Err(LrmError::BadAgentName {
                    name: other.to_string(),
                    reason: format!("unknown class (known: {})", CLASSES.join(", ")),
                })
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_and_display() {
        for s in [
            "ocf:heartbeat:IPaddr2",
            "lsb:ssh",
            "heartbeat:IPaddr",
            "stonith:fence_dummy",
        ] {
            let a: AgentSpec = s.parse().unwrap();
            assert_eq!(a.to_string(), s);
        }
        let a: AgentSpec = "ocf:tandem:Dummy".parse().unwrap();
        assert_eq!(
            a.path(&AgentDirs::default()),
            PathBuf::from("/usr/lib/ocf/resource.d/tandem/Dummy")
        );
    }

    #[test]
    fn rejects_bad_names() {
        for s in [
            "ocf:heartbeat",
            "ocf:../x:y",
            "systemd:foo",
            "lsb:",
            "lsb:a/b",
            "IPaddr2",
        ] {
            assert!(s.parse::<AgentSpec>().is_err(), "{s} accepted");
        }
    }
}
