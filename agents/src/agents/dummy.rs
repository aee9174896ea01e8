//! `ocf:tandem:Dummy`: does nothing but remember whether it is started, in a
//! state file. For testing the cluster and as the smallest example agent.

use crate::ocf::{
    log, param, rsctmp, ActionSpec, AgentError, AgentResult, Ctx, MetaData, ParamType, Rc,
};
use crate::Agent;

/// The Dummy agent.
pub struct Dummy;

pub(crate) fn state_path(ctx: &Ctx, kind: &str) -> String {
    match ctx.param("state") {
        Some(s) => s.to_string(),
        None => format!("{}/{kind}-{}.state", rsctmp(), ctx.instance),
    }
}

pub(crate) fn check_state_path(path: &str) -> AgentResult<()> {
    if !path.starts_with('/') {
        return Err(AgentError::Configured(format!(
            "state={path} must be an absolute path"
        )));
    }
    if path.ends_with('/') {
        return Err(AgentError::Configured(format!(
            "state={path} must name a file, not a directory"
        )));
    }
    Ok(())
}

pub(crate) fn write_state(path: &str, content: &str) -> AgentResult<()> {
    if let Some(dir) = std::path::Path::new(path).parent() {
        std::fs::create_dir_all(dir)
            .map_err(AgentError::io(format!("creating {}", dir.display())))?;
    }
    std::fs::write(path, content).map_err(AgentError::io(format!("writing state file {path}")))
}

pub(crate) fn remove_state(path: &str) -> AgentResult<()> {
    match std::fs::remove_file(path) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
            Err(AgentError::io(format!("removing state file {path}"))(e))
        }
        _ => Ok(()),
    }
}

impl Agent for Dummy {
    fn metadata(&self) -> MetaData {
        MetaData {
            name: "Dummy",
            short: "Example stateless resource agent",
            long: "Tandem's Dummy agent does nothing except keep track of whether it is \
running, in a state file. Use it to test cluster behaviour (placement, ordering, \
failure handling) without real services."
                .into(),
            params: vec![
                param(
                    "state",
                    ParamType::String,
                    "State file",
                    "Location of the file recording that the resource is started. \
Must be an absolute path; its directory is created on start.",
                )
                .unique()
                .default(format!("{}/Dummy-RESOURCE_ID.state", rsctmp())),
                param(
                    "fake",
                    ParamType::String,
                    "Fake attribute that can be changed to cause a reload",
                    "Has no effect; changing it lets you test reload handling.",
                )
                .default("dummy"),
            ],
            actions: vec![
                ActionSpec::new("start", "20s"),
                ActionSpec::new("stop", "20s"),
                ActionSpec::monitor("20s", "10s", 0, None),
                ActionSpec::new("reload", "20s"),
                ActionSpec::new("migrate_to", "20s"),
                ActionSpec::new("migrate_from", "20s"),
                ActionSpec::new("notify", "20s"),
                ActionSpec::new("meta-data", "5s"),
                ActionSpec::new("validate-all", "20s"),
            ],
        }
    }

    fn validate(&self, ctx: &Ctx) -> AgentResult<()> {
        check_state_path(&state_path(ctx, "Dummy"))
    }

    fn action(&self, action: &str, ctx: &Ctx) -> Option<AgentResult<Rc>> {
        let state = state_path(ctx, "Dummy");
        let running = std::path::Path::new(&state).exists();
        Some(match action {
            "start" => self
                .validate(ctx)
                .and_then(|_| write_state(&state, "started\n"))
                .map(|_| Rc::Success),
            "stop" => remove_state(&state).map(|_| Rc::Success),
            "monitor" => Ok(if running { Rc::Success } else { Rc::NotRunning }),
            "reload" | "reload-agent" => {
                log("INFO", &format!("Reloading {}", ctx.instance));
                Ok(Rc::Success)
            }
            "migrate_to" => {
                let target = ctx.meta.get("migrate_target").cloned().unwrap_or_default();
                log("INFO", &format!("Migrating {} to {target}", ctx.instance));
                remove_state(&state).map(|_| Rc::Success)
            }
            "migrate_from" => {
                let source = ctx.meta.get("migrate_source").cloned().unwrap_or_default();
                log("INFO", &format!("Migrating {} from {source}", ctx.instance));
                write_state(&state, "started\n").map(|_| Rc::Success)
            }
            "notify" => Ok(Rc::Success),
            _ => return None,
        })
    }
}
