//! Whatever is typed, `crm` answers with output or an error, never a panic:
//! random command lines built from the language's own words, brackets,
//! quotes and typographic characters are fed to a session over an
//! in-memory CIB, and every staged configuration must still render.

use std::cell::RefCell;

use cib::xml::Element;
use crm_shell::session::{Options, Shell};
use crm_shell::store::CibStore;
use proptest::prelude::*;

struct Mem(RefCell<Element>);

impl CibStore for Mem {
    fn load(&self) -> anyhow::Result<Element> {
        Ok(self.0.borrow().clone())
    }
    fn save(&self, c: &Element) -> anyhow::Result<()> {
        *self.0.borrow_mut() = c.clone();
        Ok(())
    }
}

const WORDS: &[&str] = &[
    "primitive",
    "group",
    "clone",
    "ms",
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
    "delete",
    "rename",
    "modgroup",
    "add",
    "remove",
    "set",
    "show",
    "commit",
    "erase",
    "d1",
    "d2",
    "d3",
    "g1",
    "c1",
    "Dummy",
    "ocf:heartbeat:Dummy",
    "stonith:null",
    "params",
    "meta",
    "op",
    "op_params",
    "rule",
    "inf:",
    "-inf:",
    "100:",
    "Mandatory:",
    "#uname",
    "eq",
    "and",
    "or",
    "date",
    "in",
    "start=2020-01-01",
    "years=1",
    "defined",
    "(",
    ")",
    "[",
    "]",
    "{",
    "}",
    "d1:Master",
    "d2:start",
    "x=1",
    "$id=z",
    "$id-ref=d1",
    "@d1",
    "interval=10s",
    "node1",
    "\"a b\"",
    "'q'",
    "”x″",
    "–",
    "\\",
    "sequential=true",
    "symmetrical=false",
    "to",
    "select",
    "read",
    "ref:d1",
    "meta:d1:target-role",
    "/d[0-9]/",
    "loss-policy=fence",
    "node-attribute=rack",
    "id=d9",
];

fn empty() -> Element {
    cib::xml::parse(
        "<cib epoch=\"1\" num_updates=\"0\" admin_epoch=\"0\"><configuration><crm_config/><nodes/>\
         <resources/><constraints/></configuration><status/></cib>",
    )
    .unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1000))]
    #[test]
    fn sessions_never_panic(lines in prop::collection::vec(prop::collection::vec(prop::sample::select(WORDS), 1..9), 1..12)) {
        let store = Mem(RefCell::new(empty()));
        let mut script = String::from("configure\nprimitive d1 Dummy\nprimitive d2 Dummy\n");
        for l in &lines {
            script.push_str(&l.join(" "));
            script.push('\n');
        }
        script.push_str("show\ncommit\n");
        let (mut out, mut err) = (Vec::new(), Vec::new());
        let mut sh = Shell::new(Options { force: true }, &store, &mut out, &mut err);
        sh.run_script(&script, 1);
        let conf = store.load().unwrap().child("configuration").cloned().unwrap();
        let _ = crm_shell::show::show_config(&conf, &[]);
    }
}
