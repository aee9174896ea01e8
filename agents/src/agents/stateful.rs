//! `ocf:tandem:Stateful`: a promotable test agent. Its role (unpromoted or
//! promoted) lives in a state file; its promotion score is published through
//! the LRM's attribute interface (see [`crate::attr`]).

use crate::agents::dummy::{check_state_path, remove_state, state_path, write_state};
use crate::ocf::{log, param, rsctmp, ActionSpec, AgentResult, Ctx, MetaData, ParamType, Rc};
use crate::Agent;

/// The Stateful agent.
pub struct Stateful;

#[derive(Debug, PartialEq, Eq)]
enum Role {
    Stopped,
    Unpromoted,
    Promoted,
}

fn role(state: &str) -> Role {
    match std::fs::read_to_string(state) {
        Err(_) => Role::Stopped,
        Ok(s) if s.trim() == "promoted" => Role::Promoted,
        Ok(_) => Role::Unpromoted,
    }
}

impl Stateful {
    fn scores(ctx: &Ctx) -> AgentResult<(u64, u64)> {
        Ok((
            ctx.int("unpromoted_score", 5, 0..=1_000_000)?,
            ctx.int("promoted_score", 10, 0..=1_000_000)?,
        ))
    }
}

impl Agent for Stateful {
    fn metadata(&self) -> MetaData {
        MetaData {
            name: "Stateful",
            short: "Example promotable resource agent",
            long: "Tandem's Stateful agent implements the promoted and unpromoted roles of a \
promotable clone without any real service. Its role is kept in a state file. On start, \
promote and demote it sets its promotion score (node attribute master-<resource>) through \
the LRM's attribute interface, or crm_attribute when not run by Tandem; stop deletes it."
                .into(),
            params: vec![
                param(
                    "state",
                    ParamType::String,
                    "State file",
                    "Location of the file recording the role. Must be an absolute path.",
                )
                .unique()
                .default(format!("{}/Stateful-RESOURCE_ID.state", rsctmp())),
                param(
                    "unpromoted_score",
                    ParamType::Integer,
                    "Promotion score while unpromoted",
                    "Promotion score published after start and demote.",
                )
                .default("5"),
                param(
                    "promoted_score",
                    ParamType::Integer,
                    "Promotion score while promoted",
                    "Promotion score published after promote.",
                )
                .default("10"),
            ],
            actions: vec![
                ActionSpec::new("start", "20s"),
                ActionSpec::new("stop", "20s"),
                ActionSpec::monitor("20s", "10s", 0, Some("Promoted")),
                ActionSpec::monitor("20s", "11s", 0, Some("Unpromoted")),
                ActionSpec::new("promote", "10s"),
                ActionSpec::new("demote", "10s"),
                ActionSpec::new("notify", "5s"),
                ActionSpec::new("reload", "10s"),
                ActionSpec::new("meta-data", "5s"),
                ActionSpec::new("validate-all", "20s"),
            ],
        }
    }

    fn validate(&self, ctx: &Ctx) -> AgentResult<()> {
        check_state_path(&state_path(ctx, "Stateful"))?;
        Stateful::scores(ctx).map(|_| ())
    }

    fn action(&self, action: &str, ctx: &Ctx) -> Option<AgentResult<Rc>> {
        let state = state_path(ctx, "Stateful");
        let now = role(&state);
        let run = || -> AgentResult<Rc> {
            let (low, high) = Stateful::scores(ctx)?;
            Ok(match action {
                "start" => {
                    if now == Role::Stopped {
                        check_state_path(&state)?;
                        write_state(&state, "unpromoted\n")?;
                    }
                    crate::attr::set_promotion_score(
                        ctx,
                        if now == Role::Promoted { high } else { low },
                    );
                    Rc::Success
                }
                "stop" => {
                    crate::attr::delete_promotion_score(ctx);
                    remove_state(&state)?;
                    Rc::Success
                }
                "promote" => {
                    if now == Role::Stopped {
                        log("ERROR", "cannot promote a stopped resource");
                        return Ok(Rc::NotRunning);
                    }
                    write_state(&state, "promoted\n")?;
                    crate::attr::set_promotion_score(ctx, high);
                    Rc::Success
                }
                "demote" => {
                    if now == Role::Stopped {
                        log("ERROR", "cannot demote a stopped resource");
                        return Ok(Rc::NotRunning);
                    }
                    write_state(&state, "unpromoted\n")?;
                    crate::attr::set_promotion_score(ctx, low);
                    Rc::Success
                }
                "monitor" => {
                    // A probe after a node restart finds the resource but no
                    // (transient) score: publish it again.
                    if ctx.is_probe("monitor") && now != Role::Stopped {
                        let score = if now == Role::Promoted { high } else { low };
                        crate::attr::set_promotion_score(ctx, score);
                    }
                    match now {
                        Role::Stopped => Rc::NotRunning,
                        Role::Unpromoted => Rc::Success,
                        Role::Promoted => Rc::RunningPromoted,
                    }
                }
                "notify" => {
                    let t = ctx.meta.get("notify_type").cloned().unwrap_or_default();
                    let o = ctx
                        .meta
                        .get("notify_operation")
                        .cloned()
                        .unwrap_or_default();
                    log("INFO", &format!("notify: {t}-{o}"));
                    Rc::Success
                }
                "reload" | "reload-agent" => Rc::Success,
                _ => Rc::ErrUnimplemented,
            })
        };
        match action {
            "start" | "stop" | "promote" | "demote" | "monitor" | "notify" | "reload"
            | "reload-agent" => Some(run()),
            _ => None,
        }
    }
}
