//! The agent side of the OCF Resource Agent API 1.1: exit codes, the
//! environment an executor gives us, meta-data generation, logging and exit
//! reasons.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::time::Duration;

/// OCF exit codes an agent returns (OCF RA API 1.1, "Return codes").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum Rc {
    /// 0: success / running.
    Success = 0,
    /// 1: generic error.
    ErrGeneric = 1,
    /// 2: invalid arguments.
    ErrArgs = 2,
    /// 3: unimplemented action.
    ErrUnimplemented = 3,
    /// 4: insufficient privileges.
    ErrPerm = 4,
    /// 5: software missing on this host.
    ErrInstalled = 5,
    /// 6: configuration invalid.
    ErrConfigured = 6,
    /// 7: cleanly stopped.
    NotRunning = 7,
    /// 8: running promoted.
    RunningPromoted = 8,
    /// 9: failed promoted.
    FailedPromoted = 9,
}

/// A failure an agent reports: the rc to exit with and a reason for
/// `ocf-exit-reason:`.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AgentError {
    /// Configuration invalid everywhere (rc 6).
    #[error("{0}")]
    Configured(String),
    /// Parameters invalid on this host (rc 2).
    #[error("{0}")]
    Args(String),
    /// Software or device missing on this host (rc 5).
    #[error("{0}")]
    Installed(String),
    /// Insufficient privileges (rc 4).
    #[error("{0}")]
    Perm(String),
    /// Any other failure (rc 1).
    #[error("{0}")]
    Generic(String),
    /// The resource is not running where it must be (rc 7).
    #[error("{0}")]
    NotRunning(String),
    /// A local IO step failed (rc 1).
    #[error("{what}: {source}")]
    Io {
        /// What was being done.
        what: String,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
}

impl AgentError {
    /// The exit code for this failure.
    pub fn rc(&self) -> Rc {
        match self {
            AgentError::Configured(_) => Rc::ErrConfigured,
            AgentError::Args(_) => Rc::ErrArgs,
            AgentError::Installed(_) => Rc::ErrInstalled,
            AgentError::Perm(_) => Rc::ErrPerm,
            AgentError::Generic(_) | AgentError::Io { .. } => Rc::ErrGeneric,
            AgentError::NotRunning(_) => Rc::NotRunning,
        }
    }

    /// Wraps an IO error with what was being attempted.
    pub fn io(what: impl Into<String>) -> impl FnOnce(std::io::Error) -> AgentError {
        let what = what.into();
        move |source| AgentError::Io { what, source }
    }
}

/// Result type of agent actions.
pub type AgentResult<T> = Result<T, AgentError>;

/// What the executor told us, read from the environment once.
#[derive(Debug, Clone, Default)]
pub struct Ctx {
    /// `OCF_RESOURCE_INSTANCE` (empty when unset, e.g. for meta-data).
    pub instance: String,
    /// `OCF_RESKEY_*` parameters (without `CRM_meta_*`).
    pub params: BTreeMap<String, String>,
    /// `OCF_RESKEY_CRM_meta_*` attributes.
    pub meta: BTreeMap<String, String>,
    /// `OCF_CHECK_LEVEL` (0 when unset).
    pub check_level: u32,
    /// Prefix for exit reasons (`OCF_EXIT_REASON_PREFIX`).
    pub reason_prefix: String,
}

impl Ctx {
    /// Reads the process environment.
    pub fn from_env() -> Ctx {
        Ctx::from_vars(std::env::vars())
    }

    /// Builds a context from explicit variables (for tests).
    pub fn from_vars(vars: impl IntoIterator<Item = (String, String)>) -> Ctx {
        let mut c = Ctx {
            reason_prefix: "ocf-exit-reason:".into(),
            ..Ctx::default()
        };
        for (k, v) in vars {
            if let Some(m) = k.strip_prefix("OCF_RESKEY_CRM_meta_") {
                c.meta.insert(m.to_string(), v);
            } else if let Some(p) = k.strip_prefix("OCF_RESKEY_") {
                c.params.insert(p.to_string(), v);
            } else if k == "OCF_RESOURCE_INSTANCE" {
                c.instance = v;
            } else if k == "OCF_CHECK_LEVEL" {
                c.check_level = v.trim().parse().unwrap_or(0);
            } else if k == "OCF_EXIT_REASON_PREFIX" && !v.is_empty() {
                c.reason_prefix = v;
            }
        }
        c
    }

    /// A parameter's value, if set and not empty.
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params
            .get(name)
            .map(String::as_str)
            .filter(|v| !v.is_empty())
    }

    /// A parameter or its default.
    pub fn param_or<'a>(&'a self, name: &str, default: &'a str) -> &'a str {
        self.param(name).unwrap_or(default)
    }

    /// A boolean parameter (`true/yes/1/on`, `false/no/0/off`).
    pub fn flag(&self, name: &str, default: bool) -> AgentResult<bool> {
        match self.param(name) {
            None => Ok(default),
            Some(v) => parse_bool(v).ok_or_else(|| {
                AgentError::Configured(format!("{name}={v} is not a boolean (use true or false)"))
            }),
        }
    }

    /// An integer parameter within `range`.
    pub fn int(
        &self,
        name: &str,
        default: u64,
        range: std::ops::RangeInclusive<u64>,
    ) -> AgentResult<u64> {
        match self.param(name) {
            None => Ok(default),
            Some(v) => match v.trim().parse::<u64>() {
                Ok(n) if range.contains(&n) => Ok(n),
                _ => Err(AgentError::Configured(format!(
                    "{name}={v} must be an integer from {} to {}",
                    range.start(),
                    range.end()
                ))),
            },
        }
    }

    /// The operation interval (0 for probes and one-shot actions).
    pub fn interval(&self) -> Duration {
        Duration::from_millis(
            self.meta
                .get("interval")
                .and_then(|v| v.parse().ok())
                .unwrap_or(0),
        )
    }

    /// The operation timeout (20 s when unset, as Pacemaker's default).
    pub fn timeout(&self) -> Duration {
        Duration::from_millis(
            self.meta
                .get("timeout")
                .and_then(|v| v.parse().ok())
                .unwrap_or(20_000),
        )
    }

    /// True for a monitor with interval 0.
    pub fn is_probe(&self, action: &str) -> bool {
        action == "monitor" && self.interval().is_zero()
    }
}

/// Parses OCF booleans as `ocf_is_true` does.
pub fn parse_bool(v: &str) -> Option<bool> {
    match v.trim().to_ascii_lowercase().as_str() {
        "1" | "true" | "yes" | "on" | "y" => Some(true),
        "0" | "false" | "no" | "off" | "n" => Some(false),
        _ => None,
    }
}

/// Logs a line on stderr (the executor keeps it in the operation's output).
pub fn log(level: &str, msg: &str) {
    eprintln!("{level}: {msg}");
}

/// Escapes text for XML.
pub fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// Type of a parameter's content (the DTD allows these four).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParamType {
    /// Free text.
    String,
    /// Integer.
    Integer,
    /// Boolean.
    Boolean,
    /// Duration.
    Time,
}

/// One parameter in the meta-data.
#[derive(Debug, Clone)]
pub struct Param {
    /// Name (`OCF_RESKEY_<name>`).
    pub name: &'static str,
    /// Required parameter.
    pub required: bool,
    /// Must be unique across resources of this type.
    pub unique: bool,
    /// Content type.
    pub kind: ParamType,
    /// Default value, if any.
    pub default: Option<String>,
    /// One line.
    pub short: &'static str,
    /// Full description.
    pub long: String,
}

/// One advertised action.
#[derive(Debug, Clone)]
pub struct ActionSpec {
    /// Action name.
    pub name: &'static str,
    /// Advised timeout.
    pub timeout: &'static str,
    /// Interval (monitors).
    pub interval: Option<&'static str>,
    /// Role (promotable monitors).
    pub role: Option<&'static str>,
    /// Depth (`OCF_CHECK_LEVEL`).
    pub depth: Option<u32>,
}

impl ActionSpec {
    /// An action with a timeout.
    pub const fn new(name: &'static str, timeout: &'static str) -> ActionSpec {
        ActionSpec {
            name,
            timeout,
            interval: None,
            role: None,
            depth: None,
        }
    }
    /// A monitor.
    pub const fn monitor(
        timeout: &'static str,
        interval: &'static str,
        depth: u32,
        role: Option<&'static str>,
    ) -> ActionSpec {
        ActionSpec {
            name: "monitor",
            timeout,
            interval: Some(interval),
            role,
            depth: Some(depth),
        }
    }
}

/// An agent's meta-data.
#[derive(Debug, Clone)]
pub struct MetaData {
    /// Agent type name.
    pub name: &'static str,
    /// One line.
    pub short: &'static str,
    /// Full description.
    pub long: String,
    /// Parameters.
    pub params: Vec<Param>,
    /// Actions.
    pub actions: Vec<ActionSpec>,
}

impl MetaData {
    /// Renders the XML (with the DOCTYPE ocf-tester validates against).
    pub fn to_xml(&self) -> String {
        let mut x = String::new();
        x.push_str("<?xml version=\"1.0\"?>\n<!DOCTYPE resource-agent SYSTEM \"ra-api-1.dtd\">\n");
        let _ = writeln!(
            x,
            "<resource-agent name=\"{}\" version=\"{}\">",
            self.name,
            env!("CARGO_PKG_VERSION")
        );
        x.push_str("<version>1.1</version>\n");
        let _ = writeln!(
            x,
            "<longdesc lang=\"en\">\n{}\n</longdesc>",
            xml_escape(self.long.trim())
        );
        let _ = writeln!(
            x,
            "<shortdesc lang=\"en\">{}</shortdesc>",
            xml_escape(self.short)
        );
        x.push_str("<parameters>\n");
        for p in &self.params {
            let _ = writeln!(
                x,
                "<parameter name=\"{}\" unique=\"{}\" required=\"{}\">",
                p.name, p.unique as u8, p.required as u8
            );
            let _ = writeln!(
                x,
                "<longdesc lang=\"en\">\n{}\n</longdesc>",
                xml_escape(p.long.trim())
            );
            let _ = writeln!(
                x,
                "<shortdesc lang=\"en\">{}</shortdesc>",
                xml_escape(p.short)
            );
            let kind = match p.kind {
                ParamType::String => "string",
                ParamType::Integer => "integer",
                ParamType::Boolean => "boolean",
                ParamType::Time => "time",
            };
            match &p.default {
                Some(d) => {
                    let _ = writeln!(
                        x,
                        "<content type=\"{kind}\" default=\"{}\" />",
                        xml_escape(d)
                    );
                }
                None => {
                    let _ = writeln!(x, "<content type=\"{kind}\" />");
                }
            }
            x.push_str("</parameter>\n");
        }
        x.push_str("</parameters>\n<actions>\n");
        for a in &self.actions {
            let _ = write!(x, "<action name=\"{}\" timeout=\"{}\"", a.name, a.timeout);
            if let Some(i) = a.interval {
                let _ = write!(x, " interval=\"{i}\"");
            }
            if let Some(d) = a.depth {
                let _ = write!(x, " depth=\"{d}\"");
            }
            if let Some(r) = a.role {
                let _ = write!(x, " role=\"{r}\"");
            }
            x.push_str(" />\n");
        }
        x.push_str("</actions>\n</resource-agent>\n");
        x
    }

    /// The parameter names this agent knows.
    pub fn param_names(&self) -> Vec<&'static str> {
        self.params.iter().map(|p| p.name).collect()
    }
}

/// Shorthand for a parameter.
pub fn param(
    name: &'static str,
    kind: ParamType,
    short: &'static str,
    long: impl Into<String>,
) -> Param {
    Param {
        name,
        required: false,
        unique: false,
        kind,
        default: None,
        short,
        long: long.into(),
    }
}

impl Param {
    /// Marks the parameter required.
    pub fn required(mut self) -> Param {
        self.required = true;
        self
    }
    /// Marks the parameter unique.
    pub fn unique(mut self) -> Param {
        self.unique = true;
        self
    }
    /// Sets the default.
    pub fn default(mut self, d: impl Into<String>) -> Param {
        self.default = Some(d.into());
        self
    }
}

/// Directory for agent state files (`HA_RSCTMP` in resource-agents).
pub fn rsctmp() -> String {
    std::env::var("HA_RSCTMP").unwrap_or_else(|_| "/run/resource-agents".to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ctx_splits_params_meta_and_check_level() {
        let c = Ctx::from_vars(
            [
                ("OCF_RESKEY_ip", "1.2.3.4"),
                ("OCF_RESKEY_CRM_meta_interval", "10000"),
                ("OCF_RESKEY_empty", ""),
                ("OCF_CHECK_LEVEL", "20"),
                ("OCF_RESOURCE_INSTANCE", "vip"),
            ]
            .map(|(a, b)| (a.to_string(), b.to_string())),
        );
        assert_eq!(c.param("ip"), Some("1.2.3.4"));
        assert_eq!(c.param("empty"), None);
        assert_eq!(c.interval(), Duration::from_secs(10));
        assert_eq!(c.timeout(), Duration::from_secs(20));
        assert_eq!(c.check_level, 20);
        assert_eq!(c.instance, "vip");
        assert!(!c.is_probe("monitor"));
    }

    #[test]
    fn integer_and_bool_validation() {
        let c = Ctx::from_vars([
            ("OCF_RESKEY_n".to_string(), "40".to_string()),
            ("OCF_RESKEY_b".to_string(), "maybe".to_string()),
        ]);
        assert!(c.int("n", 1, 0..=32).is_err());
        assert_eq!(c.int("m", 5, 0..=32).unwrap(), 5);
        assert!(c.flag("b", true).is_err());
    }
}
