//! Installing the agents: the binary goes to `$OCF_ROOT/lib/tandem/`, and
//! `$OCF_ROOT/resource.d/tandem/<Agent>` are symlinks to it.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use crate::ocf::AgentError;

/// The OCF provider name our agents are installed under.
pub const PROVIDER: &str = "tandem";

/// Installs `exe` under `ocf_root`; returns the agent paths created.
pub fn install(exe: &Path, ocf_root: &Path) -> Result<Vec<PathBuf>, AgentError> {
    let libdir = ocf_root.join("lib").join(PROVIDER);
    let rdir = ocf_root.join("resource.d").join(PROVIDER);
    for d in [&libdir, &rdir] {
        std::fs::create_dir_all(d).map_err(AgentError::io(format!("creating {}", d.display())))?;
    }
    let bin = libdir.join("tandem-agent");
    // Copy to a temporary name and rename, so a running agent is never
    // replaced by a half-written file.
    let tmp = libdir.join(format!(".tandem-agent.{}", std::process::id()));
    std::fs::copy(exe, &tmp).map_err(AgentError::io(format!("copying {}", exe.display())))?;
    std::fs::set_permissions(&tmp, std::fs::Permissions::from_mode(0o755))
        .map_err(AgentError::io("chmod 755"))?;
    std::fs::rename(&tmp, &bin).map_err(AgentError::io(format!("installing {}", bin.display())))?;
    let mut out = Vec::new();
    for name in crate::AGENTS {
        let link = rdir.join(name);
        let _ = std::fs::remove_file(&link);
        std::os::unix::fs::symlink(
            Path::new("../../lib").join(PROVIDER).join("tandem-agent"),
            &link,
        )
        .map_err(AgentError::io(format!("linking {}", link.display())))?;
        out.push(link);
    }
    Ok(out)
}
