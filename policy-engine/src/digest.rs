//! Operation parameter digests (Pacemaker's `op-digest` /
//! `op-restart-digest`): MD5 of the sorted parameters rendered as a
//! `<parameters .../>` element (MD5 from the `md-5` crate).

use std::collections::BTreeMap;
use std::fmt::Write as _;

/// Whether a history entry's digests can be compared: very old histories
/// (feature set below 2.0) used another recipe.
pub fn comparable(op: &crate::unpack::HistOp) -> bool {
    !op.legacy_digests
}

/// A resource's parameters as they enter its digests (internal `#`
/// parameters left out).
pub fn resource_params(r: &crate::unpack::Rsc) -> BTreeMap<String, String> {
    r.params
        .iter()
        .filter(|(k, _)| !k.starts_with('#'))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

/// MD5 digest as lowercase hex.
pub fn md5_hex(data: &[u8]) -> String {
    use md5::Digest;
    md5::Md5::digest(data)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn esc(v: &str) -> String {
    v.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// Digest of a parameter set.
pub fn params_digest(params: &BTreeMap<String, String>) -> String {
    let mut s = String::from(" <parameters");
    for (k, v) in params {
        let _ = write!(s, " {}=\"{}\"", k, esc(v));
    }
    s.push_str("/>\n");
    md5_hex(s.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn md5_known_values() {
        assert_eq!(md5_hex(b""), "d41d8cd98f00b204e9800998ecf8427e");
        assert_eq!(md5_hex(b"abc"), "900150983cd24fb0d6963f7d28e17f72");
        assert_eq!(
            params_digest(&BTreeMap::new()),
            "f2317cad3d54cec5d7d7aa7d0bf35cf8"
        );
    }
}
