//! Rule evaluation (`<rule>` with `expression`, `date_expression`,
//! `rsc_expression`, `op_expression` and nested rules), as in Pacemaker's
//! `lib/pengine/rules.c`. Time is always an explicit input.

use std::collections::BTreeMap;

use chrono::{Datelike, NaiveDate, NaiveDateTime, TimeZone, Timelike, Utc};
use cib::xml::Element;

/// What a rule may look at.
#[derive(Debug, Default, Clone)]
pub struct RuleContext<'a> {
    /// Node attributes (including `#uname`, `#id`, `#kind`), when evaluating
    /// for a node.
    pub node_attrs: Option<&'a BTreeMap<String, String>>,
    /// Effective "now", seconds since the epoch (UTC).
    pub now: i64,
    /// Resource standard, provider and agent (for `rsc_expression`).
    pub rsc: Option<(&'a str, Option<&'a str>, &'a str)>,
    /// Operation name and interval in ms (for `op_expression`).
    pub op: Option<(&'a str, u64)>,
    /// Resource parameters and meta (for `value-source`).
    pub params: Option<&'a BTreeMap<String, String>>,
    pub meta: Option<&'a BTreeMap<String, String>>,
}

/// Evaluate a `<rule>` element.
pub fn eval_rule(rule: &Element, ctx: &RuleContext) -> bool {
    let or = rule.attr("boolean-op") == Some("or");
    let mut any = false;
    for e in rule.elements() {
        let v = match e.name.as_str() {
            "expression" => eval_attr_expr(e, ctx),
            "date_expression" => eval_date_expr(e, ctx.now),
            "rule" => eval_rule(e, ctx),
            "rsc_expression" => eval_rsc_expr(e, ctx),
            "op_expression" => eval_op_expr(e, ctx),
            _ => continue,
        };
        any = true;
        if or && v {
            return true;
        }
        if !or && !v {
            return false;
        }
    }
    if or {
        // an "or" of nothing passes; otherwise nothing matched
        !any
    } else {
        true
    }
}

fn eval_rsc_expr(e: &Element, ctx: &RuleContext) -> bool {
    let Some((class, provider, agent)) = ctx.rsc else {
        return true;
    };
    if let Some(c) = e.attr("class") {
        if c != class {
            return false;
        }
    }
    if let Some(p) = e.attr("provider") {
        if Some(p) != provider {
            return false;
        }
    }
    if let Some(t) = e.attr("type") {
        if t != agent {
            return false;
        }
    }
    true
}

fn eval_op_expr(e: &Element, ctx: &RuleContext) -> bool {
    let Some((name, interval)) = ctx.op else {
        return true;
    };
    if let Some(n) = e.attr("name") {
        if n != name {
            return false;
        }
    }
    if let Some(i) = e.attr("interval") {
        if crate::unpack::parse_interval_ms(i) != interval {
            return false;
        }
    }
    true
}

fn eval_attr_expr(e: &Element, ctx: &RuleContext) -> bool {
    let attr = e.attr("attribute").unwrap_or("");
    let op = e.attr("operation").unwrap_or("");
    let Some(attrs) = ctx.node_attrs else {
        // no node: Pacemaker treats node expressions as not passing
        return false;
    };
    let actual = attrs.get(attr).map(String::as_str);
    let mut expected = e.attr("value").map(str::to_string);
    match e.attr("value-source") {
        Some("param") => {
            expected = expected.and_then(|k| ctx.params.and_then(|p| p.get(&k).cloned()))
        }
        Some("meta") => expected = expected.and_then(|k| ctx.meta.and_then(|p| p.get(&k).cloned())),
        _ => {}
    }
    match op {
        "defined" => return actual.is_some(),
        "not_defined" => return actual.is_none(),
        _ => {}
    }
    let (Some(a), Some(x)) = (actual, expected.as_deref()) else {
        return op == "ne" && !(actual.is_none() && expected.is_none());
    };
    let ty = e.attr("type").map(str::to_ascii_lowercase);
    let ty = match ty.as_deref() {
        Some(t) => t.to_string(),
        None => {
            if matches!(op, "lt" | "lte" | "gt" | "gte") {
                if a.contains('.') || x.contains('.') {
                    "number".into()
                } else {
                    "integer".into()
                }
            } else {
                "string".into()
            }
        }
    };
    let ord = match ty.as_str() {
        "integer" | "int" => match (scan_ll(a), scan_ll(x)) {
            (Some(p), Some(q)) => p.cmp(&q),
            _ => a.cmp(x),
        },
        "number" => match (a.trim().parse::<f64>(), x.trim().parse::<f64>()) {
            (Ok(p), Ok(q)) => p.partial_cmp(&q).unwrap_or(std::cmp::Ordering::Equal),
            _ => a.cmp(x),
        },
        "version" => cmp_version(a, x),
        _ => {
            let la = a.to_ascii_lowercase();
            let lx = x.to_ascii_lowercase();
            la.cmp(&lx)
        }
    };
    use std::cmp::Ordering::*;
    match op {
        "eq" => ord == Equal,
        "ne" => ord != Equal,
        "lt" => ord == Less,
        "lte" => ord != Greater,
        "gt" => ord == Greater,
        "gte" => ord != Less,
        _ => false,
    }
}

/// Like Pacemaker's `pcmk__scan_ll` (strtoll): leading blanks, an optional
/// sign and at least one digit; anything after the digits is ignored
/// ("3.6" is 3); saturates on overflow.
fn scan_ll(s: &str) -> Option<i64> {
    let t = s.trim_start();
    let (neg, rest) = match t.as_bytes().first() {
        Some(b'-') => (true, &t[1..]),
        Some(b'+') => (false, &t[1..]),
        _ => (false, t),
    };
    let digits: &str = &rest[..rest.bytes().take_while(u8::is_ascii_digit).count()];
    if digits.is_empty() {
        return None;
    }
    let v = digits.bytes().try_fold(0i64, |acc, d| {
        acc.checked_mul(10)?.checked_add(i64::from(d - b'0'))
    });
    Some(match (v, neg) {
        (Some(v), false) => v,
        (Some(v), true) => -v,
        (None, false) => i64::MAX,
        (None, true) => i64::MIN,
    })
}

fn cmp_version(a: &str, b: &str) -> std::cmp::Ordering {
    let pa: Vec<i64> = a.split('.').map(|s| s.parse().unwrap_or(0)).collect();
    let pb: Vec<i64> = b.split('.').map(|s| s.parse().unwrap_or(0)).collect();
    let n = pa.len().max(pb.len());
    for i in 0..n {
        let x = pa.get(i).copied().unwrap_or(0);
        let y = pb.get(i).copied().unwrap_or(0);
        if x != y {
            return x.cmp(&y);
        }
    }
    std::cmp::Ordering::Equal
}

/// Parse an ISO 8601 date/time as Pacemaker's `crm_time_new` accepts it
/// (calendar `2005-02-01`, ordinal `2005-020`, week `2005-W05-1`, with an
/// optional time `[T ]12:30[:00]` and zone `Z`/`±hh:mm`). Returns epoch seconds.
pub fn parse_datetime(s: &str) -> Option<i64> {
    let s = s.trim();
    let (date_part, time_part) = match s.find(['T', ' ']) {
        Some(i) => (&s[..i], Some(s[i + 1..].trim())),
        None => (s, None),
    };
    let date = parse_date(date_part)?;
    let mut secs = 0i64;
    let mut offset = 0i64;
    if let Some(t) = time_part {
        let (clock, zone) = split_zone(t);
        let parts: Vec<&str> = clock.split(':').collect();
        let h: i64 = parts.first()?.parse().ok()?;
        let m: i64 = parts.get(1).map(|p| p.parse().unwrap_or(0)).unwrap_or(0);
        let sec: i64 = parts
            .get(2)
            .map(|p| p.split('.').next().unwrap_or("0").parse().unwrap_or(0))
            .unwrap_or(0);
        secs = h * 3600 + m * 60 + sec;
        if let Some(z) = zone {
            offset = parse_offset(z);
        }
    }
    let dt = date.and_hms_opt(0, 0, 0)?;
    Some(Utc.from_utc_datetime(&dt).timestamp() + secs - offset)
}

fn split_zone(t: &str) -> (&str, Option<&str>) {
    if let Some(stripped) = t.strip_suffix('Z') {
        return (stripped, Some("Z"));
    }
    if let Some(i) = t.rfind(['+', '-']) {
        return (&t[..i], Some(&t[i..]));
    }
    (t, None)
}

fn parse_offset(z: &str) -> i64 {
    if z == "Z" {
        return 0;
    }
    let sign = if z.starts_with('-') { -1 } else { 1 };
    let body = &z[1..];
    let (h, m) = if let Some((h, m)) = body.split_once(':') {
        (h.parse().unwrap_or(0), m.parse().unwrap_or(0))
    } else if body.len() == 4 {
        (
            body[..2].parse().unwrap_or(0),
            body[2..].parse().unwrap_or(0),
        )
    } else {
        (body.parse().unwrap_or(0), 0i64)
    };
    sign * (h * 3600 + m * 60)
}

fn parse_date(d: &str) -> Option<NaiveDate> {
    let parts: Vec<&str> = d.split('-').collect();
    let year: i32 = parts.first()?.parse().ok()?;
    match parts.len() {
        1 => NaiveDate::from_ymd_opt(year, 1, 1),
        2 => {
            let p = parts[1];
            if let Some(w) = p.strip_prefix('W') {
                NaiveDate::from_isoywd_opt(year, w.parse().ok()?, chrono::Weekday::Mon)
            } else if p.len() == 3 {
                NaiveDate::from_yo_opt(year, p.parse().ok()?)
            } else {
                NaiveDate::from_ymd_opt(year, p.parse().ok()?, 1)
            }
        }
        _ => {
            if let Some(w) = parts[1].strip_prefix('W') {
                let wd: u32 = parts[2].parse().ok()?;
                let wd = chrono::Weekday::try_from((wd.max(1) - 1) as u8).ok()?;
                NaiveDate::from_isoywd_opt(year, w.parse().ok()?, wd)
            } else {
                NaiveDate::from_ymd_opt(year, parts[1].parse().ok()?, parts[2].parse().ok()?)
            }
        }
    }
}

fn add_duration(start: i64, d: &Element) -> i64 {
    let get = |k: &str| {
        d.attr(k)
            .and_then(|v| v.trim().parse::<i64>().ok())
            .unwrap_or(0)
    };
    let mut t = start + get("seconds") + 60 * get("minutes") + 3600 * get("hours");
    t += 86400 * (get("days") + 7 * get("weeks"));
    let months = get("months") + 12 * get("years");
    if months != 0 {
        if let Some(dt) = Utc.timestamp_opt(t, 0).single() {
            let naive = dt.naive_utc();
            let total = naive.year() as i64 * 12 + naive.month0() as i64 + months;
            let y = (total / 12) as i32;
            let m = (total % 12) as u32 + 1;
            let mut day = naive.day();
            let mut nd = NaiveDate::from_ymd_opt(y, m, day);
            while nd.is_none() && day > 28 {
                day -= 1;
                nd = NaiveDate::from_ymd_opt(y, m, day);
            }
            if let Some(nd) = nd {
                let ndt = NaiveDateTime::new(nd, naive.time());
                t = Utc.from_utc_datetime(&ndt).timestamp();
            }
        }
    }
    t
}

/// Evaluate a `<date_expression>` at `now` (epoch seconds).
pub fn eval_date_expr(e: &Element, now: i64) -> bool {
    let op = e.attr("operation").unwrap_or("in_range");
    let start = e.attr("start").and_then(parse_datetime);
    let mut end = e.attr("end").and_then(parse_datetime);
    match op {
        "in_range" => {
            if end.is_none() {
                if let (Some(s), Some(d)) = (start, e.child("duration")) {
                    end = Some(add_duration(s, d));
                }
            }
            if let Some(s) = start {
                if now < s {
                    return false;
                }
            }
            if let Some(x) = end {
                if now > x {
                    return false;
                }
            }
            start.is_some() || end.is_some()
        }
        "gt" => start.is_some_and(|s| now > s),
        "lt" => end.is_some_and(|x| now < x),
        "date_spec" => match e.child("date_spec") {
            Some(spec) => eval_date_spec(spec, now),
            None => false,
        },
        _ => false,
    }
}

fn in_ranges(spec: &str, v: i64) -> bool {
    let spec = spec.trim();
    if let Some((a, b)) = spec.split_once('-') {
        let a: i64 = a.trim().parse().unwrap_or(i64::MIN);
        let b: i64 = b.trim().parse().unwrap_or(i64::MAX);
        v >= a && v <= b
    } else {
        spec.parse::<i64>().map(|x| x == v).unwrap_or(false)
    }
}

fn eval_date_spec(spec: &Element, now: i64) -> bool {
    let Some(dt) = Utc.timestamp_opt(now, 0).single() else {
        return false;
    };
    let d = dt.naive_utc();
    let iso = d.iso_week();
    let checks: [(&str, i64); 9] = [
        ("seconds", d.second() as i64),
        ("minutes", d.minute() as i64),
        ("hours", d.hour() as i64),
        ("monthdays", d.day() as i64),
        ("weekdays", d.weekday().number_from_monday() as i64),
        ("yeardays", d.ordinal() as i64),
        ("months", d.month() as i64),
        ("weeks", iso.week() as i64),
        ("years", d.year() as i64),
    ];
    for (k, v) in checks {
        if let Some(s) = spec.attr(k) {
            if !in_ranges(s, v) {
                return false;
            }
        }
    }
    if let Some(s) = spec.attr("weekyears") {
        if !in_ranges(s, iso.year() as i64) {
            return false;
        }
    }
    true
}

/// Format epoch seconds like crm_simulate's "original execution date" line.
pub fn format_datetime(t: i64) -> String {
    match Utc.timestamp_opt(t, 0).single() {
        Some(dt) => dt.format("%Y-%m-%d %H:%M:%SZ").to_string(),
        None => t.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates() {
        assert_eq!(parse_datetime("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(parse_datetime("1970-002"), Some(86400));
        assert_eq!(parse_datetime("1970-01-01 01:00"), Some(3600));
        assert_eq!(format_datetime(0), "1970-01-01 00:00:00Z");
    }
}
