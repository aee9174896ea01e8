//! The Cluster Information Base: Pacemaker's CIB as a typed Rust model.
//!
//! The CIB is one XML document holding the cluster's configuration (what
//! should run, and where) and its status (what is running, what failed).
//! Every other part of Tandem reads or writes it: the shell edits the
//! configuration, the policy engine reads both sections, the daemon
//! replicates and persists it.
//!
//! # Layout
//!
//! - [`xml`]: a lossless element tree with line:column positions (quick-xml).
//! - [`model`]: typed structs for every section ([`model::Cib`]), built from
//!   the tree and lowered back into it without loss.
//! - [`values`]: what attribute strings mean (scores, booleans, durations).
//! - [`validate`]: checks with precise errors (file, line:column, XPath-like
//!   location, what is wrong), all problems at once.
//! - [`version`]: the (admin_epoch, epoch, num_updates) counters.
//! - [`diff`]: differences between two CIBs as Pacemaker-style patches.
//! - [`store`]: an on-disk store with history, behind a small trait.
//!
//! # Data flow
//!
//! Text enters through [`xml::parse`] (or [`model::Cib::parse`]), becomes a
//! [`model::Cib`], is checked by [`validate::validate`], and leaves as text
//! through [`model::Cib::to_xml`], as a [`diff::Patch`], or into a
//! [`store::CibStore`].
//!
//! ```
//! let cib = cib::model::Cib::parse(
//!     r#"<cib admin_epoch="0" epoch="1" num_updates="0" validate-with="pacemaker-3.9">
//!          <configuration><crm_config/><nodes/><resources>
//!            <primitive id="ip" class="ocf" provider="heartbeat" type="IPaddr2"/>
//!          </resources><constraints/></configuration><status/></cib>"#,
//! ).unwrap();
//! assert_eq!(cib.configuration().unwrap().resources()[0].id(), Some("ip"));
//! assert!(cib::validate::validate(&cib).is_empty());
//! ```
#![warn(missing_docs)]

pub mod diff;
pub mod model;
pub mod store;
pub mod validate;
pub mod values;
pub mod version;
pub mod xml;
