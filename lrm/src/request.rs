//! Operation requests and how each agent class turns one into a process
//! invocation (pure: no IO except reading an LSB header for meta-data).
//!
//! Reference: OCF Resource Agent API 1.1, "Execution syntax" and "Environment
//! variables"; LSB 5.0 "Init Script Actions"; Heartbeat v1 `haresources`.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::agent::{AgentDirs, AgentSpec};
use crate::error::LrmError;
use crate::result::{Captured, ExecResult, ExecStatus, OcfRc};

/// An action an agent can be asked to perform.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Action {
    /// `start`
    Start,
    /// `stop`
    Stop,
    /// `monitor` (a probe when the interval is 0)
    Monitor,
    /// `promote`
    Promote,
    /// `demote`
    Demote,
    /// `notify`
    Notify,
    /// `reload` (service configuration)
    Reload,
    /// `reload-agent` (OCF 1.1: reloadable parameters)
    ReloadAgent,
    /// `migrate_to`
    MigrateTo,
    /// `migrate_from`
    MigrateFrom,
    /// `meta-data`
    MetaData,
    /// `validate-all`
    ValidateAll,
    /// Anything else, passed through verbatim.
    Other(String),
}

impl Action {
    /// The action word as passed to the agent.
    pub fn as_str(&self) -> &str {
        match self {
            Action::Start => "start",
            Action::Stop => "stop",
            Action::Monitor => "monitor",
            Action::Promote => "promote",
            Action::Demote => "demote",
            Action::Notify => "notify",
            Action::Reload => "reload",
            Action::ReloadAgent => "reload-agent",
            Action::MigrateTo => "migrate_to",
            Action::MigrateFrom => "migrate_from",
            Action::MetaData => "meta-data",
            Action::ValidateAll => "validate-all",
            Action::Other(s) => s,
        }
    }

    /// Parses an action word (`status` is accepted as `monitor`).
    pub fn parse(s: &str) -> Action {
        match s {
            "start" => Action::Start,
            "stop" => Action::Stop,
            "monitor" | "status" => Action::Monitor,
            "promote" => Action::Promote,
            "demote" => Action::Demote,
            "notify" => Action::Notify,
            "reload" => Action::Reload,
            "reload-agent" => Action::ReloadAgent,
            "migrate_to" => Action::MigrateTo,
            "migrate_from" => Action::MigrateFrom,
            "meta-data" | "metadata" => Action::MetaData,
            "validate-all" => Action::ValidateAll,
            other => Action::Other(other.to_string()),
        }
    }
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Pacemaker's default operation timeout.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(20);

/// One operation to run on one resource.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpRequest {
    /// Resource id (`OCF_RESOURCE_INSTANCE`).
    pub rsc_id: String,
    /// Which agent implements the resource.
    pub agent: AgentSpec,
    /// The action.
    pub action: Action,
    /// Instance attributes (`OCF_RESKEY_<name>`); for `heartbeat:` agents the
    /// positional arguments are the parameters named `1`, `2`, ...
    pub params: BTreeMap<String, String>,
    /// Meta and op attributes (`OCF_RESKEY_CRM_meta_<name>`, `-` → `_`).
    /// `timeout`, `interval` and `name` are filled in from this request.
    pub meta: BTreeMap<String, String>,
    /// Interval of a recurring operation; zero for one-shot ops and probes.
    pub interval: Duration,
    /// Timeout of one execution.
    pub timeout: Duration,
    /// `OCF_CHECK_LEVEL` (monitor depth 0/10/20), passed unprefixed.
    pub check_level: Option<u32>,
}

impl OpRequest {
    /// A request with no parameters, interval 0 and the default timeout.
    pub fn new(rsc_id: impl Into<String>, agent: AgentSpec, action: Action) -> OpRequest {
        OpRequest {
            rsc_id: rsc_id.into(),
            agent,
            action,
            params: BTreeMap::new(),
            meta: BTreeMap::new(),
            interval: Duration::ZERO,
            timeout: DEFAULT_TIMEOUT,
            check_level: None,
        }
    }

    /// Adds an instance parameter.
    pub fn param(mut self, name: impl Into<String>, value: impl Into<String>) -> OpRequest {
        self.params.insert(name.into(), value.into());
        self
    }

    /// Adds a meta attribute.
    pub fn meta(mut self, name: impl Into<String>, value: impl Into<String>) -> OpRequest {
        self.meta.insert(name.into(), value.into());
        self
    }

    /// Sets the timeout.
    pub fn timeout(mut self, t: Duration) -> OpRequest {
        self.timeout = t;
        self
    }

    /// Sets the interval.
    pub fn interval(mut self, i: Duration) -> OpRequest {
        self.interval = i;
        self
    }

    /// True for a monitor with interval 0.
    pub fn is_probe(&self) -> bool {
        self.action == Action::Monitor && self.interval.is_zero()
    }
}

/// Clone notification data, passed to `notify` (and to the actions being
/// notified about) as `OCF_RESKEY_CRM_meta_notify_*` (see `reference/ocf` §5).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Notify {
    /// `pre` or `post`.
    pub kind: String,
    /// `start`, `stop`, `promote` or `demote`.
    pub operation: String,
    /// Lists by name without the `notify_` prefix (`start_resource`,
    /// `active_uname`, ...). Missing standard lists are sent as `" "`.
    pub lists: BTreeMap<String, Vec<String>>,
}

/// The list variables Pacemaker 2.1 always sends with notifications.
pub const NOTIFY_LISTS: &[&str] = &[
    "start_resource",
    "start_uname",
    "stop_resource",
    "stop_uname",
    "promote_resource",
    "promote_uname",
    "demote_resource",
    "demote_uname",
    "active_resource",
    "active_uname",
    "inactive_resource",
    "master_resource",
    "master_uname",
    "promoted_resource",
    "promoted_uname",
    "slave_resource",
    "slave_uname",
    "unpromoted_resource",
    "unpromoted_uname",
    "available_uname",
    "all_uname",
];

impl Notify {
    /// Adds the notification variables to `req`'s meta attributes. An empty
    /// list is a single space, as Pacemaker sends it (agents test for it).
    pub fn apply(&self, req: &mut OpRequest) {
        req.meta.insert("notify_type".into(), self.kind.clone());
        req.meta
            .insert("notify_operation".into(), self.operation.clone());
        let mut names: Vec<&str> = NOTIFY_LISTS.to_vec();
        names.extend(self.lists.keys().map(String::as_str));
        for name in names {
            let v = self
                .lists
                .get(name)
                .map(|l| l.join(" "))
                .unwrap_or_default();
            let v = if v.is_empty() { " ".to_string() } else { v };
            req.meta.insert(format!("notify_{name}"), v);
        }
    }
}

/// Parses a Pacemaker-style duration: `20`, `20s`, `500ms`, `2min`, `1h`.
/// A bare number means seconds.
pub fn parse_duration(text: &str) -> Result<Duration, LrmError> {
    let t = text.trim();
    let bad = || LrmError::BadDuration {
        text: text.to_string(),
    };
    let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let n: u64 = num.parse().map_err(|_| bad())?;
    let ms = match unit.trim() {
        "" | "s" | "sec" | "secs" => n.checked_mul(1000),
        "ms" | "msec" => Some(n),
        "us" | "usec" => return Ok(Duration::from_micros(n)),
        "m" | "min" | "mins" => n.checked_mul(60_000),
        "h" | "hr" | "hour" | "hours" => n.checked_mul(3_600_000),
        _ => None,
    };
    ms.map(Duration::from_millis).ok_or_else(bad)
}

/// A fully resolved process to start.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invocation {
    /// Executable.
    pub program: PathBuf,
    /// Arguments after `argv[0]`.
    pub args: Vec<String>,
    /// The complete environment (nothing else is inherited).
    pub env: Vec<(String, String)>,
    /// Bytes for standard input (stonith agents), else stdin is `/dev/null`.
    pub stdin: Option<String>,
}

/// What executing a request means for its class.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Plan {
    /// Run a process, then map its exit status with [`map_exit`].
    Run(Invocation),
    /// No process is needed; this is the result.
    Immediate(ExecResult),
}

/// Settings that shape every invocation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnvSettings {
    /// Agent locations.
    pub dirs: AgentDirs,
    /// `PATH` given to agents.
    pub path: String,
    /// Directory holding `crm_attribute`/`crm_master` shims; when set, it is
    /// put first in `PATH` and passed as `HA_SBIN_DIR` (which ocf-shellfuncs
    /// uses to find `crm_attribute`).
    pub shim_dir: Option<PathBuf>,
    /// Node attribute directory, passed as `TANDEM_ATTR_DIR`.
    pub attr_dir: Option<PathBuf>,
    /// Local node name (`OCF_RESKEY_CRM_meta_on_node`).
    pub node_name: Option<String>,
}

impl Default for EnvSettings {
    fn default() -> EnvSettings {
        EnvSettings {
            dirs: AgentDirs::default(),
            path: "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin".to_string(),
            shim_dir: None,
            attr_dir: None,
            node_name: None,
        }
    }
}

/// The prefix Pacemaker sets for exit-reason lines.
pub const EXIT_REASON_PREFIX: &str = "ocf-exit-reason:";

fn base_env(s: &EnvSettings) -> Vec<(String, String)> {
    let path = match &s.shim_dir {
        Some(d) => format!("{}:{}", d.display(), s.path),
        None => s.path.clone(),
    };
    let mut env = vec![("PATH".to_string(), path)];
    if let Some(d) = &s.shim_dir {
        env.push(("HA_SBIN_DIR".into(), d.display().to_string()));
    }
    if let Some(d) = &s.attr_dir {
        env.push(("TANDEM_ATTR_DIR".into(), d.display().to_string()));
    }
    env.push(("LC_ALL".into(), "C".into()));
    env
}

fn ms(d: Duration) -> String {
    d.as_millis().to_string()
}

/// The environment of an OCF agent (see `reference/ocf` §4).
pub fn ocf_env(req: &OpRequest, s: &EnvSettings) -> Vec<(String, String)> {
    let (provider, kind) = match &req.agent {
        AgentSpec::Ocf { provider, kind } => (provider.as_str(), kind.as_str()),
        other => ("", other.kind()),
    };
    let mut env = base_env(s);
    let mut push = |k: String, v: String| env.push((k, v));
    push("OCF_ROOT".into(), s.dirs.ocf_root.display().to_string());
    push("OCF_RA_VERSION_MAJOR".into(), "1".into());
    push("OCF_RA_VERSION_MINOR".into(), "1".into());
    push("OCF_RESOURCE_INSTANCE".into(), req.rsc_id.clone());
    push("OCF_RESOURCE_TYPE".into(), kind.into());
    push("OCF_RESOURCE_PROVIDER".into(), provider.into());
    push("OCF_EXIT_REASON_PREFIX".into(), EXIT_REASON_PREFIX.into());
    push("HA_logfacility".into(), "none".into());
    for (k, v) in &req.params {
        push(format!("OCF_RESKEY_{k}"), v.clone());
    }
    let mut meta: BTreeMap<String, String> = req
        .meta
        .iter()
        .map(|(k, v)| (k.replace('-', "_"), v.clone()))
        .collect();
    meta.insert("timeout".into(), ms(req.timeout));
    meta.insert("interval".into(), ms(req.interval));
    meta.insert("name".into(), req.action.as_str().into());
    meta.entry("class".into()).or_insert_with(|| "ocf".into());
    meta.entry("provider".into())
        .or_insert_with(|| provider.into());
    meta.entry("type".into()).or_insert_with(|| kind.into());
    meta.entry("id".into())
        .or_insert_with(|| req.rsc_id.clone());
    if let Some(n) = &s.node_name {
        meta.entry("on_node".into()).or_insert_with(|| n.clone());
    }
    for (k, v) in meta {
        push(format!("OCF_RESKEY_CRM_meta_{k}"), v);
    }
    if let Some(l) = req.check_level {
        push("OCF_CHECK_LEVEL".into(), l.to_string());
    }
    env
}

/// Turns a request into what must happen to execute it.
pub fn plan(req: &OpRequest, s: &EnvSettings) -> Plan {
    let program = req.agent.path(&s.dirs);
    match &req.agent {
        AgentSpec::Ocf { .. } => Plan::Run(Invocation {
            program,
            args: vec![req.action.as_str().to_string()],
            env: ocf_env(req, s),
            stdin: None,
        }),
        AgentSpec::Lsb(name) => match &req.action {
            Action::MetaData => match crate::classes::lsb_metadata(name, &program) {
                Ok(xml) => Plan::Immediate(ExecResult::immediate(OcfRc::Success, xml)),
                Err(e) => Plan::Immediate(ExecResult::failed(
                    ExecStatus::NotInstalled,
                    format!("{}: {e}", program.display()),
                )),
            },
            a => {
                let word = lsb_action(a);
                match word {
                    Some(w) => Plan::Run(Invocation {
                        program,
                        args: vec![w.to_string()],
                        env: base_env(s),
                        stdin: None,
                    }),
                    None => Plan::Immediate(ExecResult::failed(
                        ExecStatus::NotSupported,
                        format!("LSB scripts have no '{a}' action"),
                    )),
                }
            }
        },
        AgentSpec::Heartbeat(name) => match &req.action {
            Action::MetaData => Plan::Immediate(ExecResult::immediate(
                OcfRc::Success,
                crate::classes::heartbeat_metadata(name),
            )),
            Action::Start | Action::Stop | Action::Monitor => {
                let mut args = crate::classes::heartbeat_args(&req.params);
                args.push(match req.action {
                    Action::Monitor => "status".into(),
                    ref a => a.as_str().into(),
                });
                Plan::Run(Invocation {
                    program,
                    args,
                    env: base_env(s),
                    stdin: None,
                })
            }
            a => Plan::Immediate(ExecResult::failed(
                ExecStatus::NotSupported,
                format!("heartbeat resource scripts have no '{a}' action"),
            )),
        },
        AgentSpec::Stonith(_) => {
            let word = match &req.action {
                // The fencer registers a device on start; we check it answers.
                Action::Start | Action::Monitor => "monitor",
                // Stopping a fence device only unregisters it.
                Action::Stop => {
                    return Plan::Immediate(ExecResult::immediate(OcfRc::Success, String::new()))
                }
                Action::MetaData => "metadata",
                Action::ValidateAll => "validate-all",
                a => {
                    return Plan::Immediate(ExecResult::failed(
                        ExecStatus::NotSupported,
                        format!("fence agents have no '{a}' resource action"),
                    ))
                }
            };
            let mut stdin = format!("action={word}\n");
            for (k, v) in &req.params {
                if k != "action" {
                    stdin.push_str(&format!("{k}={v}\n"));
                }
            }
            Plan::Run(Invocation {
                program,
                args: vec![],
                env: base_env(s),
                stdin: Some(stdin),
            })
        }
    }
}

fn lsb_action(a: &Action) -> Option<&'static str> {
    Some(match a {
        Action::Start => "start",
        Action::Stop => "stop",
        Action::Monitor => "status",
        Action::Reload => "force-reload",
        Action::Other(s) if s == "restart" => "restart",
        _ => return None,
    })
}

/// Maps a process exit code to the agent's answer for the class of `req`.
pub fn map_exit(req: &OpRequest, code: u8, stdout: &Captured) -> OcfRc {
    match &req.agent {
        AgentSpec::Ocf { .. } => OcfRc::from_code(code),
        AgentSpec::Lsb(_) if req.action == Action::Monitor => crate::classes::lsb_status_rc(code),
        AgentSpec::Lsb(_) => match code {
            0..=7 => OcfRc::from_code(code),
            _ => OcfRc::ErrGeneric,
        },
        AgentSpec::Heartbeat(_) if req.action == Action::Monitor => {
            crate::classes::heartbeat_status_rc(&stdout.text())
        }
        AgentSpec::Heartbeat(_) | AgentSpec::Stonith(_) => match code {
            0 => OcfRc::Success,
            _ => OcfRc::ErrGeneric,
        },
    }
}

/// Does `path` exist as an executable file?
pub fn is_installed(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path)
        .map(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
        .unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn get<'a>(env: &'a [(String, String)], k: &str) -> Option<&'a str> {
        env.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str())
    }

    #[test]
    fn notify_lists_use_a_space_for_empty() {
        let mut req = OpRequest::new(
            "c",
            "ocf:pacemaker:Stateful".parse().unwrap(),
            Action::Notify,
        );
        let mut n = Notify {
            kind: "pre".into(),
            operation: "promote".into(),
            ..Notify::default()
        };
        n.lists
            .insert("promote_resource".into(), vec!["c:0".into()]);
        n.lists
            .insert("active_resource".into(), vec!["c:0".into(), "c:1".into()]);
        n.apply(&mut req);
        let Plan::Run(inv) = plan(&req, &EnvSettings::default()) else {
            panic!()
        };
        let e = &inv.env;
        assert_eq!(get(e, "OCF_RESKEY_CRM_meta_notify_type"), Some("pre"));
        assert_eq!(
            get(e, "OCF_RESKEY_CRM_meta_notify_operation"),
            Some("promote")
        );
        assert_eq!(
            get(e, "OCF_RESKEY_CRM_meta_notify_promote_resource"),
            Some("c:0")
        );
        assert_eq!(
            get(e, "OCF_RESKEY_CRM_meta_notify_active_resource"),
            Some("c:0 c:1")
        );
        assert_eq!(
            get(e, "OCF_RESKEY_CRM_meta_notify_stop_resource"),
            Some(" ")
        );
        assert_eq!(get(e, "OCF_RESKEY_CRM_meta_notify_all_uname"), Some(" "));
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("20").unwrap(), Duration::from_secs(20));
        assert_eq!(parse_duration("20s").unwrap(), Duration::from_secs(20));
        assert_eq!(parse_duration("2min").unwrap(), Duration::from_secs(120));
        assert_eq!(parse_duration("250ms").unwrap(), Duration::from_millis(250));
        assert_eq!(parse_duration("1h").unwrap(), Duration::from_secs(3600));
        assert!(parse_duration("ten").is_err());
        assert!(parse_duration("10 parsecs").is_err());
    }

    #[test]
    fn ocf_environment_matches_pacemaker() {
        let req = OpRequest::new(
            "ip1",
            "ocf:heartbeat:IPaddr2".parse().unwrap(),
            Action::Monitor,
        )
        .param("ip", "192.0.2.10")
        .meta("clone-max", "2")
        .interval(Duration::from_secs(10))
        .timeout(Duration::from_secs(20));
        let req = OpRequest {
            check_level: Some(10),
            ..req
        };
        let Plan::Run(inv) = plan(&req, &EnvSettings::default()) else {
            panic!("OCF must run")
        };
        assert_eq!(inv.args, vec!["monitor"]);
        assert_eq!(
            inv.program,
            PathBuf::from("/usr/lib/ocf/resource.d/heartbeat/IPaddr2")
        );
        let e = &inv.env;
        assert_eq!(get(e, "OCF_ROOT"), Some("/usr/lib/ocf"));
        assert_eq!(get(e, "OCF_RESOURCE_INSTANCE"), Some("ip1"));
        assert_eq!(get(e, "OCF_RESOURCE_TYPE"), Some("IPaddr2"));
        assert_eq!(get(e, "OCF_RESOURCE_PROVIDER"), Some("heartbeat"));
        assert_eq!(get(e, "OCF_RESKEY_ip"), Some("192.0.2.10"));
        assert_eq!(get(e, "OCF_RESKEY_CRM_meta_clone_max"), Some("2"));
        assert_eq!(get(e, "OCF_RESKEY_CRM_meta_interval"), Some("10000"));
        assert_eq!(get(e, "OCF_RESKEY_CRM_meta_timeout"), Some("20000"));
        assert_eq!(get(e, "OCF_RESKEY_CRM_meta_name"), Some("monitor"));
        assert_eq!(get(e, "OCF_CHECK_LEVEL"), Some("10"));
        assert_eq!(get(e, "OCF_RESKEY_OCF_CHECK_LEVEL"), None);
        assert_eq!(get(e, "OCF_RA_VERSION_MAJOR"), Some("1"));
        assert_eq!(get(e, "OCF_EXIT_REASON_PREFIX"), Some("ocf-exit-reason:"));
    }

    #[test]
    fn lsb_monitor_is_status_and_status_codes_map() {
        let req = OpRequest::new("s", "lsb:foo".parse().unwrap(), Action::Monitor);
        let Plan::Run(inv) = plan(&req, &EnvSettings::default()) else {
            panic!()
        };
        assert_eq!(inv.args, vec!["status"]);
        let none = Captured::default();
        assert_eq!(map_exit(&req, 0, &none), OcfRc::Success);
        for c in [1, 2, 3] {
            assert_eq!(map_exit(&req, c, &none), OcfRc::NotRunning);
        }
        assert_eq!(map_exit(&req, 4, &none), OcfRc::ErrGeneric);
        assert_eq!(map_exit(&req, 150, &none), OcfRc::ErrInstalled);
        let start = OpRequest::new("s", "lsb:foo".parse().unwrap(), Action::Start);
        assert_eq!(map_exit(&start, 3, &none), OcfRc::ErrUnimplemented);
        assert_eq!(map_exit(&start, 42, &none), OcfRc::ErrGeneric);
    }

    #[test]
    fn heartbeat_args_before_action() {
        let req = OpRequest::new("v", "heartbeat:IPaddr".parse().unwrap(), Action::Monitor)
            .param("2", "eth0")
            .param("1", "10.0.0.1/24");
        let Plan::Run(inv) = plan(&req, &EnvSettings::default()) else {
            panic!()
        };
        assert_eq!(inv.args, vec!["10.0.0.1/24", "eth0", "status"]);
    }

    #[test]
    fn stonith_gets_stdin() {
        let req = OpRequest::new(
            "st",
            "stonith:fence_dummy".parse().unwrap(),
            Action::Monitor,
        )
        .param("ip", "127.0.0.1");
        let Plan::Run(inv) = plan(&req, &EnvSettings::default()) else {
            panic!()
        };
        assert_eq!(inv.stdin.as_deref(), Some("action=monitor\nip=127.0.0.1\n"));
        let stop = OpRequest::new("st", "stonith:fence_dummy".parse().unwrap(), Action::Stop);
        assert!(
            matches!(plan(&stop, &EnvSettings::default()), Plan::Immediate(r) if r.is(OcfRc::Success))
        );
    }
}
