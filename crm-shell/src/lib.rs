//! The `crm` shell: crmsh's `configure` language, `show`, and the `node`
//! and `resource` commands, over a Pacemaker-compatible CIB.
//!
//! # How data enters and leaves
//!
//! Commands enter as text: the command line (`crm configure show`), stdin
//! (one command per line; `\` continues a line), or a file
//! (`crm -f FILE`, `configure load update FILE`). [`lex`] joins
//! continuation lines and splits commands into tokens with their line and
//! column; [`parse`] turns one configure command into a CIB element;
//! [`config`] places it in the staged `<configuration>` (moving group
//! members, assigning crmsh's generated ids via [`ids`]); [`session`] runs
//! the levels and the session semantics (a rejected line stages nothing,
//! `commit` is all-or-nothing); [`show`] renders the configuration back in
//! crmsh's layout.
//!
//! The CIB is read and written whole through [`store::CibStore`]: offline on
//! a file (`CIB_file=PATH`, like crmsh), or later through `tandemd`'s
//! socket. Trees are [`cib::xml::Element`]s; a commit replaces the
//! `<configuration>` element and raises the CIB's `epoch` (resetting
//! `num_updates`), as Pacemaker does.
//!
//! # Layout
//!
//! | module | what it does |
//! | --- | --- |
//! | [`lex`] | logical lines, shell-style tokens with line:column, typographic-quote rejection |
//! | [`parse`] | one configure command → one CIB element (crmsh 4.4 grammar) |
//! | [`ids`] | crmsh's generated ids |
//! | [`config`] | the staged `<configuration>`: placing objects, delete/rename/modgroup/set, commit checks |
//! | [`show`] | the configuration in crmsh's CLI layout |
//! | [`session`] | levels, the configure session, commit, load/edit/filter, dispatch |
//! | [`commands`] | `crm node`, `crm resource`, `crm ra` |
//! | [`status`] | `crm status` (crm_mon layout, via the policy engine's renderer) |
//! | [`interactive`] | the readline prompt and tab completion |
//! | [`agents`], [`acl`], [`help`] | agent metadata checks, ACL shortcuts, help texts |
//! | [`store`] | where the CIB lives (`CIB_file`; later `tandemd`) |
//! | [`exit`] | the exit statuses |
//!
//! # Example
//!
//! ```
//! use crm_shell::{session::{Options, Shell}, store::CibStore};
//! # struct Mem(std::cell::RefCell<cib::xml::Element>);
//! # impl CibStore for Mem {
//! #     fn load(&self) -> anyhow::Result<cib::xml::Element> { Ok(self.0.borrow().clone()) }
//! #     fn save(&self, c: &cib::xml::Element) -> anyhow::Result<()> { *self.0.borrow_mut() = c.clone(); Ok(()) }
//! # }
//! let cib = cib::xml::parse("<cib epoch=\"1\" num_updates=\"0\" admin_epoch=\"0\"><configuration>\
//!     <crm_config/><nodes/><resources/><constraints/></configuration><status/></cib>").unwrap();
//! let store = Mem(std::cell::RefCell::new(cib));
//! let (mut out, mut err) = (Vec::new(), Vec::new());
//! let mut sh = Shell::new(Options { force: true }, &store, &mut out, &mut err);
//! sh.run_script("configure\nprimitive d1 ocf:heartbeat:Dummy op monitor interval=10s\ncommit\n", 1);
//! let cib = store.load().unwrap();
//! assert_eq!(cib.attr("epoch"), Some("2"));
//! let op = cib.find(&|e| e.name == "op").unwrap();
//! assert_eq!(op.attr("id"), Some("d1-monitor-10s"));
//! ```
#![warn(missing_docs)]

pub mod acl;
pub mod agents;
pub mod commands;
pub mod config;
pub mod exit;
pub mod help;
pub mod ids;
pub mod interactive;
pub mod lex;
pub mod parse;
pub mod session;
pub mod show;
pub mod status;
pub mod store;
