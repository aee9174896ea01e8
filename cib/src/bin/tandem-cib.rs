//! `tandem-cib`: look at and check CIB files without a running cluster.
//!
//! ```text
//! tandem-cib verify FILE...     validate; print every problem; exit 1 on errors
//! tandem-cib summary FILE       what the CIB contains, in words
//! tandem-cib canonical FILE     the canonical form used for comparisons
//! tandem-cib format FILE        re-serialise through the typed model
//! tandem-cib pipeline FILE      parse + validate + serialise, with timings
//! tandem-cib diff OLD NEW       the patch that turns OLD into NEW (like crm_diff)
//! tandem-cib patch FILE PATCH   apply a patch; refused if FILE has another version
//! ```
//! Exit codes: 0 success, 1 the CIB has errors, 2 usage or I/O error.

use std::process::ExitCode;

use cib::model::{Cib, ConfigSection, Constraint, Resource};
use cib::validate::{validate_text, Severity};

fn usage() -> ExitCode {
    eprintln!(
        "usage: tandem-cib verify FILE... | summary FILE | canonical FILE | format FILE | pipeline FILE\n\
         \x20      | diff OLD NEW | patch FILE PATCH\n\
         (FILE may be - for standard input)"
    );
    ExitCode::from(2)
}

fn read(path: &str) -> Result<String, String> {
    if path == "-" {
        let mut s = String::new();
        std::io::Read::read_to_string(&mut std::io::stdin(), &mut s)
            .map_err(|e| format!("<stdin>: {e}"))?;
        Ok(s)
    } else {
        std::fs::read_to_string(path).map_err(|e| format!("{path}: {e}"))
    }
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some((cmd, files)) = args.split_first() else {
        return usage();
    };
    if files.is_empty() {
        return usage();
    }
    match cmd.as_str() {
        "verify" => verify(files),
        "pipeline" => pipeline(&files[0]),
        "diff" | "patch" if files.len() == 2 => diff_or_patch(cmd, &files[0], &files[1]),
        "summary" | "canonical" | "format" => {
            let text = match read(&files[0]) {
                Ok(t) => t,
                Err(e) => {
                    eprintln!("tandem-cib: {e}");
                    return ExitCode::from(2);
                }
            };
            let cib = match Cib::parse(&text) {
                Ok(c) => c,
                Err(e) => {
                    eprintln!("{}:{e}", files[0]);
                    return ExitCode::from(1);
                }
            };
            match cmd.as_str() {
                "summary" => print!("{}", summary(&cib)),
                "canonical" => print!("{}", cib.to_element().canonical()),
                _ => print!("{}", cib.to_xml()),
            }
            ExitCode::SUCCESS
        }
        _ => usage(),
    }
}

fn verify(files: &[String]) -> ExitCode {
    let mut worst = 0u8;
    for f in files {
        let text = match read(f) {
            Ok(t) => t,
            Err(e) => {
                eprintln!("tandem-cib: {e}");
                worst = 2;
                continue;
            }
        };
        match validate_text(Some(f), &text) {
            Err(p) => {
                println!("{p}");
                worst = worst.max(1);
            }
            Ok((_, problems)) => {
                let errors = problems
                    .iter()
                    .filter(|p| p.severity == Severity::Error)
                    .count();
                for p in &problems {
                    println!("{p}");
                }
                if errors > 0 {
                    worst = worst.max(1);
                }
                println!(
                    "{f}: {errors} error(s), {} warning(s)",
                    problems.len() - errors
                );
            }
        }
    }
    ExitCode::from(worst)
}

/// `diff OLD NEW` prints a patch; `patch FILE PATCH` prints the patched CIB.
fn diff_or_patch(cmd: &str, a: &str, b: &str) -> ExitCode {
    let parse = |path: &str| -> Result<cib::xml::Element, ExitCode> {
        let text = read(path).map_err(|e| {
            eprintln!("tandem-cib: {e}");
            ExitCode::from(2)
        })?;
        cib::xml::parse(&text).map_err(|e| {
            eprintln!("{path}:{e}");
            ExitCode::from(1)
        })
    };
    let (a_el, b_el) = match (parse(a), parse(b)) {
        (Ok(x), Ok(y)) => (x, y),
        (Err(c), _) | (_, Err(c)) => return c,
    };
    if cmd == "diff" {
        print!("{}", cib::diff::diff(&a_el, &b_el).to_xml().to_xml());
        return ExitCode::SUCCESS;
    }
    let patch = match cib::diff::Patch::from_xml(&b_el) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("{b}: {e}");
            return ExitCode::from(1);
        }
    };
    match cib::diff::apply(&a_el, &patch) {
        Ok(out) => {
            print!("{}", out.to_xml());
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("{a}: patch refused, nothing changed: {e}");
            ExitCode::from(1)
        }
    }
}

/// Parses, validates and re-serialises one file, printing how long each
/// step took. The benchmark runs this as a child process to measure time
/// and peak memory.
fn pipeline(path: &str) -> ExitCode {
    use std::time::Instant;
    let t0 = Instant::now();
    let text = match read(path) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("tandem-cib: {e}");
            return ExitCode::from(2);
        }
    };
    let t1 = Instant::now();
    let cib = match Cib::parse(&text) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("{path}:{e}");
            return ExitCode::from(1);
        }
    };
    let t2 = Instant::now();
    let problems = cib::validate::validate(&cib);
    let t3 = Instant::now();
    let out = cib.to_xml();
    let t4 = Instant::now();
    let errors = problems
        .iter()
        .filter(|p| p.severity == Severity::Error)
        .count();
    let ms = |a: Instant, b: Instant| (b - a).as_secs_f64() * 1000.0;
    println!(
        "read {:.1} ms, parse {:.1} ms, validate {:.1} ms ({errors} errors), serialise {:.1} ms ({} bytes); total {:.1} ms",
        ms(t0, t1),
        ms(t1, t2),
        ms(t2, t3),
        ms(t3, t4),
        out.len(),
        ms(t0, t4)
    );
    if errors > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

/// A plain-words account of what a CIB holds.
fn summary(cib: &Cib) -> String {
    use std::fmt::Write;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "CIB version {} (schema {})",
        cib.version(),
        cib.root.validate_with.as_deref().unwrap_or("unknown")
    );
    let Some(conf) = cib.configuration() else {
        out.push_str("no configuration section\n");
        return out;
    };
    if let Some(props) = conf.crm_config() {
        for s in props.sets() {
            for p in s.nvpairs() {
                let _ = writeln!(
                    out,
                    "property {} = {}",
                    p.name.as_deref().unwrap_or("?"),
                    p.value.as_deref().unwrap_or("")
                );
            }
        }
    }
    let nodes: Vec<_> = conf.nodes().filter_map(|n| n.uname.clone()).collect();
    let _ = writeln!(out, "{} node(s): {}", nodes.len(), nodes.join(", "));
    let _ = writeln!(out, "{} top-level resource(s):", conf.resources().len());
    for r in conf.resources() {
        describe(r, 1, &mut out);
    }
    let _ = writeln!(out, "{} constraint(s):", conf.constraints().len());
    for c in conf.constraints() {
        let line = match c {
            Constraint::Location(l) => format!(
                "location {}: {} {} on {}",
                l.id.as_deref().unwrap_or("?"),
                l.rsc.as_deref().unwrap_or("(set)"),
                l.score.as_deref().unwrap_or("(rule)"),
                l.node.as_deref().unwrap_or("(rule)")
            ),
            Constraint::Colocation(x) => format!(
                "colocation {}: {} with {} ({})",
                x.id.as_deref().unwrap_or("?"),
                x.rsc.as_deref().unwrap_or("(set)"),
                x.with_rsc.as_deref().unwrap_or("(set)"),
                x.score.as_deref().unwrap_or("")
            ),
            Constraint::Order(o) => format!(
                "order {}: {} {} then {} {}",
                o.id.as_deref().unwrap_or("?"),
                o.first.as_deref().unwrap_or("(set)"),
                o.first_action.as_deref().unwrap_or("start"),
                o.then.as_deref().unwrap_or("(set)"),
                o.then_action
                    .as_deref()
                    .or(o.first_action.as_deref())
                    .unwrap_or("start")
            ),
            Constraint::Ticket(t) => format!(
                "ticket {}: {} needs ticket {}",
                t.id.as_deref().unwrap_or("?"),
                t.rsc.as_deref().unwrap_or("(set)"),
                t.ticket.as_deref().unwrap_or("?")
            ),
            Constraint::Other(e) => format!("<{}>", e.name),
        };
        let _ = writeln!(out, "  {line}");
    }
    let extra: Vec<_> = conf
        .children
        .iter()
        .filter_map(|s| match s {
            ConfigSection::FencingTopology(_) => Some("fencing-topology"),
            ConfigSection::Tags(_) => Some("tags"),
            ConfigSection::Acls(_) => Some("acls"),
            ConfigSection::Alerts(_) => Some("alerts"),
            _ => None,
        })
        .collect();
    if !extra.is_empty() {
        let _ = writeln!(out, "also: {}", extra.join(", "));
    }
    if let Some(status) = cib.status() {
        let _ = writeln!(
            out,
            "status: {} node state(s)",
            status.node_states().count()
        );
    }
    out
}

fn describe(r: &Resource, depth: usize, out: &mut String) {
    use cib::model::{CloneChild, GroupChild};
    use std::fmt::Write;
    let pad = "  ".repeat(depth);
    match r {
        Resource::Primitive(p) => {
            let _ = writeln!(
                out,
                "{pad}{} {} ({})",
                p.tag,
                p.id.as_deref().unwrap_or("?"),
                p.agent()
            );
        }
        Resource::Group(g) => {
            let _ = writeln!(out, "{pad}group {}", g.id.as_deref().unwrap_or("?"));
            for c in &g.children {
                if let GroupChild::Primitive(p) = c {
                    describe(&Resource::Primitive(p.clone()), depth + 1, out);
                }
            }
        }
        Resource::Clone(c) => {
            let kind = if c.is_promotable() {
                "promotable clone"
            } else {
                "clone"
            };
            let _ = writeln!(out, "{pad}{kind} {}", c.id.as_deref().unwrap_or("?"));
            for x in &c.children {
                match x {
                    CloneChild::Primitive(p) => {
                        describe(&Resource::Primitive(p.clone()), depth + 1, out)
                    }
                    CloneChild::Group(g) => describe(&Resource::Group(g.clone()), depth + 1, out),
                    _ => {}
                }
            }
        }
        Resource::Bundle(b) => {
            let _ = writeln!(out, "{pad}bundle {}", b.id.as_deref().unwrap_or("?"));
        }
        Resource::Other(e) => {
            let _ = writeln!(out, "{pad}<{}>", e.name);
        }
    }
}
