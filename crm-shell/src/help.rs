//! `help` and `help COMMAND`: one entry per command, with its syntax.

/// (level, command, syntax and what it does).
const HELP: &[(&str, &str, &str)] = &[
    ("top", "configure", "configure [COMMAND...]\n  Enter the configure level, or run one configure command and commit it."),
    ("top", "status", "status\n  The cluster status, in the layout of crm_mon -1 -r."),
    ("top", "node", "node standby|online [NODE] | attribute NODE set|delete|show NAME [VALUE]\n     | utilization NODE set|delete|show NAME [VALUE] | clearstate NODE | delete NODE | show\n  Node state and attributes."),
    ("top", "resource", "resource status | start|stop|manage|unmanage RSC | maintenance RSC [on|off]\n         | move|ban RSC NODE [LIFETIME] | clear RSC | cleanup [RSC [NODE]]\n         | param|meta|utilization RSC set|delete|show NAME [VALUE]\n         | failcount RSC show|delete NODE | failcount RSC set NODE VALUE\n  Resource state; move and ban leave cli-prefer-/cli-ban- constraints that clear removes.\n  LIFETIME is an ISO 8601 duration (PT1H)."),
    ("top", "simulate", "simulate\n  What the cluster would do now (the policy engine's Transition Summary)."),
    ("top", "ra", "ra classes | providers TYPE | list CLASS [PROVIDER] | info AGENT\n  Installed resource agents."),
    ("top", "quit", "quit\n  Leave crm (staged configuration changes are committed first)."),
    ("configure", "primitive", "primitive ID [CLASS:[PROVIDER:]]TYPE|@TEMPLATE [description=TEXT]\n  [params [$id=ID] [SCORE:] [rule ...] NAME=VALUE...] [meta ...] [utilization ...]\n  [operations $id=ID|$id-ref=ID] [op NAME [ATTR=VALUE...] [op_params ...] [op_meta ...]...]"),
    ("configure", "rsc_template", "rsc_template ID [CLASS:[PROVIDER:]]TYPE [params ...] [meta ...] [op ...]"),
    ("configure", "group", "group ID RSC... [description=TEXT] [meta NAME=VALUE...] [params ...]"),
    ("configure", "clone", "clone ID RSC [description=TEXT] [meta NAME=VALUE...] [params ...]\n  meta promotable=true makes a promotable clone."),
    ("configure", "ms", "ms ID RSC [meta ...]  (deprecated: clone ID RSC meta promotable=true)"),
    ("configure", "bundle", "bundle ID docker|podman|rkt image=IMG ... [network ...] [port-mapping ...]\n  [storage storage-mapping ...] [meta ...] [primitive RSC]"),
    ("configure", "location", "location ID RSC|{ RSC... }|/PATTERN/ [role=ROLE] [resource-discovery=always|never|exclusive]\n  SCORE: NODE | rule [$id=ID] [$role=ROLE] [SCORE:] EXPRESSION..."),
    ("configure", "colocation", "colocation ID SCORE: RSC[:ROLE] RSC[:ROLE] | RESOURCE_SETS [node-attribute=NAME]\n  Sets: ( a b ) sequential=false, [ a b ] require-all=false."),
    ("configure", "order", "order ID [KIND:|SCORE:] RSC[:ACTION] RSC[:ACTION] | RESOURCE_SETS [symmetrical=BOOL]\n  KIND is Mandatory, Optional or Serialize."),
    ("configure", "rsc_ticket", "rsc_ticket ID TICKET: RSC[:ROLE]... [loss-policy=stop|demote|fence|freeze]"),
    ("configure", "property", "property [ID:|$id=ID] [rule ...] NAME=VALUE..."),
    ("configure", "rsc_defaults", "rsc_defaults [ID:|$id=ID] [rule ...] NAME=VALUE..."),
    ("configure", "op_defaults", "op_defaults [ID:|$id=ID] [rule ...] NAME=VALUE..."),
    ("configure", "node", "node [ID:|$id=ID] UNAME[:TYPE] [attributes NAME=VALUE...] [utilization ...]"),
    ("configure", "tag", "tag ID[:] RSC..."),
    ("configure", "fencing_topology", "fencing_topology [TARGET:] DEVICE[,DEVICE]... ...\n  TARGET is a node, attr:NAME=VALUE or pattern:REGEX; without targets, every node."),
    ("configure", "alert", "alert ID PATH [attributes ...] [meta ...] [select nodes|fencing|resources|attributes { NAME... }]\n  [to RECIPIENT [attributes ...] [meta ...]]..."),
    ("configure", "role", "role ID read|write|deny SPEC... ...\n  SPEC: xpath:X, ref:ID, type:TAG [attr:NAME], or a shortcut (meta:RSC:NAME, status, node:NAME, ...)"),
    ("configure", "acl_target", "acl_target ID ROLE..."),
    ("configure", "monitor", "monitor RSC[:ROLE] INTERVAL[:TIMEOUT]\n  Add a monitor operation to a primitive."),
    ("configure", "show", "show [xml] [ID...]\n  The staged configuration in crmsh's layout (or as XML)."),
    ("configure", "commit", "commit [force]\n  Check the whole staged configuration and write it, all or nothing."),
    ("configure", "verify", "verify\n  Check the staged configuration without writing it."),
    ("configure", "delete", "delete ID...\n  Remove objects; constraints that refer to them are rewritten or removed."),
    ("configure", "rename", "rename OLD NEW\n  Rename an object and every reference to it."),
    ("configure", "modgroup", "modgroup GROUP add RSC [before|after RSC] | modgroup GROUP remove RSC"),
    ("configure", "load", "load update|replace FILE\n  Read commands from FILE; all of them are staged, or none."),
    ("configure", "save", "save FILE\n  Write the staged configuration in CLI form."),
    ("configure", "edit", "edit [ID...]\n  Edit objects in $EDITOR; asks again while the text has errors."),
    ("configure", "filter", "filter COMMAND [ID...]\n  Pass objects through a shell command and read them back."),
    ("configure", "erase", "erase [nodes]\n  Remove all resources and constraints (and nodes)."),
    ("configure", "refresh", "refresh\n  Drop staged changes and re-read the CIB."),
    ("configure", "set", "set ID.NAME VALUE\n  Set a parameter (or meta attribute) of an object."),
    ("configure", "simulate", "simulate | ptest\n  What the cluster would do with the staged configuration."),
    ("configure", "xml", "xml <ELEMENT .../>\n  An object given as raw CIB XML."),
    ("configure", "up", "up | end | cd ..\n  Leave the configure level (staged changes are committed)."),
];

/// Help text: the list of commands of a level, or one command's entry.
pub fn help(configure: bool, topic: Option<&str>) -> String {
    let level = if configure { "configure" } else { "top" };
    match topic {
        Some(t) => match HELP
            .iter()
            .find(|(l, c, _)| *c == t && (*l == level || l == &"top" || l == &"configure"))
        {
            Some((_, _, text)) => format!("{text}\n"),
            None => format!("no help for '{t}'\n"),
        },
        None => {
            let mut s = String::from("Commands (help COMMAND for details):\n");
            for (l, c, text) in HELP.iter().filter(|(l, _, _)| *l == level) {
                let _ = l;
                let first = text.lines().next().unwrap_or("");
                s.push_str(&format!("  {c:<17} {first}\n"));
            }
            s
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_configure_command_has_help() {
        for c in ["primitive", "group", "location", "commit", "load", "edit"] {
            assert!(!help(true, Some(c)).starts_with("no help"), "{c}");
        }
        assert!(help(false, None).contains("configure"));
    }
}
