//! Shared helpers: temporary OCF roots, fixture agents, and drop guards for
//! network namespaces and loop devices.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use lrm::{AgentDirs, EnvSettings, Lrm, LrmConfig};

pub use tandem_tests::sys::{must, require, sh, LoopDev, Netns};

/// Writes an executable script.
pub fn script(path: &Path, body: &str) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, body).unwrap();
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).unwrap();
}

/// A temporary agent tree: `ocf/resource.d/test/*`, `init.d`, `ha.d`.
pub struct Tree {
    pub dir: tempfile::TempDir,
}

impl Tree {
    pub fn new() -> Tree {
        Tree {
            dir: tempfile::tempdir().unwrap(),
        }
    }
    pub fn path(&self) -> &Path {
        self.dir.path()
    }
    pub fn dirs(&self) -> AgentDirs {
        AgentDirs {
            ocf_root: self.path().join("ocf"),
            lsb_dir: self.path().join("init.d"),
            heartbeat_dir: self.path().join("ha.d"),
            stonith_dir: self.path().join("sbin"),
        }
    }
    pub fn ocf(&self, name: &str, body: &str) {
        script(&self.path().join("ocf/resource.d/test").join(name), body);
    }
    pub fn lrm(
        &self,
        max_concurrent: usize,
    ) -> (Lrm, tokio::sync::mpsc::UnboundedReceiver<lrm::LrmEvent>) {
        Lrm::new(LrmConfig {
            env: EnvSettings {
                dirs: self.dirs(),
                attr_dir: Some(self.path().join("attrd")),
                ..EnvSettings::default()
            },
            max_concurrent,
            ..LrmConfig::default()
        })
    }
}

/// Path of the tandem-lrm binary built for these tests.
pub fn lrm_bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_tandem-lrm"))
}
