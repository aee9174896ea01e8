//! The command interpreter: levels (top, `configure`), the configure
//! session with its staged configuration, commit, and the `node` and
//! `resource` commands.
//!
//! Session semantics: every command line is applied to a *copy* of the
//! staged configuration; only when it succeeds does the copy replace the
//! staged one. A rejected line therefore stages nothing, and lines accepted
//! before it stay staged. `commit` checks the whole staged configuration
//! ([`Config::check`]) and writes it only if every check passes, so a
//! failing commit changes nothing. Leaving the configure level or reaching
//! the end of input with staged changes commits them, as crmsh does.

use std::io::Write;

use cib::xml::Element;

use crate::config::{self, Config};
use crate::exit::Exit;
use crate::lex::{self, Loc, LogicalLine};
use crate::parse;
use crate::show;
use crate::store::CibStore;

/// Options from the command line.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// `-F`: commit even when verification complains.
    pub force: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Level {
    Top,
    Configure,
}

/// One `crm` run.
pub struct Shell<'a> {
    opts: Options,
    store: &'a dyn CibStore,
    level: Level,
    /// The configuration as last read from or written to the CIB.
    base: Option<Config>,
    /// The configuration being edited.
    staged: Option<Config>,
    rc: Exit,
    out: &'a mut dyn Write,
    err: &'a mut dyn Write,
    /// Set by `quit`.
    done: bool,
    /// The staged configuration whose commit last failed.
    refused: Option<Config>,
    /// Set while an edited object is re-read (`edit`, `filter`).
    replacing: bool,
    /// Set during `load update`: objects that exist are replaced.
    updating: bool,
}

/// Configure-level commands, for fuzzy matching of typos.
const CONFIGURE_COMMANDS: &[&str] = &[
    "primitive",
    "rsc_template",
    "group",
    "clone",
    "ms",
    "master",
    "bundle",
    "location",
    "colocation",
    "collocation",
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
    "user",
    "acl_target",
    "acl_group",
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
    "end",
    "cd",
    "back",
    "quit",
    "exit",
    "bye",
    "help",
    "xml",
    "edit",
    "filter",
    "simulate",
    "ptest",
    "_test",
    "_regtest",
];

fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut d = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for (i, row) in d.iter_mut().enumerate() {
        row[0] = i;
    }
    for (j, cell) in d[0].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            d[i][j] = (d[i - 1][j] + 1)
                .min(d[i][j - 1] + 1)
                .min(d[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                d[i][j] = d[i][j].min(d[i - 2][j - 2] + 1);
            }
        }
    }
    d[a.len()][b.len()]
}

/// The configure command a (possibly mistyped) word stands for.
fn fuzzy_command(word: &str) -> Option<&'static str> {
    if let Some(c) = CONFIGURE_COMMANDS.iter().find(|c| **c == word) {
        return Some(c);
    }
    let close: Vec<&&str> = CONFIGURE_COMMANDS
        .iter()
        .filter(|c| c.len() >= 4 && edit_distance(c, word) == 1)
        .collect();
    match close.as_slice() {
        [one] => Some(one),
        _ => None,
    }
}

impl<'a> Shell<'a> {
    /// A shell over `store`, printing results to `out` and diagnostics to
    /// `err`.
    pub fn new(
        opts: Options,
        store: &'a dyn CibStore,
        out: &'a mut dyn Write,
        err: &'a mut dyn Write,
    ) -> Self {
        Shell {
            opts,
            store,
            level: Level::Top,
            base: None,
            staged: None,
            rc: Exit::Success,
            out,
            err,
            done: false,
            refused: None,
            replacing: false,
            updating: false,
        }
    }

    /// Whether `quit` was given.
    pub fn is_done(&self) -> bool {
        self.done
    }

    /// What tab completion may offer now.
    pub fn known(&self) -> crate::interactive::Known {
        let mut ids = Vec::new();
        let conf = self.staged.as_ref().map(|c| c.conf.clone()).or_else(|| {
            self.store
                .load()
                .ok()
                .and_then(|c| c.child("configuration").cloned())
        });
        if let Some(conf) = conf {
            for (key, _) in show::objects(&conf) {
                ids.push(key);
            }
        }
        crate::interactive::Known {
            configure: self.level == Level::Configure,
            ids,
        }
    }

    /// The exit status so far.
    pub fn rc(&self) -> Exit {
        self.rc
    }

    fn fail(&mut self, rc: Exit, msg: impl AsRef<str>) {
        let _ = writeln!(self.err, "ERROR: {}", msg.as_ref());
        self.rc = self.rc.worst(rc);
    }
    fn warn(&mut self, msg: impl AsRef<str>) {
        let _ = writeln!(self.err, "WARNING: {}", msg.as_ref());
    }
    fn info(&mut self, msg: impl AsRef<str>) {
        let _ = writeln!(self.err, "INFO: {}", msg.as_ref());
    }

    /// Runs a whole input stream (stdin or a file) line by line; then
    /// leaves every level, committing what is staged.
    pub fn run_script(&mut self, text: &str, first_line: usize) {
        for ll in lex::logical_lines(text, first_line) {
            if self.done {
                break;
            }
            self.run_line(&ll);
        }
        self.finish();
    }

    /// Commits pending changes (as crmsh does when input ends).
    pub fn finish(&mut self) {
        if self.level == Level::Configure {
            self.leave_configure();
        }
    }

    /// Runs one logical line at the current level.
    pub fn run_line(&mut self, ll: &LogicalLine) {
        let trimmed = ll.text.trim_start();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            return;
        }
        if self.level == Level::Configure && trimmed.split_whitespace().next() == Some("xml") {
            let xml = trimmed[3..].replace(" \\ ", " ");
            return self.xml_object(&xml, ll.start());
        }
        let toks = match lex::tokenize(ll) {
            Ok(t) => t,
            Err(e) => {
                let what = ll.text.split_whitespace().next().unwrap_or("").to_string();
                match e {
                    lex::LexError::SmartQuote { .. } => self.fail(
                        Exit::CommandFailed,
                        format!("{e} (in '{what}' command; nothing of this line was staged)"),
                    ),
                    lex::LexError::Unclosed { .. } => self.fail(
                        Exit::CommandFailed,
                        format!("{e} (in '{what}' command; nothing of this line was staged)"),
                    ),
                }
                return;
            }
        };
        let end = ll
            .locs
            .last()
            .map(|l| Loc {
                line: l.line,
                col: l.col + 1,
            })
            .unwrap_or_default();
        let words: Vec<String> = toks.iter().map(|t| t.text.clone()).collect();
        match self.level {
            Level::Top => self.top_command(&toks, &words, end),
            Level::Configure => self.configure_command(&toks, &words, end),
        }
    }

    fn load_base(&mut self) -> bool {
        if self.base.is_some() {
            return true;
        }
        match self.store.load() {
            Ok(cib) => {
                let conf = cib
                    .child("configuration")
                    .cloned()
                    .unwrap_or_else(|| Element::new("configuration"));
                let c = Config::new(conf);
                self.staged = Some(c.clone());
                self.base = Some(c);
                true
            }
            Err(e) => {
                self.fail(Exit::CibUnavailable, format!("{e:#}"));
                false
            }
        }
    }

    fn top_command(&mut self, toks: &[lex::Token], words: &[String], end: Loc) {
        let cmd = words[0].to_ascii_lowercase();
        match cmd.as_str() {
            "configure" | "cfg" => {
                if !self.load_base() {
                    return;
                }
                self.level = Level::Configure;
                if words.len() > 1 {
                    self.configure_command(&toks[1..], &words[1..], end);
                    self.leave_configure();
                }
            }
            "node" => self.node_command(&words[1..]),
            "resource" | "rsc" => self.resource_command(&words[1..]),
            "status" => self.status(),
            "simulate" => {
                // what the scheduler would do now, from the CIB as it is
                self.base = None;
                self.staged = None;
                if self.load_base() {
                    self.simulate();
                }
            }
            "ra" => match crate::commands::ra(&words[1..]) {
                Ok(t) => {
                    let _ = write!(self.out, "{t}");
                }
                Err(e) => self.fail(Exit::CommandFailed, e),
            },
            "cd" if words.get(1).is_some_and(|w| w == "configure") => {
                if self.load_base() {
                    self.level = Level::Configure;
                }
            }
            "up" | "end" | "cd" | "back" => {}
            "quit" | "exit" | "bye" => self.done = true,
            "help" | "?" => {
                let topic = words.get(1).map(String::as_str);
                let _ = write!(self.out, "{}", crate::help::help(false, topic));
            }
            other => self.fail(Exit::CommandFailed, format!("{other}: No such command")),
        }
    }

    fn leave_configure(&mut self) {
        if self.staged != self.base {
            if self.staged.is_some() && self.staged == self.refused {
                // the same changes were just refused: say so once more
                // instead of repeating every error
                self.fail(Exit::CommandFailed, "leaving configure with uncommitted changes (the last commit failed); they are dropped");
            } else {
                self.commit(false);
            }
        }
        self.level = Level::Top;
    }

    fn configure_command(&mut self, toks: &[lex::Token], words: &[String], end: Loc) {
        let loc = toks[0].loc;
        let typed = words[0].to_ascii_lowercase();
        let Some(cmd) = fuzzy_command(&typed) else {
            self.fail(
                Exit::CommandFailed,
                format!("{loc}: configure.{}: No such command", words[0]),
            );
            return;
        };
        if cmd != words[0] {
            if cmd == "master" || cmd == "collocation" {
                let new = if cmd == "master" { "ms" } else { "colocation" };
                self.warn(format!(
                    "{loc}: This command '{cmd}' is deprecated, please use '{new}'"
                ));
            }
            if typed != words[0] || cmd != typed {
                self.info(format!("{loc}: \"{}\" is accepted as \"{cmd}\"", words[0]));
            }
        }
        if let Some(obj) = parse::canonical_command(cmd) {
            if obj == "ms" && words.len() > 2 {
                let rest = words[1..].join(" ");
                let extra = if words.iter().any(|w| w == "meta") {
                    ""
                } else {
                    " meta"
                };
                self.warn(format!(
                    "{loc}: \"ms\" is deprecated. Please use \"clone {rest}{extra} promotable=true\""
                ));
            }
            let staged = self
                .staged
                .clone()
                .expect("configure level has a staged config");
            match parse::parse_command(obj, toks, end, &staged) {
                Err(e) => self.fail(Exit::CommandFailed, e.to_string()),
                Ok(el) => {
                    let mut next = staged;
                    // property and defaults sets merge by name anyway
                    let is_set = matches!(
                        el.name.as_str(),
                        "cluster_property_set" | "rsc_defaults" | "op_defaults"
                    );
                    if self.updating && !is_set {
                        let key = el.attr("id").or(el.attr("uname")).map(str::to_string);
                        if let Some(id) = key.filter(|id| next.exists(id)) {
                            // `load update`: the file's definition wins
                            let _ = next.remove_for_replace(&id);
                        }
                    }
                    match next.add_opts(el, !self.replacing && !self.updating) {
                        Ok(warns) => {
                            for w in warns {
                                if w.starts_with("modified ") {
                                    self.info(w);
                                } else {
                                    self.warn(format!("{loc}: {w}"));
                                }
                            }
                            self.staged = Some(next);
                        }
                        Err(e) => self.fail(Exit::CommandFailed, format!("{loc}: {e}")),
                    }
                }
            }
            return;
        }
        let args = &words[1..];
        match cmd {
            "show" => self.configure_show(args),
            "_test" | "_regtest" => {}
            "edit" => self.edit_objects(args),
            "filter" => match args.split_first() {
                Some((cmd, ids)) => self.filter_objects(cmd, ids),
                None => self.fail(Exit::CommandFailed, "usage: filter <command> [<id>...]"),
            },
            "simulate" | "ptest" => self.simulate(),
            "commit" => {
                let force = args.first().is_some_and(|a| a == "force");
                self.commit(force);
            }
            "verify" => {
                let staged = self.staged.clone().expect("staged");
                let errs = staged.check();
                for e in &errs {
                    self.fail(Exit::CommandFailed, e);
                }
                for w in verify_warnings(&staged) {
                    self.warn(w);
                }
            }
            "delete" | "rename" | "modgroup" | "set" => self.edit(cmd, args, loc),
            "erase" => {
                let mut next = self.staged.clone().expect("staged");
                next.erase(args.first().is_some_and(|a| a == "nodes"));
                self.staged = Some(next);
            }
            "refresh" => {
                self.base = None;
                self.staged = None;
                self.load_base();
            }
            "load" => self.load(args),
            "save" => {
                let Some(path) = args.first() else {
                    return self.fail(Exit::CommandFailed, "usage: save FILE");
                };
                let text = show::show_config(&self.staged.as_ref().expect("staged").conf, &[]);
                if let Err(e) = std::fs::write(path, text) {
                    self.fail(Exit::CommandFailed, format!("save {path}: {e}"));
                }
            }
            "up" | "end" | "cd" | "back" => self.leave_configure(),
            "quit" | "exit" | "bye" => {
                self.leave_configure();
                self.done = true;
            }
            "help" => {
                let topic = args.first().map(String::as_str);
                let _ = write!(self.out, "{}", crate::help::help(true, topic));
            }
            _ => self.fail(
                Exit::CommandFailed,
                format!("{loc}: configure.{cmd}: No such command"),
            ),
        }
    }

    /// `xml <element .../>`: an object given as raw XML.
    fn xml_object(&mut self, xml: &str, loc: Loc) {
        let el = match cib::xml::parse(xml) {
            Ok(e) => e,
            Err(e) => return self.fail(Exit::CommandFailed, format!("{loc}: xml: {e}")),
        };
        let mut next = self.staged.clone().expect("staged");
        match next.add_opts(el, false) {
            Ok(_) => self.staged = Some(next),
            Err(e) => self.fail(Exit::CommandFailed, format!("{loc}: xml: {e}")),
        }
    }

    /// Replaces the objects `ids` (everything when empty) by what `text`
    /// says; all or nothing.
    fn replace_objects(&mut self, ids: &[String], text: &str) -> bool {
        let before = self.staged.clone();
        let before_rc = self.rc;
        self.rc = Exit::Success;
        let mut next = self.staged.clone().expect("staged");
        let all: Vec<String> = if ids.is_empty() {
            show::objects(&next.conf)
                .into_iter()
                .map(|(k, _)| k)
                .collect()
        } else {
            ids.to_vec()
        };
        for id in &all {
            if let Err(e) = next.remove_for_replace(id) {
                self.fail(Exit::CommandFailed, e.to_string());
            }
        }
        self.staged = Some(next);
        self.replacing = true;
        for ll in load_order(lex::logical_lines(text, 1)) {
            self.run_line(&ll);
        }
        self.replacing = false;
        let ok = self.rc == Exit::Success;
        if !ok {
            self.staged = before;
        }
        self.rc = self.rc.worst(before_rc);
        ok
    }

    /// `edit [ID...]`: the objects in `$EDITOR`, re-read when saved; asks
    /// again while the text has errors.
    fn edit_objects(&mut self, ids: &[String]) {
        let Some(editor) = std::env::var_os("EDITOR").or_else(|| std::env::var_os("VISUAL")) else {
            return self.fail(
                Exit::CommandFailed,
                "edit: set EDITOR (or VISUAL) to the editor to use",
            );
        };
        let conf = self.staged.as_ref().expect("staged").conf.clone();
        let mut text = show::show_config(&conf, ids);
        let path = std::env::temp_dir().join(format!("crm-edit-{}.crm", std::process::id()));
        loop {
            if let Err(e) = std::fs::write(&path, &text) {
                return self.fail(Exit::CommandFailed, format!("edit: {e}"));
            }
            let st = std::process::Command::new("sh")
                .arg("-c")
                // like git: the variable is shell text, the file is "$1"
                .arg(format!("{} \"$1\"", editor.to_string_lossy()))
                .arg("sh")
                .arg(&path)
                .status();
            if !st.is_ok_and(|s| s.success()) {
                let _ = std::fs::remove_file(&path);
                return self.fail(
                    Exit::CommandFailed,
                    "edit: the editor failed; nothing changed",
                );
            }
            let edited = std::fs::read_to_string(&path).unwrap_or_default();
            if edited == text {
                break;
            }
            if self.replace_objects(ids, &edited) {
                break;
            }
            text = edited;
            if !std::io::IsTerminal::is_terminal(&std::io::stdin()) {
                break;
            }
            let _ = write!(self.err, "Edit again? [y/n] ");
            let mut answer = String::new();
            if std::io::stdin().read_line(&mut answer).is_err() || !answer.trim().starts_with('y') {
                break;
            }
        }
        let _ = std::fs::remove_file(&path);
    }

    /// `filter CMD [ID...]`: the objects through a shell command.
    fn filter_objects(&mut self, cmd: &str, ids: &[String]) {
        use std::io::Write as _;
        let conf = self.staged.as_ref().expect("staged").conf.clone();
        let text = show::show_config(&conf, ids);
        let child = std::process::Command::new("sh")
            .arg("-c")
            .arg(cmd)
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .spawn();
        let out = child.and_then(|mut c| {
            c.stdin.take().expect("piped").write_all(text.as_bytes())?;
            c.wait_with_output()
        });
        match out {
            Ok(o) if o.status.success() => {
                let edited = String::from_utf8_lossy(&o.stdout).into_owned();
                self.replace_objects(ids, &edited);
            }
            _ => self.fail(
                Exit::CommandFailed,
                format!("filter: `{cmd}` failed; nothing changed"),
            ),
        }
    }

    /// `simulate` / `ptest`: what the cluster would do with the staged
    /// configuration (the policy engine's Transition Summary).
    fn simulate(&mut self) {
        let mut cib = match self.store.load() {
            Ok(c) => c,
            Err(e) => return self.fail(Exit::CibUnavailable, format!("{e:#}")),
        };
        let staged = self.staged.clone().expect("staged");
        match cib.child_mut("configuration") {
            Some(c) => *c = staged.conf,
            None => cib.push(staged.conf),
        }
        match policy_engine::schedule(&cib, None) {
            Ok(t) => {
                let _ = writeln!(self.out, "Transition Summary:");
                for l in policy_engine::render::transition_summary(&t.summary) {
                    let _ = writeln!(self.out, "{l}");
                }
            }
            Err(e) => self.fail(Exit::CommandFailed, format!("simulate: {e}")),
        }
    }

    fn configure_show(&mut self, args: &[String]) {
        let conf = &self.staged.as_ref().expect("staged").conf;
        if args.first().is_some_and(|a| a == "xml") {
            let only = &args[1..];
            if only.is_empty() {
                // crmsh prints the whole CIB without its status section
                let mut cib = self.store.load().unwrap_or_else(|_| Element::new("cib"));
                cib.children.retain(|n| !matches!(n, cib::xml::Node::Element(e) if e.name == "status" || e.name == "configuration"));
                cib.children
                    .insert(0, cib::xml::Node::Element(conf.clone()));
                let _ = writeln!(self.out, "<?xml version=\"1.0\" ?>\n{}", cib.to_xml());
            } else {
                let staged = self.staged.clone().expect("staged");
                for id in only {
                    match staged.object(id) {
                        Some(e) => {
                            let _ = write!(self.out, "{}", e.to_xml());
                        }
                        None => {
                            self.fail(Exit::CommandFailed, format!("object {id} does not exist"))
                        }
                    }
                }
            }
            return;
        }
        let known: Vec<String> = show::objects(conf).into_iter().map(|(k, _)| k).collect();
        let missing: Vec<String> = args
            .iter()
            .filter(|a| !known.contains(a) && !a.starts_with("type:") && !a.starts_with("related:"))
            .cloned()
            .collect();
        let selected = show::select(conf, args);
        if !args.is_empty() && selected.is_empty() && missing.is_empty() {
            return;
        }
        let text = show::show_config(conf, &selected);
        let _ = write!(self.out, "{text}");
        for m in missing {
            self.fail(Exit::CommandFailed, format!("object {m} does not exist"));
        }
    }

    fn edit(&mut self, cmd: &str, args: &[String], loc: Loc) {
        let mut next = self.staged.clone().expect("staged");
        let res = match cmd {
            "delete" => {
                if args.is_empty() {
                    Err(config::EditError("usage: delete <id> [<id>...]".into()))
                } else {
                    let mut msgs = Vec::new();
                    let mut r = Ok(Vec::new());
                    if let Some(missing) = args.iter().find(|a| !next.exists(a)) {
                        r = Err(config::EditError(format!(
                            "object {missing} does not exist"
                        )));
                    }
                    // objects named together may go as a consequence of an
                    // earlier one (a clone with its last member)
                    for a in args.iter().filter(|_| r.is_ok()) {
                        if !next.exists(a) {
                            continue;
                        }
                        match next.delete(a) {
                            Ok(m) => msgs.extend(m),
                            Err(e) => {
                                r = Err(e);
                                break;
                            }
                        }
                    }
                    r.map(|_: Vec<String>| msgs)
                }
            }
            "rename" => match args {
                [a, b] => next.rename(a, b),
                _ => Err(config::EditError("usage: rename <old_id> <new_id>".into())),
            },
            "modgroup" => next.modgroup(args).map(|_| Vec::new()),
            _ => match args {
                [p, v] => next.set_path(p, v).map(|_| Vec::new()),
                _ => Err(config::EditError(
                    "usage: set <id>.<attribute> <value>".into(),
                )),
            },
        };
        match res {
            Ok(msgs) => {
                for m in msgs {
                    self.info(m);
                }
                self.staged = Some(next);
            }
            Err(e) => self.fail(Exit::CommandFailed, format!("{loc}: {cmd}: {e}")),
        }
    }

    /// `load update|replace FILE`: all lines of the file, or none.
    fn load(&mut self, args: &[String]) {
        let [mode, file] = args else {
            return self.fail(Exit::CommandFailed, "usage: load update|replace FILE");
        };
        if mode != "update" && mode != "replace" {
            return self.fail(
                Exit::CommandFailed,
                format!("load: unknown method {mode} (use update or replace)"),
            );
        }
        let text = match std::fs::read_to_string(file) {
            Ok(t) => t,
            Err(e) => return self.fail(Exit::CommandFailed, format!("load {file}: {e}")),
        };
        let before = self.staged.clone();
        let before_rc = self.rc;
        self.rc = Exit::Success;
        if mode == "replace" {
            let mut next = self.staged.clone().expect("staged");
            next.erase(false);
            self.staged = Some(next);
        }
        self.updating = mode == "update";
        for ll in load_order(lex::logical_lines(&text, 1)) {
            self.run_line(&ll);
        }
        self.updating = false;
        if self.rc != Exit::Success {
            let _ = writeln!(
                self.err,
                "ERROR: load {file}: errors above; nothing of the file was staged"
            );
            self.staged = before;
        }
        self.rc = self.rc.worst(before_rc);
    }

    /// Asks a yes/no question when a person is at the terminal (crmsh asks
    /// before committing a configuration verification complains about);
    /// `false` otherwise.
    fn ask(&mut self, question: &str) -> bool {
        use std::io::IsTerminal;
        if !std::io::stdin().is_terminal() {
            return false;
        }
        let _ = write!(self.err, "{question}");
        let _ = self.err.flush();
        let mut answer = String::new();
        std::io::stdin().read_line(&mut answer).is_ok() && answer.trim().eq_ignore_ascii_case("y")
    }

    /// Checks and writes the staged configuration. Nothing is written
    /// unless every check passes.
    fn commit(&mut self, force_word: bool) {
        let staged = self.staged.clone().expect("staged");
        if Some(&staged) == self.base.as_ref() {
            self.info("apparently there is nothing to commit");
            self.info("try changing something first");
            return;
        }
        let errs = staged.check();
        if !errs.is_empty() {
            for e in &errs {
                self.fail(Exit::CommandFailed, e);
            }
            self.fail(
                Exit::CommandFailed,
                "commit: the configuration is not valid; nothing was committed",
            );
            self.refused = Some(staged);
            return;
        }
        let mut verrs = verify_errors(&staged);
        for w in verify_warnings(&staged) {
            self.warn(w);
        }
        // the cib crate's validation of the whole candidate CIB: its errors
        // are what Pacemaker would refuse or ignore (bad roles, bad
        // property values), so they block a commit unless forced
        if let Ok(mut cand) = self.store.load() {
            match cand.child_mut("configuration") {
                Some(c) => *c = staged.conf.clone(),
                None => cand.push(staged.conf.clone()),
            }
            // re-read the text that would be written, so problems carry
            // the line and column they will have in the CIB file
            let model = cib::model::Cib::parse(&cand.to_xml())
                .unwrap_or_else(|_| cib::model::Cib::from_element(&cand));
            for p in cib::validate::validate(&model) {
                if !p.path.starts_with("/cib/configuration") {
                    continue;
                }
                let text = format!("{}: {}", p.path, p.message);
                match p.severity {
                    cib::validate::Severity::Error => verrs.push(text),
                    _ => self.warn(text),
                }
            }
        }
        if !verrs.is_empty() {
            for e in &verrs {
                let _ = writeln!(self.err, "ERROR: {e}");
            }
            let asked =
                !self.opts.force && !force_word && self.ask("Do you still want to commit (y/n)? ");
            if self.opts.force || force_word || asked {
                self.info("commit forced");
            } else {
                self.fail(
                    Exit::CommandFailed,
                    "commit refused: verification found errors (use `commit force` or crm -F to commit anyway)",
                );
                self.refused = Some(staged);
                return;
            }
        }
        match self.write_config(&staged) {
            Ok(()) => {
                self.base = Some(staged);
            }
            Err(e) => {
                // a conflict is a refused command; anything else is I/O
                let conflict = format!("{e:#}").contains("changed since this session");
                let rc = if conflict {
                    Exit::CommandFailed
                } else {
                    Exit::CibUnavailable
                };
                self.fail(rc, format!("commit: {e:#}"))
            }
        }
    }

    /// Replaces the configuration in the CIB, bumping `epoch`; refuses when
    /// somebody else changed the configuration since we read it.
    fn write_config(&mut self, staged: &Config) -> anyhow::Result<()> {
        let base = self.base.clone();
        self.store.update(&mut |cib| {
            let current = cib
                .child("configuration")
                .cloned()
                .unwrap_or_else(|| Element::new("configuration"));
            if let Some(base) = &base {
                if current.canonical() != base.conf.canonical() {
                    anyhow::bail!(
                        "the CIB changed since this session read it; run `refresh` and redo the changes"
                    );
                }
            }
            match cib.child_mut("configuration") {
                Some(c) => *c = staged.conf.clone(),
                None => cib.push(staged.conf.clone()),
            }
            bump_epoch(cib);
            Ok(())
        })
    }

    fn status(&mut self) {
        match self.store.load() {
            Ok(cib) => {
                let _ = write!(self.out, "{}", crate::status::render(&cib));
            }
            Err(e) => self.fail(Exit::CibUnavailable, format!("{e:#}")),
        }
    }

    /// Applies `f` to the CIB and writes it back; `config_change` decides
    /// which version counter moves.
    fn modify_cib(
        &mut self,
        config_change: bool,
        f: &mut dyn FnMut(&mut Element) -> Result<Vec<String>, String>,
    ) {
        let mut msgs = Vec::new();
        let mut refused: Option<String> = None;
        let res = self.store.update(&mut |cib| match f(cib) {
            Ok(m) => {
                msgs = m;
                if config_change {
                    bump_epoch(cib);
                } else {
                    let n: u64 = cib
                        .attr("num_updates")
                        .and_then(|v| v.parse().ok())
                        .unwrap_or(0);
                    cib.set_attr("num_updates", (n + 1).to_string());
                }
                Ok(())
            }
            Err(e) => {
                refused = Some(e);
                anyhow::bail!("refused")
            }
        });
        if let Some(e) = refused {
            return self.fail(Exit::CommandFailed, e);
        }
        if let Err(e) = res {
            return self.fail(Exit::CibUnavailable, format!("{e:#}"));
        }
        for m in msgs.into_iter().filter(|m| !m.is_empty()) {
            self.info(m);
        }
        self.base = None;
        self.staged = None;
        if self.level == Level::Configure {
            self.load_base();
        }
    }

    fn node_command(&mut self, args: &[String]) {
        let out_text = crate::commands::node(args);
        match out_text {
            Err(e) => self.fail(Exit::CommandFailed, e),
            Ok(crate::commands::Action::Config(mut f)) => self.modify_cib(true, &mut *f),
            Ok(crate::commands::Action::Status(mut f)) => self.modify_cib(false, &mut *f),
            Ok(crate::commands::Action::Print(mut f)) => match self.store.load() {
                Ok(cib) => match f(&cib) {
                    Ok(s) => {
                        let _ = write!(self.out, "{s}");
                    }
                    Err(e) => self.fail(Exit::CommandFailed, e),
                },
                Err(e) => self.fail(Exit::CibUnavailable, format!("{e:#}")),
            },
        }
    }

    fn resource_command(&mut self, args: &[String]) {
        match crate::commands::resource(args) {
            Err(e) => self.fail(Exit::CommandFailed, e),
            Ok(crate::commands::Action::Config(mut f)) => self.modify_cib(true, &mut *f),
            Ok(crate::commands::Action::Status(mut f)) => self.modify_cib(false, &mut *f),
            Ok(crate::commands::Action::Print(mut f)) => match self.store.load() {
                Ok(cib) => match f(&cib) {
                    Ok(s) => {
                        let _ = write!(self.out, "{s}");
                    }
                    Err(e) => self.fail(Exit::CommandFailed, e),
                },
                Err(e) => self.fail(Exit::CibUnavailable, format!("{e:#}")),
            },
        }
    }
}

/// The order in which the lines of a loaded file are applied. A file that
/// only defines objects may define them in any order (a group before its
/// primitives), as crmsh allows: primitives, templates and nodes first, then
/// groups, then clones and bundles, then everything else, each in file
/// order. A file with edit commands (`delete`, `rename`, ...) runs as
/// written.
fn load_order(lines: Vec<LogicalLine>) -> Vec<LogicalLine> {
    let word = |l: &LogicalLine| {
        let w = l
            .text
            .split_whitespace()
            .next()
            .unwrap_or("")
            .to_ascii_lowercase();
        fuzzy_command(&w).and_then(parse::canonical_command)
    };
    let blank = |l: &LogicalLine| {
        let t = l.text.trim_start();
        t.is_empty() || t.starts_with('#')
    };
    let only_objects = lines
        .iter()
        .all(|l| blank(l) || word(l).is_some_and(|w| w != "monitor"));
    if !only_objects {
        return lines;
    }
    let bucket = |l: &LogicalLine| match word(l) {
        Some("primitive" | "rsc_template" | "node") => 0,
        Some("group") => 1,
        Some("clone" | "ms" | "bundle") => 2,
        _ => 3,
    };
    let mut lines = lines;
    lines.sort_by_key(|l| bucket(l));
    lines
}

/// Raises `epoch` by one and resets `num_updates`, as Pacemaker does for a
/// configuration change.
pub fn bump_epoch(cib: &mut Element) {
    let epoch: u64 = cib.attr("epoch").and_then(|v| v.parse().ok()).unwrap_or(0);
    cib.set_attr("epoch", (epoch + 1).to_string());
    cib.set_attr("num_updates", "0");
}

fn stonith_enabled(conf: &Element) -> bool {
    let mut enabled = true;
    if let Some(c) = conf.child("crm_config") {
        for s in c.elements() {
            for nv in s.elements().filter(|n| n.name == "nvpair") {
                if matches!(
                    nv.attr("name"),
                    Some("stonith-enabled") | Some("fencing-enabled")
                ) {
                    enabled = !matches!(
                        nv.attr("value").map(|v| v.to_ascii_lowercase()).as_deref(),
                        Some("false" | "no" | "off" | "0" | "n")
                    );
                }
            }
        }
    }
    enabled
}

/// What Pacemaker's verification would call an error (the cluster would
/// not start resources): commit refuses these unless forced.
pub fn verify_errors(c: &Config) -> Vec<String> {
    let mut out = Vec::new();
    let conf = &c.conf;
    let mut prims = Vec::new();
    fn collect<'e>(e: &'e Element, v: &mut Vec<&'e Element>) {
        if e.name == "primitive" {
            v.push(e);
        }
        for c in e.elements() {
            collect(c, v);
        }
    }
    if let Some(r) = conf.child("resources") {
        collect(r, &mut prims);
    }
    if prims.is_empty() {
        return out;
    }
    let has_stonith = prims.iter().any(|p| p.attr("class") == Some("stonith"));
    if !has_stonith && stonith_enabled(conf) {
        out.push("Resource start-up disabled since no STONITH resources have been defined".into());
        out.push("Either configure some or disable STONITH with the stonith-enabled option".into());
    }
    for p in prims {
        out.extend(crate::agents::check_params(p));
    }
    out
}

/// Things worth saying that do not block a commit.
pub fn verify_warnings(c: &Config) -> Vec<String> {
    let mut out = Vec::new();
    let nodes: Vec<String> = parse::Lookup::node_ids(c);
    if let Some(cons) = c.conf.child("constraints") {
        for l in cons.elements().filter(|l| l.name == "rsc_location") {
            if let Some(n) = l.attr("node") {
                if !nodes.iter().any(|x| x == n) {
                    out.push(format!(
                        "{}: referenced node {n} does not exist",
                        l.attr("id").unwrap_or("")
                    ));
                }
            }
        }
    }
    out
}
