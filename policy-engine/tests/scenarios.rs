//! Small hand-written CIBs whose expected Transition Summary was checked
//! against the real `crm_simulate` (Pacemaker 2.1.5). They pin single rules
//! without needing the conformance corpus in `../shared`.

use policy_engine::render::transition_summary;

/// Digest of a start with no parameters (`<parameters/>`).
const NO_PARAMS_DIGEST: &str = "f2317cad3d54cec5d7d7aa7d0bf35cf8";

/// A successful start of `rsc` as a history entry; `digest` is the
/// `op-digest` attribute, if any.
fn started(rsc: &str, agent: &str, call: u32, digest: Option<&str>) -> String {
    let digest = digest.map_or(String::new(), |d| format!(r#" op-digest="{d}""#));
    format!(
        r#"<lrm_resource id="{rsc}" class="ocf" provider="heartbeat" type="{agent}">
             <lrm_rsc_op id="{rsc}_last_0" operation="start" call-id="{call}" rc-code="0"
               op-status="0" interval="0" transition-key="{call}:1:0:0d9f3c8e"
               crm_feature_set="3.16.2"{digest}/>
           </lrm_resource>"#
    )
}

/// A two-node cluster (node1, node2, both online, no fencing) with the given
/// resources, constraints and per-node history.
fn two_nodes(resources: &str, constraints: &str, history: [&str; 2]) -> String {
    let node_state = |id: usize, h: &str| {
        format!(
            r#"<node_state id="{id}" uname="node{id}" in_ccm="true" crmd="online" join="member"
                 expected="member"><lrm id="{id}"><lrm_resources>{h}</lrm_resources></lrm>
               </node_state>"#
        )
    };
    format!(
        r#"<cib crm_feature_set="3.16.2" validate-with="pacemaker-3.9" epoch="1" num_updates="0"
             admin_epoch="0" have-quorum="1" dc-uuid="1">
          <configuration>
            <crm_config><cluster_property_set id="opts">
              <nvpair id="opts-stonith" name="stonith-enabled" value="false"/>
            </cluster_property_set></crm_config>
            <nodes><node id="1" uname="node1"/><node id="2" uname="node2"/></nodes>
            <resources>{resources}</resources>
            <constraints>{constraints}</constraints>
          </configuration>
          <status>{}{}</status>
        </cib>"#,
        node_state(1, history[0]),
        node_state(2, history[1])
    )
}

/// The Transition Summary lines, whitespace collapsed. The CIB is scheduled
/// twice, as a whole tree and as `tandem-simulate` reads text (histories
/// streamed apart from the tree): both must agree.
fn summary(cib: &str) -> Vec<String> {
    let lines = |t: policy_engine::Transition| -> Vec<String> {
        transition_summary(&t.summary)
            .iter()
            .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
            .collect()
    };
    let root = cib::xml::parse(cib).expect("test CIB parses");
    let whole = lines(policy_engine::schedule(&root, Some(0)).expect("test CIB schedules"));
    let (tree, history) = policy_engine::history::read_cib(cib).expect("test CIB reads");
    let streamed =
        lines(policy_engine::schedule_with(&tree, history, Some(0)).expect("test CIB schedules"));
    assert_eq!(whole, streamed, "the two ways of reading the CIB disagree");
    whole
}

const IP_AND_WEB_CLONE: &str = r#"
    <primitive id="ip" class="ocf" provider="heartbeat" type="IPaddr2"/>
    <clone id="web-clone">
      <primitive id="web" class="ocf" provider="heartbeat" type="Dummy"/>
    </clone>"#;

#[test]
fn promoted_role_on_a_clone_that_cannot_promote_is_ignored() {
    // the clone's instances only run "Started": a colocation with its
    // Promoted role acts like one with the clone itself
    let cib = two_nodes(
        IP_AND_WEB_CLONE,
        r#"<rsc_colocation id="ip-with-web" rsc="ip" with-rsc="web-clone"
             with-rsc-role="Promoted" score="INFINITY"/>"#,
        [
            &(started("ip", "IPaddr2", 3, Some(NO_PARAMS_DIGEST))
                + &started("web", "Dummy", 4, Some(NO_PARAMS_DIGEST))),
            &started("web", "Dummy", 4, Some(NO_PARAMS_DIGEST)),
        ],
    );
    assert_eq!(summary(&cib), Vec::<String>::new());
}

#[test]
fn a_start_without_a_recorded_digest_is_restarted() {
    // what the resource was started with is unknown: restart to be sure
    let cib = two_nodes(
        IP_AND_WEB_CLONE,
        "",
        [
            &(started("ip", "IPaddr2", 3, None)
                + &started("web", "Dummy", 4, Some(NO_PARAMS_DIGEST))),
            &started("web", "Dummy", 4, Some(NO_PARAMS_DIGEST)),
        ],
    );
    assert_eq!(
        summary(&cib),
        vec!["* Restart ip ( node1 ) due to resource definition change"]
    );
}

#[test]
fn a_clone_s_instance_attributes_are_parameters_of_its_primitive() {
    // `foo=bar` set on the clone is part of web's digest: a history that
    // recorded it is current, one that did not is restarted
    let resources = r#"
        <clone id="web-clone">
          <instance_attributes id="wc-ia">
            <nvpair id="wc-foo" name="foo" value="bar"/>
          </instance_attributes>
          <primitive id="web" class="ocf" provider="heartbeat" type="Dummy"/>
        </clone>"#;
    let with_foo = "2add08769704e7d94f24e0ec8d2b7992"; // <parameters foo="bar"/>
    let history = |digest| {
        [
            started("web", "Dummy", 4, Some(digest)),
            started("web", "Dummy", 4, Some(digest)),
        ]
    };
    let [a, b] = history(with_foo);
    assert_eq!(
        summary(&two_nodes(resources, "", [&a, &b])),
        Vec::<String>::new()
    );
    let [a, b] = history(NO_PARAMS_DIGEST);
    assert_eq!(
        summary(&two_nodes(resources, "", [&a, &b])),
        vec![
            "* Restart web:0 ( node1 ) due to resource definition change",
            "* Restart web:1 ( node2 ) due to resource definition change",
        ]
    );
}

/// A Dummy primitive, optionally with `resource-stickiness=1`.
fn dummy(id: &str, sticky: bool) -> String {
    let meta = if sticky {
        format!(
            r#"<meta_attributes id="{id}-meta">
                 <nvpair id="{id}-st" name="resource-stickiness" value="1"/>
               </meta_attributes>"#
        )
    } else {
        String::new()
    };
    format!(
        r#"<primitive id="{id}" class="ocf" provider="heartbeat" type="Dummy">{meta}</primitive>"#
    )
}

#[test]
fn colocations_with_a_group_count_only_once_its_assignment_began() {
    // p is placed first and takes in d's preferences (d with p): d1 and d2
    // stick to node2. "e with d" is still the group's own constraint, not
    // yet its last member's, so e's preference for node1 does not reach p
    // (Pacemaker's expand_group_colocations runs when d is assigned). p
    // moves to node2; then d, pulled by e, goes to node1.
    let resources = dummy("p", true)
        + r#"<group id="d">"#
        + &dummy("d1", true)
        + &dummy("d2", true)
        + r#"</group><group id="e">"#
        + &dummy("e1", true)
        + "</group>";
    let cib = two_nodes(
        &resources,
        r#"<rsc_colocation id="d-with-p" rsc="d" with-rsc="p" score="100"/>
           <rsc_colocation id="e-with-d" rsc="e" with-rsc="d" score="INFINITY"/>
           <rsc_location id="e-prefers-1" rsc="e" node="node1" score="200"/>"#,
        [
            &started("p", "Dummy", 3, Some(NO_PARAMS_DIGEST)),
            &(started("d1", "Dummy", 4, Some(NO_PARAMS_DIGEST))
                + &started("d2", "Dummy", 5, Some(NO_PARAMS_DIGEST))),
        ],
    );
    assert_eq!(
        summary(&cib),
        vec![
            "* Move p ( node1 -> node2 )",
            "* Move d1 ( node2 -> node1 )",
            "* Move d2 ( node2 -> node1 )",
            "* Start e1 ( node1 )",
        ]
    );
}

#[test]
fn a_group_after_a_clone_waits_only_for_the_instance_on_its_node() {
    // the clone starts a second instance on node2; the group on node1,
    // ordered after the clone's start, is not restarted for it
    let resources = r#"<clone id="c">"#.to_string()
        + &dummy("cp", false)
        + r#"</clone><group id="g">"#
        + &dummy("g1", false)
        + "</group>";
    let cib = two_nodes(
        &resources,
        r#"<rsc_colocation id="g-with-c" rsc="g" with-rsc="c" score="INFINITY"/>
           <rsc_order id="c-then-g" first="c" first-action="start" then="g"
             then-action="start" kind="Mandatory"/>"#,
        [
            &(started("cp", "Dummy", 3, Some(NO_PARAMS_DIGEST))
                + &started("g1", "Dummy", 4, Some(NO_PARAMS_DIGEST))),
            "",
        ],
    );
    assert_eq!(summary(&cib), vec!["* Start cp:1 ( node2 )"]);
}

#[test]
fn a_stopped_group_blocks_what_follows_it_as_unrunnable() {
    // g is disabled: its members have no start of their own (only the
    // group's orderings create an optional one), so r, ordered after g,
    // cannot start because g's running is unrunnable, not required. A
    // stopped primitive named as first by a configured ordering differs:
    // its start is required (then blocked), and r's reason is "required".
    let group = disabled_group("g", &["g1", "g2"]) + &dummy("r", false);
    let cib = two_nodes(
        &group,
        r#"<rsc_order id="g-then-r" first="g" first-action="start" then="r"
             then-action="start" kind="Mandatory"/>"#,
        [
            &(started("g1", "Dummy", 3, Some(NO_PARAMS_DIGEST))
                + &started("g2", "Dummy", 4, Some(NO_PARAMS_DIGEST))),
            &started("r", "Dummy", 5, Some(NO_PARAMS_DIGEST)),
        ],
    );
    assert_eq!(
        summary(&cib),
        vec![
            "* Stop g1 ( node1 ) due to node availability",
            "* Stop g2 ( node1 ) due to node availability",
            "* Stop r ( node2 ) due to unrunnable g running",
        ]
    );
    let primitive = r#"<primitive id="x" class="ocf" provider="heartbeat" type="Dummy">
          <meta_attributes id="x-meta">
            <nvpair id="x-tr" name="target-role" value="Stopped"/>
          </meta_attributes>
        </primitive>"#
        .to_string()
        + &dummy("r", false);
    let cib = two_nodes(
        &primitive,
        r#"<rsc_order id="x-then-r" first="x" first-action="start" then="r"
             then-action="start" kind="Mandatory"/>"#,
        [
            &started("x", "Dummy", 3, Some(NO_PARAMS_DIGEST)),
            &started("r", "Dummy", 5, Some(NO_PARAMS_DIGEST)),
        ],
    );
    assert_eq!(
        summary(&cib),
        vec![
            "* Stop x ( node1 ) due to node availability",
            "* Stop r ( node2 ) due to required x start",
        ]
    );
}

/// A disabled group (`target-role=Stopped`) of Dummy primitives.
fn disabled_group(id: &str, members: &[&str]) -> String {
    let members: String = members.iter().map(|m| dummy(m, false)).collect();
    format!(
        r#"<group id="{id}">
             <meta_attributes id="{id}-meta">
               <nvpair id="{id}-tr" name="target-role" value="Stopped"/>
             </meta_attributes>{members}</group>"#
    )
}

/// A disabled primitive (`target-role=Stopped`).
fn disabled(id: &str) -> String {
    format!(
        r#"<primitive id="{id}" class="ocf" provider="heartbeat" type="Dummy">
             <meta_attributes id="{id}-meta">
               <nvpair id="{id}-tr" name="target-role" value="Stopped"/>
             </meta_attributes>
           </primitive>"#
    )
}

#[test]
fn a_group_member_stopped_for_its_predecessor_names_the_stop_or_the_start() {
    // g follows a, which cannot start. When a's start is required (a is
    // assigned, blocked by its colocation), g1's start is required first, its
    // stop follows at once, and that stop makes g2's stop required: "required
    // g1 stop". When a's start is merely unrunnable, g1's stop comes first and
    // g1's start is then required through it, which requires g2's start
    // before g2's stop is reached: "required g1 start".
    let group =
        r#"<group id="g">"#.to_string() + &dummy("g1", false) + &dummy("g2", false) + "</group>";
    let g_history = started("g1", "Dummy", 4, Some(NO_PARAMS_DIGEST))
        + &started("g2", "Dummy", 5, Some(NO_PARAMS_DIGEST));
    let cib = two_nodes(
        &(disabled("c") + &dummy("b", false) + &dummy("a", false) + &group),
        r#"<rsc_order id="c-then-b" first="c" first-action="start" then="b"
             then-action="start" kind="Mandatory"/>
           <rsc_colocation id="a-with-b" rsc="a" with-rsc="b" score="INFINITY"/>
           <rsc_order id="a-then-g" first="a" first-action="start" then="g"
             then-action="start" kind="Mandatory"/>"#,
        [
            &(started("c", "Dummy", 3, Some(NO_PARAMS_DIGEST))
                + &started("b", "Dummy", 6, Some(NO_PARAMS_DIGEST))),
            &g_history,
        ],
    );
    assert_eq!(
        summary(&cib),
        vec![
            "* Stop c ( node1 ) due to node availability",
            "* Stop b ( node1 ) due to required c start",
            "* Start a ( node1 ) due to colocation with b (blocked)",
            "* Stop g1 ( node2 ) due to required a start",
            "* Stop g2 ( node2 ) due to required g1 stop",
        ]
    );
    let cib = two_nodes(
        &(disabled("b") + &dummy("a", false) + &group),
        r#"<rsc_colocation id="a-with-b" rsc="a" with-rsc="b" score="INFINITY"/>
           <rsc_order id="a-then-g" first="a" first-action="start" then="g"
             then-action="start" kind="Mandatory"/>"#,
        [
            &started("b", "Dummy", 3, Some(NO_PARAMS_DIGEST)),
            &g_history,
        ],
    );
    assert_eq!(
        summary(&cib),
        vec![
            "* Stop b ( node1 ) due to node availability",
            "* Stop g1 ( node2 ) due to unrunnable a start",
            "* Stop g2 ( node2 ) due to required g1 start",
        ]
    );
}

/// A successful start of `rsc` followed by a failed (not running) monitor.
fn failed_monitor(rsc: &str, call: u32) -> String {
    format!(
        r#"<lrm_resource id="{rsc}" class="ocf" provider="heartbeat" type="Dummy">
             <lrm_rsc_op id="{rsc}_last_0" operation="start" call-id="{call}" rc-code="0"
               op-status="0" interval="0" transition-key="{call}:1:0:0d9f3c8e"
               crm_feature_set="3.16.2" op-digest="{NO_PARAMS_DIGEST}"/>
             <lrm_rsc_op id="{rsc}_last_failure_0" operation="monitor" call-id="{}"
               rc-code="7" op-status="0" interval="10000" transition-key="{}:1:0:0d9f3c8e"
               crm_feature_set="3.16.2" op-digest="{NO_PARAMS_DIGEST}"/>
           </lrm_resource>"#,
        call + 100,
        call + 100
    )
}

#[test]
fn group_members_restarted_for_an_ordering_on_their_group() {
    // y moves, so x restarts, so g (ordered after x) restarts: the first
    // member names x, each later one its predecessor, as Pacemaker drags
    // the next member along from the first one's stop
    let group = || {
        r#"<group id="g">"#.to_string()
            + &dummy("m1", false)
            + &dummy("m2", false)
            + &dummy("m3", false)
            + "</group>"
    };
    let started_on_1 = |ids: &[&str]| {
        ids.iter()
            .enumerate()
            .map(|(i, id)| started(id, "Dummy", 2 + i as u32, Some(NO_PARAMS_DIGEST)))
            .collect::<String>()
    };
    let cib = two_nodes(
        &(dummy("y", false) + &dummy("x", false) + &group()),
        r#"<rsc_order id="y-then-x" first="y" first-action="start" then="x"
             then-action="start" kind="Mandatory"/>
           <rsc_order id="x-then-g" first="x" first-action="start" then="g"
             then-action="start" kind="Mandatory"/>
           <rsc_location id="y-loc" rsc="y" node="node2" score="100"/>"#,
        [&started_on_1(&["y", "x", "m1", "m2", "m3"]), ""],
    );
    assert_eq!(
        summary(&cib),
        vec![
            "* Move y ( node1 -> node2 )",
            "* Restart x ( node1 ) due to required y start",
            "* Restart m1 ( node1 ) due to required x start",
            "* Restart m2 ( node1 ) due to required m1 start",
            "* Restart m3 ( node1 ) due to required m2 start",
        ]
    );
    // a member already being recovered does not drag the next one: that
    // one names the group's first
    let cib = two_nodes(
        &(dummy("x", false) + &group()),
        r#"<rsc_order id="x-then-g" first="x" first-action="start" then="g"
             then-action="start" kind="Mandatory"/>
           <rsc_location id="x-loc" rsc="x" node="node2" score="100"/>"#,
        [
            &(started_on_1(&["x"])
                + &failed_monitor("m1", 4)
                + &started("m2", "Dummy", 5, Some(NO_PARAMS_DIGEST))
                + &started("m3", "Dummy", 6, Some(NO_PARAMS_DIGEST))),
            "",
        ],
    );
    assert_eq!(
        summary(&cib),
        vec![
            "* Move x ( node1 -> node2 )",
            "* Recover m1 ( node1 )",
            "* Restart m2 ( node1 ) due to required x start",
            "* Restart m3 ( node1 ) due to required m2 start",
        ]
    );
}

#[test]
fn a_group_member_after_a_recovered_one_names_the_clone_it_follows() {
    // g follows c and lives with it; c's instance on node1 is recovered, so
    // c's running is required from the start (Pacemaker creates it so), and
    // m2 names it rather than the recovering m1 before it
    let resources = r#"<group id="g">"#.to_string()
        + &dummy("m1", false)
        + &dummy("m2", false)
        + &dummy("m3", false)
        + r#"</group><clone id="c">"#
        + &dummy("cp", false)
        + "</clone>";
    let cib = two_nodes(
        &resources,
        r#"<rsc_order id="c-then-g" first="c" first-action="start" then="g"
             then-action="start" kind="Mandatory"/>
           <rsc_colocation id="g-with-c" rsc="g" with-rsc="c" score="INFINITY"/>"#,
        [
            &(failed_monitor("cp", 3)
                + &failed_monitor("m1", 4)
                + &started("m2", "Dummy", 5, Some(NO_PARAMS_DIGEST))
                + &started("m3", "Dummy", 6, Some(NO_PARAMS_DIGEST))),
            &started("cp", "Dummy", 7, Some(NO_PARAMS_DIGEST)),
        ],
    );
    assert_eq!(
        summary(&cib),
        vec![
            "* Recover m1 ( node1 )",
            "* Restart m2 ( node1 ) due to required c running",
            "* Restart m3 ( node1 ) due to required m2 start",
            "* Recover cp:0 ( node1 )",
        ]
    );
}

#[test]
fn a_small_negative_preference_of_a_dependent_still_adds_one() {
    // a (with b, 100) slightly avoids node1 (-5): at factor 0.0001 that
    // rounds to 0, and Pacemaker then adds 1 in the factor's direction,
    // not the score's, so b prefers node1 and a follows it there
    let cib = two_nodes(
        &(dummy("b", false) + &dummy("a", false)),
        r#"<rsc_colocation id="a-with-b" rsc="a" with-rsc="b" score="100"/>
           <rsc_location id="a-loc" rsc="a" node="node1" score="-5"/>"#,
        ["", ""],
    );
    assert_eq!(
        summary(&cib),
        vec!["* Start b ( node1 )", "* Start a ( node1 )"]
    );
}

#[test]
fn a_group_after_a_disabled_group_is_blocked_as_unrunnable() {
    // g's members have no start of their own, and their own stop→start
    // ordering is never applied: g's running is unrunnable, not required
    let g = disabled_group("g", &["g1", "g2"])
        + r#"<group id="h">"#
        + &dummy("h1", false)
        + &dummy("h2", false)
        + "</group>";
    let cib = two_nodes(
        &g,
        r#"<rsc_order id="g-then-h" first="g" first-action="start" then="h"
             then-action="start" kind="Mandatory"/>"#,
        [
            &(started("g1", "Dummy", 3, Some(NO_PARAMS_DIGEST))
                + &started("g2", "Dummy", 4, Some(NO_PARAMS_DIGEST))),
            &(started("h1", "Dummy", 5, Some(NO_PARAMS_DIGEST))
                + &started("h2", "Dummy", 6, Some(NO_PARAMS_DIGEST))),
        ],
    );
    assert_eq!(
        summary(&cib),
        vec![
            "* Stop g1 ( node1 ) due to node availability",
            "* Stop g2 ( node1 ) due to node availability",
            "* Stop h1 ( node2 ) due to unrunnable g running",
            "* Stop h2 ( node2 ) due to required h1 start",
        ]
    );
}

#[test]
fn nothing_colocated_with_a_group_is_blocked_by_its_unrunnable_start() {
    // g2 cannot start again (it follows the disabled y), yet d, colocated
    // with g (or with g2 itself), keeps running: Pacemaker only blocks the
    // dependents of a top-level resource, and a group's colocations have
    // moved to its members by then
    for primary in ["g", "g2"] {
        let cib = two_nodes(
            &(disabled("y")
                + r#"<group id="g">"#
                + &dummy("g1", false)
                + &dummy("g2", false)
                + "</group>"
                + &dummy("d", false)),
            &format!(
                r#"<rsc_order id="y-then-g2" first="y" first-action="start" then="g2"
                     then-action="start" kind="Mandatory"/>
                   <rsc_colocation id="d-with" rsc="d" with-rsc="{primary}"
                     score="INFINITY"/>"#
            ),
            [
                &(started("y", "Dummy", 2, Some(NO_PARAMS_DIGEST))
                    + &started("g1", "Dummy", 3, Some(NO_PARAMS_DIGEST))
                    + &started("g2", "Dummy", 4, Some(NO_PARAMS_DIGEST))
                    + &started("d", "Dummy", 5, Some(NO_PARAMS_DIGEST))),
                "",
            ],
        );
        assert_eq!(
            summary(&cib),
            vec![
                "* Stop y ( node1 ) due to node availability",
                "* Stop g2 ( node1 ) due to required y start",
            ]
        );
    }
}

#[test]
fn a_pending_node_blocks_a_new_start_when_fencing_is_on() {
    // node2 is in the membership but its controller is not up, and it is
    // expected down: pending. With fencing enabled it still counts as online,
    // so x must be probed there first, which cannot happen yet
    let cib = r#"<cib crm_feature_set="3.16.2" validate-with="pacemaker-3.9" epoch="1"
          num_updates="0" admin_epoch="0" have-quorum="1" dc-uuid="1">
      <configuration>
        <crm_config><cluster_property_set id="opts">
          <nvpair id="opts-stonith" name="stonith-enabled" value="true"/>
        </cluster_property_set></crm_config>
        <nodes><node id="1" uname="node1"/><node id="2" uname="node2"/></nodes>
        <resources>
          <primitive id="fence" class="stonith" type="fence_xvm"/>
          <primitive id="x" class="ocf" provider="heartbeat" type="Dummy"/>
        </resources>
        <constraints/>
      </configuration>
      <status>
        <node_state id="1" uname="node1" in_ccm="true" crmd="online" join="member"
            expected="member"><lrm id="1"><lrm_resources>
          <lrm_resource id="fence" class="stonith" type="fence_xvm">
            <lrm_rsc_op id="fence_last_0" operation="start" call-id="2" rc-code="0"
              op-status="0" interval="0" transition-key="2:1:0:0d9f3c8e"
              crm_feature_set="3.16.2" op-digest="f2317cad3d54cec5d7d7aa7d0bf35cf8"/>
          </lrm_resource>
        </lrm_resources></lrm></node_state>
        <node_state id="2" uname="node2" in_ccm="true" crmd="offline" join="down"
            expected="down"/>
      </status>
    </cib>"#;
    assert_eq!(summary(cib), vec!["* Start x ( node1 ) blocked"]);
}

/// The transition graph as (action, sorted inputs) pairs, each action written
/// `operation_key[@node]`, and the `CRM_meta_notify_*` attributes of each
/// action.
type GraphFacts = (
    Vec<(String, Vec<String>)>,
    std::collections::BTreeMap<String, Vec<(String, String)>>,
);

fn graph(cib: &str) -> GraphFacts {
    let root = cib::xml::parse(cib).expect("test CIB parses");
    let t = policy_engine::schedule(&root, Some(0)).expect("test CIB schedules");
    let xml = cib::xml::parse(&policy_engine::graph_xml(&t)).expect("graph XML parses");
    let key = |e: &cib::xml::Element| {
        let k = e.attr("operation_key").unwrap_or("?").to_string();
        match e.attr("on_node") {
            Some(n) => format!("{k}@{n}"),
            None => k,
        }
    };
    let mut synapses = Vec::new();
    let mut vars = std::collections::BTreeMap::new();
    for s in xml.elements().filter(|e| e.name == "synapse") {
        let Some(action) = s
            .elements()
            .find(|e| e.name == "action_set")
            .and_then(|a| a.elements().next())
        else {
            continue;
        };
        let mut inputs: Vec<String> = s
            .elements()
            .filter(|e| e.name == "inputs")
            .flat_map(|i| i.elements())
            .flat_map(|t| t.elements())
            .map(key)
            .collect();
        inputs.sort();
        let notify: Vec<(String, String)> = action
            .elements()
            .filter(|e| e.name == "attributes")
            .flat_map(|a| a.attrs.iter())
            .filter(|(k, _)| k.starts_with("CRM_meta_notify_"))
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        vars.insert(key(action), notify);
        synapses.push((key(action), inputs));
    }
    synapses.sort();
    (synapses, vars)
}

#[test]
fn a_notifying_clone_tells_its_instances_before_and_after_a_start() {
    // web:0 runs on node1; web:1 starts on node2. The running instance
    // hears of it before and after, the new one only after (checked against
    // crm_simulate 2.1.5 -G)
    let resources = r#"
        <clone id="web-clone">
          <meta_attributes id="web-clone-meta">
            <nvpair id="web-clone-notify" name="notify" value="true"/>
          </meta_attributes>
          <primitive id="web" class="ocf" provider="heartbeat" type="Dummy"/>
        </clone>"#;
    let probed = r#"<lrm_resource id="web" class="ocf" provider="heartbeat" type="Dummy">
             <lrm_rsc_op id="web_last_0" operation="monitor" call-id="1" rc-code="7"
               op-status="0" interval="0" transition-key="1:1:7:0d9f3c8e"
               crm_feature_set="3.16.2" op-digest="f2317cad3d54cec5d7d7aa7d0bf35cf8"/>
           </lrm_resource>"#;
    let cib = two_nodes(
        resources,
        "",
        [&started("web", "Dummy", 3, Some(NO_PARAMS_DIGEST)), probed],
    );
    let (synapses, vars) = graph(&cib);
    let s = |a: &str, i: &[&str]| (a.to_string(), i.iter().map(|x| x.to_string()).collect());
    assert_eq!(
        synapses,
        vec![
            s(
                "web-clone_confirmed-post_notify_running_0",
                &[
                    "web-clone_post_notify_running_0",
                    "web_post_notify_start_0@node1",
                    "web_post_notify_start_0@node2",
                ]
            ),
            s(
                "web-clone_confirmed-pre_notify_start_0",
                &[
                    "web-clone_pre_notify_start_0",
                    "web_pre_notify_start_0@node1",
                ]
            ),
            s(
                "web-clone_post_notify_running_0",
                &[
                    "web-clone_confirmed-pre_notify_start_0",
                    "web-clone_running_0",
                ]
            ),
            s("web-clone_pre_notify_start_0", &[]),
            s(
                "web-clone_running_0",
                &["web-clone_start_0", "web_start_0@node2"]
            ),
            s(
                "web-clone_start_0",
                &["web-clone_confirmed-pre_notify_start_0"]
            ),
            s(
                "web_post_notify_start_0@node1",
                &["web-clone_post_notify_running_0"]
            ),
            s(
                "web_post_notify_start_0@node2",
                &["web-clone_post_notify_running_0"]
            ),
            s(
                "web_pre_notify_start_0@node1",
                &["web-clone_pre_notify_start_0"]
            ),
            s("web_start_0@node2", &["web-clone_start_0"]),
        ]
    );
    let v: std::collections::BTreeMap<String, String> = vars["web_post_notify_start_0@node2"]
        .iter()
        .cloned()
        .collect();
    let get = |k: &str| v.get(&format!("CRM_meta_notify_{k}")).map(String::as_str);
    assert_eq!(get("type"), Some("post"));
    assert_eq!(get("operation"), Some("start"));
    assert_eq!(get("key_type"), Some("post"));
    assert_eq!(get("key_operation"), Some("running"));
    assert_eq!(get("start_resource"), Some("web:1"));
    assert_eq!(get("start_uname"), Some("node2"));
    assert_eq!(get("active_resource"), Some("web:0"));
    assert_eq!(get("active_uname"), Some("node1"));
    assert_eq!(get("inactive_resource"), Some("web:1"));
    assert_eq!(get("stop_resource"), Some(" "));
    assert_eq!(get("promoted_resource"), Some(" "));
    assert_eq!(get("available_uname"), Some("node1 node2"));
    assert_eq!(get("all_uname"), Some("node1 node2"));
    assert_eq!(v.len(), 25, "every notify variable is set");
}

#[test]
fn a_node_asked_to_shut_down_stops_its_resources_first() {
    // node1 has a `shutdown` attribute: ip moves away, and node1's
    // do_shutdown waits for its stop there (checked against crm_simulate
    // 2.1.5 -G)
    let probed = r#"<lrm_resource id="ip" class="ocf" provider="heartbeat" type="Dummy">
             <lrm_rsc_op id="ip_last_0" operation="monitor" call-id="1" rc-code="7"
               op-status="0" interval="0" transition-key="1:1:7:0d9f3c8e"
               crm_feature_set="3.16.2" op-digest="f2317cad3d54cec5d7d7aa7d0bf35cf8"/>
           </lrm_resource>"#;
    let cib = two_nodes(
        r#"<primitive id="ip" class="ocf" provider="heartbeat" type="Dummy"/>"#,
        "",
        [&started("ip", "Dummy", 3, Some(NO_PARAMS_DIGEST)), probed],
    )
    .replacen(
        r#"<lrm id="1">"#,
        r#"<transient_attributes id="1"><instance_attributes id="status-1">
             <nvpair id="status-1-shutdown" name="shutdown" value="1700000000"/>
           </instance_attributes></transient_attributes><lrm id="1">"#,
        1,
    );
    assert_eq!(summary(&cib), vec!["* Move ip ( node1 -> node2 )"]);
    let (synapses, _) = graph(&cib);
    let s = |a: &str, i: &[&str]| (a.to_string(), i.iter().map(|x| x.to_string()).collect());
    assert_eq!(
        synapses,
        vec![
            s("do_shutdown-node1@node1", &["ip_stop_0@node1"]),
            s("ip_start_0@node2", &["ip_stop_0@node1"]),
            s("ip_stop_0@node1", &[]),
        ]
    );
}
