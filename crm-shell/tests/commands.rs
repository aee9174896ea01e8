//! Transcript-style checks of the commands besides the configure language:
//! what each prints, its exit status, and what it leaves in the CIB.

use std::path::Path;
use std::process::Command;

const EMPTY: &str = r#"<cib crm_feature_set="3.16.1" validate-with="pacemaker-3.9" epoch="1" num_updates="0" admin_epoch="0">
  <configuration>
    <crm_config/>
    <nodes/>
    <resources/>
    <constraints/>
  </configuration>
  <status/>
</cib>
"#;

fn crm(cib: &Path, args: &[&str], stdin: &str, env: &[(&str, &str)]) -> (i32, String) {
    use std::io::Write;
    let mut c = Command::new(env!("CARGO_BIN_EXE_crm"));
    c.args(args)
        .env("CIB_file", cib)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    for (k, v) in env {
        c.env(k, v);
    }
    let mut child = c.spawn().unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    (out.status.code().unwrap_or(-1), text)
}

fn setup() -> (tempfile::TempDir, std::path::PathBuf) {
    let d = tempfile::tempdir().unwrap();
    let cib = d.path().join("cib.xml");
    std::fs::write(&cib, EMPTY).unwrap();
    let (rc, out) = crm(
        &cib,
        &["-F"],
        "configure\nproperty stonith-enabled=false\nnode node1\nnode node2\nprimitive d1 Dummy\nprimitive d2 Dummy\ngroup g1 d1 d2\ncommit\n",
        &[],
    );
    assert_eq!(rc, 0, "{out}");
    (d, cib)
}

fn show(cib: &Path, ids: &[&str]) -> String {
    let mut args = vec!["configure", "show"];
    args.extend_from_slice(ids);
    crm(cib, &args, "", &[]).1
}

#[test]
fn node_and_resource_commands_edit_the_cib() {
    let (_d, cib) = setup();
    assert_eq!(crm(&cib, &["node", "standby", "node1"], "", &[]).0, 0);
    assert_eq!(
        crm(
            &cib,
            &["node", "attribute", "node1", "set", "rack", "A"],
            "",
            &[]
        )
        .0,
        0
    );
    assert_eq!(crm(&cib, &["resource", "stop", "g1"], "", &[]).0, 0);
    assert_eq!(
        crm(
            &cib,
            &["resource", "param", "d2", "set", "fake", "3"],
            "",
            &[]
        )
        .0,
        0
    );
    assert_eq!(crm(&cib, &["resource", "unmanage", "d2"], "", &[]).0, 0);
    assert_eq!(crm(&cib, &["resource", "ban", "d2", "node1"], "", &[]).0, 0);
    assert_eq!(
        crm(&cib, &["resource", "move", "d1", "node2"], "", &[]).0,
        0
    );
    assert_eq!(
        show(
            &cib,
            &["node1", "g1", "d2", "cli-ban-d2-on-node1", "cli-prefer-d1"]
        ),
        "node node1 \\\n\tattributes standby=on rack=A\n\
         primitive d2 Dummy \\\n\tparams fake=3 \\\n\tmeta is-managed=false\n\
         group g1 d1 d2 \\\n\tmeta target-role=Stopped\n\
         location cli-ban-d2-on-node1 d2 role=Started -inf: node1\n\
         location cli-prefer-d1 d1 role=Started inf: node2\n"
    );
    // a lifetime makes the preference expire (a date rule); clear removes it
    assert_eq!(
        crm(&cib, &["resource", "move", "d1", "node2", "PT1H"], "", &[]).0,
        0
    );
    let s = show(&cib, &["cli-prefer-d1"]);
    assert!(
        s.starts_with(
            "location cli-prefer-d1 d1 role=Started \\\n\trule #uname eq node2 and date lt \""
        ),
        "{s}"
    );
    let (rc, out) = crm(&cib, &["resource", "move", "d1", "node2", "1h"], "", &[]);
    assert_eq!(rc, 1, "{out}");
    assert!(out.contains("ISO 8601"), "{out}");
    // status lists what move/ban left behind
    let st = crm(&cib, &["status"], "", &[]).1;
    assert!(
        st.contains("  * cli-ban-d2-on-node1: d2 banned from node1\n"),
        "{st}"
    );
    assert_eq!(crm(&cib, &["resource", "clear", "d1"], "", &[]).0, 0);
    assert_eq!(crm(&cib, &["resource", "clear", "d2"], "", &[]).0, 0);
    assert!(!crm(&cib, &["status"], "", &[]).1.contains("Move/ban"));
    assert_eq!(crm(&cib, &["node", "online", "node1"], "", &[]).0, 0);
    assert_eq!(
        show(&cib, &["node1"]),
        "node node1 \\\n\tattributes standby=off rack=A\n"
    );
    assert!(!show(&cib, &[]).contains("cli-"));
    assert_eq!(crm(&cib, &["node", "delete", "node2"], "", &[]).0, 0);
    assert!(!show(&cib, &[]).contains("node2"));
    assert_eq!(crm(&cib, &["node", "delete", "node2"], "", &[]).0, 1);
    // unknown objects fail with status 1 and change nothing
    let before = std::fs::read_to_string(&cib).unwrap();
    let (rc, out) = crm(&cib, &["resource", "stop", "nosuch"], "", &[]);
    assert_eq!(rc, 1, "{out}");
    assert!(out.contains("resource nosuch does not exist"), "{out}");
    assert_eq!(std::fs::read_to_string(&cib).unwrap(), before);
    // every change above raised the epoch
    let root = cib::xml::parse(&before).unwrap();
    assert_eq!(root.attr("epoch"), Some("14"));
}

#[test]
fn filter_edit_and_xml_replace_objects() {
    let (_d, cib) = setup();
    let script = "configure\nprimitive d3 Dummy\ncolocation c1 inf: d1 d3\nfilter \"sed 's/d1 d3/d3 d1/'\" c1\n\
                  xml <primitive id=\"x1\" class=\"ocf\" provider=\"heartbeat\" type=\"Dummy\"/>\ncommit\n";
    let (rc, out) = crm(&cib, &["-F"], script, &[]);
    assert_eq!(rc, 0, "{out}");
    assert_eq!(
        show(&cib, &["c1", "x1"]),
        "primitive x1 Dummy\ncolocation c1 inf: d3 d1\n"
    );
    // EDITOR is run on the shown text; a broken edit changes nothing
    let (rc, out) = crm(
        &cib,
        &["-F", "configure", "edit", "d3"],
        "",
        &[("EDITOR", "sed -i 's/Dummy/Dummy params fake=9/'")],
    );
    assert_eq!(rc, 0, "{out}");
    assert_eq!(
        show(&cib, &["d3"]),
        "primitive d3 Dummy \\\n\tparams fake=9\n"
    );
    let (rc, out) = crm(
        &cib,
        &["-F", "configure", "edit", "d3"],
        "",
        &[("EDITOR", "sed -i 's/fake=9/fake=\\\"9/'")],
    );
    assert_eq!(rc, 1, "{out}");
    assert_eq!(
        show(&cib, &["d3"]),
        "primitive d3 Dummy \\\n\tparams fake=9\n"
    );
}

#[test]
fn usage_errors_and_missing_cib() {
    let d = tempfile::tempdir().unwrap();
    let missing = d.path().join("nope.xml");
    let (rc, out) = crm(&missing, &["configure", "show"], "", &[]);
    assert_eq!(rc, 3, "{out}");
    assert!(out.contains("cannot read CIB file"), "{out}");
    let (rc, _) = crm(&missing, &["--bogus"], "", &[]);
    assert_eq!(rc, 2);
    let (rc, out) = crm(&missing, &["ra", "list", "ocf", "heartbeat"], "", &[]);
    if Path::new("/usr/lib/ocf/resource.d/heartbeat/Dummy").exists() {
        assert_eq!(rc, 0);
        assert!(out.split_whitespace().any(|w| w == "Dummy"), "{out}");
    }
}

/// crmsh's `file` regression: save, erase, load replace, edit the file,
/// load update over changed objects (the file's definitions win, objects
/// not in the file stay).
#[test]
fn save_load_replace_and_update() {
    let (d, cib) = setup();
    let file = d.path().join("sample.txt");
    let f = file.to_str().unwrap();
    let (rc, out) = crm(
        &cib,
        &["-F"],
        "configure\nprimitive p3 Dummy\nclone c1 p3\nop_defaults op-options: timeout=60s\ncommit\n",
        &[],
    );
    assert_eq!(rc, 0, "{out}");
    assert_eq!(crm(&cib, &["configure", "save", f], "", &[]).0, 0);
    let saved = std::fs::read_to_string(&file).unwrap();
    assert_eq!(saved, show(&cib, &[]));
    assert_eq!(
        crm(&cib, &["-F", "configure", "erase", "nodes"], "", &[]).0,
        0
    );
    assert_eq!(show(&cib, &[]), "");
    assert_eq!(
        crm(&cib, &["-F", "configure", "load", "replace", f], "", &[]).0,
        0
    );
    assert_eq!(show(&cib, &[]), saved);
    std::fs::write(&file, saved.replace("60s", "2m")).unwrap();
    let (rc, out) = crm(&cib, &["-F"], &format!("configure\ndelete c1 d1\nproperty cluster-recheck-interval=10m\nload update {f}\ncommit\n"), &[]);
    assert_eq!(rc, 0, "{out}");
    let now = show(&cib, &[]);
    assert!(
        now.contains("op_defaults op-options: \\\n\ttimeout=2m"),
        "{now}"
    );
    assert!(now.contains("cluster-recheck-interval=10m"), "{now}");
    assert!(now.contains("clone c1 p3"), "{now}");
    assert!(now.contains("group g1 d1 d2"), "{now}");
}

/// Concurrent `crm` runs on one CIB file do not lose each other's changes.
#[test]
fn concurrent_changes_are_serialised() {
    let (_d, cib) = setup();
    let before: u64 = cib::xml::parse(&std::fs::read_to_string(&cib).unwrap())
        .unwrap()
        .attr("epoch")
        .unwrap()
        .parse()
        .unwrap();
    let kids: Vec<_> = (0..8)
        .map(|i| {
            Command::new(env!("CARGO_BIN_EXE_crm"))
                .args(["resource", "meta", "d1", "set", &format!("attr{i}"), "1"])
                .env("CIB_file", &cib)
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::null())
                .spawn()
                .unwrap()
        })
        .collect();
    for mut k in kids {
        assert!(k.wait().unwrap().success());
    }
    let root = cib::xml::parse(&std::fs::read_to_string(&cib).unwrap()).unwrap();
    assert_eq!(root.attr("epoch"), Some((before + 8).to_string().as_str()));
    let s = show(&cib, &["d1"]);
    for i in 0..8 {
        assert!(s.contains(&format!("attr{i}=1")), "{s}");
    }
}

/// A file may define a group before its members (crmsh's "unordered load
/// file" regression).
#[test]
fn load_accepts_objects_in_any_order() {
    let (d, cib) = setup();
    let file = d.path().join("unordered.crm");
    std::fs::write(
        &file,
        "op_defaults timeout=60s\ngroup g7 gr1 gr2\nclone cl7 g7\nprimitive gr1 Dummy\nprimitive gr2 Dummy\n\
         location loc1 cl7 rule 200: #uname eq node1\n",
    )
    .unwrap();
    let (rc, out) = crm(
        &cib,
        &["-F", "configure", "load", "update", file.to_str().unwrap()],
        "",
        &[],
    );
    assert_eq!(rc, 0, "{out}");
    assert_eq!(
        show(&cib, &["g7", "cl7", "loc1"]),
        "group g7 gr1 gr2\nclone cl7 g7\nlocation loc1 cl7 \\\n\trule 200: #uname eq node1\n"
    );
}

/// `show type:KIND` and `show related:ID`, and `cd configure` at the top.
#[test]
fn show_selectors_and_cd() {
    let (_d, cib) = setup();
    let (rc, out) = crm(
        &cib,
        &["-F"],
        "cd configure\norder o1 Mandatory: d1 d2\ntag t1 d1\ncommit\n",
        &[],
    );
    assert_eq!(rc, 0, "{out}");
    assert_eq!(show(&cib, &["type:order"]), "order o1 Mandatory: d1 d2\n");
    assert_eq!(
        show(&cib, &["related:d1"]),
        "primitive d1 Dummy\ngroup g1 d1 d2\ntag t1 d1\norder o1 Mandatory: d1 d2\n"
    );
}

/// Renaming or deleting a fencing device updates the fencing topology.
#[test]
fn fencing_topology_follows_renames_and_deletes() {
    let (_d, cib) = setup();
    let script = "configure\nprimitive st1 stonith:null params hostlist=node1\nprimitive st2 stonith:null params hostlist=node1\n\
                  fencing_topology node1: st1,st2 st2 node2: st2\nrename st1 stA\ndelete st2\ncommit\n";
    let (rc, out) = crm(&cib, &["-F"], script, &[]);
    assert_eq!(rc, 0, "{out}");
    assert_eq!(
        show(&cib, &["fencing_topology"]),
        "fencing_topology \\\n\tnode1: stA\n"
    );
}

/// `resource failcount RSC set NODE VALUE` writes the fail count the
/// scheduler reads; setting 0 clears it without touching the history.
#[test]
fn failcount_set_show_and_clear() {
    let (_d, cib) = setup();
    let with_status = std::fs::read_to_string(&cib).unwrap().replace(
        "<status/>",
        r#"<status><node_state id="node1" uname="node1" in_ccm="true" crmd="online" join="member" expected="member"/></status>"#,
    );
    std::fs::write(&cib, with_status).unwrap();
    let (rc, out) = crm(
        &cib,
        &["resource", "failcount", "d1", "set", "node1", "3"],
        "",
        &[],
    );
    assert_eq!(rc, 0, "{out}");
    let (_, out) = crm(
        &cib,
        &["resource", "failcount", "d1", "show", "node1"],
        "",
        &[],
    );
    assert_eq!(out, "scope=status  name=fail-count-d1 value=3\n");
    let text = std::fs::read_to_string(&cib).unwrap();
    assert!(
        text.contains(r#"name="fail-count-d1" value="3""#),
        "not written into the status section:\n{text}"
    );
    let (rc, out) = crm(
        &cib,
        &["resource", "failcount", "d1", "set", "node1", "0"],
        "",
        &[],
    );
    assert_eq!(rc, 0, "{out}");
    let (_, out) = crm(
        &cib,
        &["resource", "failcount", "d1", "show", "node1"],
        "",
        &[],
    );
    assert_eq!(out, "scope=status  name=fail-count-d1 value=0\n");
    let (rc, out) = crm(
        &cib,
        &["resource", "failcount", "d1", "set", "node1", "many"],
        "",
        &[],
    );
    assert_ne!(rc, 0, "{out}");
    assert!(out.contains("'many' is not a number"), "{out}");
    let (rc, out) = crm(
        &cib,
        &["resource", "failcount", "d1", "set", "node2", "1"],
        "",
        &[],
    );
    assert_ne!(rc, 0, "{out}");
    assert!(out.contains("node node2 has no status entry"), "{out}");
}
