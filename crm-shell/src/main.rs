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

/// The raw command line. Words after the options are one crm command
/// (`crm configure show`, `crm node standby node1`).
#[derive(clap::Parser, Debug)]
#[command(
    name = "crm",
    version,
    about = "Configure and inspect a Tandem (Pacemaker-compatible) cluster, crmsh style",
    after_help = "With CIB_file=PATH in the environment, crm works offline on that CIB file.\n\
                  Without a COMMAND, commands are read from standard input (a prompt on a terminal).\n\
                  Exit status: 0 done, 1 a command failed, 2 usage error, 3 CIB unavailable."
)]
struct Args {
    /// Commit even when verification reports errors.
    #[arg(short = 'F', long)]
    force: bool,
    /// Read commands from FILE.
    #[arg(short = 'f', long, value_name = "FILE")]
    file: Option<std::path::PathBuf>,
    /// Accepted for crmsh compatibility; no effect.
    #[arg(short = 'w', long, hide = true)]
    wait: bool,
    /// Accepted for crmsh compatibility; no effect.
    #[arg(short = 'R', long = "regression-tests", hide = true)]
    regression: bool,
    /// Accepted for crmsh compatibility; no effect.
    #[arg(short = 'd', long, hide = true)]
    debug: bool,
    /// The command to run.
    #[arg(trailing_var_arg = true, value_name = "COMMAND")]
    command: Vec<String>,
}

fn main() -> ExitCode {
    let args = match <Args as clap::Parser>::try_parse() {
        Ok(a) => a,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() {
                Exit::Usage.into()
            } else {
                Exit::Success.into()
            };
        }
    };
    let opts = Options { force: args.force };
    let file = args.file;
    let rest = args.command;
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
            // bytes that are not UTF-8 become U+FFFD instead of failing the
            // whole input
            Some(f) => std::fs::read(f).map(|b| text = String::from_utf8_lossy(&b).into_owned()),
            None => {
                let mut b = Vec::new();
                std::io::stdin()
                    .read_to_end(&mut b)
                    .map(|_| text = String::from_utf8_lossy(&b).into_owned())
            }
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
