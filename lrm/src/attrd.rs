//! Transient node attributes written by agents (promotion scores), and the
//! `crm_attribute` / `crm_master` compatible front end agents call.
//!
//! # Protocol
//!
//! The LRM owns a directory (its *attribute directory*) and passes it to every
//! agent as `TANDEM_ATTR_DIR`. Each attribute is one file whose name is the
//! attribute name and whose content is the value; writes go through a
//! temporary file and `rename`, so readers never see half a value. Deleting the
//! file deletes the attribute. The controller reads the directory through
//! [`AttrStore::all`] and forwards changes to the CIB status section.
//!
//! Promotable agents written for Pacemaker call `crm_attribute --promotion -v
//! N` (or `crm_master -l reboot -v N`) via `$HA_SBIN_DIR`. The `tandem-lrm`
//! binary answers to those names (see [`crm_attribute_main`]); the LRM puts a
//! directory with such links first in `PATH` and in `HA_SBIN_DIR`. This
//! replaces the CIB round trip of Pacemaker's attrd, which we rejected for the
//! LRM because the LRM must work (and be testable) without a running cluster.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::error::LrmError;

/// A directory of transient node attributes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttrStore {
    dir: PathBuf,
}

fn check_name(name: &str) -> Result<(), LrmError> {
    if name.is_empty() || name.starts_with('.') || name.contains('/') || name.contains('\0') {
        return Err(LrmError::BadAttributeName {
            name: name.to_string(),
        });
    }
    Ok(())
}

impl AttrStore {
    /// Uses `dir`, creating it if needed.
    pub fn open(dir: impl Into<PathBuf>) -> Result<AttrStore, LrmError> {
        let dir = dir.into();
        std::fs::create_dir_all(&dir).map_err(|source| LrmError::Io {
            op: "create attribute directory",
            path: dir.clone(),
            source,
        })?;
        Ok(AttrStore { dir })
    }

    /// The directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Sets `name` to `value`.
    pub fn set(&self, name: &str, value: &str) -> Result<(), LrmError> {
        check_name(name)?;
        let tmp = self.dir.join(format!(".{name}.{}.tmp", std::process::id()));
        let path = self.dir.join(name);
        std::fs::write(&tmp, value.as_bytes())
            .and_then(|_| std::fs::rename(&tmp, &path))
            .map_err(|source| LrmError::Io {
                op: "write attribute",
                path,
                source,
            })
    }

    /// The value of `name`, if set.
    pub fn get(&self, name: &str) -> Result<Option<String>, LrmError> {
        check_name(name)?;
        let path = self.dir.join(name);
        match std::fs::read_to_string(&path) {
            Ok(v) => Ok(Some(v)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(source) => Err(LrmError::Io {
                op: "read attribute",
                path,
                source,
            }),
        }
    }

    /// Deletes `name`; deleting a missing attribute is not an error.
    pub fn delete(&self, name: &str) -> Result<(), LrmError> {
        check_name(name)?;
        let path = self.dir.join(name);
        match std::fs::remove_file(&path) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(source) => Err(LrmError::Io {
                op: "delete attribute",
                path,
                source,
            }),
        }
    }

    /// Every attribute, by name.
    pub fn all(&self) -> BTreeMap<String, String> {
        let mut out = BTreeMap::new();
        if let Ok(rd) = std::fs::read_dir(&self.dir) {
            for e in rd.flatten() {
                let name = e.file_name().to_string_lossy().into_owned();
                if name.starts_with('.') {
                    continue;
                }
                if let Ok(v) = std::fs::read_to_string(e.path()) {
                    out.insert(name, v);
                }
            }
        }
        out
    }
}

/// Creates `dir` with `crm_attribute` and `crm_master` symlinks to `exe` (the
/// `tandem-lrm` binary), for [`crate::EnvSettings::shim_dir`].
pub fn install_shims(dir: &Path, exe: &Path) -> Result<(), LrmError> {
    let io = |op, path: PathBuf| move |source| LrmError::Io { op, path, source };
    std::fs::create_dir_all(dir).map_err(io("create shim directory", dir.to_path_buf()))?;
    for name in ["crm_attribute", "crm_master"] {
        // Link under a private name, then rename over: concurrent callers
        // never see a missing shim.
        let link = dir.join(name);
        let tmp = dir.join(format!(
            ".{name}.{}.{:?}",
            std::process::id(),
            std::thread::current().id()
        ));
        let _ = std::fs::remove_file(&tmp);
        std::os::unix::fs::symlink(exe, &tmp).map_err(io("create shim", tmp.clone()))?;
        std::fs::rename(&tmp, &link).map_err(io("install shim", link.clone()))?;
    }
    Ok(())
}

/// What a `crm_attribute`/`crm_master` command line asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AttrCommand {
    /// Set the attribute.
    Set {
        /// Attribute name.
        name: String,
        /// Value.
        value: String,
    },
    /// Print the attribute.
    Get {
        /// Attribute name.
        name: String,
        /// Print the value only.
        quiet: bool,
    },
    /// Delete the attribute.
    Delete {
        /// Attribute name.
        name: String,
    },
}

/// Parses `crm_attribute` (or, with `master_mode`, `crm_master`) arguments.
///
/// Supported: `-p/--promotion[=RSC]`, `-n/--name`, `-v/--update/--attr-value`,
/// `-G/--query`, `-D/--delete`, `-q/-Q/--quiet`; `-l/--lifetime`, `-N/--node`,
/// `-t/--type`, `-z` are accepted and ignored (attributes are always
/// transient and local). `rsc` is `OCF_RESOURCE_INSTANCE`.
pub fn parse_attr_args(
    args: &[String],
    rsc: Option<&str>,
    master_mode: bool,
) -> Result<AttrCommand, String> {
    let mut name: Option<String> = None;
    let mut promotion: Option<Option<String>> = if master_mode { Some(None) } else { None };
    let mut value: Option<String> = None;
    let mut query = false;
    let mut delete = false;
    let mut quiet = false;
    let mut i = 0;
    let next = |i: &mut usize| -> Result<String, String> {
        *i += 1;
        args.get(*i)
            .cloned()
            .ok_or_else(|| format!("option {} needs a value", args[*i - 1]))
    };
    while i < args.len() {
        let a = args[i].as_str();
        let (flag, inline) = match a.split_once('=') {
            Some((f, v)) if f.starts_with("--") => (f, Some(v.to_string())),
            _ => (a, None),
        };
        match flag {
            "-p" | "--promotion" | "--master" => {
                promotion = Some(inline);
            }
            "-n" | "--name" | "--attr-name" => {
                name = Some(match inline {
                    Some(v) => v,
                    None => next(&mut i)?,
                })
            }
            "-v" | "--update" | "--attr-value" => {
                value = Some(match inline {
                    Some(v) => v,
                    None => next(&mut i)?,
                })
            }
            "-G" | "--query" | "--get-value" => query = true,
            "-D" | "--delete" | "--delete-attr" => delete = true,
            "-q" | "-Q" | "--quiet" => quiet = true,
            "-l" | "--lifetime" | "-N" | "--node" | "-t" | "--type" | "-i" | "--id" => {
                if inline.is_none() {
                    next(&mut i)?;
                }
            }
            "-z" | "--utilization" | "-V" | "--verbose" => {}
            other => return Err(format!("unsupported option '{other}'")),
        }
        i += 1;
    }
    if let Some(p) = promotion {
        let r = p
            .or_else(|| rsc.map(str::to_string))
            .ok_or("--promotion needs a resource or OCF_RESOURCE_INSTANCE")?;
        name = Some(format!("master-{r}"));
    }
    let name = name.ok_or("no attribute name (use -n NAME or --promotion)")?;
    match (value, query, delete) {
        (Some(value), false, false) => Ok(AttrCommand::Set { name, value }),
        (None, true, false) => Ok(AttrCommand::Get { name, quiet }),
        (None, false, true) => Ok(AttrCommand::Delete { name }),
        (None, false, false) => Ok(AttrCommand::Get { name, quiet }),
        _ => Err("choose one of -v VALUE, -G or -D".to_string()),
    }
}

/// Entry point of the `crm_attribute`/`crm_master` personality of
/// `tandem-lrm`: returns the process exit code (0 ok, 105 no such attribute,
/// 64 usage error, 1 other failure), as Pacemaker's tools do.
pub fn crm_attribute_main(args: &[String], master_mode: bool) -> i32 {
    let rsc = std::env::var("OCF_RESOURCE_INSTANCE").ok();
    let cmd = match parse_attr_args(args, rsc.as_deref(), master_mode) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("crm_attribute: {e}");
            return 64;
        }
    };
    let Ok(dir) = std::env::var("TANDEM_ATTR_DIR") else {
        eprintln!("crm_attribute: TANDEM_ATTR_DIR is not set (not run by tandem-lrm?)");
        return 1;
    };
    let store = match AttrStore::open(dir) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("crm_attribute: {e}");
            return 1;
        }
    };
    let r = match &cmd {
        AttrCommand::Set { name, value } => store.set(name, value).map(|_| 0),
        AttrCommand::Delete { name } => store.delete(name).map(|_| {
            println!("Deleted status attribute: name={name}");
            0
        }),
        AttrCommand::Get { name, quiet } => store.get(name).map(|v| match v {
            Some(v) if *quiet => {
                println!("{v}");
                0
            }
            Some(v) => {
                println!("scope=status  name={name} value={v}");
                0
            }
            None => {
                eprintln!("Error performing operation: No such device or address");
                105
            }
        }),
    };
    r.unwrap_or_else(|e| {
        eprintln!("crm_attribute: {e}");
        1
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &[&str]) -> Vec<String> {
        v.iter().map(|x| x.to_string()).collect()
    }

    #[test]
    fn promotion_forms() {
        assert_eq!(
            parse_attr_args(&s(&["--promotion", "-v", "5"]), Some("s1"), false),
            Ok(AttrCommand::Set {
                name: "master-s1".into(),
                value: "5".into()
            })
        );
        assert_eq!(
            parse_attr_args(&s(&["--promotion=other", "-D"]), Some("s1"), false),
            Ok(AttrCommand::Delete {
                name: "master-other".into()
            })
        );
        assert_eq!(
            parse_attr_args(&s(&["-l", "reboot", "-v", "10"]), Some("d"), true),
            Ok(AttrCommand::Set {
                name: "master-d".into(),
                value: "10".into()
            })
        );
        assert!(parse_attr_args(&s(&["-v", "1"]), None, false).is_err());
    }

    #[test]
    fn store_round_trip() {
        let d = tempfile::tempdir().unwrap();
        let st = AttrStore::open(d.path()).unwrap();
        st.set("master-s1", "5").unwrap();
        assert_eq!(st.get("master-s1").unwrap().as_deref(), Some("5"));
        assert_eq!(st.all().len(), 1);
        st.delete("master-s1").unwrap();
        st.delete("master-s1").unwrap();
        assert_eq!(st.get("master-s1").unwrap(), None);
        assert!(st.set("../x", "1").is_err());
    }
}
