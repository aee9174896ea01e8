//! Pacemaker score arithmetic: integers saturating at ±INFINITY (1 000 000),
//! where −INFINITY wins over +INFINITY.

use std::fmt;

/// The value Pacemaker calls INFINITY.
pub const INFINITY: i64 = 1_000_000;

/// A placement score.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Score(pub i64);

impl Score {
    pub const ZERO: Score = Score(0);
    pub const INF: Score = Score(INFINITY);
    pub const NEG_INF: Score = Score(-INFINITY);

    /// Parse like Pacemaker's `char2score`: `INFINITY`, `+INFINITY`,
    /// `-INFINITY` (any case), `red`/`yellow`/`green`, else an integer clamped
    /// to ±INFINITY. Unparsable text is 0.
    pub fn parse(s: &str) -> Score {
        Self::parse_with_health(s, -INFINITY, 0, 0)
    }

    /// As [`Score::parse`], with the node-health colour scores given.
    pub fn parse_with_health(s: &str, red: i64, yellow: i64, green: i64) -> Score {
        let t = s.trim();
        let l = t.to_ascii_lowercase();
        match l.as_str() {
            "infinity" | "+infinity" => return Score::INF,
            "-infinity" => return Score::NEG_INF,
            "red" => return Score(red),
            "yellow" => return Score(yellow),
            "green" => return Score(green),
            _ => {}
        }
        // strtoll semantics: leading integer prefix
        let mut end = 0;
        let b = t.as_bytes();
        if end < b.len() && (b[end] == b'-' || b[end] == b'+') {
            end += 1;
        }
        while end < b.len() && b[end].is_ascii_digit() {
            end += 1;
        }
        let v: i128 = t[..end].parse().unwrap_or(0);
        Score(v.clamp(-INFINITY as i128, INFINITY as i128) as i64)
    }

    /// Pacemaker's `pcmk__add_scores`.
    #[allow(clippy::should_implement_trait)]
    pub fn add(self, other: Score) -> Score {
        if self.0 <= -INFINITY || other.0 <= -INFINITY {
            Score::NEG_INF
        } else if self.0 >= INFINITY || other.0 >= INFINITY {
            Score::INF
        } else {
            Score((self.0 + other.0).clamp(-INFINITY, INFINITY))
        }
    }

    pub fn is_neg_inf(self) -> bool {
        self.0 <= -INFINITY
    }
    pub fn is_inf(self) -> bool {
        self.0 >= INFINITY
    }
}

impl fmt::Display for Score {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0 >= INFINITY {
            f.write_str("INFINITY")
        } else if self.0 <= -INFINITY {
            f.write_str("-INFINITY")
        } else {
            write!(f, "{}", self.0)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_and_add() {
        assert_eq!(Score::parse("INFINITY"), Score::INF);
        assert_eq!(Score::parse("-infinity"), Score::NEG_INF);
        assert_eq!(Score::parse("+INFINITY"), Score::INF);
        assert_eq!(Score::parse("12"), Score(12));
        assert_eq!(Score::parse("99999999"), Score::INF);
        assert_eq!(Score::INF.add(Score::NEG_INF), Score::NEG_INF);
        assert_eq!(
            Score(700_000).add(Score(700_000)).add(Score(-500_000)),
            Score::INF
        );
        assert_eq!(
            Score(700_000).add(Score(-500_000)).add(Score(700_000)),
            Score(900_000)
        );
        assert_eq!(Score::NEG_INF.to_string(), "-INFINITY");
    }
}
