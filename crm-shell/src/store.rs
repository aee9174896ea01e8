//! Where the CIB comes from and goes to.
//!
//! [`CibStore`] is the transport boundary: the shell only loads and saves
//! whole CIB documents through it. [`FileStore`] is crmsh's offline mode
//! (`CIB_file=PATH`). A store that talks to `tandemd` over its socket will
//! implement the same trait when the daemon serves the CIB.

use std::path::PathBuf;

use anyhow::Context as _;
use cib::xml::Element;

/// Loads and saves the whole CIB.
pub trait CibStore {
    /// The current CIB (`<cib>` root).
    fn load(&self) -> anyhow::Result<Element>;
    /// Replaces the CIB.
    fn save(&self, cib: &Element) -> anyhow::Result<()>;

    /// Reads, changes and writes the CIB as one step: no other `crm`
    /// writes in between. `f` may refuse (nothing is written then).
    fn update(&self, f: &mut dyn FnMut(&mut Element) -> anyhow::Result<()>) -> anyhow::Result<()> {
        let mut cib = self.load()?;
        f(&mut cib)?;
        self.save(&cib)
    }
}

/// A CIB kept in an XML file (`CIB_file`).
#[derive(Debug, Clone)]
pub struct FileStore {
    /// The file.
    pub path: PathBuf,
}

impl CibStore for FileStore {
    fn update(&self, f: &mut dyn FnMut(&mut Element) -> anyhow::Result<()>) -> anyhow::Result<()> {
        let _guard = self.lock()?;
        let mut cib = self.load()?;
        f(&mut cib)?;
        self.save(&cib)
    }

    fn load(&self) -> anyhow::Result<Element> {
        let text = std::fs::read_to_string(&self.path)
            .with_context(|| format!("cannot read CIB file {}", self.path.display()))?;
        let root = cib::xml::parse(&text)
            .with_context(|| format!("CIB file {} is not valid XML", self.path.display()))?;
        if root.name != "cib" {
            anyhow::bail!(
                "CIB file {}: the root element is <{}>, not <cib>",
                self.path.display(),
                root.name
            );
        }
        Ok(root)
    }

    fn save(&self, cib: &Element) -> anyhow::Result<()> {
        // write next to the target and rename, so a crash never leaves a
        // half-written CIB behind
        let dir = self
            .path
            .parent()
            .filter(|d| !d.as_os_str().is_empty())
            .unwrap_or(std::path::Path::new("."));
        let name = self
            .path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let tmp = dir.join(format!(".{name}.crm-{}", std::process::id()));
        std::fs::write(&tmp, cib.to_xml())
            .with_context(|| format!("cannot write {}", tmp.display()))?;
        // keep the original's permissions (a CIB is often readable by root only)
        if let Ok(meta) = std::fs::metadata(&self.path) {
            let _ = std::fs::set_permissions(&tmp, meta.permissions());
        }
        std::fs::rename(&tmp, &self.path)
            .with_context(|| format!("cannot replace {}", self.path.display()))?;
        Ok(())
    }
}

impl FileStore {
    /// An exclusive lock shared by every `crm` working on this file, held
    /// until the guard is dropped (a lock file next to the CIB, because the
    /// CIB itself is replaced by rename).
    fn lock(&self) -> anyhow::Result<nix::fcntl::Flock<std::fs::File>> {
        let dir = self
            .path
            .parent()
            .filter(|d| !d.as_os_str().is_empty())
            .unwrap_or(std::path::Path::new("."));
        let name = self
            .path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let lock_path = dir.join(format!(".{name}.crm-lock"));
        let file = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&lock_path)
            .with_context(|| format!("cannot open lock file {}", lock_path.display()))?;
        nix::fcntl::Flock::lock(file, nix::fcntl::FlockArg::LockExclusive)
            .map_err(|(_, e)| anyhow::anyhow!("cannot lock {}: {e}", lock_path.display()))
    }
}

/// Used when neither `CIB_file` nor a daemon connection is available.
#[derive(Debug, Clone, Default)]
pub struct NoCluster;

impl CibStore for NoCluster {
    fn load(&self) -> anyhow::Result<Element> {
        anyhow::bail!("no cluster connection: tandemd's socket is not available; set CIB_file=PATH to work on a CIB file")
    }
    fn save(&self, _: &Element) -> anyhow::Result<()> {
        self.load().map(|_| ())
    }
}
