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

/// The Transition Summary lines, whitespace collapsed.
fn summary(cib: &str) -> Vec<String> {
    let root = cib::xml::parse(cib).expect("test CIB parses");
    let t = policy_engine::schedule(&root, Some(0)).expect("test CIB schedules");
    transition_summary(&t.summary)
        .iter()
        .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
        .collect()
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
