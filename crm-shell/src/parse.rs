//! The crmsh 4.4 `configure` language: one command's tokens → one CIB
//! element.
//!
//! The grammar follows crmsh's `parse.py` (documented in `crm configure help
//! <cmd>`). Each parser returns an [`Element`] that is not yet placed in the
//! configuration and whose generated ids are not yet assigned; see
//! [`crate::config`] for placement and [`crate::ids`] for ids. Children that
//! name existing resources (group members, the clone child, a bundle's
//! primitive) are returned as `<crmsh-ref id=".."/>` placeholders, as crmsh
//! does, and resolved when the object is placed.

use cib::xml::Element;

use crate::lex::{Loc, Token};

/// A syntax error in one command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    /// Where the offending token starts (or the end of the command).
    pub loc: Loc,
    /// The command word (`primitive`, `colocation`, ...).
    pub context: String,
    /// What was wrong / expected.
    pub msg: String,
    /// The token the error points at, if any.
    pub near: Option<String>,
}

impl std::fmt::Display for ParseError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: syntax in {}: {}", self.loc, self.context, self.msg)?;
        if let Some(n) = &self.near {
            write!(f, " near <{n}>")?;
        }
        Ok(())
    }
}

/// Words that end a list of name=value pairs.
const TERMINATORS: &[&str] = &[
    "params",
    "meta",
    "utilization",
    "operations",
    "op",
    "op_params",
    "op_meta",
    "rule",
    "attributes",
];

/// Attributes an `<op>` element may carry (pacemaker-3.x schema); anything
/// else typed after `op NAME` becomes an instance attribute of the op.
pub const OP_ATTRIBUTES: &[&str] = &[
    "id",
    "name",
    "interval",
    "description",
    "start-delay",
    "interval-origin",
    "timeout",
    "enabled",
    "record-pending",
    "role",
    "requires",
    "on-fail",
];

/// Resource roles accepted in constraints (canonical spelling).
pub const ROLES: &[&str] = &[
    "Stopped",
    "Started",
    "Slave",
    "Master",
    "Unpromoted",
    "Promoted",
];
/// Resource actions accepted in order constraints.
pub const ACTIONS: &[&str] = &["start", "promote", "demote", "stop"];
/// Order kinds.
pub const KINDS: &[&str] = &["Optional", "Mandatory", "Serialize"];
const BINARY_OPS: &[&str] = &["lt", "gt", "lte", "gte", "eq", "ne"];
const EXPR_TYPES: &[&str] = &["string", "integer", "number", "version"];
const DATE_SPEC_NAMES: &[&str] = &[
    "hours",
    "monthdays",
    "weekdays",
    "yearsdays",
    "yeardays",
    "months",
    "weeks",
    "years",
    "weekyears",
    "moon",
    "minutes",
    "seconds",
];
/// Resource agent classes Pacemaker knows.
pub const RA_CLASSES: &[&str] = &[
    "ocf",
    "lsb",
    "service",
    "systemd",
    "stonith",
    "heartbeat",
    "upstart",
    "nagios",
];

/// Every command word of the configure language that creates an object,
/// with the canonical command it stands for.
pub fn canonical_command(word: &str) -> Option<&'static str> {
    Some(match word {
        "primitive" => "primitive",
        "rsc_template" => "rsc_template",
        "group" => "group",
        "clone" => "clone",
        "ms" | "master" => "ms",
        "bundle" => "bundle",
        "location" => "location",
        "colocation" | "collocation" => "colocation",
        "order" => "order",
        "rsc_ticket" => "rsc_ticket",
        "property" => "property",
        "rsc_defaults" => "rsc_defaults",
        "op_defaults" => "op_defaults",
        "node" => "node",
        "tag" => "tag",
        "fencing_topology" | "fencing-topology" => "fencing_topology",
        "alert" => "alert",
        "role" => "role",
        "user" => "user",
        "acl_target" => "acl_target",
        "acl_group" => "acl_group",
        "monitor" => "monitor",
        _ => return None,
    })
}

/// Context the parser needs from the configuration being edited: id-refs
/// are resolved against it and `fencing_topology` without targets expands to
/// its nodes.
pub trait Lookup {
    /// Resolves `$id-ref=X` for an element of type `tag`: X itself when it
    /// names such an element, else the first `tag` element inside X.
    fn resolve_id_ref(&self, tag: &str, id: &str) -> String;
    /// Node names (ids), in configuration order.
    fn node_ids(&self) -> Vec<String>;
}

/// Parses one command (its first token is the command word, already
/// canonical). `end` is the location just past the command, for errors at
/// the end of a line.
pub fn parse_command(
    cmd: &str,
    toks: &[Token],
    end: Loc,
    look: &dyn Lookup,
) -> Result<Element, ParseError> {
    let mut p = Parser {
        toks,
        pos: 1,
        ctx: cmd.to_string(),
        end,
        look,
    };
    let out = match cmd {
        "primitive" | "rsc_template" => p.primitive(cmd)?,
        "group" => p.group()?,
        "clone" | "ms" => p.clone_or_ms(cmd)?,
        "bundle" => p.bundle()?,
        "location" => p.location()?,
        "colocation" => p.colocation()?,
        "order" => p.order()?,
        "rsc_ticket" => p.rsc_ticket()?,
        "property" | "rsc_defaults" | "op_defaults" => p.property(cmd)?,
        "node" => p.node()?,
        "tag" => p.tag()?,
        "fencing_topology" => p.fencing()?,
        "alert" => p.alert()?,
        "role" => p.role()?,
        "user" => p.user()?,
        "acl_target" | "acl_group" => p.acl_target(cmd)?,
        "monitor" => p.monitor()?,
        other => return Err(p.err_at(0, &format!("Unknown command {other}"))),
    };
    if p.has() {
        let rest: Vec<&str> = p.toks[p.pos..].iter().map(|t| t.text.as_str()).collect();
        return Err(p.err(&format!("Unknown arguments: {}", rest.join(" "))));
    }
    Ok(out)
}

struct Parser<'a> {
    toks: &'a [Token],
    pos: usize,
    ctx: String,
    end: Loc,
    look: &'a dyn Lookup,
}

/// One `name=value`-like token, classified as crmsh does.
enum Nv {
    /// `@id` or `@id:name`: a reference to another nvpair.
    Ref { id: String, name: Option<String> },
    /// `$id:name=value` or `$id=value`.
    WithId {
        id: String,
        name: Option<String>,
        value: String,
    },
    /// `name=value`.
    Pair { name: String, value: String },
    /// A bare `name` (no value attribute).
    Key(String),
}

fn classify_nv(t: &str) -> Option<Nv> {
    if let Some(rest) = t.strip_prefix('@') {
        if rest.is_empty() || rest.starts_with(':') {
            return None;
        }
        return Some(match rest.split_once(':') {
            Some((id, name)) if !name.is_empty() => Nv::Ref {
                id: id.into(),
                name: Some(name.into()),
            },
            _ => Nv::Ref {
                id: rest.into(),
                name: None,
            },
        });
    }
    if let Some(rest) = t.strip_prefix('$') {
        let cut = rest.find([':', '='])?;
        if cut == 0 {
            return None;
        }
        let id = &rest[..cut];
        if rest[cut..].starts_with(':') {
            let after = &rest[cut + 1..];
            let eq = after.rfind('=')?;
            if eq == 0 {
                return None;
            }
            return Some(Nv::WithId {
                id: id.into(),
                name: Some(after[..eq].into()),
                value: after[eq + 1..].into(),
            });
        }
        return Some(Nv::WithId {
            id: id.into(),
            name: None,
            value: rest[cut + 1..].into(),
        });
    }
    if let Some((name, value)) = t.split_once('=') {
        if name.is_empty() {
            return None;
        }
        return Some(Nv::Pair {
            name: name.into(),
            value: value.into(),
        });
    }
    if !t.is_empty() && !t.contains(':') {
        return Some(Nv::Key(t.into()));
    }
    None
}

fn nvpair(name: &str, value: &str) -> Element {
    Element::new("nvpair")
        .with_attr("name", name)
        .with_attr("value", value)
}

/// `([^:]+):$` — a score, ticket or set name followed by a colon.
fn score_token(t: &str) -> Option<&str> {
    let s = t.strip_suffix(':')?;
    if s.is_empty() || s.contains(':') {
        None
    } else {
        Some(s)
    }
}

fn is_numeric_score(s: &str) -> bool {
    let body = s.strip_prefix(['+', '-']).unwrap_or(s);
    matches!(body, "inf" | "infinity" | "INF" | "INFINITY")
        || (!body.is_empty() && body.chars().all(|c| c.is_ascii_digit()))
}

fn normalise_score(s: &str) -> String {
    let (sign, body) = match s.chars().next() {
        Some(c @ ('+' | '-')) => (c.to_string(), &s[1..]),
        _ => (String::new(), s),
    };
    if matches!(body, "inf" | "infinity" | "INF" | "INFINITY") {
        format!("{sign}INFINITY")
    } else {
        s.to_string()
    }
}

/// crmsh's `validate_score`: (attribute name, value) for a score token.
pub fn score_attr(s: &str) -> (&'static str, String) {
    match s.to_ascii_lowercase().as_str() {
        "mandatory" => return ("score", "INFINITY".into()),
        "advisory" => return ("score", "0".into()),
        _ => {}
    }
    if is_numeric_score(s) {
        ("score", normalise_score(s))
    } else {
        ("score-attribute", s.to_string())
    }
}

fn canon<'b>(v: &str, list: &[&'b str]) -> Option<&'b str> {
    list.iter().copied().find(|x| x.eq_ignore_ascii_case(v))
}

/// `[a-z0-9_#$-][^=]*` (case-insensitive).
fn is_identifier(t: &str) -> bool {
    match t.chars().next() {
        Some(c) if c.is_ascii_alphanumeric() || matches!(c, '_' | '#' | '$' | '-') => {
            !t.contains('=')
        }
        _ => false,
    }
}

impl<'a> Parser<'a> {
    fn has(&self) -> bool {
        self.pos < self.toks.len()
    }
    fn cur(&self) -> Option<&'a str> {
        self.toks.get(self.pos).map(|t| t.text.as_str())
    }
    fn cur_lower(&self) -> Option<String> {
        self.cur().map(|s| s.to_ascii_lowercase())
    }
    fn err_at(&self, i: usize, msg: &str) -> ParseError {
        let (loc, near) = match self.toks.get(i) {
            Some(t) => (t.loc, Some(t.text.clone())),
            None => (self.end, None),
        };
        ParseError {
            loc,
            context: self.ctx.clone(),
            msg: msg.to_string(),
            near,
        }
    }
    fn err(&self, msg: &str) -> ParseError {
        self.err_at(self.pos, msg)
    }
    fn any(&mut self, what: &str) -> Result<String, ParseError> {
        match self.cur() {
            Some(t) => {
                self.pos += 1;
                Ok(t.to_string())
            }
            None => Err(self.err(&format!("Expected {what}"))),
        }
    }
    fn try_word(&mut self, w: &str) -> bool {
        if self.cur().is_some_and(|t| t.eq_ignore_ascii_case(w)) {
            self.pos += 1;
            true
        } else {
            false
        }
    }
    fn expect_word(&mut self, w: &str) -> Result<(), ParseError> {
        if self.try_word(w) {
            Ok(())
        } else {
            Err(self.err(&format!("Expected {w}")))
        }
    }
    fn min_args(&self, n: usize) -> Result<(), ParseError> {
        if self.toks.len() < n + 1 {
            Err(self.err_at(0, &format!("Expected at least {n} arguments")))
        } else {
            Ok(())
        }
    }
    fn identifier(&mut self) -> Result<String, ParseError> {
        match self.cur() {
            Some(t) if is_identifier(t) => {
                self.pos += 1;
                Ok(t.to_string())
            }
            // `primitive id=foo ...` (crmsh's bundle examples use it)
            Some(t) if t.starts_with("id=") && t.len() > 3 => {
                self.pos += 1;
                Ok(t[3..].to_string())
            }
            _ => Err(self.err("Expected identifier")),
        }
    }
    fn resource(&mut self) -> Result<String, ParseError> {
        match self.cur() {
            Some(t)
                if t.chars()
                    .next()
                    .is_some_and(|c| c.is_ascii_alphabetic() || matches!(c, '_' | '#' | '$'))
                    && !t.contains('=') =>
            {
                self.pos += 1;
                Ok(t.to_string())
            }
            _ => Err(self.err("Expected resource")),
        }
    }

    /// `$id=X` or `$id-ref=X`: (is_ref, value).
    fn try_idspec(&mut self) -> Option<(bool, String)> {
        let t = self.cur()?;
        let (key, val) = t.split_once('=')?;
        let r = match key.to_ascii_lowercase().as_str() {
            "$id" => (false, val.to_string()),
            "$id-ref" => (true, val.to_string()),
            _ => return None,
        };
        self.pos += 1;
        Some(r)
    }

    fn try_description(&mut self) -> Option<String> {
        let t = self.cur()?;
        if t.len() > 12 && t[..12].eq_ignore_ascii_case("description=") {
            self.pos += 1;
            Some(t[12..].to_string())
        } else {
            None
        }
    }

    fn nvpairs(
        &mut self,
        terminators: &[&str],
        minpairs: usize,
    ) -> Result<Vec<Element>, ParseError> {
        let mut out = Vec::new();
        while let Some(t) = self.cur() {
            if terminators.iter().any(|x| x.eq_ignore_ascii_case(t)) {
                break;
            }
            let Some(nv) = classify_nv(t) else { break };
            let e = match nv {
                Nv::Ref { id, name } => {
                    let mut e = Element::new("nvpair").with_attr("id-ref", id);
                    if let Some(n) = name {
                        e.set_attr("name", n);
                    }
                    e
                }
                Nv::WithId { id, name, value } => {
                    let mut e = Element::new("nvpair").with_attr("id", id);
                    if let Some(n) = name {
                        e.set_attr("name", n);
                    }
                    e.with_attr("value", value)
                }
                Nv::Pair { name, value } => nvpair(&name, &value),
                Nv::Key(name) => {
                    if terminators.is_empty() {
                        break;
                    }
                    Element::new("nvpair").with_attr("name", name)
                }
            };
            self.pos += 1;
            out.push(e);
        }
        if out.len() < minpairs {
            return Err(self.err("Expected at least one name-value pair"));
        }
        Ok(out)
    }

    fn nvpairs_bykey(
        &mut self,
        keys: &[&str],
        minpairs: usize,
    ) -> Result<Vec<(String, String)>, ParseError> {
        let mut out = Vec::new();
        while let Some(t) = self.cur() {
            let (k, v) = t.split_once('=').unwrap_or((t, ""));
            if !keys.contains(&k) || (!t.contains('=') && !keys.contains(&t)) {
                break;
            }
            if v.is_empty() && t.contains('=') {
                break;
            }
            out.push((k.to_string(), v.to_string()));
            self.pos += 1;
        }
        if out.len() < minpairs {
            return Err(self.err(&format!("Expected at least {minpairs} name-value pairs")));
        }
        Ok(out)
    }

    /// `rule [$id=..|$id-ref=..] [$role=..] [score:] expression`, repeated.
    fn rules(&mut self) -> Result<Vec<Element>, ParseError> {
        let mut rules = Vec::new();
        while self.try_word("rule") {
            let mut rule = Element::new("rule");
            let mut idref = false;
            if let Some((is_ref, v)) = self.try_idspec() {
                if is_ref {
                    rule.set_attr("id-ref", self.look.resolve_id_ref("rule", &v));
                    idref = true;
                } else {
                    rule.set_attr("id", v);
                }
            }
            if let Some(t) = self.cur() {
                let l = t.to_ascii_lowercase();
                if let Some(r) = l.strip_prefix("$role=").or_else(|| l.strip_prefix("role=")) {
                    if !r.is_empty() {
                        let v = t[t.len() - r.len()..].to_string();
                        rule.set_attr("role", v);
                        self.pos += 1;
                    }
                }
            }
            if idref {
                rules.push(rule);
                continue;
            }
            if let Some(s) = self.cur().and_then(score_token) {
                let (k, v) = score_attr(s);
                self.pos += 1;
                rule.set_attr(k, v);
            } else {
                rule.set_attr("score", "INFINITY");
            }
            let (boolop, exprs) = self.rule_expression()?;
            if let Some(b) = boolop {
                if !b.eq_ignore_ascii_case("and") {
                    rule.set_attr("boolean-op", b);
                }
            }
            for e in exprs {
                rule.push(e);
            }
            rules.push(rule);
        }
        Ok(rules)
    }

    fn rule_expression(&mut self) -> Result<(Option<String>, Vec<Element>), ParseError> {
        let mut boolop: Option<String> = None;
        let mut exprs = vec![self.simple_exp()?];
        while let Some(t) = self.cur_lower() {
            if t != "and" && t != "or" {
                break;
            }
            if let Some(b) = &boolop {
                if *b != t {
                    return Err(self.err(&format!("Mixing bool ops not allowed: {b} != {t}")));
                }
            }
            self.pos += 1;
            boolop = Some(t);
            exprs.push(self.simple_exp()?);
        }
        Ok((boolop, exprs))
    }

    fn simple_exp(&mut self) -> Result<Element, ParseError> {
        if self.try_word("date") {
            return self.date_exp();
        }
        if let Some(t) = self.cur_lower() {
            if t == "defined" || t == "not_defined" {
                self.pos += 1;
                let attr = self.identifier()?;
                return Ok(Element::new("expression")
                    .with_attr("operation", t)
                    .with_attr("attribute", attr));
            }
        }
        let attr = self
            .identifier()
            .map_err(|_| self.err("Expected <attribute> <op> <value>, defined/not_defined <attribute> or date <expression>"))?;
        let op = self.cur().unwrap_or("");
        let (typ, binop) = match op.split_once(':') {
            Some((ty, b)) => (canon(ty, EXPR_TYPES), canon(b, BINARY_OPS)),
            None => (None, canon(op, BINARY_OPS)),
        };
        let bad_type = op.contains(':') && typ.is_none();
        let Some(binop) = binop.filter(|_| !bad_type) else {
            return Err(self.err(&format!(
                "Expected [{}:]{}",
                EXPR_TYPES.join("|"),
                BINARY_OPS.join("|")
            )));
        };
        self.pos += 1;
        let mut node = Element::new("expression")
            .with_attr("operation", binop)
            .with_attr("attribute", attr);
        if let Some(t) = typ {
            node.set_attr("type", t);
        }
        let val = self.any("value")?;
        node.set_attr("value", val);
        Ok(node)
    }

    fn date_exp(&mut self) -> Result<Element, ParseError> {
        let op = self.cur_lower().unwrap_or_default();
        let mut node = Element::new("date_expression");
        match op.as_str() {
            "lt" | "gt" => {
                self.pos += 1;
                node.set_attr("operation", op.as_str());
                let v = self.any("date")?;
                node.set_attr(if op == "lt" { "end" } else { "start" }, v);
                Ok(node)
            }
            "in" | "in_range" => {
                self.pos += 1;
                node.set_attr("operation", "in_range");
                let mut keys = vec!["start", "end"];
                keys.extend_from_slice(DATE_SPEC_NAMES);
                let vals = self.nvpairs_bykey(&keys, 2)?;
                let mut dur = Element::new("duration");
                for (k, v) in vals {
                    if k == "start" || k == "end" {
                        node.set_attr(&k, v);
                    } else {
                        dur.set_attr(&k, v);
                    }
                }
                if !dur.attrs.is_empty() {
                    node.push(dur);
                }
                Ok(node)
            }
            "spec" | "date_spec" => {
                self.pos += 1;
                node.set_attr("operation", "date_spec");
                let vals = self.nvpairs_bykey(DATE_SPEC_NAMES, 1)?;
                let mut spec = Element::new("date_spec");
                for (k, v) in vals {
                    spec.set_attr(&k, v);
                }
                node.push(spec);
                Ok(node)
            }
            _ => Err(self.err("Expected lt|gt|in|in_range|spec|date_spec")),
        }
    }

    /// `[$id=X|$id-ref=X] [score:] [rule ...] n=v ...` → a set element.
    fn attr_list(
        &mut self,
        tag: &str,
        allow_empty: bool,
        terminators: &[&str],
    ) -> Result<Option<Element>, ParseError> {
        let mut el = Element::new(tag);
        if let Some((is_ref, v)) = self.try_idspec() {
            if is_ref {
                el.set_attr("id-ref", self.look.resolve_id_ref(tag, &v));
                return Ok(Some(el));
            }
            el.set_attr("id", v);
        }
        let mut score = None;
        if let Some(s) = self.cur().and_then(score_token) {
            score = Some(s.to_string());
            self.pos += 1;
        }
        let rules = self.rules()?;
        let values = self.nvpairs(terminators, 0)?;
        if !allow_empty
            && el.attrs.is_empty()
            && score.is_none()
            && rules.is_empty()
            && values.is_empty()
        {
            return Ok(None);
        }
        if let Some(s) = score {
            el.set_attr("score", s);
        }
        for r in rules {
            el.push(r);
        }
        for v in values {
            el.push(v);
        }
        Ok(Some(el))
    }

    /// crmsh's `match_arguments`: attribute lists named by `names` (CLI
    /// name → element), `op`/`operations` when `ops`, an implicit initial
    /// list when the first token names none.
    fn arguments(
        &mut self,
        out: &mut Element,
        names: &[(&str, &str)],
        ops: bool,
        implicit: Option<&str>,
        terminators: &[&str],
    ) -> Result<(), ParseError> {
        let mut initial = true;
        while let Some(t) = self.cur_lower() {
            let named = names.iter().find(|(n, _)| *n == t);
            if ops && (t == "op" || t == "operations") {
                initial = false;
                self.operations(out, t == "operations")?;
            } else if let Some((_, tag)) = named {
                initial = false;
                self.pos += 1;
                if let Some(set) = self.attr_list(tag, true, terminators)? {
                    out.push(set);
                }
            } else if initial {
                initial = false;
                if let Some(imp) = implicit {
                    let tag = names
                        .iter()
                        .find(|(n, _)| *n == imp)
                        .map(|x| x.1)
                        .unwrap_or(imp);
                    if let Some(set) = self.attr_list(tag, false, terminators)? {
                        out.push(set);
                    }
                }
            } else {
                break;
            }
        }
        Ok(())
    }

    fn operations(&mut self, out: &mut Element, with_id: bool) -> Result<(), ParseError> {
        if with_id {
            self.expect_word("operations")?;
        }
        let idx = match out
            .children
            .iter()
            .position(|n| matches!(n, cib::xml::Node::Element(e) if e.name == "operations"))
        {
            Some(i) => i,
            None => {
                out.push(Element::new("operations"));
                out.children.len() - 1
            }
        };
        let mut ops = match &out.children[idx] {
            cib::xml::Node::Element(e) => e.clone(),
            _ => unreachable!("found above"),
        };
        if with_id {
            let Some((is_ref, v)) = self.try_idspec() else {
                return Err(self.err("Expected $id-ref=<id> or $id=<id>"));
            };
            if is_ref {
                ops.set_attr("id-ref", self.look.resolve_id_ref("operations", &v));
            } else {
                ops.set_attr("id", v);
            }
        }
        while self.cur_lower().as_deref() == Some("op") {
            let op = self.op()?;
            ops.push(op);
        }
        out.children[idx] = cib::xml::Node::Element(ops);
        Ok(())
    }

    fn op(&mut self) -> Result<Element, ParseError> {
        self.expect_word("op")?;
        let name = self.identifier()?;
        let mut attrs = self.nvpairs(TERMINATORS, 0)?;
        let mut node = Element::new("op").with_attr("name", name);
        if !attrs.iter().any(|n| n.attr("name") == Some("interval")) {
            attrs.push(nvpair("interval", "0"));
        }
        let mut inst: Option<Element> = None;
        for nv in attrs {
            let n = nv.attr("name").unwrap_or("").to_string();
            if OP_ATTRIBUTES.contains(&n.as_str()) && nv.attr("id-ref").is_none() {
                if inst.is_some() {
                    return Err(self.err(&format!(
                        "Attribute order error: {n} must appear before any instance attribute"
                    )));
                }
                node.set_attr(&n, nv.attr("value").unwrap_or(""));
            } else {
                inst.get_or_insert_with(|| Element::new("instance_attributes"))
                    .push(nv);
            }
        }
        if let Some(i) = inst {
            node.push(i);
        }
        self.arguments(
            &mut node,
            &[
                ("op_params", "instance_attributes"),
                ("op_meta", "meta_attributes"),
            ],
            false,
            Some("op_params"),
            TERMINATORS,
        )?;
        Ok(node)
    }

    fn ra_type(&mut self, out: &mut Element) -> Result<(), ParseError> {
        let Some(t) = self.cur() else {
            return Err(self.err("Expected resource type"));
        };
        let ok = !t.is_empty()
            && t.chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | ':' | '-' | '.'));
        let parts: Vec<&str> = t.split(':').collect();
        if !ok || parts.iter().any(|p| p.is_empty()) || parts.len() > 3 {
            return Err(self.err("Unknown resource type"));
        }
        match parts.as_slice() {
            [ty] => {
                out.set_attr("class", "ocf");
                out.set_attr("provider", "heartbeat");
                out.set_attr("type", *ty);
            }
            [c, ty] => {
                out.set_attr("class", *c);
                if *c == "ocf" {
                    out.set_attr("provider", "heartbeat");
                }
                out.set_attr("type", *ty);
            }
            [c, p, ty] => {
                out.set_attr("class", *c);
                out.set_attr("provider", *p);
                out.set_attr("type", *ty);
            }
            _ => unreachable!("checked length"),
        }
        self.pos += 1;
        Ok(())
    }

    fn primitive(&mut self, cmd: &str) -> Result<Element, ParseError> {
        self.min_args(2)?;
        let mut out = Element::new(if cmd == "primitive" {
            "primitive"
        } else {
            "template"
        });
        out.set_attr("id", self.identifier()?);
        match self.cur() {
            Some(t) if cmd == "primitive" && t.starts_with('@') && t.len() > 1 => {
                out.set_attr("template", &t[1..]);
                self.pos += 1;
            }
            _ => self.ra_type(&mut out)?,
        }
        if let Some(d) = self.try_description() {
            out.set_attr("description", d);
        }
        self.arguments(
            &mut out,
            &[
                ("params", "instance_attributes"),
                ("meta", "meta_attributes"),
                ("utilization", "utilization"),
            ],
            true,
            Some("params"),
            TERMINATORS,
        )?;
        Ok(out)
    }

    fn clone_or_ms(&mut self, cmd: &str) -> Result<Element, ParseError> {
        self.min_args(2)?;
        let mut out = Element::new(if cmd == "clone" { "clone" } else { "master" });
        out.set_attr("id", self.identifier()?);
        let child = self.resource()?;
        if let Some(d) = self.try_description() {
            out.set_attr("description", d);
        }
        self.arguments(
            &mut out,
            &[
                ("params", "instance_attributes"),
                ("meta", "meta_attributes"),
            ],
            false,
            Some("params"),
            TERMINATORS,
        )?;
        out.push(Element::new("crmsh-ref").with_attr("id", child));
        Ok(out)
    }

    fn group(&mut self) -> Result<Element, ParseError> {
        self.min_args(2)?;
        let mut out = Element::new("group");
        let id = self.identifier()?;
        out.set_attr("id", &id);
        let mut children: Vec<String> = Vec::new();
        while let Some(t) = self.cur() {
            let l = t.to_ascii_lowercase();
            if t.contains('=') || l == "params" || l == "meta" {
                break;
            }
            if children.iter().any(|c| c == t) {
                return Err(self.err(&format!("child {t} listed more than once in group {id}")));
            }
            children.push(t.to_string());
            self.pos += 1;
        }
        if let Some(d) = self.try_description() {
            out.set_attr("description", d);
        }
        self.arguments(
            &mut out,
            &[
                ("params", "instance_attributes"),
                ("meta", "meta_attributes"),
            ],
            false,
            Some("params"),
            TERMINATORS,
        )?;
        for c in children {
            out.push(Element::new("crmsh-ref").with_attr("id", c));
        }
        Ok(out)
    }

    fn bundle(&mut self) -> Result<Element, ParseError> {
        self.min_args(2)?;
        let mut out = Element::new("bundle");
        out.set_attr("id", self.identifier()?);
        if let Some(d) = self.try_description() {
            out.set_attr("description", d);
        }
        let containers = ["docker", "rkt", "podman", "network", "storage", "primitive"];
        let term: &[&str] = &[
            "network",
            "storage",
            "meta",
            "primitive",
            "docker",
            "rkt",
            "podman",
        ];
        while let Some(t) = self.cur_lower() {
            if containers.contains(&t.as_str()) {
                self.pos += 1;
                let attrs = self.nvpairs(term, 0)?;
                if t == "primitive" {
                    if attrs.len() != 1 || attrs[0].attr("value").is_some() {
                        return Err(self.err("Expected primitive reference"));
                    }
                    let id = attrs[0].attr("name").unwrap_or("").to_string();
                    out.push(Element::new("crmsh-ref").with_attr("id", id));
                    continue;
                }
                let mut node = out
                    .child(&t)
                    .cloned()
                    .unwrap_or_else(|| Element::new(t.clone()));
                let mut child: Option<Element> = None;
                for nv in attrs {
                    let n = nv.attr("name").unwrap_or("").to_string();
                    let v = nv.attr("value").unwrap_or("").to_string();
                    if n == "port-mapping" || n == "storage-mapping" {
                        if let Some(c) = child.take() {
                            node.push(c);
                        }
                        child = Some(Element::new(n));
                        continue;
                    }
                    match child.as_mut() {
                        Some(c) => c.set_attr(&n, v),
                        None => node.set_attr(&n, v),
                    }
                }
                if let Some(c) = child.take() {
                    node.push(c);
                }
                match out.child_mut(&t) {
                    Some(existing) => *existing = node,
                    None => out.push(node),
                }
            } else if t == "meta" {
                self.pos += 1;
                if let Some(set) = self.attr_list("meta_attributes", true, term)? {
                    out.push(set);
                }
            } else {
                break;
            }
        }
        Ok(out)
    }

    fn location(&mut self) -> Result<Element, ParseError> {
        self.min_args(2)?;
        let mut out = Element::new("rsc_location");
        out.set_attr("id", self.identifier()?);
        let t = self.cur().unwrap_or("");
        if t.len() > 2 && t.starts_with('/') && t.ends_with('/') {
            out.set_attr("rsc-pattern", &t[1..t.len() - 1]);
            self.pos += 1;
        } else if t == "{" {
            self.pos += 1;
            let start = self.pos;
            while self.cur().is_some_and(|x| x != "}") {
                self.pos += 1;
            }
            let inner = &self.toks[start..self.pos];
            self.expect_word("}")?;
            if inner.is_empty() {
                return Err(self.err("Empty resource set"));
            }
            for s in self.resource_sets(inner, "role")? {
                out.push(s);
            }
        } else {
            out.set_attr("rsc", self.resource()?);
        }
        while let Some(t) = self.cur() {
            let Some((k, v)) = t.split_once('=') else {
                break;
            };
            let k = k.strip_prefix('$').unwrap_or(k);
            if k.is_empty() {
                break;
            }
            out.set_attr(k, v);
            self.pos += 1;
        }
        if let Some(s) = self.cur().and_then(score_token) {
            let (k, v) = score_attr(s);
            self.pos += 1;
            out.set_attr(k, v);
            let node = self.identifier()?;
            out.set_attr("node", node);
            if out.attr("role").is_none() {
                if let Some(t) = self.cur() {
                    if let Some((k, v)) = t.split_once('=') {
                        if k.eq_ignore_ascii_case("role") || k.eq_ignore_ascii_case("$role") {
                            out.set_attr("role", v);
                            self.pos += 1;
                        }
                    }
                }
            }
        } else {
            let rules = self.rules()?;
            if rules.is_empty() {
                return Err(self.err("expected <score>: <node> or <rule> [<rule> ...]"));
            }
            for r in rules {
                out.push(r);
            }
        }
        Ok(out)
    }

    /// If the last token matches `key=value` with an allowed value, removes
    /// it from the command and returns the value.
    fn take_tail(&mut self, key: &str, allowed: Option<&[&str]>) -> Option<String> {
        let last = self.toks.last()?;
        if self.toks.len() <= self.pos {
            return None;
        }
        let (k, v) = last.text.split_once('=')?;
        if !k.eq_ignore_ascii_case(key) || v.is_empty() {
            return None;
        }
        if let Some(a) = allowed {
            if !a.iter().any(|x| x.eq_ignore_ascii_case(v)) {
                return None;
            }
        }
        self.toks = &self.toks[..self.toks.len() - 1];
        Some(v.to_string())
    }

    fn colocation(&mut self) -> Result<Element, ParseError> {
        self.min_args(2)?;
        let mut out = Element::new("rsc_colocation");
        out.set_attr("id", self.identifier()?);
        let Some(s) = self.cur().and_then(score_token) else {
            return Err(self.err("Expected <score>:"));
        };
        let (k, v) = score_attr(s);
        self.pos += 1;
        out.set_attr(k, v);
        if let Some(v) = self.take_tail("node-attribute", None) {
            out.set_attr("node-attribute", v.to_ascii_lowercase());
        }
        self.rsc_sets(&mut out, "role", 2)?;
        Ok(out)
    }

    fn order(&mut self) -> Result<Element, ParseError> {
        self.min_args(2)?;
        let mut out = Element::new("rsc_order");
        out.set_attr("id", self.identifier()?);
        if let Some(s) = self.cur().and_then(score_token) {
            self.pos += 1;
            if let Some(k) = canon(s, KINDS) {
                out.set_attr("kind", k);
            } else if is_numeric_score(s) {
                let sc = normalise_score(s);
                out.set_attr("kind", if sc == "0" { "Optional" } else { "Mandatory" });
            } else {
                self.pos -= 1;
                return Err(self.err_at(self.pos + 1, &format!("Invalid kind: {s}")));
            }
        }
        if let Some(v) = self.take_tail(
            "symmetrical",
            Some(&["true", "false", "yes", "no", "on", "off"]),
        ) {
            let b = matches!(v.to_ascii_lowercase().as_str(), "true" | "yes" | "on");
            out.set_attr("symmetrical", if b { "true" } else { "false" });
        }
        self.rsc_sets(&mut out, "action", 2)?;
        Ok(out)
    }

    fn rsc_ticket(&mut self) -> Result<Element, ParseError> {
        self.min_args(2)?;
        let mut out = Element::new("rsc_ticket");
        out.set_attr("id", self.identifier()?);
        let Some(s) = self.cur().and_then(score_token) else {
            return Err(self.err("Expected <ticket-id>:"));
        };
        out.set_attr("ticket", s);
        self.pos += 1;
        if let Some(v) = self.take_tail("loss-policy", Some(&["stop", "demote", "fence", "freeze"]))
        {
            out.set_attr("loss-policy", v);
        }
        self.rsc_sets(&mut out, "role", 1)?;
        Ok(out)
    }

    /// Simple `rsc[:q] rsc[:q]` form or resource sets.
    fn rsc_sets(
        &mut self,
        out: &mut Element,
        q: &str,
        simple_count: usize,
    ) -> Result<(), ParseError> {
        let remaining = self.toks.len() - self.pos;
        let bracket = self.toks[self.pos..]
            .iter()
            .any(|t| t.text.contains(['(', ')', '[', ']']));
        if remaining == simple_count && !bracket {
            let names: &[&str] = match (q, simple_count) {
                ("role", 1) => &["rsc"],
                ("role", _) => &["rsc", "with-rsc"],
                _ => &["first", "then"],
            };
            for name in names {
                let tok = self.any("resource")?;
                let (rsc, qual) = match tok.split_once(':') {
                    Some((r, x)) => (r.to_string(), Some(x.to_string())),
                    None => (tok.clone(), None),
                };
                if qual.as_deref().is_some_and(|x| x.contains(':')) {
                    return Err(self.err_at(self.pos - 1, "Expected value[:value]"));
                }
                out.set_attr(name, &rsc);
                if let Some(x) = qual.filter(|x| !x.is_empty()) {
                    let (list, what, suffix) = if q == "role" {
                        (ROLES, "role", "role")
                    } else {
                        (ACTIONS, "action", "action")
                    };
                    let v = if x.chars().all(|c| c.is_ascii_digit()) {
                        out.set_attr(&format!("{name}-instance"), &x);
                        continue;
                    } else {
                        match canon(&x, list) {
                            Some(v) => v,
                            None => {
                                return Err(self.err_at(
                                    self.pos,
                                    &format!("Invalid {what} '{x}' for '{rsc}'"),
                                ))
                            }
                        }
                    };
                    out.set_attr(&format!("{name}-{suffix}"), v);
                }
            }
            return Ok(());
        }
        let toks = &self.toks[self.pos..];
        self.pos = self.toks.len();
        let sets = self.resource_sets(toks, q)?;
        if sets.is_empty() {
            let one = format!("<rsc>[:<{q}>]");
            let want = vec![one; simple_count].join(" ");
            return Err(self.err(&format!("Expected {want} | resource_sets")));
        }
        for s in sets {
            out.push(s);
        }
        Ok(())
    }

    /// crmsh's `ResourceSet` parser: `a ( b c:start ) [ d e ] f:Master ...`.
    fn resource_sets(&self, toks: &[Token], q: &str) -> Result<Vec<Element>, ParseError> {
        // split glued brackets: "(a" → "(", "a"
        let mut ts: Vec<Token> = Vec::new();
        for t in toks {
            let s = &t.text;
            if s.len() > 1 && (s.starts_with('(') || s.starts_with('[')) {
                ts.push(Token {
                    text: s[..1].into(),
                    loc: t.loc,
                });
                ts.push(Token {
                    text: s[1..].into(),
                    loc: Loc {
                        col: t.loc.col + 1,
                        ..t.loc
                    },
                });
            } else if s.len() > 1 && (s.ends_with(')') || s.ends_with(']')) {
                ts.push(Token {
                    text: s[..s.len() - 1].into(),
                    loc: t.loc,
                });
                ts.push(Token {
                    text: s[s.len() - 1..].into(),
                    loc: Loc {
                        col: t.loc.col + s.chars().count() - 1,
                        ..t.loc
                    },
                });
            } else {
                ts.push(t.clone());
            }
        }
        let err = |t: &Token, msg: &str| ParseError {
            loc: t.loc,
            context: self.ctx.clone(),
            msg: msg.into(),
            near: Some(t.text.clone()),
        };
        let mut out: Vec<Element> = Vec::new();
        let mut set = Element::new("resource_set");
        let mut prev_q = String::new();
        let mut cur_attr = false;
        let mut opened: Option<&str> = None;
        let mut opened_at: Option<&Token> = None;
        let mut sequential = true;
        let mut require_all = true;
        let save = |set: &mut Element,
                    out: &mut Vec<Element>,
                    prev_q: &mut String,
                    cur_attr: &mut bool,
                    sequential: bool,
                    require_all: bool| {
            if set.children.is_empty() {
                return;
            }
            if !require_all {
                set.set_attr("require-all", "false");
            }
            if !sequential {
                set.set_attr("sequential", "false");
            }
            if *cur_attr {
                set.set_attr(q, prev_q.as_str());
            }
            out.push(std::mem::replace(set, Element::new("resource_set")));
            prev_q.clear();
            *cur_attr = false;
        };
        for t in &ts {
            let p = t.text.as_str();
            match p {
                "(" | "[" => {
                    save(
                        &mut set,
                        &mut out,
                        &mut prev_q,
                        &mut cur_attr,
                        sequential,
                        require_all,
                    );
                    if opened.is_some() {
                        return Err(err(t, "Cannot nest resource sets"));
                    }
                    sequential = false;
                    if p == "[" {
                        require_all = false;
                    }
                    opened = Some(if p == "(" { ")" } else { "]" });
                    opened_at = Some(t);
                    continue;
                }
                ")" | "]" => {
                    if set.children.is_empty() {
                        return Err(err(t, "Empty resource set"));
                    }
                    save(
                        &mut set,
                        &mut out,
                        &mut prev_q,
                        &mut cur_attr,
                        sequential,
                        require_all,
                    );
                    match opened {
                        None => return Err(err(t, "Unmatched closing bracket")),
                        Some(c) if c != p => return Err(err(t, "Mismatched closing bracket")),
                        _ => {}
                    }
                    sequential = true;
                    require_all = true;
                    opened = None;
                    continue;
                }
                _ => {}
            }
            if p.contains('=') {
                let parts: Vec<&str> = p.split('=').collect();
                if parts.len() != 2 {
                    return Err(err(t, &format!("Extra = in {p}")));
                }
                let b = match parts[1].to_ascii_lowercase().as_str() {
                    "true" | "yes" | "on" | "1" => true,
                    "false" | "no" | "off" | "0" => false,
                    _ => return Err(err(t, &format!("Not a boolean: {}", parts[1]))),
                };
                match parts[0] {
                    "sequential" => sequential = b,
                    "require-all" => require_all = b,
                    _ => return Err(err(t, "Unknown attribute")),
                }
                continue;
            }
            let (rsc, qual) = match p.split_once(':') {
                Some((r, x)) => {
                    let list = if q == "action" { ACTIONS } else { ROLES };
                    match canon(x, list) {
                        Some(v) => (r.to_string(), v.to_string()),
                        None => return Err(err(t, &format!("Invalid {q} for {p}"))),
                    }
                }
                None => (p.to_string(), String::new()),
            };
            if rsc.is_empty() {
                return Err(err(t, "Expected resource"));
            }
            if qual != prev_q {
                save(
                    &mut set,
                    &mut out,
                    &mut prev_q,
                    &mut cur_attr,
                    sequential,
                    require_all,
                );
                prev_q = qual.clone();
            }
            cur_attr = !qual.is_empty();
            set.push(Element::new("resource_ref").with_attr("id", rsc));
        }
        if opened.is_some() {
            return Err(err(
                opened_at.or(ts.last()).expect("a bracket was seen"),
                "Unmatched opening bracket",
            ));
        }
        save(
            &mut set,
            &mut out,
            &mut prev_q,
            &mut cur_attr,
            sequential,
            require_all,
        );
        Ok(out)
    }

    fn property(&mut self, cmd: &str) -> Result<Element, ParseError> {
        self.min_args(1)?;
        let (mut root, set_tag) = match cmd {
            "property" => (None, "cluster_property_set"),
            _ => (Some(Element::new(cmd)), "meta_attributes"),
        };
        let mut set = Element::new(set_tag);
        let t = self.cur().unwrap_or("");
        if let Some(id) = t.strip_suffix(':').filter(|s| {
            !s.is_empty()
                && s.chars()
                    .all(|c| c.is_alphanumeric() || c == '_' || c == '-')
        }) {
            set.set_attr("id", id);
            self.pos += 1;
        } else if let Some((is_ref, v)) = self.try_idspec() {
            if is_ref {
                set.set_attr("id-ref", self.look.resolve_id_ref(set_tag, &v));
            } else {
                set.set_attr("id", v);
            }
        }
        for r in self.rules()? {
            set.push(r);
        }
        for nv in self.nvpairs(TERMINATORS, 0)? {
            set.push(nv);
        }
        Ok(match root.take() {
            Some(r) => r.with_child(set),
            None => set,
        })
    }

    fn node(&mut self) -> Result<Element, ParseError> {
        self.min_args(1)?;
        let mut out = Element::new("node");
        let t = self.cur().unwrap_or("");
        if let Some(id) = t.strip_suffix(':').filter(|s| {
            !s.is_empty()
                && s.chars()
                    .all(|c| c.is_alphanumeric() || c == '_' || c == '-')
        }) {
            out.set_attr("id", id);
            self.pos += 1;
        } else if t.len() > 4 && t[..4].eq_ignore_ascii_case("$id=") {
            out.set_attr("id", &t[4..]);
            self.pos += 1;
        }
        let uname = self.any("uname[:type]")?;
        let (uname, typ) = match uname.split_once(':') {
            Some((u, ty)) if matches!(ty, "normal" | "member" | "ping" | "remote") => {
                (u.to_string(), Some(ty.to_string()))
            }
            Some(_) => return Err(self.err_at(self.pos - 1, "Expected uname[:type]")),
            None => (uname, None),
        };
        out.set_attr("uname", uname);
        if let Some(ty) = typ {
            out.set_attr("type", ty);
        }
        if let Some(d) = self.try_description() {
            out.set_attr("description", d);
        }
        self.arguments(
            &mut out,
            &[
                ("attributes", "instance_attributes"),
                ("utilization", "utilization"),
            ],
            false,
            Some("attributes"),
            TERMINATORS,
        )?;
        Ok(out)
    }

    fn tag(&mut self) -> Result<Element, ParseError> {
        self.min_args(2)?;
        let t = self.any("tag name")?;
        let name = t.strip_suffix(':').unwrap_or(&t);
        if name.is_empty()
            || name.contains(':')
            || !name
                .chars()
                .next()
                .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        {
            return Err(self.err_at(self.pos - 1, "Expected tag name"));
        }
        let mut out = Element::new("tag").with_attr("id", name);
        while self.has() {
            let r = self.resource()?;
            out.push(Element::new("obj_ref").with_attr("id", r));
        }
        if out.children.is_empty() {
            return Err(self.err("Expected at least one resource"));
        }
        Ok(out)
    }

    fn fencing(&mut self) -> Result<Element, ParseError> {
        let mut raw: Vec<(Option<String>, String)> = Vec::new();
        let mut target: Option<String> = None;
        let mut out = Element::new("fencing-topology");
        let mut counts: Vec<(String, u32)> = Vec::new();
        let mut next = |key: &str| match counts.iter_mut().find(|(k, _)| k == key) {
            Some((_, n)) => {
                *n += 1;
                *n
            }
            None => {
                counts.push((key.to_string(), 1));
                1
            }
        };
        while let Some(t) = self.cur() {
            self.pos += 1;
            if let Some(tg) = t
                .strip_suffix(':')
                .filter(|s| !s.is_empty() && !s.contains(':'))
            {
                target = Some(tg.to_string());
            } else if t.starts_with("attr:") || t.starts_with("pattern:") {
                target = Some(t.to_string());
            } else {
                raw.push((target.clone(), t.to_string()));
            }
        }
        let levels: Vec<(String, String)> = if raw.first().is_some_and(|(t, _)| t.is_none()) {
            let mut v = Vec::new();
            for n in self.look.node_ids() {
                for (_, d) in &raw {
                    v.push((n.clone(), d.clone()));
                }
            }
            v
        } else {
            raw.into_iter()
                .map(|(t, d)| (t.unwrap_or_default(), d))
                .collect()
        };
        for (t, devices) in levels {
            let mut lvl = Element::new("fencing-level");
            if let Some(p) = t.strip_prefix("pattern:") {
                lvl.set_attr("target-pattern", p);
                lvl.set_attr("index", next(p).to_string());
            } else if let Some(a) = t.strip_prefix("attr:") {
                let (n, v) = a.split_once('=').unwrap_or((a, ""));
                lvl.set_attr("target-attribute", n);
                lvl.set_attr("target-value", v);
                lvl.set_attr("index", next(n).to_string());
            } else {
                lvl.set_attr("target", &t);
                lvl.set_attr("index", next(&t).to_string());
            }
            lvl.set_attr("devices", devices);
            out.push(lvl);
        }
        Ok(out)
    }

    fn alert(&mut self) -> Result<Element, ParseError> {
        self.min_args(2)?;
        let id = self.identifier()?;
        let path = self.any("path")?;
        let mut out = Element::new("alert")
            .with_attr("id", &id)
            .with_attr("path", path);
        if let Some(d) = self.try_description() {
            out.set_attr("description", d);
        }
        let mut rcount = 1;
        let names = [
            ("attributes", "instance_attributes"),
            ("meta", "meta_attributes"),
        ];
        while let Some(t) = self.cur() {
            match t {
                "attributes" | "meta" => {
                    self.arguments(
                        &mut out,
                        &names,
                        false,
                        None,
                        &["attributes", "meta", "to", "select"],
                    )?;
                }
                "select" => {
                    self.pos += 1;
                    let mut sel = Element::new("select");
                    while let Some(s) = self.cur() {
                        if !matches!(s, "nodes" | "fencing" | "resources" | "attributes") {
                            break;
                        }
                        self.pos += 1;
                        let mut st = Element::new(format!("select_{s}"));
                        if s == "attributes" {
                            if !self.try_word("{") {
                                self.pos -= 1;
                                break;
                            }
                            while self.cur().is_some_and(|x| x != "}") {
                                let n = self.identifier()?;
                                st.push(Element::new("attribute").with_attr("name", n));
                            }
                            self.expect_word("}")?;
                        }
                        sel.push(st);
                    }
                    out.push(sel);
                }
                _ => {
                    self.expect_word("to")?;
                    let rid = format!("{id}-recipient-{rcount}");
                    rcount += 1;
                    let brace = self.try_word("{");
                    let v = self.any("recipient")?;
                    let mut r = Element::new("recipient")
                        .with_attr("id", rid)
                        .with_attr("value", v);
                    if let Some(d) = self.try_description() {
                        r.set_attr("description", d);
                    }
                    let mut term = vec!["attributes", "meta", "to"];
                    if brace {
                        term.push("}");
                    }
                    self.arguments(&mut r, &names, false, None, &term)?;
                    if brace {
                        self.expect_word("}")?;
                    }
                    out.push(r);
                }
            }
        }
        Ok(out)
    }

    fn role(&mut self) -> Result<Element, ParseError> {
        self.min_args(2)?;
        let mut out = Element::new("acl_role");
        out.set_attr("id", self.identifier()?);
        if let Some(d) = self.try_description() {
            out.set_attr("description", d);
        }
        while self.has() {
            for p in self.permission()? {
                out.push(p);
            }
        }
        Ok(out)
    }

    fn permission(&mut self) -> Result<Vec<Element>, ParseError> {
        let kind = self.cur_lower().unwrap_or_default();
        if !matches!(kind.as_str(), "read" | "write" | "deny") {
            return Err(self.err("Expected read, write or deny"));
        }
        self.pos += 1;
        let mut rule = Element::new("acl_permission").with_attr("kind", kind);
        if let Some(t) = self.cur() {
            if let Some(id) = t.strip_prefix("$id=") {
                rule.set_attr("id", id);
                self.pos += 1;
            }
        }
        if let Some(d) = self.try_description() {
            rule.set_attr("description", d);
        }
        let mut attrs: Vec<(String, String)> = Vec::new();
        while let Some(t) = self.cur() {
            let (typ, val) = match t.split_once(':') {
                Some((a, b)) => (a, Some(b)),
                None => (t, None),
            };
            let spec = match typ {
                "xpath" => "xpath",
                "ref" | "reference" => "reference",
                "tag" | "type" => "object-type",
                "attr" | "attribute" => "attribute",
                _ if crate::acl::shortcut(typ).is_some() => "shortcut",
                _ => break,
            };
            self.pos += 1;
            if spec == "shortcut" {
                let Some(x) = crate::acl::expand(typ, val) else {
                    return Err(self.err_at(
                        self.pos - 1,
                        &format!("Missing argument to ACL shortcut {typ}"),
                    ));
                };
                attrs.push(("xpath".into(), x));
            } else {
                let Some(v) = val else {
                    return Err(self.err_at(self.pos - 1, "Expected <type>:<spec>"));
                };
                attrs.push((spec.into(), v.into()));
            }
        }
        let get = |k: &str| {
            attrs
                .iter()
                .rev()
                .find(|(a, _)| a == k)
                .map(|(_, v)| v.clone())
        };
        let mut out = Vec::new();
        if let Some(x) = get("xpath") {
            out.push(rule.clone().with_attr("xpath", x));
        }
        if let Some(r) = get("reference") {
            out.push(rule.clone().with_attr("reference", r));
        }
        if let Some(o) = get("object-type") {
            let mut r = rule.clone().with_attr("object-type", o);
            if let Some(a) = get("attribute") {
                r.set_attr("attribute", a);
            }
            out.push(r);
        } else if get("attribute").is_some() {
            return Err(self.err("attribute is only valid in combination with tag/object-type"));
        }
        Ok(out)
    }

    fn user(&mut self) -> Result<Element, ParseError> {
        self.min_args(2)?;
        let mut out = Element::new("acl_target");
        out.set_attr("id", self.identifier()?);
        while let Some(t) = self.cur() {
            match t.strip_prefix("role:") {
                Some(r) => {
                    out.push(Element::new("role").with_attr("id", r));
                    self.pos += 1;
                }
                None => return Err(self.err("Expected role:<role-id> (ACL 1 rules are not supported; use role + acl_target)")),
            }
        }
        Ok(out)
    }

    fn acl_target(&mut self, cmd: &str) -> Result<Element, ParseError> {
        self.min_args(1)?;
        let mut out = Element::new(cmd);
        out.set_attr("id", self.identifier()?);
        while self.has() {
            let r = self.identifier()?;
            out.push(Element::new("role").with_attr("id", r));
        }
        Ok(out)
    }

    fn monitor(&mut self) -> Result<Element, ParseError> {
        self.min_args(2)?;
        let t = self.any("resource")?;
        let (rsc, role) = match t.split_once(':') {
            Some((r, x)) => (r.to_string(), Some(x.to_string())),
            None => (t, None),
        };
        let mut out = Element::new("op").with_attr("name", "monitor");
        if let Some(r) = role {
            match canon(&r, ROLES) {
                Some(v) => out.set_attr("role", v),
                None => {
                    return Err(self.err_at(
                        self.pos - 1,
                        &format!("Invalid role '{r}' for resource '{rsc}'"),
                    ))
                }
            }
        }
        out.set_attr("rsc", rsc);
        let t = self.any("interval[:timeout]")?;
        let (i, to) = match t.split_once(':') {
            Some((i, to)) => (i.to_string(), Some(to.to_string())),
            None => (t, None),
        };
        if !i.is_empty() {
            out.set_attr("interval", i);
        }
        if let Some(to) = to.filter(|x| !x.is_empty()) {
            out.set_attr("timeout", to);
        }
        Ok(out)
    }
}
