//! Operation parameter digests (Pacemaker's `op-digest` /
//! `op-restart-digest`): MD5 of the sorted parameters rendered as a
//! `<parameters .../>` element. Includes a small MD5 (RFC 1321).

use std::collections::BTreeMap;

/// Whether a history entry's digests can be compared: very old histories
/// (feature set below 2.0) used another recipe.
pub fn comparable(op: &crate::unpack::HistOp) -> bool {
    !op.feature_set
        .as_deref()
        .is_some_and(|f| crate::rules_cmp_version(f, "2.0").is_lt())
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
    const S: [u32; 64] = [
        7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22, 5, 9, 14, 20, 5, 9, 14, 20, 5,
        9, 14, 20, 5, 9, 14, 20, 4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23, 6, 10,
        15, 21, 6, 10, 15, 21, 6, 10, 15, 21, 6, 10, 15, 21,
    ];
    let k: Vec<u32> = (0..64)
        .map(|i| ((i as f64 + 1.0).sin().abs() * 4294967296.0) as u32)
        .collect();
    let mut a0: u32 = 0x67452301;
    let mut b0: u32 = 0xefcdab89;
    let mut c0: u32 = 0x98badcfe;
    let mut d0: u32 = 0x10325476;
    let mut msg = data.to_vec();
    let bit_len = (data.len() as u64).wrapping_mul(8);
    msg.push(0x80);
    while msg.len() % 64 != 56 {
        msg.push(0);
    }
    msg.extend_from_slice(&bit_len.to_le_bytes());
    for chunk in msg.chunks(64) {
        let m: Vec<u32> = chunk
            .chunks(4)
            .map(|w| u32::from_le_bytes([w[0], w[1], w[2], w[3]]))
            .collect();
        let (mut a, mut b, mut c, mut d) = (a0, b0, c0, d0);
        for i in 0..64 {
            let (f, g) = match i / 16 {
                0 => ((b & c) | (!b & d), i),
                1 => ((d & b) | (!d & c), (5 * i + 1) % 16),
                2 => (b ^ c ^ d, (3 * i + 5) % 16),
                _ => (c ^ (b | !d), (7 * i) % 16),
            };
            let f2 = f.wrapping_add(a).wrapping_add(k[i]).wrapping_add(m[g]);
            a = d;
            d = c;
            c = b;
            b = b.wrapping_add(f2.rotate_left(S[i]));
        }
        a0 = a0.wrapping_add(a);
        b0 = b0.wrapping_add(b);
        c0 = c0.wrapping_add(c);
        d0 = d0.wrapping_add(d);
    }
    let mut out = String::with_capacity(32);
    for v in [a0, b0, c0, d0] {
        for byte in v.to_le_bytes() {
            out.push_str(&format!("{byte:02x}"));
        }
    }
    out
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
        s.push_str(&format!(" {}=\"{}\"", k, esc(v)));
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
