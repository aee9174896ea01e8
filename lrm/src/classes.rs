//! Rules specific to the non-OCF classes: LSB status codes and synthesised
//! meta-data, Heartbeat v1 argument order and status text.
//!
//! References: LSB 5.0 core, "Init Script Actions" (status codes 0-4, plus
//! Pacemaker's 150/151 extensions); Heartbeat v1 `ResourceManager`
//! (`status` output containing "running"/"OK").

use std::collections::BTreeMap;
use std::path::Path;

use crate::result::OcfRc;

/// Maps an LSB `status` exit code to the OCF answer Pacemaker records.
pub fn lsb_status_rc(code: u8) -> OcfRc {
    match code {
        0 => OcfRc::Success,
        1..=3 => OcfRc::NotRunning,
        150 => OcfRc::ErrInstalled,
        151 => OcfRc::ErrPerm,
        _ => OcfRc::ErrGeneric,
    }
}

/// Heartbeat v1 ignored the exit code of `status`: a resource is active when
/// its output says "running" or "OK", unless it says "not running".
pub fn heartbeat_status_rc(stdout: &str) -> OcfRc {
    let lower = stdout.to_ascii_lowercase();
    if lower.contains("not running") {
        OcfRc::NotRunning
    } else if lower.contains("running") || stdout.contains("OK") {
        OcfRc::Success
    } else {
        OcfRc::NotRunning
    }
}

/// Positional arguments of a Heartbeat v1 script: parameters named `1`, `2`,
/// ... in numeric order (other names are ignored).
pub fn heartbeat_args(params: &BTreeMap<String, String>) -> Vec<String> {
    let mut numbered: Vec<(u32, &String)> = params
        .iter()
        .filter_map(|(k, v)| k.parse::<u32>().ok().map(|n| (n, v)))
        .collect();
    numbered.sort();
    numbered.into_iter().map(|(_, v)| v.clone()).collect()
}

/// Escapes text for XML content and attribute values.
pub fn xml_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c => out.push(c),
        }
    }
    out
}

/// Fields of an LSB `### BEGIN INIT INFO` block, in file order.
pub fn lsb_header(script: &str) -> Vec<(String, String)> {
    let mut fields: Vec<(String, String)> = Vec::new();
    let mut inside = false;
    for line in script.lines() {
        let l = line.trim_end();
        if l.starts_with("### BEGIN INIT INFO") {
            inside = true;
            continue;
        }
        if l.starts_with("### END INIT INFO") {
            break;
        }
        if !inside {
            continue;
        }
        // Continuation lines start with "#" followed by a tab or 2+ spaces.
        if let Some(rest) = l.strip_prefix("#\t").or_else(|| l.strip_prefix("#  ")) {
            if let Some(last) = fields.last_mut() {
                last.1.push(' ');
                last.1.push_str(rest.trim());
                continue;
            }
        }
        if let Some(rest) = l.strip_prefix("# ") {
            if let Some((k, v)) = rest.split_once(':') {
                fields.push((k.trim().to_string(), v.trim().to_string()));
            }
        }
    }
    fields
}

/// Meta-data for an LSB script, synthesised from its INIT INFO header the way
/// Pacemaker does (fixed 15 s timeouts, a `special tag="LSB"` section).
pub fn lsb_metadata(name: &str, path: &Path) -> std::io::Result<String> {
    let script = std::fs::read(path)?;
    let fields = lsb_header(&String::from_utf8_lossy(&script));
    let get = |k: &str| {
        fields
            .iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.as_str())
            .unwrap_or("")
    };
    let mut x = String::new();
    x.push_str("<?xml version=\"1.0\"?>\n<!DOCTYPE resource-agent SYSTEM \"ra-api-1.dtd\">\n");
    x.push_str(&format!(
        "<resource-agent name=\"{}\" version=\"0.1\">\n  <version>1.0</version>\n",
        xml_escape(name)
    ));
    x.push_str(&format!(
        "  <longdesc lang=\"en\">{}</longdesc>\n  <shortdesc lang=\"en\">{}</shortdesc>\n",
        xml_escape(get("Description")),
        xml_escape(get("Short-Description"))
    ));
    x.push_str("  <parameters>\n  </parameters>\n  <actions>\n");
    for (a, extra) in [
        ("meta-data", ""),
        ("start", ""),
        ("stop", ""),
        ("status", ""),
        ("restart", ""),
        ("force-reload", ""),
        ("monitor", " interval=\"15s\""),
    ] {
        let t = if a == "meta-data" { "5s" } else { "15s" };
        x.push_str(&format!(
            "    <action name=\"{a}\" timeout=\"{t}\"{extra} />\n"
        ));
    }
    x.push_str("  </actions>\n  <special tag=\"LSB\">\n");
    for k in [
        "Provides",
        "Required-Start",
        "Required-Stop",
        "Should-Start",
        "Should-Stop",
        "Default-Start",
        "Default-Stop",
    ] {
        x.push_str(&format!("    <{k}>{}</{k}>\n", xml_escape(get(k))));
    }
    x.push_str("  </special>\n</resource-agent>\n");
    Ok(x)
}

/// Meta-data for a Heartbeat v1 script, which has none of its own.
pub fn heartbeat_metadata(name: &str) -> String {
    format!(
        "<?xml version=\"1.0\"?>\n<!DOCTYPE resource-agent SYSTEM \"ra-api-1.dtd\">\n\
<resource-agent name=\"{n}\" version=\"0.1\">\n  <version>1.0</version>\n\
  <longdesc lang=\"en\">Heartbeat v1 resource script {n}, called as '{n} [ARG...] start|stop|status'. \
Positional arguments are the parameters named 1, 2, ...</longdesc>\n\
  <shortdesc lang=\"en\">{n} (Heartbeat v1 resource script)</shortdesc>\n\
  <parameters>\n  </parameters>\n  <actions>\n\
    <action name=\"start\" timeout=\"15s\" />\n    <action name=\"stop\" timeout=\"15s\" />\n\
    <action name=\"status\" timeout=\"15s\" />\n    <action name=\"monitor\" timeout=\"15s\" interval=\"15s\" />\n\
    <action name=\"meta-data\" timeout=\"5s\" />\n  </actions>\n</resource-agent>\n",
        n = xml_escape(name)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn heartbeat_status_words() {
        assert_eq!(heartbeat_status_rc("httpd is running"), OcfRc::Success);
        assert_eq!(heartbeat_status_rc("OK"), OcfRc::Success);
        assert_eq!(
            heartbeat_status_rc("httpd is Not Running"),
            OcfRc::NotRunning
        );
        assert_eq!(heartbeat_status_rc("stopped"), OcfRc::NotRunning);
        assert_eq!(heartbeat_status_rc(""), OcfRc::NotRunning);
    }

    #[test]
    fn header_parsing() {
        let s = "#!/bin/sh\n### BEGIN INIT INFO\n# Provides:          httpd\n\
# Required-Start:    $network\n# Description:       Line one\n#  line two\n### END INIT INFO\n";
        let f = lsb_header(s);
        assert_eq!(f[0], ("Provides".into(), "httpd".into()));
        assert_eq!(f[2], ("Description".into(), "Line one line two".into()));
    }
}
