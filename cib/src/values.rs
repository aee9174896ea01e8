//! Typed readings of CIB attribute values.
//!
//! The model keeps every value as the string that was written; these
//! functions say what a string means to Pacemaker: scores (with INFINITY
//! arithmetic), booleans, durations and roles. Each returns `None` (or an
//! error message) for a spelling Pacemaker would not accept, which is what
//! validation reports.

use std::fmt;

/// Pacemaker's infinity: scores saturate at ±1,000,000.
pub const INFINITY: i64 = 1_000_000;

/// A placement score: an integer clamped to ±[`INFINITY`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Score(i64);

impl Score {
    /// +INFINITY.
    pub const INF: Score = Score(INFINITY);
    /// -INFINITY.
    pub const NEG_INF: Score = Score(-INFINITY);
    /// Zero.
    pub const ZERO: Score = Score(0);

    /// A score from an integer, clamped.
    pub fn new(v: i64) -> Score {
        Score(v.clamp(-INFINITY, INFINITY))
    }

    /// The clamped integer value.
    pub fn value(self) -> i64 {
        self.0
    }

    /// Parses a score as Pacemaker does: an integer, or `INFINITY`,
    /// `+INFINITY`, `-INFINITY` (case-insensitive), with the crmsh
    /// spellings `inf`, `+inf`, `-inf`. The colour names `red`, `yellow`,
    /// `green` (node-health scores) are not scores here.
    pub fn parse(s: &str) -> Option<Score> {
        let t = s.trim();
        let lower = t.to_ascii_lowercase();
        match lower.as_str() {
            "infinity" | "+infinity" | "inf" | "+inf" => return Some(Score::INF),
            "-infinity" | "-inf" => return Some(Score::NEG_INF),
            _ => {}
        }
        let digits = t.strip_prefix('+').unwrap_or(t);
        if digits.is_empty() {
            return None;
        }
        // Pacemaker reads the integer part of a decimal ("2.0" is 2).
        let digits = match digits.split_once('.') {
            Some((int, frac))
                if !int.is_empty() && int != "-" && frac.bytes().all(|b| b.is_ascii_digit()) =>
            {
                int
            }
            _ => digits,
        };
        // Integers beyond i64 still mean ±INFINITY.
        match digits.parse::<i64>() {
            Ok(v) => Some(Score::new(v)),
            Err(_) => {
                let (neg, body) = match digits.strip_prefix('-') {
                    Some(b) => (true, b),
                    None => (false, digits),
                };
                if !body.is_empty() && body.bytes().all(|b| b.is_ascii_digit()) {
                    Some(if neg { Score::NEG_INF } else { Score::INF })
                } else {
                    None
                }
            }
        }
    }
}

impl std::ops::Add for Score {
    type Output = Score;

    /// Pacemaker's score addition: -INFINITY wins over +INFINITY, and the
    /// sum saturates at ±INFINITY.
    fn add(self, other: Score) -> Score {
        if self.0 <= -INFINITY || other.0 <= -INFINITY {
            Score::NEG_INF
        } else if self.0 >= INFINITY || other.0 >= INFINITY {
            Score::INF
        } else {
            Score::new(self.0 + other.0)
        }
    }
}

impl fmt::Display for Score {
    /// `INFINITY`, `-INFINITY` or the integer, as crm_simulate prints scores.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            INFINITY => f.write_str("INFINITY"),
            v if v == -INFINITY => f.write_str("-INFINITY"),
            v => write!(f, "{v}"),
        }
    }
}

/// Parses a Pacemaker boolean: true/false, yes/no, on/off, y/n, 1/0
/// (case-insensitive).
pub fn parse_bool(s: &str) -> Option<bool> {
    match s.trim().to_ascii_lowercase().as_str() {
        "true" | "yes" | "on" | "y" | "1" => Some(true),
        "false" | "no" | "off" | "n" | "0" => Some(false),
        _ => None,
    }
}

/// Parses a duration in milliseconds as Pacemaker's `crm_get_msec` and its
/// ISO 8601 reader do: a number with an optional unit (`ms`, `msec`, `us`,
/// `usec`, `s`, `sec`, `m`, `min`, `h`, `hr`; none means seconds), or an ISO
/// 8601 duration such as `PT1M30S` or `P1D`.
pub fn parse_duration_ms(s: &str) -> Option<u64> {
    let t = s.trim();
    if t.is_empty() {
        return None;
    }
    if let Some(iso) = t.strip_prefix('P') {
        return parse_iso_duration_ms(iso);
    }
    let split = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    if num.is_empty() || num.matches('.').count() > 1 {
        return None;
    }
    let n: f64 = num.parse().ok()?;
    let factor = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "s" | "sec" => 1000.0,
        "ms" | "msec" => 1.0,
        "us" | "usec" => 0.001,
        "m" | "min" => 60_000.0,
        "h" | "hr" => 3_600_000.0,
        _ => return None,
    };
    Some((n * factor) as u64)
}

fn parse_iso_duration_ms(s: &str) -> Option<u64> {
    let mut total: f64 = 0.0;
    let mut in_time = false;
    let mut num = String::new();
    let mut any = false;
    for c in s.chars() {
        match c {
            'T' if !in_time && num.is_empty() => in_time = true,
            '0'..='9' | '.' => num.push(c),
            _ => {
                let n: f64 = num.parse().ok()?;
                num.clear();
                any = true;
                // Pacemaker also reads hours and seconds written without
                // the `T` separator (`P10S`), which old CIBs use.
                let secs = match (in_time, c) {
                    (false, 'Y') => 365.0 * 86400.0,
                    (false, 'H') => 3600.0,
                    (false, 'S') => 1.0,
                    (false, 'M') => 30.0 * 86400.0,
                    (false, 'W') => 7.0 * 86400.0,
                    (false, 'D') => 86400.0,
                    (true, 'H') => 3600.0,
                    (true, 'M') => 60.0,
                    (true, 'S') => 1.0,
                    _ => return None,
                };
                total += n * secs;
            }
        }
    }
    if !num.is_empty() || !any {
        return None;
    }
    Some((total * 1000.0) as u64)
}

/// The roles a resource can be asked to have, with both the current and the
/// legacy names.
pub const ROLES: [&str; 6] = [
    "Stopped",
    "Started",
    "Unpromoted",
    "Promoted",
    "Slave",
    "Master",
];

/// Whether `s` is a role name Pacemaker accepts in constraints and ops.
/// Role names are compared case-insensitively, as Pacemaker does.
pub fn is_role(s: &str) -> bool {
    ROLES.iter().any(|r| r.eq_ignore_ascii_case(s))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scores() {
        assert_eq!(Score::parse("INFINITY"), Some(Score::INF));
        assert_eq!(Score::parse("+INFINITY"), Some(Score::INF));
        assert_eq!(Score::parse("-inf"), Some(Score::NEG_INF));
        assert_eq!(Score::parse("100"), Some(Score::new(100)));
        assert_eq!(Score::parse("-5"), Some(Score::new(-5)));
        assert_eq!(Score::parse("2000000"), Some(Score::INF));
        assert_eq!(Score::parse("99999999999999999999"), Some(Score::INF));
        assert_eq!(Score::parse("2.0"), Some(Score::new(2)));
        assert_eq!(Score::parse("2.x"), None);
        assert_eq!(Score::parse("abc"), None);
        assert_eq!(Score::parse(""), None);
        assert_eq!(Score::INF + Score::NEG_INF, Score::NEG_INF);
        assert_eq!(Score::new(999_999) + Score::new(5), Score::INF);
        assert_eq!(Score::NEG_INF.to_string(), "-INFINITY");
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration_ms("10"), Some(10_000));
        assert_eq!(parse_duration_ms("10s"), Some(10_000));
        assert_eq!(parse_duration_ms("500ms"), Some(500));
        assert_eq!(parse_duration_ms("2min"), Some(120_000));
        assert_eq!(parse_duration_ms("1h"), Some(3_600_000));
        assert_eq!(parse_duration_ms("PT1M30S"), Some(90_000));
        assert_eq!(parse_duration_ms("P1D"), Some(86_400_000));
        assert_eq!(parse_duration_ms("P10S"), Some(10_000));
        assert_eq!(parse_duration_ms("10x"), None);
        assert_eq!(parse_duration_ms("P"), None);
        assert_eq!(parse_duration_ms(""), None);
        assert_eq!(parse_duration_ms("abc"), None);
    }

    #[test]
    fn bools() {
        assert_eq!(parse_bool("Yes"), Some(true));
        assert_eq!(parse_bool("off"), Some(false));
        assert_eq!(parse_bool("maybe"), None);
    }
}
