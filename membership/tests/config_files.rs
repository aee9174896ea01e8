//! The real files users have: the reference corosync.conf and the Corosync 1.x/2.x config
//! printed in seed 003 must load unchanged. Read at run time from the shared reference
//! directory (never copied into the repo).

use std::path::PathBuf;

use membership::config::CorosyncConf;

fn shared() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared")
}

#[test]
fn reference_corosync_conf_loads() {
    let p = shared().join("reference-output/corosync.conf");
    if !p.exists() {
        eprintln!("{} not present; skipping", p.display());
        return;
    }
    let c = CorosyncConf::load(&p).unwrap();
    assert_eq!(c.nodes.len(), 3);
    assert!(c.nodes.iter().all(|n| !n.nodeid_generated));
    assert_eq!(c.totem_config().token.as_millis(), 1000);
}

#[test]
fn seed_003_old_style_loads() {
    let dir = shared().join("seeds");
    let Some(seed) = std::fs::read_dir(&dir).ok().and_then(|mut d| {
        d.find_map(|e| {
            e.ok()
                .filter(|e| e.file_name().to_string_lossy().starts_with("003_"))
        })
    }) else {
        eprintln!("seed 003 not present; skipping");
        return;
    };
    let text = std::fs::read_to_string(seed.path()).unwrap();
    // The config follows `cat /etc/corosync/corosync.conf` and ends where the prose resumes.
    let start = text.find("cat /etc/corosync/corosync.conf").unwrap();
    let mut conf = String::new();
    let mut depth = 0i32;
    for line in text[start..].lines().skip(1) {
        let t = line.trim();
        let is_conf = t.ends_with('{') || t == "}" || t.contains(':');
        if !is_conf || (depth == 0 && !t.ends_with('{')) {
            break;
        }
        depth += t.ends_with('{') as i32 - (t == "}") as i32;
        conf.push_str(line);
        conf.push('\n');
    }
    let c = CorosyncConf::parse(&conf).unwrap();
    let ids: Vec<u32> = c.nodes.iter().map(|n| n.nodeid).collect();
    assert_eq!(ids, vec![3232260964, 3232260965]);
    assert_eq!(c.services[0].name, "pacemaker");
    assert!(!c.crypto_enabled());
}
