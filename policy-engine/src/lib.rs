//! Tandem's policy engine: a pure, deterministic function from a CIB
//! (configuration + status) and the current time to a [`Transition`].
//!
//! Data enters as a parsed CIB document (`cib::xml::Element`) plus an
//! explicit `now` (epoch seconds; `None` means the CIB's `execution-date`, else
//! 0). On large CIBs the resource histories can instead come apart from the
//! tree, as compact records read straight from the text
//! ([`history::read_cib`], [`schedule_with`]). Nothing here reads files,
//! clocks or the environment: the `tandem-simulate` binary passes `-t`, else
//! the wall clock when the CIB has no `execution-date`. Data leaves as a [`Transition`]: placements and next
//! roles, actions with their required/runnable flags and reasons, the ordering
//! graph (petgraph), the Transition Summary as data ([`summary::Summary`]),
//! allocation/promotion scores and per-resource reasons.
//!
//! The pipeline mirrors Pacemaker's scheduler; each stage consumes the
//! previous stage's value and returns a new type:
//!
//! ```text
//! unpack::unpack          CIB, now  -> Unpacked  options, nodes + states, resources (clone
//!                                                instances expanded), constraints, history;
//!                                                bundles first become primitives, guest
//!                                                nodes and a clone ([`bundle`])
//! assign::score           Unpacked  -> Scored    allowed-node tables (locations, health,
//!                                                stickiness, failure bans, tickets)
//! assign::assign          Scored    -> Assigned  node + next role per resource, promotion,
//!                                                score lines, reasons
//! actions::create_actions Assigned  -> Actions   start/stop/promote/demote/fence actions,
//!                                                orderings, flags propagated to a fixed point
//! summary::summarize, graph::build  -> Transition  summary lines as data, executed graph
//!                                                (live migrations the summary reports, and
//!                                                stop_unexpected's kept copies, are
//!                                                settled in the graph in between)
//! ```
//!
//! Text is produced only by [`render`] (crm_mon / crm_simulate look; `crm
//! status` can reuse [`render::cluster_status`]) and the binaries. Iteration is
//! over `Vec`s in configuration order or `BTreeMap`s, never hash order, so
//! output is reproducible byte for byte.

pub mod actions;
pub mod assign;
pub mod bundle;
pub mod constraints;
pub mod digest;
pub mod graph;
pub mod graph_ops;
pub mod history;
pub mod model;
pub mod notify;
pub mod render;
pub mod rules;
pub mod score;
pub mod simulate;
pub mod summary;
pub mod unpack;

pub use score::Score;

use cib::xml::Element;

/// Errors from the policy engine.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    #[error("invalid CIB: {0}")]
    Unpack(#[from] unpack::UnpackError),
}

/// The result of scheduling.
#[derive(Debug, Clone)]
pub struct Transition {
    pub actions: actions::Actions,
    pub summary: summary::Summary,
    pub graph: graph::Graph,
}

impl Transition {
    pub fn unpacked(&self) -> &unpack::Unpacked {
        &self.actions.assigned.scored.unpacked
    }
}

/// Run the whole pipeline.
pub fn schedule(cib: &Element, now: Option<i64>) -> Result<Transition, Error> {
    schedule_with(cib, history::History::from_cib(cib), now)
}

/// [`schedule`] with the resource histories given apart from the tree, as
/// [`history::read_cib`] reads CIB text (the tree's own are not read).
pub fn schedule_with(
    cib: &Element,
    history: history::History,
    now: Option<i64>,
) -> Result<Transition, Error> {
    let u = unpack::unpack_with(cib, history, now)?;
    let scored = assign::score(u);
    let assigned = assign::assign(scored);
    let acts = actions::create_actions(assigned);
    let summary = summary::summarize(&acts);
    let mut acts = acts;
    graph_ops::add_migrations(&mut acts, &summary);
    graph_ops::stop_unexpected(&mut acts);
    let graph = graph::build(&acts);
    Ok(Transition {
        actions: acts,
        summary,
        graph,
    })
}

pub(crate) fn rules_cmp_version(a: &str, b: &str) -> std::cmp::Ordering {
    // the shorter version is padded with zeros
    let field = |s: &str| s.parse::<i64>().unwrap_or(0);
    let (mut pa, mut pb) = (a.split('.').map(field), b.split('.').map(field));
    loop {
        match (pa.next(), pb.next()) {
            (None, None) => return std::cmp::Ordering::Equal,
            (x, y) => {
                let (x, y) = (x.unwrap_or(0), y.unwrap_or(0));
                if x != y {
                    return x.cmp(&y);
                }
            }
        }
    }
}

/// The transition graph as Pacemaker's XML (`crm_simulate -G`).
pub fn graph_xml(t: &Transition) -> String {
    graph::to_xml(t)
}
