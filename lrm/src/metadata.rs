//! Typed agent meta-data (OCF RA API 1.1 "Metadata", `ra-api-1.dtd`).
//!
//! What consumers need from an agent's XML: its parameters (required,
//! unique, reloadable, type, default, descriptions) for `crm ra info` and
//! configuration checks, and its actions with advised timeouts and
//! intervals (crmsh's "smaller than the advised" warnings; `reload-agent`
//! availability). Unknown elements (`special`, `deprecated`, ...) are skipped.

use std::time::Duration;

use quick_xml::events::{BytesStart, Event};
use quick_xml::Reader;

use crate::request::parse_duration;

/// One parameter.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ParamInfo {
    /// Name (`OCF_RESKEY_<name>`).
    pub name: String,
    /// `required="1"`.
    pub required: bool,
    /// `unique="1"`.
    pub unique: bool,
    /// `reloadable="1"` (OCF 1.1).
    pub reloadable: bool,
    /// `content type` (`string`, `integer`, `boolean`, `time`, `select`).
    pub kind: String,
    /// `content default`.
    pub default: Option<String>,
    /// One-line description.
    pub shortdesc: String,
    /// Full description.
    pub longdesc: String,
}

/// One advertised action.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ActionInfo {
    /// Action name.
    pub name: String,
    /// Advised timeout (None if missing or unparsable).
    pub timeout: Option<Duration>,
    /// Advised interval (monitors).
    pub interval: Option<Duration>,
    /// Role (`Promoted`, `Unpromoted`, legacy `Master`/`Slave`).
    pub role: Option<String>,
    /// Depth (`OCF_CHECK_LEVEL`).
    pub depth: Option<u32>,
}

/// An agent's parsed meta-data.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AgentMetadata {
    /// `resource-agent name`.
    pub name: String,
    /// `resource-agent version` (the agent's own version).
    pub version: Option<String>,
    /// `<version>`: the OCF API version claimed.
    pub ocf_version: Option<String>,
    /// One-line description.
    pub shortdesc: String,
    /// Full description.
    pub longdesc: String,
    /// Parameters, in document order.
    pub parameters: Vec<ParamInfo>,
    /// Actions, in document order.
    pub actions: Vec<ActionInfo>,
}

/// Meta-data that could not be parsed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum MetadataError {
    /// Not well-formed XML.
    #[error("meta-data is not well-formed XML at byte {position}: {message}")]
    Xml {
        /// Byte offset.
        position: u64,
        /// The parser's message.
        message: String,
    },
    /// No `<resource-agent>` root element.
    #[error("meta-data has no <resource-agent> element")]
    NoRoot,
}

fn attr(e: &BytesStart<'_>, name: &str) -> Option<String> {
    e.attributes()
        .flatten()
        .find(|a| a.key.as_ref() == name.as_bytes())
        .and_then(|a| a.unescape_value().ok().map(|v| v.into_owned()))
}

fn flag(e: &BytesStart<'_>, name: &str) -> bool {
    matches!(
        attr(e, name).as_deref(),
        Some("1") | Some("true") | Some("yes")
    )
}

fn duration(v: Option<String>) -> Option<Duration> {
    v.and_then(|s| parse_duration(&s).ok())
}

impl AgentMetadata {
    /// Parses meta-data XML.
    pub fn parse(xml: &str) -> Result<AgentMetadata, MetadataError> {
        let mut r = Reader::from_str(xml);
        let mut md = AgentMetadata::default();
        let mut saw_root = false;
        // Element path, to know whose description a text belongs to.
        let mut path: Vec<String> = Vec::new();
        let mut text = String::new();
        loop {
            let ev = r.read_event().map_err(|e| MetadataError::Xml {
                position: r.buffer_position(),
                message: e.to_string(),
            })?;
            match ev {
                Event::Eof => break,
                Event::Start(e) => {
                    let name = String::from_utf8_lossy(e.name().as_ref()).into_owned();
                    Self::open(&mut md, &mut saw_root, &path, &name, &e);
                    path.push(name);
                    text.clear();
                }
                Event::Empty(e) => {
                    let name = String::from_utf8_lossy(e.name().as_ref()).into_owned();
                    Self::open(&mut md, &mut saw_root, &path, &name, &e);
                }
                Event::Text(t) => {
                    if let Ok(s) = t.unescape() {
                        text.push_str(&s);
                    }
                }
                Event::CData(c) => text.push_str(&String::from_utf8_lossy(&c)),
                Event::End(_) => {
                    let name = path.pop().unwrap_or_default();
                    let parent = path.last().map(String::as_str);
                    let t = text.trim().to_string();
                    match (name.as_str(), parent) {
                        ("shortdesc", Some("resource-agent")) => md.shortdesc = t,
                        ("longdesc", Some("resource-agent")) => md.longdesc = t,
                        ("version", Some("resource-agent")) => md.ocf_version = Some(t),
                        ("shortdesc", Some("parameter")) => {
                            if let Some(p) = md.parameters.last_mut() {
                                p.shortdesc = t;
                            }
                        }
                        ("longdesc", Some("parameter")) => {
                            if let Some(p) = md.parameters.last_mut() {
                                p.longdesc = t;
                            }
                        }
                        _ => {}
                    }
                    text.clear();
                }
                _ => {}
            }
        }
        if !saw_root {
            return Err(MetadataError::NoRoot);
        }
        Ok(md)
    }

    fn open(
        md: &mut AgentMetadata,
        saw_root: &mut bool,
        path: &[String],
        name: &str,
        e: &BytesStart<'_>,
    ) {
        let parent = path.last().map(String::as_str);
        match (name, parent) {
            ("resource-agent", None) => {
                *saw_root = true;
                md.name = attr(e, "name").unwrap_or_default();
                md.version = attr(e, "version");
            }
            ("parameter", Some("parameters")) => md.parameters.push(ParamInfo {
                name: attr(e, "name").unwrap_or_default(),
                required: flag(e, "required"),
                unique: flag(e, "unique"),
                reloadable: flag(e, "reloadable"),
                ..ParamInfo::default()
            }),
            ("content", Some("parameter")) => {
                if let Some(p) = md.parameters.last_mut() {
                    p.kind = attr(e, "type").unwrap_or_default();
                    p.default = attr(e, "default");
                }
            }
            ("action", Some("actions")) => md.actions.push(ActionInfo {
                name: attr(e, "name").unwrap_or_default(),
                timeout: duration(attr(e, "timeout")),
                interval: duration(attr(e, "interval")),
                role: attr(e, "role"),
                depth: attr(e, "depth").and_then(|d| d.parse().ok()),
            }),
            _ => {}
        }
    }

    /// The parameter called `name`.
    pub fn parameter(&self, name: &str) -> Option<&ParamInfo> {
        self.parameters.iter().find(|p| p.name == name)
    }

    /// The first advertised action called `name`.
    pub fn action(&self, name: &str) -> Option<&ActionInfo> {
        self.actions.iter().find(|a| a.name == name)
    }

    /// Names of required parameters missing from `given`.
    pub fn missing_required<'a>(
        &'a self,
        given: &std::collections::BTreeMap<String, String>,
    ) -> Vec<&'a str> {
        self.parameters
            .iter()
            .filter(|p| p.required && !given.contains_key(&p.name))
            .map(|p| p.name.as_str())
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = r#"<?xml version="1.0"?>
<!DOCTYPE resource-agent SYSTEM "ra-api-1.dtd">
<resource-agent name="Sample" version="2.0">
<version>1.1</version>
<longdesc lang="en">Long &amp; detailed.</longdesc>
<shortdesc lang="en">Short</shortdesc>
<parameters>
<parameter name="addr" unique="1" required="1">
<longdesc lang="en">The address.</longdesc>
<shortdesc lang="en">Address</shortdesc>
<content type="string" />
</parameter>
<parameter name="level" reloadable="1">
<longdesc lang="en">A level.</longdesc>
<shortdesc lang="en">Level</shortdesc>
<content type="integer" default="3" />
<deprecated><replaced-with name="lvl"/></deprecated>
</parameter>
</parameters>
<actions>
<action name="start" timeout="90s" />
<action name="monitor" timeout="20" interval="10s" depth="0" role="Promoted" />
<action name="reload-agent" timeout="2min" />
</actions>
<special tag="x"><y>ignored</y></special>
</resource-agent>
"#;

    #[test]
    fn parses_parameters_and_actions() {
        let md = AgentMetadata::parse(SAMPLE).unwrap();
        assert_eq!(md.name, "Sample");
        assert_eq!(md.version.as_deref(), Some("2.0"));
        assert_eq!(md.ocf_version.as_deref(), Some("1.1"));
        assert_eq!(md.shortdesc, "Short");
        assert_eq!(md.longdesc, "Long & detailed.");
        let addr = md.parameter("addr").unwrap();
        assert!(addr.required && addr.unique && !addr.reloadable);
        assert_eq!(addr.shortdesc, "Address");
        let level = md.parameter("level").unwrap();
        assert!(level.reloadable);
        assert_eq!(level.kind, "integer");
        assert_eq!(level.default.as_deref(), Some("3"));
        assert_eq!(
            md.action("start").unwrap().timeout,
            Some(Duration::from_secs(90))
        );
        let mon = md.action("monitor").unwrap();
        assert_eq!(mon.timeout, Some(Duration::from_secs(20)));
        assert_eq!(mon.interval, Some(Duration::from_secs(10)));
        assert_eq!(mon.role.as_deref(), Some("Promoted"));
        assert_eq!(mon.depth, Some(0));
        assert_eq!(
            md.action("reload-agent").unwrap().timeout,
            Some(Duration::from_secs(120))
        );
        let given = [("level".to_string(), "1".to_string())]
            .into_iter()
            .collect();
        assert_eq!(md.missing_required(&given), vec!["addr"]);
    }

    #[test]
    fn rejects_garbage() {
        assert!(matches!(
            AgentMetadata::parse("<a><b></a>"),
            Err(MetadataError::Xml { .. })
        ));
        assert!(matches!(
            AgentMetadata::parse("<other/>"),
            Err(MetadataError::NoRoot)
        ));
    }
}
