//! Tandem's own OCF resource agents: `IPaddr2`, `Filesystem`, `mysql`,
//! `Dummy` and `Stateful`, installed under the OCF provider `tandem`
//! (`ocf:tandem:IPaddr2`, ...).
//!
//! # How data enters and leaves
//!
//! An agent is one process per action, called by an executor (Tandem's LRM,
//! Pacemaker, or `ocf-tester`) as `AGENT ACTION`. **In:** the action word
//! and the environment: `OCF_RESKEY_<param>` instance parameters,
//! `OCF_RESKEY_CRM_meta_*` (timeout, interval, clone and notify data),
//! `OCF_RESOURCE_INSTANCE`, `OCF_CHECK_LEVEL` ([`ocf::Ctx`]). **Out:** the
//! exit code ([`ocf::Rc`], OCF RA API 1.1 "Return codes"), meta-data XML on
//! stdout, log lines and one `ocf-exit-reason:` line on stderr, and side
//! effects on the system (addresses, mounts, server processes). Promotion
//! scores leave through the LRM's attribute interface ([`attr`]).
//!
//! # Layout
//!
//! All agents are one multi-call binary, `tandem-agent`; it picks the agent
//! from the name it was invoked under (`argv[0]`), so
//! `$OCF_ROOT/resource.d/tandem/IPaddr2` is a symlink to it.
//! `tandem-agent install [--ocf-root DIR]` puts the binary in
//! `$OCF_ROOT/lib/tandem/` and creates the links ([`install`]).
//!
//! * [`ocf`]: exit codes, environment, meta-data generation.
//! * [`agents`]: one module per agent, each implementing [`Agent`].
//! * [`garp`]: gratuitous ARP on a raw socket. [`attr`]: promotion scores.
//!
//! # Spec
//!
//! OCF Resource Agent API 1.1 (ClusterLabs/OCF-spec `ra/1.1`). Deviations:
//! meta-data is restricted to what resource-agents' `ra-api-1.dtd` accepts
//! (no `reloadable`, no `reload-agent` or `select`), because `ocf-tester`
//! validates against that DTD; `reload-agent` is still implemented where
//! `reload` is.

#![warn(missing_docs)]

pub mod agents;
pub mod attr;
pub mod garp;
pub mod install;
pub mod ocf;

use ocf::{AgentResult, Ctx, MetaData, Rc};

/// One resource agent.
pub trait Agent {
    /// The agent's meta-data.
    fn metadata(&self) -> MetaData;
    /// `validate-all`: checks parameters and local prerequisites.
    fn validate(&self, ctx: &Ctx) -> AgentResult<()>;
    /// Runs `action`, or returns `None` when the agent does not implement it.
    fn action(&self, action: &str, ctx: &Ctx) -> Option<AgentResult<Rc>>;
}

/// The agents in this crate, by type name.
pub const AGENTS: &[&str] = &["Dummy", "Filesystem", "IPaddr2", "Stateful", "mysql"];

/// Looks an agent up by its type name.
pub fn agent(name: &str) -> Option<Box<dyn Agent>> {
    Some(match name {
        "Dummy" => Box::new(agents::dummy::Dummy),
        "Stateful" => Box::new(agents::stateful::Stateful),
        "IPaddr2" => Box::new(agents::ipaddr2::IPaddr2),
        "Filesystem" => Box::new(agents::filesystem::Filesystem),
        "mysql" => Box::new(agents::mysql::Mysql),
        _ => return None,
    })
}

fn usage(name: &str, md: &MetaData) -> String {
    let mut acts: Vec<&str> = md.actions.iter().map(|a| a.name).collect();
    acts.dedup();
    format!("usage: {name} {{{}}}", acts.join("|"))
}

/// Runs `action` of `agent` with the context and returns the exit code,
/// printing meta-data, usage and the exit reason as the OCF API asks.
pub fn dispatch(agent: &dyn Agent, action: &str, ctx: &Ctx) -> Rc {
    let md = agent.metadata();
    let result = match action {
        "meta-data" => {
            // A reader that closes the pipe early is its own problem; never
            // panic on EPIPE (print! would).
            let _ = std::io::Write::write_all(&mut std::io::stdout(), md.to_xml().as_bytes());
            return Rc::Success;
        }
        "validate-all" => {
            let known = md.param_names();
            for p in ctx.params.keys() {
                if !known.contains(&p.as_str()) {
                    ocf::log("WARNING", &format!("unknown parameter '{p}' ignored"));
                }
            }
            agent.validate(ctx).map(|_| Rc::Success)
        }
        "usage" | "help" => {
            let _ = std::io::Write::write_all(
                &mut std::io::stdout(),
                format!("{}\n", usage(md.name, &md)).as_bytes(),
            );
            return Rc::Success;
        }
        a => match agent.action(a, ctx) {
            Some(r) => r,
            None => {
                eprintln!("{}", usage(md.name, &md));
                return Rc::ErrUnimplemented;
            }
        },
    };
    match result {
        Ok(rc) => rc,
        Err(e) => {
            eprintln!("{}{e}", ctx.reason_prefix);
            e.rc()
        }
    }
}

/// Is `path` an executable file?
pub fn is_executable(path: &str) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}
