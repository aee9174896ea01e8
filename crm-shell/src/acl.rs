//! crmsh's ACL shortcuts (`meta:rsc:attr`, `status`, `node:name`, ...):
//! expansion to XPath when parsing, and recognition when showing.

/// Each shortcut and the XPath pieces it expands to; `@@` is replaced by one
/// `:`-separated argument.
const SHORTCUTS: &[(&str, &[&str])] = &[
    (
        "meta",
        &[
            "//primitive[@id='@@']/meta_attributes",
            "/nvpair[@name='@@']",
        ],
    ),
    (
        "params",
        &[
            "//primitive[@id='@@']/instance_attributes",
            "/nvpair[@name='@@']",
        ],
    ),
    ("utilization", &["//primitive[@id='@@']/utilization"]),
    (
        "location",
        &["//rsc_location[@id='cli-prefer-@@' and @rsc='@@']"],
    ),
    (
        "property",
        &["//crm_config/cluster_property_set", "/nvpair[@name='@@']"],
    ),
    (
        "nodeattr",
        &["//nodes/node/instance_attributes", "/nvpair[@name='@@']"],
    ),
    ("nodeutil", &["//nodes/node/utilization", "[@uname='@@']"]),
    ("node", &["//nodes/node", "[@uname='@@']"]),
    ("status", &["/cib/status"]),
    ("cib", &["/cib"]),
];

/// The expansion pieces of shortcut `name`.
pub fn shortcut(name: &str) -> Option<&'static [&'static str]> {
    SHORTCUTS.iter().find(|(n, _)| *n == name).map(|(_, e)| *e)
}

/// Expands `name[:a[:b]]` to an XPath, as crmsh does. `None` when an
/// argument is missing or there are too many.
pub fn expand(name: &str, args: Option<&str>) -> Option<String> {
    let exp = shortcut(name)?;
    let Some(args) = args else {
        return if exp[0].contains("@@") {
            None
        } else {
            Some(exp[0].to_string())
        };
    };
    let mut x = String::new();
    let mut i = 0;
    for tok in args.split(':') {
        if !exp.get(i)?.contains("@@") {
            x.push_str(exp[i]);
            i += 1;
        }
        x.push_str(&exp.get(i)?.replace("@@", tok));
        i += 1;
    }
    Some(x)
}

/// The shortcut form (`meta:d0:target-role`) of an XPath, if one expands
/// to exactly it.
pub fn unexpand(xpath: &str) -> Option<String> {
    for (name, exp) in SHORTCUTS {
        for n in 0..=exp.len() {
            let template: String = exp[..n].concat();
            if n == 0 || template.is_empty() {
                continue;
            }
            if let Some(args) = match_template(&template, xpath) {
                if args.is_empty() {
                    return Some(name.to_string());
                }
                let cand = format!("{name}:{}", args.join(":"));
                if expand(name, Some(&args.join(":"))).as_deref() == Some(xpath) {
                    return Some(cand);
                }
            }
        }
    }
    None
}

fn match_template(template: &str, s: &str) -> Option<Vec<String>> {
    let pieces: Vec<&str> = template.split("@@").collect();
    let mut rest = s.strip_prefix(pieces[0])?;
    let mut args = Vec::new();
    for p in &pieces[1..] {
        if p.is_empty() {
            args.push(rest.to_string());
            rest = "";
            continue;
        }
        let i = rest.find(p)?;
        args.push(rest[..i].to_string());
        rest = &rest[i + p.len()..];
    }
    if rest.is_empty()
        && args
            .iter()
            .all(|a| !a.is_empty() && !a.contains(['\'', '[', ']']))
    {
        Some(args)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip() {
        for s in [
            "meta:d0:target-role",
            "status",
            "property",
            "node:node1",
            "ref",
        ] {
            let (n, a) = match s.split_once(':') {
                Some((n, a)) => (n, Some(a)),
                None => (s, None),
            };
            if let Some(x) = expand(n, a) {
                assert_eq!(unexpand(&x).as_deref(), Some(s), "{x}");
            }
        }
        assert_eq!(
            expand("meta", Some("d0:target-role")).unwrap(),
            "//primitive[@id='d0']/meta_attributes/nvpair[@name='target-role']"
        );
    }
}
