use super::*;
use crate::xml::parse;

use proptest::prelude::*;

fn xml(s: &str) -> Element {
    parse(s).unwrap_or_else(|e| panic!("test XML does not parse: {e}\n{s}"))
}

/// `apply(a, diff(a, b)) == b`, also after the patch's trip through XML
/// text. Returns the patch.
fn round_trip(a: &Element, b: &Element) -> Patch {
    let patch = diff(a, b);
    let got = apply(a, &patch).unwrap_or_else(|e| {
        panic!(
            "apply failed: {e}\npatch:\n{}\na:\n{}\nb:\n{}",
            patch.to_xml().to_xml(),
            a.to_xml(),
            b.to_xml()
        )
    });
    assert_eq!(
        got.canonical(),
        b.canonical(),
        "apply(a, diff(a, b)) != b\npatch:\n{}",
        patch.to_xml().to_xml()
    );
    let text = patch.to_xml().to_xml();
    let mut back = Patch::from_xml(&xml(&text)).unwrap_or_else(|e| panic!("{e}\n{text}"));
    strip_positions(&mut back);
    let mut sent = patch.clone();
    strip_positions(&mut sent);
    assert_eq!(back, sent, "patch changed on its trip through XML:\n{text}");
    patch
}

/// Elements read from text carry positions; one built in memory does not.
fn strip_positions(p: &mut Patch) {
    fn strip(e: &mut Element) {
        e.pos = Pos::default();
        for c in e.elements_mut() {
            strip(c);
        }
    }
    for c in &mut p.changes {
        if let Change::Create {
            node: Node::Element(e),
            ..
        } = c
        {
            strip(e);
        }
    }
}

const BASE: &str = r#"<cib admin_epoch="0" epoch="4" num_updates="2" validate-with="pacemaker-3.0">
  <configuration>
    <crm_config/>
    <resources>
      <primitive id="a" class="ocf" provider="heartbeat" type="Dummy">
        <operations>
          <op id="a-mon" name="monitor" interval="10s"/>
        </operations>
      </primitive>
      <primitive id="b" class="ocf" provider="heartbeat" type="Dummy"/>
    </resources>
  </configuration>
  <status>
    <node_state id="1" uname="n1"/>
  </status>
</cib>"#;

#[test]
fn identical_trees_give_an_empty_patch() {
    let a = xml(BASE);
    let p = round_trip(&a, &a.clone());
    assert!(p.is_empty(), "{:?}", p.changes);
    assert_eq!(p.source, Version::new(0, 4, 2));
    assert_eq!(p.target, p.source);
}

#[test]
fn create_an_element_at_its_position() {
    let a = xml(BASE);
    let b = xml(&BASE.replace(
        r#"<primitive id="b""#,
        r#"<primitive id="c" class="ocf" provider="heartbeat" type="IPaddr2"/><primitive id="b""#,
    ));
    let p = round_trip(&a, &b);
    assert_eq!(p.changes.len(), 1, "{:?}", p.changes);
    let Change::Create {
        path,
        position,
        node: Node::Element(e),
    } = &p.changes[0]
    else {
        panic!("expected a create: {:?}", p.changes[0]);
    };
    assert_eq!(path, "/cib/configuration/resources");
    assert_eq!(*position, 1);
    assert_eq!(e.attr("id"), Some("c"));
}

#[test]
fn delete_an_element_by_id() {
    let a = xml(BASE);
    let b = xml(&BASE.replace(
        r#"<primitive id="b" class="ocf" provider="heartbeat" type="Dummy"/>"#,
        "",
    ));
    let p = round_trip(&a, &b);
    assert_eq!(
        p.changes,
        vec![Change::Delete {
            path: "/cib/configuration/resources/primitive[@id='b']".into(),
            position: None
        }]
    );
}

#[test]
fn modify_sets_and_unsets_attributes() {
    let a = xml(BASE);
    let b = xml(&BASE.replace(
        r#"<op id="a-mon" name="monitor" interval="10s"/>"#,
        r#"<op id="a-mon" name="monitor" interval="20s" timeout="5s"/>"#,
    ))
    .clone();
    let mut b = b;
    // And drop `provider` from primitive a.
    let res = b
        .child_mut("configuration")
        .and_then(|c| c.child_mut("resources"))
        .unwrap();
    res.elements_mut().next().unwrap().remove_attr("provider");
    let p = round_trip(&a, &b);
    assert_eq!(p.changes.len(), 2, "{:?}", p.changes);
    assert_eq!(
        p.changes[0],
        Change::Modify {
            path: "/cib/configuration/resources/primitive[@id='a']".into(),
            attrs: vec![AttrChange {
                name: "provider".into(),
                op: AttrOp::Unset
            }],
            result: vec![
                ("id".into(), "a".into()),
                ("class".into(), "ocf".into()),
                ("type".into(), "Dummy".into()),
            ],
        }
    );
    let Change::Modify { path, attrs, .. } = &p.changes[1] else {
        panic!("{:?}", p.changes[1]);
    };
    assert_eq!(
        path,
        "/cib/configuration/resources/primitive[@id='a']/operations/op[@id='a-mon']"
    );
    assert_eq!(
        attrs,
        &vec![
            AttrChange {
                name: "interval".into(),
                op: AttrOp::Set("20s".into())
            },
            AttrChange {
                name: "timeout".into(),
                op: AttrOp::Set("5s".into())
            },
        ]
    );
}

#[test]
fn attribute_order_alone_is_no_change() {
    let a = xml(r#"<cib><x id="1" a="1" b="2"/></cib>"#);
    let b = xml(r#"<cib><x b="2" id="1" a="1"/></cib>"#);
    assert!(diff(&a, &b).is_empty());
}

#[test]
fn a_swap_is_one_move() {
    let a = xml(r#"<cib><r><p id="1"/><p id="2"/><p id="3"/><p id="4"/></r></cib>"#);
    let b = xml(r#"<cib><r><p id="4"/><p id="1"/><p id="2"/><p id="3"/></r></cib>"#);
    let p = round_trip(&a, &b);
    assert_eq!(
        p.changes,
        vec![Change::Move {
            path: "/cib/r/p[@id='4']".into(),
            position: 0
        }]
    );
    let c = xml(r#"<cib><r><p id="3"/><p id="2"/><p id="1"/><p id="4"/></r></cib>"#);
    assert_eq!(round_trip(&a, &c).changes.len(), 2);
}

#[test]
fn text_and_comments_are_created_deleted_and_moved() {
    let a = xml(r#"<cib><x id="1">hello<!--note--><y/></x><!--top--></cib>"#);
    let b = xml(r#"<cib><!--top--><x id="1"><y/>bye<!--note--></x></cib>"#);
    let p = round_trip(&a, &b);
    let ops: Vec<(&str, &str)> = p
        .changes
        .iter()
        .map(|c| (c.operation(), c.path()))
        .collect();
    assert_eq!(
        ops,
        vec![
            ("delete", "/cib/x[@id='1']/text()[1]"),
            ("move", "/cib/comment()[1]"),
            ("move", "/cib/x[@id='1']/y"),
            ("create", "/cib/x[@id='1']"),
        ]
    );
    assert_eq!(
        p.changes[0],
        Change::Delete {
            path: "/cib/x[@id='1']/text()[1]".into(),
            position: Some(0)
        }
    );
}

#[test]
fn duplicate_ids_fall_back_to_positions() {
    // Two <op id="o"> siblings: the id cannot name either one.
    let a = xml(r#"<cib><p id="r"><op id="o" n="1"/><op id="o" n="2"/><op n="3"/></p></cib>"#);
    let b = xml(r#"<cib><p id="r"><op id="o" n="1"/><op id="o" n="two"/><op n="3"/></p></cib>"#);
    let p = round_trip(&a, &b);
    assert_eq!(p.changes.len(), 1);
    assert_eq!(p.changes[0].path(), "/cib/p[@id='r']/op[2]");
    // Id-less siblings: the first is bare, the others are numbered.
    let a = xml(r#"<cib><rule/><rule a="1"/></cib>"#);
    let b = xml(r#"<cib><rule/><rule a="2"/></cib>"#);
    assert_eq!(round_trip(&a, &b).changes[0].path(), "/cib/rule[2]");
    let b = xml(r#"<cib><rule b="1"/><rule a="1"/></cib>"#);
    assert_eq!(round_trip(&a, &b).changes[0].path(), "/cib/rule");
}

#[test]
fn awkward_ids_are_quoted_or_numbered() {
    for id in ["it's", "a/b", "x]y", "[@id='z']"] {
        let a = Element::new("cib").with_child(Element::new("p").with_attr("id", id));
        let b = Element::new("cib")
            .with_child(Element::new("p").with_attr("id", id).with_attr("v", "1"));
        let p = round_trip(&a, &b);
        assert_eq!(p.changes.len(), 1, "{id}");
    }
    let both = "a'b\"c";
    let a = Element::new("cib").with_child(Element::new("p").with_attr("id", both));
    let b =
        Element::new("cib").with_child(Element::new("p").with_attr("id", both).with_attr("v", "1"));
    assert_eq!(round_trip(&a, &b).changes[0].path(), "/cib/p");
}

#[test]
fn an_id_change_is_delete_and_create() {
    let a = xml(r#"<cib><p id="1"><c/></p></cib>"#);
    let b = xml(r#"<cib><p id="2"><c/></p></cib>"#);
    let p = round_trip(&a, &b);
    let ops: Vec<&str> = p.changes.iter().map(|c| c.operation()).collect();
    assert_eq!(ops, ["delete", "create"]);
}

#[test]
fn a_different_root_is_replaced() {
    let a = xml(r#"<cib epoch="1"><x/></cib>"#);
    let b = xml(r#"<other epoch="2"><y/></other>"#);
    let p = round_trip(&a, &b);
    assert_eq!(
        p.changes[0],
        Change::Delete {
            path: "/cib".into(),
            position: None
        }
    );
    assert_eq!(p.changes[1].path(), "/");
}

#[test]
fn the_patch_xml_is_pacemakers_v2_format() {
    let a = xml(
        r#"<cib admin_epoch="0" epoch="1" num_updates="3"><configuration><resources><primitive id="a"/><primitive id="b"/></resources></configuration></cib>"#,
    );
    let b = xml(
        r#"<cib admin_epoch="0" epoch="2" num_updates="0"><configuration><resources><primitive id="b" type="x"/><primitive id="c"/></resources></configuration></cib>"#,
    );
    let p = round_trip(&a, &b);
    let expected = r#"<diff format="2">
  <version>
    <source admin_epoch="0" epoch="1" num_updates="3"/>
    <target admin_epoch="0" epoch="2" num_updates="0"/>
  </version>
  <change operation="delete" path="/cib/configuration/resources/primitive[@id='a']"/>
  <change operation="modify" path="/cib">
    <change-list>
      <change-attr name="epoch" operation="set" value="2"/>
      <change-attr name="num_updates" operation="set" value="0"/>
    </change-list>
    <change-result>
      <cib admin_epoch="0" epoch="2" num_updates="0"/>
    </change-result>
  </change>
  <change operation="modify" path="/cib/configuration/resources/primitive[@id='b']">
    <change-list>
      <change-attr name="type" operation="set" value="x"/>
    </change-list>
    <change-result>
      <primitive id="b" type="x"/>
    </change-result>
  </change>
  <change operation="create" path="/cib/configuration/resources" position="1">
    <primitive id="c"/>
  </change>
</diff>
"#;
    assert_eq!(p.to_xml().to_xml(), expected);
}

/// A patchset in Pacemaker's own shape (as `cibadmin --patch` takes it),
/// written by hand: moves and creates are placed after the other changes,
/// by ascending position, whatever their order in the patch.
#[test]
fn applies_a_pacemaker_style_patchset() {
    let a = xml(
        r#"<cib admin_epoch="0" epoch="7" num_updates="1"><configuration><resources><primitive id="a"/><primitive id="b"/><primitive id="c"/></resources></configuration><status/></cib>"#,
    );
    let patch = xml(r#"<diff format="2">
      <version><source admin_epoch="0" epoch="7" num_updates="1"/><target admin_epoch="0" epoch="8" num_updates="0"/></version>
      <change operation="move" path="/cib/configuration/resources/primitive[@id='c']" position="1"/>
      <change operation="create" path="/cib/configuration/resources" position="0"><primitive id="new"/></change>
      <change operation="delete" path="/cib/configuration/resources/primitive[@id='b']"/>
      <change operation="modify" path="/cib">
        <change-list><change-attr name="epoch" operation="set" value="8"/><change-attr name="num_updates" operation="set" value="0"/></change-list>
        <change-result><cib admin_epoch="0" epoch="8" num_updates="0"/></change-result>
      </change>
    </diff>"#);
    let p = Patch::from_xml(&patch).unwrap();
    let got = apply(&a, &p).unwrap();
    let want = xml(
        r#"<cib admin_epoch="0" epoch="8" num_updates="0"><configuration><resources><primitive id="new"/><primitive id="c"/><primitive id="a"/></resources></configuration><status/></cib>"#,
    );
    assert_eq!(got.canonical(), want.canonical());
}

#[test]
fn a_patch_for_another_version_is_refused() {
    let a = xml(BASE);
    let mut b = a.clone();
    set_version(&mut b, Version::new(0, 5, 0));
    let p = diff(&a, &b);
    let mut other = a.clone();
    set_version(&mut other, Version::new(0, 4, 3));
    let before = other.clone();
    assert_eq!(
        apply(&other, &p),
        Err(DiffError::VersionMismatch {
            expected: Version::new(0, 4, 2),
            found: Version::new(0, 4, 3)
        })
    );
    assert_eq!(other, before);
    assert_eq!(
        apply(&other, &p).unwrap_err().to_string(),
        "patch applies to CIB version 0.4.2, but the CIB is at 0.4.3"
    );
}

#[test]
fn after_apply_the_root_carries_the_target_version() {
    let a = xml(BASE);
    let p = Patch {
        source: Version::new(0, 4, 2),
        target: Version::new(0, 4, 3),
        changes: vec![],
    };
    let got = apply(&a, &p).unwrap();
    assert_eq!(version_of(&got), Ok(Version::new(0, 4, 3)));
    // A document without counters keeps them absent while they are 0.
    let bare = xml("<cib><x/></cib>");
    let p = diff(&bare, &bare);
    assert_eq!(apply(&bare, &p).unwrap().attrs, vec![]);
}

#[test]
fn failures_name_the_path_and_change_nothing() {
    let a = xml(BASE);
    let before = a.clone();
    let v = version_of(&a).unwrap();
    let patch = |changes| Patch {
        source: v,
        target: v,
        changes,
    };
    let missing = "/cib/configuration/resources/primitive[@id='zz']";
    let p = patch(vec![
        Change::Delete {
            path: "/cib/configuration/resources/primitive[@id='b']".into(),
            position: None,
        },
        Change::Delete {
            path: missing.into(),
            position: None,
        },
    ]);
    let e = apply(&a, &p).unwrap_err();
    assert_eq!(
        e,
        DiffError::NotFound {
            operation: "delete",
            path: missing.into()
        }
    );
    assert_eq!(e.to_string(), format!("delete {missing}: no such node"));
    assert_eq!(a, before);

    let e = apply(
        &a,
        &patch(vec![Change::Create {
            path: "/cib/status".into(),
            position: 3,
            node: Node::Comment("x".into()),
        }]),
    )
    .unwrap_err();
    assert_eq!(
        e.to_string(),
        "create /cib/status: position 3 is past the end (1 children)"
    );

    let e = apply(
        &a,
        &patch(vec![Change::Modify {
            path: "/cib/status".into(),
            attrs: vec![AttrChange {
                name: "x".into(),
                op: AttrOp::Set("1".into()),
            }],
            result: vec![("x".into(), "2".into())],
        }]),
    )
    .unwrap_err();
    assert!(
        matches!(&e, DiffError::Conflict { path, .. } if path == "/cib/status"),
        "{e}"
    );

    let e = apply(
        &a,
        &patch(vec![Change::Move {
            path: "/cib/configuration[".into(),
            position: 0,
        }]),
    )
    .unwrap_err();
    assert!(matches!(e, DiffError::BadPath { .. }), "{e}");

    let e = apply(
        &a,
        &patch(vec![
            Change::Move {
                path: "/cib/status".into(),
                position: 0,
            },
            Change::Delete {
                path: "/cib/status".into(),
                position: None,
            },
        ]),
    )
    .unwrap_err();
    assert!(e.to_string().contains("deleted after it was moved"), "{e}");

    let e = apply(
        &a,
        &patch(vec![Change::Delete {
            path: "/cib".into(),
            position: None,
        }]),
    )
    .unwrap_err();
    assert!(e.to_string().contains("exactly one root"), "{e}");
    assert_eq!(a, before);
}

#[test]
fn bad_root_counters_are_reported() {
    let a = xml(r#"<cib epoch="x1"/>"#);
    let p = Patch {
        source: Version::default(),
        target: Version::default(),
        changes: vec![],
    };
    assert_eq!(
        apply(&a, &p),
        Err(DiffError::BadVersion {
            attr: "epoch".into(),
            value: "x1".into()
        })
    );
}

#[test]
fn malformed_patch_xml_is_reported_with_its_position() {
    let cases = [
        ("<patch/>", "1:1: bad patch: expected <diff>, found <patch>"),
        (
            "<diff>\n<version/></diff>",
            "1:1: bad patch: no format attribute (a v1 patchset?); only format 2 is supported",
        ),
        (
            "<diff format=\"2\">\n  <version>\n    <source epoch=\"-1\"/>\n  </version>\n</diff>",
            "3:5: bad patch: <source> epoch=\"-1\" is not a version counter",
        ),
        (
            "<diff format=\"2\"><version><source/><target/></version>\n<change operation=\"create\" path=\"/cib\"><x/></change></diff>",
            "2:1: bad patch: change at \"/cib\": no position attribute",
        ),
        (
            "<diff format=\"2\"><version><source/><target/></version>\n<change operation=\"replace\" path=\"/cib\"/></diff>",
            "2:1: bad patch: change at \"/cib\": unknown operation \"replace\"",
        ),
        (
            "<diff format=\"2\"><version><source/><target/></version>\n<change operation=\"modify\" path=\"/cib\"><change-list/></change></diff>",
            "2:1: bad patch: change at \"/cib\": no <change-result>",
        ),
        (
            "<diff format=\"2\"><version><source/><target/></version>\n<change operation=\"move\" path=\"/cib/x\" position=\"-2\"/></diff>",
            "2:1: bad patch: change at \"/cib/x\": position \"-2\" is not a non-negative integer",
        ),
    ];
    for (text, want) in cases {
        let e = Patch::from_xml(&xml(text)).unwrap_err();
        assert_eq!(e.to_string(), want, "{text}");
    }
}

#[test]
fn paths_parse_strictly() {
    for bad in [
        "cib",
        "/cib//x",
        "/cib/x[0]",
        "/cib/x[@id=a]",
        "/cib/x[@id='a'",
        "/cib/x]",
    ] {
        assert!(
            matches!(parse_path(bad), Err(DiffError::BadPath { .. })),
            "{bad} should not parse"
        );
    }
    assert_eq!(
        parse_path("/cib/p[@id=\"a'b/c\"]/text()[2]").unwrap(),
        vec![
            Step::Element {
                name: "cib".into(),
                pred: Pred::First
            },
            Step::Element {
                name: "p".into(),
                pred: Pred::Id("a'b/c".into())
            },
            Step::Text(2),
        ]
    );
    assert_eq!(parse_path("/").unwrap(), vec![]);
}

// --- versions --------------------------------------------------------------

#[test]
fn configuration_change_bumps_epoch() {
    let old = xml(BASE);
    let new = xml(&BASE.replace("interval=\"10s\"", "interval=\"11s\""));
    assert_eq!(next_version(&old, &new), Version::new(0, 5, 0));
    let new = xml(&BASE.replace("pacemaker-3.0", "pacemaker-3.9"));
    assert_eq!(next_version(&old, &new), Version::new(0, 5, 0));
    let mut new = old.clone();
    new.children
        .retain(|n| !matches!(n, Node::Element(e) if e.name == "configuration"));
    assert_eq!(next_version(&old, &new), Version::new(0, 5, 0));
}

#[test]
fn status_change_bumps_num_updates() {
    let old = xml(BASE);
    let new = xml(&BASE.replace("uname=\"n1\"", "uname=\"n1\" crmd=\"online\""));
    assert_eq!(next_version(&old, &new), Version::new(0, 4, 3));
    let new = xml(&BASE.replace("<cib ", "<cib have-quorum=\"1\" "));
    assert_eq!(next_version(&old, &new), Version::new(0, 4, 3));
}

#[test]
fn no_change_keeps_the_version_and_counters_are_not_content() {
    let old = xml(BASE);
    let mut new = old.clone();
    set_version(&mut new, Version::new(0, 9, 9));
    assert_eq!(next_version(&old, &new), Version::new(0, 4, 2));
}

#[test]
fn raising_admin_epoch_is_kept_and_counts_as_configuration() {
    let old = xml(BASE);
    let mut new = old.clone();
    new.set_attr("admin_epoch", "3");
    assert_eq!(next_version(&old, &new), Version::new(3, 5, 0));
    new.set_attr("admin_epoch", "0");
    let mut old2 = old.clone();
    old2.set_attr("admin_epoch", "2");
    // Never lowered.
    assert_eq!(next_version(&old2, &new), Version::new(2, 4, 2));
}

#[test]
fn newer_picks_the_higher_version() {
    let mk = |v| {
        let mut e = Element::new("cib");
        set_version(&mut e, v);
        e
    };
    let a = mk(Version::new(0, 10, 99));
    let b = mk(Version::new(1, 0, 0));
    assert!(std::ptr::eq(newer(&a, &b), &b));
    assert!(std::ptr::eq(newer(&b, &a), &b));
    let c = mk(Version::new(0, 11, 0));
    assert!(std::ptr::eq(newer(&a, &c), &c));
    let d = mk(Version::new(0, 10, 99));
    assert!(std::ptr::eq(newer(&a, &d), &a), "a tie keeps the first");
}

// --- property tests ---------------------------------------------------------

const NAMES: &[&str] = &["primitive", "op", "nvpair", "rule", "group"];
const IDS: &[&str] = &["a", "b", "c", "d", "it's", "x/y", "q\"r"];
const KEYS: &[&str] = &["name", "value", "type", "score", "class"];
const VALUES: &[&str] = &["1", "INFINITY", "a&b", "<x>", "\"q\"", "l1\nl2", "", "ü"];
const TEXTS: &[&str] = &["t", "a & b", "x<y", " padded ", "ü"];
const COMMENTS: &[&str] = &["c1", " note ", "x y"];

/// One node to add under an existing element (picked by `parent`, modulo).
#[derive(Debug, Clone)]
struct NodeSpec {
    parent: usize,
    kind: u8,
    name: usize,
    id: Option<usize>,
    attrs: Vec<(usize, usize)>,
    text: usize,
}

fn node_spec() -> impl Strategy<Value = NodeSpec> {
    (
        any::<usize>(),
        0u8..10,
        0..NAMES.len(),
        prop::option::weighted(0.7, 0..IDS.len()),
        prop::collection::vec((0..KEYS.len(), 0..VALUES.len()), 0..3),
        any::<usize>(),
    )
        .prop_map(|(parent, kind, name, id, attrs, text)| NodeSpec {
            parent,
            kind,
            name,
            id,
            attrs,
            text,
        })
}

impl NodeSpec {
    fn node(&self) -> Node {
        match self.kind {
            0 => Node::Text(TEXTS[self.text % TEXTS.len()].into()),
            1 => Node::Comment(COMMENTS[self.text % COMMENTS.len()].into()),
            _ => {
                let mut e = Element::new(NAMES[self.name]);
                if let Some(id) = self.id {
                    e.set_attr("id", IDS[id]);
                }
                for &(k, v) in &self.attrs {
                    e.set_attr(KEYS[k], VALUES[v]);
                }
                Node::Element(e)
            }
        }
    }
}

/// Index paths of every element, pre-order, the root (`[]`) first.
fn element_paths(e: &Element) -> Vec<Vec<usize>> {
    fn walk(e: &Element, at: &mut Vec<usize>, out: &mut Vec<Vec<usize>>) {
        out.push(at.clone());
        for (i, c) in e.children.iter().enumerate() {
            if let Node::Element(c) = c {
                at.push(i);
                walk(c, at, out);
                at.pop();
            }
        }
    }
    let mut out = Vec::new();
    walk(e, &mut Vec::new(), &mut out);
    out
}

fn at_mut<'e>(mut e: &'e mut Element, path: &[usize]) -> &'e mut Element {
    for &i in path {
        e = match &mut e.children[i] {
            Node::Element(c) => c,
            _ => unreachable!("element_paths only lists elements"),
        };
    }
    e
}

fn cib_tree(specs: &[NodeSpec], v: Version) -> Element {
    let mut root = Element::new("cib")
        .with_attr("validate-with", "pacemaker-3.0")
        .with_child(Element::new("configuration"))
        .with_child(Element::new("status"));
    set_version(&mut root, v);
    for s in specs {
        let paths = element_paths(&root);
        let parent = at_mut(&mut root, &paths[s.parent % paths.len()]);
        parent.children.push(s.node());
    }
    merge_texts(&mut root);
    root
}

/// Joins adjacent text nodes, which XML text cannot express (they would
/// come back as one node from the patch's XML form).
fn merge_texts(e: &mut Element) {
    let mut out: Vec<Node> = Vec::with_capacity(e.children.len());
    for n in std::mem::take(&mut e.children) {
        match (out.last_mut(), n) {
            (Some(Node::Text(prev)), Node::Text(t)) => prev.push_str(&t),
            (_, mut n) => {
                if let Node::Element(c) = &mut n {
                    merge_texts(c);
                }
                out.push(n);
            }
        }
    }
    e.children = out;
}

/// An edit of a tree; `at`/`from`/`to` pick elements and children modulo.
#[derive(Debug, Clone)]
enum Edit {
    SetAttr(usize, usize, usize),
    UnsetAttr(usize, usize),
    SetId(usize, usize),
    Insert(usize, usize, NodeSpec),
    Delete(usize, usize),
    Reorder(usize, usize, usize),
    Reverse(usize),
    Reparent(usize, usize, usize),
}

fn edit() -> impl Strategy<Value = Edit> {
    let u = || any::<usize>();
    prop_oneof![
        (u(), 0..KEYS.len(), 0..VALUES.len()).prop_map(|(a, k, v)| Edit::SetAttr(a, k, v)),
        (u(), u()).prop_map(|(a, k)| Edit::UnsetAttr(a, k)),
        (u(), 0..IDS.len()).prop_map(|(a, i)| Edit::SetId(a, i)),
        (u(), u(), node_spec()).prop_map(|(a, p, s)| Edit::Insert(a, p, s)),
        (u(), u()).prop_map(|(a, c)| Edit::Delete(a, c)),
        (u(), u(), u()).prop_map(|(a, f, t)| Edit::Reorder(a, f, t)),
        u().prop_map(Edit::Reverse),
        (u(), u(), u()).prop_map(|(a, c, t)| Edit::Reparent(a, c, t)),
    ]
}

fn apply_edit(root: &mut Element, e: &Edit) {
    let paths = element_paths(root);
    let pick = |i: usize| paths[i % paths.len()].clone();
    match e {
        Edit::SetAttr(a, k, v) => at_mut(root, &pick(*a)).set_attr(KEYS[*k], VALUES[*v]),
        Edit::UnsetAttr(a, k) => {
            let el = at_mut(root, &pick(*a));
            if !el.attrs.is_empty() {
                let i = k % el.attrs.len();
                el.attrs.remove(i);
            }
        }
        Edit::SetId(a, i) => at_mut(root, &pick(*a)).set_attr("id", IDS[*i]),
        Edit::Insert(a, p, s) => {
            let el = at_mut(root, &pick(*a));
            let at = p % (el.children.len() + 1);
            el.children.insert(at, s.node());
        }
        Edit::Delete(a, c) => {
            let el = at_mut(root, &pick(*a));
            if !el.children.is_empty() {
                let i = c % el.children.len();
                el.children.remove(i);
            }
        }
        Edit::Reorder(a, f, t) => {
            let el = at_mut(root, &pick(*a));
            if !el.children.is_empty() {
                let n = el.children.remove(f % el.children.len());
                let to = t % (el.children.len() + 1);
                el.children.insert(to, n);
            }
        }
        Edit::Reverse(a) => at_mut(root, &pick(*a)).children.reverse(),
        Edit::Reparent(a, c, t) => {
            // Move a child under another element (never into itself).
            let from = pick(*a);
            let el = at_mut(root, &from);
            if el.children.is_empty() {
                return;
            }
            let i = c % el.children.len();
            let moved = el.children.remove(i);
            let paths = element_paths(root);
            // The moved subtree is out of the tree, so no target is inside it.
            let to = paths[t % paths.len()].clone();
            at_mut(root, &to).children.push(moved);
        }
    }
}

fn version() -> impl Strategy<Value = Version> {
    (0u64..3, 0u64..20, 0u64..20).prop_map(|(a, e, n)| Version::new(a, e, n))
}

/// A random CIB-like tree and a random edit of it (with a new version).
fn cib_pair() -> impl Strategy<Value = (Element, Element)> {
    (
        prop::collection::vec(node_spec(), 0..40),
        prop::collection::vec(edit(), 0..12),
        version(),
        version(),
    )
        .prop_map(|(specs, edits, va, vb)| {
            let a = cib_tree(&specs, va);
            let mut b = a.clone();
            for e in &edits {
                apply_edit(&mut b, e);
            }
            set_version(&mut b, vb);
            merge_texts(&mut b);
            (a, b)
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1000))]

    #[test]
    fn prop_patch_of_an_edit_round_trips((a, b) in cib_pair()) {
        round_trip(&a, &b);
    }

    #[test]
    fn prop_patch_of_unrelated_trees_round_trips(
        sa in prop::collection::vec(node_spec(), 0..30),
        sb in prop::collection::vec(node_spec(), 0..30),
        va in version(),
        vb in version(),
    ) {
        round_trip(&cib_tree(&sa, va), &cib_tree(&sb, vb));
    }

    #[test]
    fn prop_a_patch_for_another_version_is_refused(
        (a, b) in cib_pair(),
        other in version(),
    ) {
        let p = diff(&a, &b);
        let mut c = a.clone();
        set_version(&mut c, other);
        let before = c.clone();
        let r = apply(&c, &p);
        if other == p.source {
            prop_assert!(r.is_ok());
        } else {
            prop_assert_eq!(r, Err(DiffError::VersionMismatch { expected: p.source, found: other }));
        }
        prop_assert_eq!(c, before);
    }

    #[test]
    fn prop_a_patch_that_fails_changes_nothing_and_names_its_path(
        (a, b) in cib_pair(),
        which in any::<usize>(),
    ) {
        // Break one change's path: the whole patch must fail on that path.
        let mut p = diff(&a, &b);
        prop_assume!(!p.changes.is_empty());
        let i = which % p.changes.len();
        let broken = format!("{}/nothing[@id='here']", p.changes[i].path().trim_end_matches('/'));
        match &mut p.changes[i] {
            Change::Create { path, .. } | Change::Delete { path, .. }
            | Change::Modify { path, .. } | Change::Move { path, .. } => *path = broken.clone(),
        }
        let before = a.clone();
        let e = apply(&a, &p).unwrap_err();
        prop_assert!(e.to_string().contains(&broken), "{}", e);
        prop_assert_eq!(a, before);
    }

    #[test]
    fn prop_next_version_follows_what_changed((a, b) in cib_pair()) {
        let v = next_version(&a, &b);
        let old = version_lenient(&a);
        let conf = |e: &Element| e.child("configuration").map(Element::canonical);
        let mut a0 = a.clone();
        let mut b0 = b.clone();
        set_version(&mut a0, Version::default());
        set_version(&mut b0, Version::default());
        let admin = version_lenient(&b).admin_epoch.max(old.admin_epoch);
        if conf(&a) != conf(&b)
            || admin != old.admin_epoch
            || a.attr("validate-with") != b.attr("validate-with")
        {
            prop_assert_eq!(v, Version::new(admin, old.epoch + 1, 0));
        } else if a0.canonical() != b0.canonical() {
            prop_assert_eq!(v, old.bump_num_updates());
        } else {
            prop_assert_eq!(v, old);
        }
    }
}

// --- real CIBs ----------------------------------------------------------------

/// `../shared` next to the workspace root, or `/work/shared`.
fn shared_dir() -> std::path::PathBuf {
    let workspace = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let candidates = [workspace.join("../shared"), "/work/shared".into()];
    candidates
        .iter()
        .find(|p| p.join("conformance/scheduler/xml").is_dir())
        .cloned()
        .unwrap_or_else(|| {
            panic!(
                "the shared test data is absent: neither {} nor /work/shared has \
                 conformance/scheduler/xml/ (this test reads Pacemaker's scheduler \
                 inputs from there at run time)",
                workspace.join("../shared").display()
            )
        })
}

#[test]
fn real_cibs_diff_and_patch_round_trip() {
    let dir = shared_dir().join("conformance/scheduler/xml");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "xml"))
        .collect();
    files.sort();
    files.truncate(50);
    assert_eq!(
        files.len(),
        50,
        "expected at least 50 inputs in {}",
        dir.display()
    );
    let cibs: Vec<Element> = files
        .iter()
        .map(|f| {
            let text = std::fs::read_to_string(f).unwrap();
            parse(&text).unwrap_or_else(|e| panic!("{}: {e}", f.display()))
        })
        .collect();
    let mut changes = 0;
    for (i, pair) in cibs.windows(2).enumerate() {
        let p = round_trip(&pair[0], &pair[1]);
        assert!(
            !p.is_empty(),
            "{} and {} differ",
            files[i].display(),
            files[i + 1].display()
        );
        changes += p.changes.len();
        assert!(diff(&pair[0], &pair[0]).is_empty());
    }
    // One status-only edit of a real CIB is one small patch.
    let mut b = cibs[0].clone();
    let status = b
        .child_mut("status")
        .expect("first input has a status section");
    let ns = status.elements_mut().next().expect("a node_state");
    ns.set_attr("tandem-test", "1");
    let v = next_version(&cibs[0], &b);
    assert_eq!(v, version_of(&cibs[0]).unwrap().bump_num_updates());
    set_version(&mut b, v);
    let p = round_trip(&cibs[0], &b);
    assert_eq!(p.changes.len(), 2, "{:?}", p.changes);
    eprintln!(
        "{} CIB pairs round-tripped, {changes} changes in all",
        cibs.len() - 1
    );
}
