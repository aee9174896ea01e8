//! The interactive shell: a readline prompt with history
//! (`~/.crm_history`) and tab completion of commands, object ids, agent
//! names and agent parameters. Completion itself ([`complete`]) is a pure
//! function of the line and what the shell knows, so it is tested without a
//! terminal.

use std::cell::RefCell;
use std::rc::Rc;

use rustyline::completion::{Completer, Pair};
use rustyline::error::ReadlineError;
use rustyline::highlight::Highlighter;
use rustyline::hint::Hinter;
use rustyline::validate::Validator;
use rustyline::{Context, Editor, Helper};

use crate::session::Shell;

/// What completion may offer, refreshed after every command.
#[derive(Debug, Clone, Default)]
pub struct Known {
    /// `true` at the configure level.
    pub configure: bool,
    /// Ids of the objects in the (staged) configuration.
    pub ids: Vec<String>,
}

const TOP: &[&str] = &["configure", "node", "resource", "status", "help", "quit"];
const NODE: &[&str] = &[
    "standby",
    "online",
    "attribute",
    "utilization",
    "clearstate",
    "show",
];
const RESOURCE: &[&str] = &[
    "status",
    "start",
    "stop",
    "move",
    "ban",
    "clear",
    "cleanup",
    "failcount",
    "param",
    "meta",
    "manage",
    "unmanage",
    "maintenance",
    "utilization",
];
const CONFIGURE: &[&str] = &[
    "primitive",
    "rsc_template",
    "group",
    "clone",
    "ms",
    "bundle",
    "location",
    "colocation",
    "order",
    "rsc_ticket",
    "property",
    "rsc_defaults",
    "op_defaults",
    "node",
    "tag",
    "fencing_topology",
    "alert",
    "role",
    "acl_target",
    "monitor",
    "show",
    "commit",
    "delete",
    "rename",
    "modgroup",
    "load",
    "erase",
    "verify",
    "refresh",
    "set",
    "save",
    "up",
    "help",
    "quit",
];
const PRIMITIVE_WORDS: &[&str] = &["params", "meta", "utilization", "op", "operations"];

/// Installed OCF agents as `ocf:PROVIDER:TYPE`, plus lsb/service scripts.
pub fn agents() -> Vec<String> {
    let mut out = Vec::new();
    let root = std::env::var("OCF_ROOT").unwrap_or_else(|_| "/usr/lib/ocf".into());
    if let Ok(provs) = std::fs::read_dir(format!("{root}/resource.d")) {
        for p in provs.flatten() {
            let prov = p.file_name().to_string_lossy().into_owned();
            if let Ok(types) = std::fs::read_dir(p.path()) {
                for t in types.flatten() {
                    let ty = t.file_name().to_string_lossy().into_owned();
                    if prov == "heartbeat" {
                        // `Dummy` alone means ocf:heartbeat:Dummy
                        out.push(ty.clone());
                    }
                    out.push(format!("ocf:{prov}:{ty}"));
                }
            }
        }
    }
    if let Ok(init) = std::fs::read_dir("/etc/init.d") {
        for t in init.flatten() {
            out.push(format!("lsb:{}", t.file_name().to_string_lossy()));
        }
    }
    out.sort();
    out
}

/// Parameter names an agent declares (`name=` ready to type).
fn agent_params(agent: &str) -> Vec<String> {
    let parts: Vec<&str> = agent.split(':').collect();
    let (prov, ty) = match parts.as_slice() {
        [t] => ("heartbeat", *t),
        ["ocf", p, t] => (*p, *t),
        _ => return Vec::new(),
    };
    crate::agents::param_names(prov, ty)
        .into_iter()
        .map(|n| format!("{n}="))
        .collect()
}

/// Completion candidates for `line` (up to the cursor): the byte offset
/// where the word being completed starts, and the candidates.
pub fn complete(
    known: &Known,
    line: &str,
    agent_list: &dyn Fn() -> Vec<String>,
) -> (usize, Vec<String>) {
    let start = line.rfind(char::is_whitespace).map(|i| i + 1).unwrap_or(0);
    let word = &line[start..];
    let before: Vec<&str> = line[..start].split_whitespace().collect();
    let pick = |c: Vec<String>| -> Vec<String> {
        let mut v: Vec<String> = c.into_iter().filter(|x| x.starts_with(word)).collect();
        v.sort();
        v.dedup();
        v
    };
    let words = |l: &[&str]| l.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    let cands = match (known.configure, before.as_slice()) {
        (false, []) => words(TOP),
        (false, ["node"]) => words(NODE),
        (false, ["resource"]) => words(RESOURCE),
        (false, ["resource", _, ..]) | (false, ["node", _, ..]) => known.ids.clone(),
        (false, _) => Vec::new(),
        (true, []) => words(CONFIGURE),
        (true, ["primitive", _]) => agent_list(),
        (true, ["primitive", _, agent, rest @ ..]) => {
            let in_params =
                rest.iter().rev().find(|w| PRIMITIVE_WORDS.contains(w)) == Some(&"params");
            let mut c = words(PRIMITIVE_WORDS);
            if in_params || rest.is_empty() {
                c.extend(agent_params(agent));
            }
            c
        }
        (true, _) => known.ids.clone(),
    };
    (start, pick(cands))
}

struct CrmHelper {
    known: Rc<RefCell<Known>>,
    agents: Vec<String>,
}

impl Completer for CrmHelper {
    type Candidate = Pair;
    fn complete(
        &self,
        line: &str,
        pos: usize,
        _: &Context<'_>,
    ) -> rustyline::Result<(usize, Vec<Pair>)> {
        let known = self.known.borrow();
        let agents = self.agents.clone();
        let (start, c) = complete(&known, &line[..pos], &move || agents.clone());
        Ok((
            start,
            c.into_iter()
                .map(|s| Pair {
                    display: s.clone(),
                    replacement: if s.ends_with('=') { s } else { format!("{s} ") },
                })
                .collect(),
        ))
    }
}
impl Hinter for CrmHelper {
    type Hint = String;
}
impl Highlighter for CrmHelper {}
impl Validator for CrmHelper {}
impl Helper for CrmHelper {}

/// Runs the prompt until `quit` or end of input.
pub fn run(sh: &mut Shell<'_>) -> rustyline::Result<()> {
    let known = Rc::new(RefCell::new(Known::default()));
    // bash-like: complete the common prefix, list the candidates on a
    // second tab (the default cycles through them, picking one blindly)
    let config = rustyline::Config::builder()
        .completion_type(rustyline::CompletionType::List)
        .auto_add_history(false)
        .build();
    let mut rl: Editor<CrmHelper, rustyline::history::DefaultHistory> =
        Editor::with_config(config)?;
    rl.set_helper(Some(CrmHelper {
        known: known.clone(),
        agents: agents(),
    }));
    let hist = std::env::var_os("HOME").map(|h| std::path::PathBuf::from(h).join(".crm_history"));
    if let Some(h) = &hist {
        let _ = rl.load_history(h);
    }
    let mut lineno = 0;
    loop {
        *known.borrow_mut() = sh.known();
        let prompt = if sh.known().configure {
            "crm(offline)configure# "
        } else {
            "crm(offline)# "
        };
        let mut text = match rl.readline(prompt) {
            Ok(l) => l,
            Err(ReadlineError::Interrupted) => continue,
            Err(ReadlineError::Eof) => break,
            Err(e) => return Err(e),
        };
        lineno += 1;
        let first = lineno;
        while text.ends_with('\\') {
            match rl.readline("> ") {
                Ok(more) => {
                    lineno += 1;
                    text.push('\n');
                    text.push_str(&more);
                }
                Err(_) => break,
            }
        }
        let _ = rl.add_history_entry(text.replace("\\\n", " ").as_str());
        for ll in crate::lex::logical_lines(&text, first) {
            sh.run_line(&ll);
        }
        if sh.is_done() {
            break;
        }
    }
    sh.finish();
    if let Some(h) = &hist {
        let _ = rl.save_history(h);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn completes_by_level_and_position() {
        let k = Known {
            configure: false,
            ids: vec!["d1".into(), "g1".into()],
        };
        let none = || Vec::new();
        assert_eq!(
            complete(&k, "con", &none),
            (0, vec!["configure".to_string()])
        );
        assert_eq!(
            complete(&k, "resource st", &none).1,
            vec!["start", "status", "stop"]
        );
        assert_eq!(
            complete(&k, "resource stop g", &none),
            (14, vec!["g1".to_string()])
        );
        let k = Known {
            configure: true,
            ..k
        };
        assert_eq!(complete(&k, "pri", &none).1, vec!["primitive"]);
        let agents = || {
            vec![
                "ocf:heartbeat:Dummy".to_string(),
                "ocf:pacemaker:ping".to_string(),
            ]
        };
        assert_eq!(
            complete(&k, "primitive x ocf:h", &agents).1,
            vec!["ocf:heartbeat:Dummy"]
        );
        assert_eq!(complete(&k, "colocation c inf: d", &none).1, vec!["d1"]);
    }
}
