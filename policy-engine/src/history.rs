//! Resource histories: the status section's `lrm_resource` entries and their
//! `lrm_rsc_op` operations, as compact typed records.
//!
//! On a large cluster the histories are most of the CIB (one entry per
//! resource per node), and the engine reads only a few attributes of each
//! operation. [`read_cib`] therefore streams them out of the XML text
//! straight into these records, never building tree elements for them; the
//! rest of the document (configuration, node states) becomes the usual
//! `cib::xml::Element` tree. [`History::from_cib`] reads the same records from
//! a tree that still holds its histories (a CIB built in memory).

use std::borrow::Cow;
use std::collections::BTreeSet;
use std::sync::Arc;

use cib::xml::{Attr, Divert, Element, XmlError};

/// One operation from a resource's history on a node (`lrm_rsc_op`).
#[derive(Debug, Clone, Default)]
pub struct HistOp {
    /// `operation`: the known names are shared, not copied per entry.
    pub task: Cow<'static, str>,
    pub interval_ms: u64,
    pub call_id: i64,
    pub rc: i64,
    /// From the `transition-key` (0 without one).
    pub expected_rc: i64,
    pub op_status: i64,
    /// `last-rc-change`, else `last-run` (0 when neither).
    pub last_rc_change: i64,
    /// `last-rc-change` itself (0 when absent), for ordering ops across nodes.
    pub rc_change: i64,
    /// Recorded with a feature set below 2.0, whose digests used another
    /// recipe: they cannot be compared.
    pub legacy_digests: bool,
    pub op_digest: Option<Box<str>>,
    pub restart_digest: Option<Box<str>>,
    pub force_restart: Option<Box<str>>,
    pub migrate_source: Option<Box<str>>,
    pub migrate_target: Option<Box<str>>,
    pub secure_params: Option<Box<str>>,
    pub secure_digest: Option<Box<str>>,
    /// The transition the result came from (`transition-magic`, else
    /// `transition-key`; -1 when unknown) and a hash of its UUID: they
    /// place a pending op among completed ones (`sort_op_by_callid`).
    pub transition: i32,
    pub transition_uuid: u64,
    /// The entry records the last failure (`id` ends in `_last_failure_0`).
    pub last_failure: bool,
}

/// Operation names an entry shares instead of owning a copy.
const TASKS: [&str; 10] = [
    "monitor",
    "start",
    "stop",
    "promote",
    "demote",
    "migrate_to",
    "migrate_from",
    "notify",
    "reload",
    "reload-agent",
];

impl HistOp {
    /// From an `lrm_rsc_op`'s attributes; the first of a repeated name wins.
    pub fn from_attrs<'a>(attrs: impl IntoIterator<Item = (&'a str, &'a str)>) -> HistOp {
        let mut v: [Option<&str>; 18] = [None; 18];
        for (k, val) in attrs {
            let i = match k {
                "operation" => 0,
                "interval" => 1,
                "call-id" => 2,
                "rc-code" => 3,
                "transition-key" => 4,
                "op-status" => 5,
                "last-rc-change" => 6,
                "last-run" => 7,
                "op-digest" => 8,
                "op-restart-digest" => 9,
                "op-force-restart" => 10,
                "migrate_source" => 11,
                "migrate_target" => 12,
                "crm_feature_set" => 13,
                "op-secure-params" => 14,
                "op-secure-digest" => 15,
                "transition-magic" => 16,
                "id" => 17,
                _ => continue,
            };
            v[i].get_or_insert(val);
        }
        let [operation, interval, call_id, rc_code, transition_key, op_status, last_rc_change, last_run, op_digest, restart_digest, force_restart, migrate_source, migrate_target, feature_set, secure_params, secure_digest, magic, id] =
            v;
        // "action:transition:target-rc:uuid", after "status:rc;" in the magic
        let key = magic
            .and_then(|m| m.split_once(';').map(|(_, k)| k))
            .or(transition_key);
        let (transition, transition_uuid) = key
            .map(|k| {
                let mut f = k.splitn(4, ':');
                let t = f.nth(1).and_then(|t| t.parse().ok()).unwrap_or(-1);
                let uuid = f.nth(1).unwrap_or("");
                // FNV-1a: only equality matters
                let h = uuid.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
                    (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
                });
                (t, h)
            })
            .unwrap_or((-1, 0));
        let i = |x: Option<&str>| x.and_then(|v| v.trim().parse::<i64>().ok());
        let text = |x: Option<&str>| x.map(Box::from);
        let operation = operation.unwrap_or("");
        HistOp {
            task: match TASKS.iter().find(|t| **t == operation) {
                Some(t) => Cow::Borrowed(*t),
                None => Cow::Owned(operation.to_string()),
            },
            interval_ms: interval.and_then(|v| v.trim().parse().ok()).unwrap_or(0),
            call_id: i(call_id).unwrap_or(0),
            rc: match i(rc_code).unwrap_or(0) {
                190 => 0,
                191 => 8,
                x => x,
            },
            expected_rc: transition_key
                .and_then(|k| k.split(':').nth(2))
                .and_then(|v| v.parse().ok())
                .unwrap_or(0),
            op_status: i(op_status).unwrap_or(0),
            last_rc_change: i(last_rc_change).or(i(last_run)).unwrap_or(0),
            rc_change: i(last_rc_change).unwrap_or(0),
            legacy_digests: feature_set.is_some_and(|f| crate::rules_cmp_version(f, "2.0").is_lt()),
            op_digest: text(op_digest),
            restart_digest: text(restart_digest),
            force_restart: text(force_restart),
            migrate_source: text(migrate_source),
            migrate_target: text(migrate_target),
            secure_params: text(secure_params),
            secure_digest: text(secure_digest),
            transition,
            transition_uuid,
            last_failure: id.is_some_and(|i| i.ends_with("_last_failure_0")),
        }
    }
}

/// One resource's history on one node (`lrm_resource`).
#[derive(Debug, Clone, Default)]
pub struct LrmResource {
    /// The id the history was recorded under (an instance id like `rsc:1`
    /// for clones).
    pub id: String,
    /// Class, provider and `type` (the agent): shared by the entries that
    /// name the same, not copied per entry.
    pub class: Option<Arc<str>>,
    pub provider: Option<Arc<str>>,
    pub agent: Option<Arc<str>>,
    /// `shutdown-lock` (epoch seconds), when set and not 0.
    pub shutdown_lock: Option<i64>,
    /// The `lrm_rsc_op` entries in document order.
    pub ops: Vec<HistOp>,
}

impl LrmResource {
    /// From an `lrm_resource`'s attributes (agent names shared through
    /// `names`); `None` without an id (such an entry is ignored).
    fn from_attrs<'a>(
        attrs: impl IntoIterator<Item = (&'a str, &'a str)>,
        names: &mut BTreeSet<Arc<str>>,
    ) -> Option<Self> {
        let mut id = None;
        let mut r = LrmResource::default();
        for (k, v) in attrs {
            let slot = match k {
                "id" => {
                    id.get_or_insert_with(|| v.to_string());
                    continue;
                }
                "class" => &mut r.class,
                "provider" => &mut r.provider,
                "type" => &mut r.agent,
                "shutdown-lock" => {
                    if r.shutdown_lock.is_none() {
                        r.shutdown_lock = v.trim().parse::<i64>().ok().filter(|&t| t != 0);
                    }
                    continue;
                }
                _ => continue,
            };
            slot.get_or_insert_with(|| match names.get(v) {
                Some(name) => name.clone(),
                None => {
                    let name: Arc<str> = v.into();
                    names.insert(name.clone());
                    name
                }
            });
        }
        r.id = id?;
        Some(r)
    }
}

/// The resource histories of a CIB: per `node_state` of its (first) status
/// section, in document order, the `lrm_resource` entries of its (first)
/// `lrm` / `lrm_resources`.
#[derive(Debug, Clone, Default)]
pub struct History {
    node_states: Vec<Vec<LrmResource>>,
}

impl History {
    /// The histories held in a CIB tree.
    pub fn from_cib(root: &Element) -> History {
        let Some(status) = root.child("status") else {
            return History::default();
        };
        fn attrs(e: &Element) -> impl Iterator<Item = (&str, &str)> {
            e.attrs.iter().map(|(k, v)| (k.as_str(), v.as_str()))
        }
        let mut names = BTreeSet::new();
        let node_states = status
            .elements()
            .filter(|e| e.name == "node_state")
            .map(|ns| {
                let Some(lrs) = ns.child("lrm").and_then(|l| l.child("lrm_resources")) else {
                    return Vec::new();
                };
                lrs.elements()
                    .filter(|e| e.name == "lrm_resource")
                    .filter_map(|lr| {
                        let mut r = LrmResource::from_attrs(attrs(lr), &mut names)?;
                        r.ops = lr
                            .elements()
                            .filter(|e| e.name == "lrm_rsc_op")
                            .map(|op| HistOp::from_attrs(attrs(op)))
                            .collect();
                        Some(r)
                    })
                    .collect()
            })
            .collect();
        History { node_states }
    }

    /// Takes out the entries of the `node_state` at this position (empty
    /// when taken before).
    pub fn take(&mut self, node_state: usize) -> Vec<LrmResource> {
        self.node_states
            .get_mut(node_state)
            .map(std::mem::take)
            .unwrap_or_default()
    }
}

/// Reads CIB text into the tree the engine reads, without the resource
/// histories (`lrm_resource` elements are left out; the rest is as
/// `cib::xml::parse_lean` makes it), and the histories. Pass both to
/// [`crate::schedule_with`] or [`crate::unpack::unpack_with`]: the tree alone
/// given to [`crate::schedule`] would look as if no resource had ever run.
pub fn read_cib(text: &str) -> Result<(Element, History), XmlError> {
    let mut reader = Reader::default();
    let root = cib::xml::parse_lean(text, &mut reader)?;
    Ok((root, reader.history))
}

/// Collects the histories while `parse_lean` builds the rest of the tree.
#[derive(Default)]
struct Reader {
    history: History,
    /// Agent names read so far.
    names: BTreeSet<Arc<str>>,
    /// The `node_state` the entries being read belong to, while reading an
    /// entry that has an id.
    current: Option<usize>,
}

impl Divert for Reader {
    /// The `lrm_resource` children of the first `lrm` / `lrm_resources` of
    /// a `node_state` in the first `status` (where [`History::from_cib`]
    /// looks).
    fn claims(&mut self, open: &[Element], name: &str) -> bool {
        let first = |parent: &Element, child: &str| parent.child(child).is_none();
        let [root, status, node_state, lrm, lrm_resources] = open else {
            return false;
        };
        let claimed = name == "lrm_resource"
            && status.name == "status"
            && node_state.name == "node_state"
            && lrm.name == "lrm"
            && lrm_resources.name == "lrm_resources"
            && first(root, "status")
            && first(node_state, "lrm")
            && first(lrm, "lrm_resources");
        if claimed {
            // the open node_state is not among the status's children yet
            let k = status.elements().filter(|e| e.name == "node_state").count();
            let states = &mut self.history.node_states;
            if states.len() <= k {
                states.resize_with(k + 1, Vec::new);
            }
            self.current = Some(k);
        }
        claimed
    }

    fn element(&mut self, depth: usize, name: &str, attrs: &[Attr<'_>]) -> Result<(), String> {
        let attrs = attrs.iter().map(|(k, v)| (k.as_ref(), v.as_ref()));
        match depth {
            0 => {
                let k = self.current.take().expect("claimed in a node_state");
                if let Some(r) = LrmResource::from_attrs(attrs, &mut self.names) {
                    self.history.node_states[k].push(r);
                    self.current = Some(k);
                }
            }
            1 if name == "lrm_rsc_op" => {
                if let Some(k) = self.current {
                    let r = self.history.node_states[k]
                        .last_mut()
                        .expect("entry being read");
                    // most entries hold one or two operations: no spare room
                    r.ops.reserve_exact(1);
                    r.ops.push(HistOp::from_attrs(attrs));
                }
            }
            _ => {}
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CIB: &str = r#"<cib>
  <configuration/>
  <status>
    <node_state id="1" uname="a">
      <lrm id="1">
        <lrm_resources>
          <lrm_resource id="r1" class="ocf" provider="heartbeat" type="Dummy" shutdown-lock="7">
            <lrm_rsc_op id="r1_last_0" operation="start" call-id="3" rc-code="0" op-status="0" interval="0" transition-key="1:2:0:x" crm_feature_set="1.0" op-digest="ab&amp;c"/>
            <other/>
            <lrm_rsc_op id="r1_monitor_10000" operation="monitor" call-id="4" rc-code="191" interval="10000" last-run="5"/>
          </lrm_resource>
          <lrm_resource class="ocf" type="no-id"><lrm_rsc_op operation="stop"/></lrm_resource>
          <lrm_resource id="r2" class="stonith" type="fence"><lrm_rsc_op operation="odd-task" last-rc-change="9"/></lrm_resource>
        </lrm_resources>
      </lrm>
      <lrm><lrm_resources><lrm_resource id="ignored"/></lrm_resources></lrm>
    </node_state>
    <node_state id="2" uname="b"/>
    <node_state id="3" uname="c">
      <lrm><lrm_resources><lrm_resource id="r3"/></lrm_resources></lrm>
    </node_state>
  </status>
  <status><node_state><lrm><lrm_resources><lrm_resource id="ignored"/></lrm_resources></lrm></node_state></status>
</cib>"#;

    #[test]
    fn text_and_tree_give_the_same_history() {
        let (lean, streamed) = read_cib(CIB).unwrap();
        let full = cib::xml::parse(CIB).unwrap();
        let from_tree = History::from_cib(&full);
        assert_eq!(format!("{streamed:?}"), format!("{from_tree:?}"));
        // histories are left out of the lean tree, and only they
        assert!(History::from_cib(&lean)
            .node_states
            .iter()
            .all(Vec::is_empty));
        let ns = lean.child("status").unwrap().child("node_state").unwrap();
        assert_eq!(ns.elements().count(), 2, "both lrm elements stay");

        let mut h = streamed;
        let a = h.take(0);
        assert_eq!(a.len(), 2, "the entry without an id is dropped");
        assert_eq!(a[0].id, "r1");
        assert_eq!(a[0].shutdown_lock, Some(7));
        assert_eq!(a[0].ops.len(), 2);
        let start = &a[0].ops[0];
        assert_eq!(
            (&*start.task, start.call_id, start.expected_rc),
            ("start", 3, 0)
        );
        assert!(start.legacy_digests);
        assert_eq!(start.op_digest.as_deref(), Some("ab&c"));
        let monitor = &a[0].ops[1];
        assert_eq!((monitor.rc, monitor.interval_ms), (8, 10000));
        assert_eq!((monitor.last_rc_change, monitor.rc_change), (5, 0));
        assert!(matches!(monitor.task, Cow::Borrowed(_)));
        assert!(matches!(a[1].ops[0].task, Cow::Owned(_)));
        assert!(h.take(0).is_empty(), "taken once");
        assert!(h.take(1).is_empty());
        assert_eq!(h.take(2)[0].id, "r3");
        assert!(h.take(3).is_empty());
    }
}
