//! Resource-agent metadata checks used by verification: unknown and
//! missing required parameters of OCF agents, read from the agent's own
//! `meta-data` action (as crmsh does through `crm_resource`). Agents that
//! are not installed are not checked.

use std::collections::HashMap;
use std::sync::Mutex;

use cib::xml::Element;

/// (name, required) of every parameter an agent declares.
type Params = Vec<(String, bool)>;

static CACHE: Mutex<Option<HashMap<String, Option<Params>>>> = Mutex::new(None);

fn ocf_root() -> String {
    std::env::var("OCF_ROOT").unwrap_or_else(|_| "/usr/lib/ocf".into())
}

fn metadata(provider: &str, ty: &str) -> Option<Params> {
    let key = format!("{provider}:{ty}");
    let mut guard = CACHE.lock().unwrap_or_else(|e| e.into_inner());
    let cache = guard.get_or_insert_with(HashMap::new);
    if let Some(v) = cache.get(&key) {
        return v.clone();
    }
    let root = ocf_root();
    let path = format!("{root}/resource.d/{provider}/{ty}");
    let v = (|| {
        if provider.contains('/') || ty.contains('/') || !std::path::Path::new(&path).is_file() {
            return None;
        }
        let text = run_with_timeout(&path, &root, std::time::Duration::from_secs(5))?;
        let doc = cib::xml::parse(&text).ok()?;
        let params = doc.child("parameters")?;
        Some(
            params
                .elements()
                .filter(|p| p.name == "parameter")
                .filter_map(|p| {
                    Some((p.attr("name")?.to_string(), p.attr("required") == Some("1")))
                })
                .collect(),
        )
    })();
    cache.insert(key, v.clone());
    v
}

/// Runs `AGENT meta-data`; an agent that hangs is killed after `limit`
/// (verification must not hang on a broken agent).
fn run_with_timeout(path: &str, root: &str, limit: std::time::Duration) -> Option<String> {
    use std::io::Read;
    let mut child = std::process::Command::new(path)
        .arg("meta-data")
        .env("OCF_ROOT", root)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .ok()?;
    let mut stdout = child.stdout.take()?;
    // read on a thread so a large document cannot fill the pipe and stall
    let reader = std::thread::spawn(move || {
        let mut buf = Vec::new();
        let _ = stdout.read_to_end(&mut buf);
        buf
    });
    let start = std::time::Instant::now();
    loop {
        match child.try_wait() {
            Ok(Some(_)) => break,
            Ok(None) if start.elapsed() < limit => {
                std::thread::sleep(std::time::Duration::from_millis(10))
            }
            _ => {
                let _ = child.kill();
                let _ = child.wait();
                return None;
            }
        }
    }
    let buf = reader.join().ok()?;
    Some(String::from_utf8_lossy(&buf).into_owned())
}

/// Verification errors for one primitive's parameters.
pub fn check_params(p: &Element) -> Vec<String> {
    let mut out = Vec::new();
    if p.attr("class") != Some("ocf") || p.attr("template").is_some() {
        return out;
    }
    let (Some(provider), Some(ty)) = (p.attr("provider"), p.attr("type")) else {
        return out;
    };
    let Some(params) = metadata(provider, ty) else {
        return out;
    };
    let id = p.attr("id").unwrap_or("");
    let given: Vec<&str> = p
        .elements()
        .filter(|s| s.name == "instance_attributes")
        .flat_map(|s| s.elements().filter_map(|n| n.attr("name")))
        .collect();
    for g in &given {
        if !params.iter().any(|(n, _)| n == g) {
            out.push(format!("{id}: parameter \"{g}\" is not known"));
        }
    }
    for (n, req) in &params {
        if *req && !given.contains(&n.as_str()) {
            out.push(format!("{id}: required parameter \"{n}\" not defined"));
        }
    }
    out
}

/// The parameter names an installed OCF agent declares (empty when the
/// agent is not installed).
pub fn param_names(provider: &str, ty: &str) -> Vec<String> {
    metadata(provider, ty)
        .map(|p| p.into_iter().map(|(n, _)| n).collect())
        .unwrap_or_default()
}

/// (name, required) of the parameters an installed OCF agent declares.
pub fn params(provider: &str, ty: &str) -> Vec<(String, bool)> {
    metadata(provider, ty).unwrap_or_default()
}

/// Whether OCF agent `provider:ty` is installed: `None` when there is no
/// OCF tree on this machine at all (nothing can be said).
pub fn installed(provider: &str, ty: &str) -> Option<bool> {
    let root = ocf_root();
    if !std::path::Path::new(&format!("{root}/resource.d")).is_dir() {
        return None;
    }
    Some(std::path::Path::new(&format!("{root}/resource.d/{provider}/{ty}")).is_file())
}
