//! `crm`: see the crate documentation of `crm_shell` and `docs/crm.md`.
//!
//! Usage: `crm [-F|--force] [-f FILE] [COMMAND...]`. Without a command,
//! commands are read from stdin. `CIB_file=PATH` selects offline mode.
//! Exit statuses are listed in `crm_shell::exit`.

use std::io::{IsTerminal, Read, Write};
use std::process::ExitCode;

use crm_shell::exit::Exit;
use crm_shell::session::{Options, Shell};
use crm_shell::store::{CibStore, FileStore, NoCluster};

fn usage() -> &'static str {
    "usage: crm [-F|--force] [-f FILE] [COMMAND ...]\n\
     \n  -F, --force   commit even when verification reports errors\
     \n  -f FILE       read commands from FILE\
     \n  -h, --help    this text\
     \n\nWith CIB_file=PATH in the environment, crm works offline on that CIB file.\n"
}

fn main() -> ExitCode {
    let mut opts = Options::default();
    let mut file: Option<String> = None;
    let mut args = std::env::args().skip(1).peekable();
    let mut rest: Vec<String> = Vec::new();
    while let Some(a) = args.next() {
        match a.as_str() {
            "-F" | "--force" => opts.force = true,
            "-f" | "--file" => match args.next() {
                Some(f) => file = Some(f),
                None => {
                    eprint!("ERROR: -f needs a file\n{}", usage());
                    return Exit::Usage.into();
                }
            },
            "-h" | "--help" => {
                print!("{}", usage());
                return Exit::Success.into();
            }
            "--version" => {
                println!("crm (tandem) {}", env!("CARGO_PKG_VERSION"));
                return Exit::Success.into();
            }
            "-w" | "--wait" | "-R" | "--regression-tests" | "-d" | "--debug" => {}
            s if s.starts_with('-') && rest.is_empty() => {
                eprint!("ERROR: unknown option {s}\n{}", usage());
                return Exit::Usage.into();
            }
            _ => {
                rest.push(a);
                rest.extend(args.by_ref());
            }
        }
    }
    let store: Box<dyn CibStore> = match std::env::var_os("CIB_file") {
        Some(p) => Box::new(FileStore { path: p.into() }),
        None => Box::new(NoCluster),
    };
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let mut err = std::io::stderr();
    let mut sh = Shell::new(opts, store.as_ref(), &mut out, &mut err);
    if !rest.is_empty() {
        // the command line is one command; words are kept as given
        let line = rest
            .iter()
            .map(|w| shell_quote(w))
            .collect::<Vec<_>>()
            .join(" ");
        sh.run_script(&line, 1);
    } else {
        if file.is_none() && std::io::stdin().is_terminal() {
            if let Err(e) = crm_shell::interactive::run(&mut sh) {
                let _ = writeln!(std::io::stderr(), "ERROR: terminal: {e}");
                return Exit::Usage.into();
            }
            let rc = sh.rc();
            let _ = out.flush();
            return rc.into();
        }
        let mut text = String::new();
        let read = match &file {
            Some(f) => std::fs::read_to_string(f).map(|t| text = t),
            None => std::io::stdin().read_to_string(&mut text).map(|_| ()),
        };
        if let Err(e) = read {
            let _ = writeln!(std::io::stderr(), "ERROR: cannot read input: {e}");
            return Exit::Usage.into();
        }
        sh.run_script(&text, 1);
    }
    let rc = sh.rc();
    let _ = out.flush();
    rc.into()
}

/// Quotes a command-line word so the shell lexer gives it back unchanged.
fn shell_quote(w: &str) -> String {
    if !w.is_empty()
        && w.chars()
            .all(|c| c.is_ascii_alphanumeric() || "_-.:/=@,+%#$".contains(c))
    {
        w.to_string()
    } else {
        format!("'{}'", w.replace('\'', "'\\''"))
    }
}
