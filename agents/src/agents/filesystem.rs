//! `ocf:tandem:Filesystem`: mounts a filesystem on a directory.
//!
//! start refuses to mount a device that is already mounted elsewhere on this
//! node (two mounts of one ext4 device are how filesystems get corrupted).
//! stop unmounts, and with `force_unmount` first sends SIGTERM, then SIGKILL,
//! to the processes holding files, working directories or mappings under
//! the mount point (found in `/proc`, no `fuser` needed). monitor checks the
//! mount table; with `OCF_CHECK_LEVEL` 10 it also reads from the device
//! (bypassing the page cache), and with 20 it writes, syncs and reads back a
//! status file on the filesystem.

use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use crate::ocf::{log, param, ActionSpec, AgentError, AgentResult, Ctx, MetaData, ParamType, Rc};
use crate::Agent;

/// The Filesystem agent.
pub struct Filesystem;

/// One line of the mount table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mount {
    /// Source device (canonical path for block devices).
    pub device: String,
    /// Mount point.
    pub dir: String,
    /// Filesystem type.
    pub fstype: String,
}

fn unescape(s: &str) -> String {
    // /proc/mounts escapes space, tab, newline and backslash as \ooo.
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'\\'
            && i + 3 < b.len()
            && b[i + 1..i + 4].iter().all(|c| (b'0'..=b'7').contains(c))
        {
            let v = (b[i + 1] - b'0') * 64 + (b[i + 2] - b'0') * 8 + (b[i + 3] - b'0');
            out.push(v);
            i += 4;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Parses `/proc/mounts` text.
pub fn parse_mounts(text: &str) -> Vec<Mount> {
    text.lines()
        .filter_map(|l| {
            let mut f = l.split_whitespace();
            let device = unescape(f.next()?);
            let dir = unescape(f.next()?);
            let fstype = f.next()?.to_string();
            Some(Mount {
                device: canon_device(&device),
                dir,
                fstype,
            })
        })
        .collect()
}

fn mounts() -> Vec<Mount> {
    parse_mounts(&std::fs::read_to_string("/proc/self/mounts").unwrap_or_default())
}

/// Resolves `UUID=`/`LABEL=` and symlinks to the canonical device path.
pub fn canon_device(dev: &str) -> String {
    let path = if let Some(u) = dev.strip_prefix("UUID=") {
        format!("/dev/disk/by-uuid/{u}")
    } else if let Some(l) = dev.strip_prefix("LABEL=") {
        format!("/dev/disk/by-label/{l}")
    } else {
        dev.to_string()
    };
    if path.starts_with('/') {
        std::fs::canonicalize(&path)
            .map(|p| p.display().to_string())
            .unwrap_or(path)
    } else {
        path
    }
}

fn canon_dir(dir: &str) -> String {
    let t = dir.trim_end_matches('/');
    std::fs::canonicalize(t)
        .map(|p| p.display().to_string())
        .unwrap_or_else(|_| t.to_string())
}

struct Conf {
    device: String,
    dir: String,
    fstype: Option<String>,
    options: Option<String>,
    force_unmount: bool,
    status_prefix: String,
}

fn conf(ctx: &Ctx) -> AgentResult<Conf> {
    let device = ctx
        .param("device")
        .ok_or_else(|| {
            AgentError::Configured(
                "Please set OCF_RESKEY_device to the device to be managed".into(),
            )
        })?
        .to_string();
    let dir = ctx.param("directory").ok_or_else(|| {
        AgentError::Configured("Please set OCF_RESKEY_directory to the mount point".into())
    })?;
    if !dir.starts_with('/') || dir.trim_end_matches('/').is_empty() {
        return Err(AgentError::Configured(format!(
            "directory={dir} must be an absolute path other than /"
        )));
    }
    let prefix = ctx
        .param_or("statusfile_prefix", ".Filesystem_status/")
        .to_string();
    if prefix.starts_with('/') || prefix.contains("..") {
        return Err(AgentError::Configured(format!(
            "statusfile_prefix={prefix} must be relative to the mount point, without '..'"
        )));
    }
    Ok(Conf {
        device,
        dir: canon_dir(dir),
        fstype: ctx.param("fstype").map(str::to_string),
        options: ctx.param("options").map(str::to_string),
        force_unmount: ctx.flag("force_unmount", true)?,
        status_prefix: prefix,
    })
}

fn is_local_device(dev: &str) -> bool {
    dev.starts_with('/') || dev.starts_with("UUID=") || dev.starts_with("LABEL=")
}

fn fstype_supported(t: &str) -> bool {
    let fs = std::fs::read_to_string("/proc/filesystems").unwrap_or_default();
    fs.lines().any(|l| l.split_whitespace().last() == Some(t))
        || ["/sbin", "/usr/sbin"]
            .iter()
            .any(|d| Path::new(d).join(format!("mount.{t}")).exists())
        || Command::new("modprobe")
            .args(["-n", "-q", t])
            .status()
            .is_ok_and(|s| s.success())
}

/// Processes with a cwd, root, executable, open file or mapping under `dir`.
pub fn holders(dir: &str) -> Vec<i32> {
    let me = std::process::id() as i32;
    let under = |p: &Path| {
        let s = p.to_string_lossy();
        s == dir || s.starts_with(&format!("{dir}/"))
    };
    let mut out = Vec::new();
    let Ok(rd) = std::fs::read_dir("/proc") else {
        return out;
    };
    for e in rd.flatten() {
        let Some(pid) = e.file_name().to_str().and_then(|s| s.parse::<i32>().ok()) else {
            continue;
        };
        if pid == me {
            continue;
        }
        let base = e.path();
        let mut hit = ["cwd", "root", "exe"]
            .iter()
            .filter_map(|l| std::fs::read_link(base.join(l)).ok())
            .any(|p| under(&p));
        if !hit {
            if let Ok(fds) = std::fs::read_dir(base.join("fd")) {
                hit = fds
                    .flatten()
                    .filter_map(|f| std::fs::read_link(f.path()).ok())
                    .any(|p| under(&p));
            }
        }
        if !hit {
            if let Ok(maps) = std::fs::read_to_string(base.join("maps")) {
                hit = maps
                    .lines()
                    .filter_map(|l| l.split_whitespace().nth(5))
                    .any(|p| under(Path::new(p)));
            }
        }
        if hit {
            out.push(pid);
        }
    }
    out
}

impl Filesystem {
    fn mounted_here(c: &Conf) -> Option<Mount> {
        mounts().into_iter().rev().find(|m| m.dir == c.dir)
    }

    fn monitor(c: &Conf, ctx: &Ctx) -> AgentResult<Rc> {
        let Some(m) = Self::mounted_here(c) else {
            return Ok(Rc::NotRunning);
        };
        if is_local_device(&c.device) && m.device != canon_device(&c.device) {
            return Err(AgentError::Generic(format!(
                "{} is mounted from {}, not from {}",
                c.dir, m.device, c.device
            )));
        }
        if ctx.check_level >= 10 {
            Self::read_check(c, &m)?;
        }
        if ctx.check_level >= 20 {
            Self::write_check(c, ctx)?;
        }
        Ok(Rc::Success)
    }

    fn read_check(c: &Conf, m: &Mount) -> AgentResult<()> {
        if !m.device.starts_with('/') {
            std::fs::read_dir(&c.dir)
                .map_err(|e| AgentError::Generic(format!("cannot read {}: {e}", c.dir)))?;
            return Ok(());
        }
        let direct = std::fs::OpenOptions::new()
            .read(true)
            .custom_flags(libc::O_DIRECT)
            .open(&m.device);
        let mut f = match direct {
            Ok(f) => f,
            Err(_) => std::fs::File::open(&m.device).map_err(|e| {
                AgentError::Generic(format!("cannot open {} for reading: {e}", m.device))
            })?,
        };
        let mut buf = vec![0u8; 2 * 4096];
        let off = buf.as_ptr().align_offset(4096);
        use std::io::Read;
        f.read(&mut buf[off..off + 4096])
            .map_err(|e| AgentError::Generic(format!("read from {} failed: {e}", m.device)))?;
        Ok(())
    }

    fn write_check(c: &Conf, ctx: &Ctx) -> AgentResult<()> {
        use std::io::Write;
        let path = PathBuf::from(&c.dir).join(format!("{}{}", c.status_prefix, ctx.instance));
        if let Some(d) = path.parent() {
            std::fs::create_dir_all(d)
                .map_err(|e| AgentError::Generic(format!("cannot create {}: {e}", d.display())))?;
        }
        let stamp = format!(
            "{} {:?}\n",
            ctx.instance,
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap_or_default()
        );
        let write = || -> std::io::Result<String> {
            let mut f = std::fs::File::create(&path)?;
            f.write_all(stamp.as_bytes())?;
            f.sync_all()?;
            std::fs::read_to_string(&path)
        };
        match write() {
            Ok(back) if back == stamp => Ok(()),
            Ok(_) => Err(AgentError::Generic(format!(
                "status file {} read back differently",
                path.display()
            ))),
            Err(e) => Err(AgentError::Generic(format!(
                "cannot write status file {}: {e}",
                path.display()
            ))),
        }
    }

    fn start(c: &Conf, ctx: &Ctx) -> AgentResult<Rc> {
        let dev = canon_device(&c.device);
        let all = mounts();
        if let Some(m) = all.iter().rev().find(|m| m.dir == c.dir) {
            if !is_local_device(&c.device) || m.device == dev {
                return Ok(Rc::Success);
            }
            return Err(AgentError::Generic(format!(
                "{} is already a mount point (of {}); refusing to mount {} over it",
                c.dir, m.device, c.device
            )));
        }
        if is_local_device(&c.device) {
            if let Some(m) = all.iter().find(|m| m.device == dev) {
                return Err(AgentError::Generic(format!(
                    "{} is already mounted on {}; refusing to mount it on {} too",
                    c.device, m.dir, c.dir
                )));
            }
        }
        Filesystem.validate(ctx)?;
        std::fs::create_dir_all(&c.dir).map_err(|e| {
            AgentError::Generic(format!("cannot create mount point {}: {e}", c.dir))
        })?;
        let mut cmd = Command::new("mount");
        if let Some(t) = &c.fstype {
            cmd.args(["-t", t]);
        }
        if let Some(o) = &c.options {
            cmd.args(["-o", o]);
        }
        cmd.arg(&c.device).arg(&c.dir);
        let out = cmd
            .output()
            .map_err(|e| AgentError::Installed(format!("cannot run mount: {e}")))?;
        if !out.status.success() {
            return Err(AgentError::Generic(format!(
                "Couldn't mount device [{}] as {}: {}",
                c.device,
                c.dir,
                String::from_utf8_lossy(&out.stderr).trim()
            )));
        }
        log("INFO", &format!("mounted {} on {}", c.device, c.dir));
        Ok(Rc::Success)
    }

    fn stop(c: &Conf, ctx: &Ctx) -> AgentResult<Rc> {
        let budget = ctx
            .timeout()
            .saturating_sub(Duration::from_secs(2))
            .max(Duration::from_secs(1));
        let deadline = Instant::now() + budget;
        let mut round = 0u32;
        loop {
            if Self::mounted_here(c).is_none() {
                return Ok(Rc::Success);
            }
            match nix::mount::umount2(c.dir.as_str(), nix::mount::MntFlags::empty()) {
                Ok(()) => {
                    log("INFO", &format!("unmounted {}", c.dir));
                    continue;
                }
                Err(nix::errno::Errno::EBUSY) => {}
                Err(e) => {
                    return Err(AgentError::Generic(format!(
                        "cannot unmount {}: {e}",
                        c.dir
                    )));
                }
            }
            if Instant::now() >= deadline {
                return Err(AgentError::Generic(format!(
                    "cannot unmount {}: still busy{}",
                    c.dir,
                    if c.force_unmount {
                        " after killing its users"
                    } else {
                        " (force_unmount=false)"
                    }
                )));
            }
            if c.force_unmount {
                // Three rounds of SIGTERM, then SIGKILL, as resource-agents do.
                let sig = if round < 3 {
                    nix::sys::signal::Signal::SIGTERM
                } else {
                    nix::sys::signal::Signal::SIGKILL
                };
                for pid in holders(&c.dir) {
                    log(
                        "INFO",
                        &format!("sending {sig} to process {pid} using {}", c.dir),
                    );
                    let _ = nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid), sig);
                }
            }
            round += 1;
            std::thread::sleep(Duration::from_millis(200));
        }
    }
}

impl Agent for Filesystem {
    fn metadata(&self) -> MetaData {
        use ParamType::*;
        MetaData {
            name: "Filesystem",
            short: "Manages a mounted filesystem",
            long: "Mounts a filesystem (a block device, or a network/pseudo filesystem source) on a \
directory on start and unmounts it on stop. It refuses to mount a device already mounted \
elsewhere on this node. With force_unmount, stop terminates the processes that keep the \
mount busy. monitor depth 10 reads from the device, depth 20 also writes a status file."
                .into(),
            params: vec![
                param("device", String, "Block device or source",
                    "The device to mount: a block device path (/dev/sdb1), UUID=..., LABEL=..., or \
the source of a network filesystem (host:/export).").required(),
                param("directory", String, "Mount point",
                    "Absolute path of the directory to mount on; created on start if missing.").required().unique(),
                param("fstype", String, "Filesystem type",
                    "The type passed to mount -t (ext4, xfs, nfs, ...). If unset, mount detects it."),
                param("options", String, "Mount options",
                    "Options passed to mount -o, comma-separated (e.g. noatime,ro)."),
                param("force_unmount", Boolean, "Kill processes using the mount on stop",
                    "If true, stop sends SIGTERM (three rounds) and then SIGKILL to every process with \
an open file, working directory, root or mapping under the mount point until it can be \
unmounted. If false, stop fails while the filesystem is busy.").default("true"),
                param("statusfile_prefix", String, "Status file prefix for depth-20 monitors",
                    "Path, relative to the mount point, of the status file written by monitors with \
OCF_CHECK_LEVEL=20; the resource id is appended.").default(".Filesystem_status/"),
            ],
            actions: vec![
                ActionSpec::new("start", "60s"),
                ActionSpec::new("stop", "60s"),
                ActionSpec::monitor("40s", "20s", 0, None),
                ActionSpec::new("notify", "60s"),
                ActionSpec::new("meta-data", "5s"),
                ActionSpec::new("validate-all", "5s"),
            ],
        }
    }

    fn validate(&self, ctx: &Ctx) -> AgentResult<()> {
        let c = conf(ctx)?;
        if is_local_device(&c.device) {
            let dev = canon_device(&c.device);
            if !Path::new(&dev).exists() {
                return Err(AgentError::Installed(format!(
                    "Couldn't find device [{}]",
                    c.device
                )));
            }
        }
        if let Some(t) = &c.fstype {
            if !fstype_supported(t) {
                return Err(AgentError::Installed(format!(
                    "filesystem type {t} is not supported by this kernel (not in /proc/filesystems, no mount.{t}, no module)"
                )));
            }
        }
        if Command::new("mount").arg("-V").output().is_err() {
            return Err(AgentError::Installed(
                "the mount command is not installed".into(),
            ));
        }
        Ok(())
    }

    fn action(&self, action: &str, ctx: &Ctx) -> Option<AgentResult<Rc>> {
        let f = match action {
            "start" => Self::start,
            "stop" => Self::stop,
            "monitor" => Self::monitor,
            "notify" => return Some(Ok(Rc::Success)),
            _ => return None,
        };
        Some(conf(ctx).and_then(|c| f(&c, ctx)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mount_table_unescapes() {
        let m = parse_mounts("tmpfs /mnt/a\\040b tmpfs rw 0 0\nhost:/x /srv nfs4 rw 0 0\n");
        assert_eq!(m[0].dir, "/mnt/a b");
        assert_eq!(m[1].device, "host:/x");
        assert_eq!(m[1].fstype, "nfs4");
    }

    #[test]
    fn required_parameters() {
        let c = |kv: &[(&str, &str)]| {
            conf(&Ctx::from_vars(
                kv.iter()
                    .map(|(k, v)| (format!("OCF_RESKEY_{k}"), v.to_string())),
            ))
        };
        assert!(matches!(c(&[]), Err(AgentError::Configured(_))));
        assert!(matches!(
            c(&[("device", "/dev/x")]),
            Err(AgentError::Configured(_))
        ));
        assert!(matches!(
            c(&[("device", "/dev/x"), ("directory", "rel")]),
            Err(AgentError::Configured(_))
        ));
        assert!(matches!(
            c(&[("device", "/dev/x"), ("directory", "/")]),
            Err(AgentError::Configured(_))
        ));
        assert!(c(&[("device", "/dev/x"), ("directory", "/mnt/x")]).is_ok());
        assert!(c(&[
            ("device", "/dev/x"),
            ("directory", "/mnt/x"),
            ("force_unmount", "perhaps")
        ])
        .is_err());
    }
}
