//! Publishing promotion scores: the agent side of the LRM's attribute
//! interface (`lrm::attrd`).
//!
//! When `TANDEM_ATTR_DIR` is set (we run under Tandem's LRM), the score is
//! written as the file `$TANDEM_ATTR_DIR/master-<OCF_RESOURCE_INSTANCE>`
//! (temporary file + rename). Otherwise we call
//! `$HA_SBIN_DIR/crm_attribute --promotion`, as Pacemaker's own agents do, so
//! the agent also works under Pacemaker. A failure to publish a score is
//! logged, not fatal: the role change itself succeeded.

use std::path::PathBuf;
use std::process::Command;

use crate::ocf::{log, Ctx};

fn attr_dir() -> Option<PathBuf> {
    std::env::var_os("TANDEM_ATTR_DIR")
        .filter(|d| !d.is_empty())
        .map(PathBuf::from)
}

fn crm_attribute() -> String {
    let sbin = std::env::var("HA_SBIN_DIR").unwrap_or_else(|_| "/usr/sbin".into());
    format!("{sbin}/crm_attribute")
}

/// The attribute name carrying this instance's promotion score.
pub fn score_name(ctx: &Ctx) -> String {
    format!("master-{}", ctx.instance)
}

/// Sets this instance's promotion score on the local node.
pub fn set_promotion_score(ctx: &Ctx, score: u64) {
    let name = score_name(ctx);
    if let Some(dir) = attr_dir() {
        let tmp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
        let r = std::fs::create_dir_all(&dir)
            .and_then(|_| std::fs::write(&tmp, score.to_string()))
            .and_then(|_| std::fs::rename(&tmp, dir.join(&name)));
        if let Err(e) = r {
            log(
                "WARNING",
                &format!("cannot set {name}={score} in {}: {e}", dir.display()),
            );
        }
        return;
    }
    let st = Command::new(crm_attribute())
        .args(["--promotion", "-l", "reboot", "-v", &score.to_string()])
        .status();
    if !matches!(st, Ok(s) if s.success()) {
        log(
            "WARNING",
            &format!("crm_attribute could not set {name}={score}"),
        );
    }
}

/// Deletes this instance's promotion score.
pub fn delete_promotion_score(ctx: &Ctx) {
    let name = score_name(ctx);
    if let Some(dir) = attr_dir() {
        match std::fs::remove_file(dir.join(&name)) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                log("WARNING", &format!("cannot delete {name}: {e}"))
            }
            _ => {}
        }
        return;
    }
    let st = Command::new(crm_attribute())
        .args(["--promotion", "-l", "reboot", "-D"])
        .status();
    if !matches!(st, Ok(s) if s.success()) {
        log("WARNING", &format!("crm_attribute could not delete {name}"));
    }
}
