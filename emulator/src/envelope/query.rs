//! The query-string codec: decoding name/value pairs, percent-encoding values for links.

/// Splits a query string into decoded name/value pairs (`+` is a space, `%XX` a byte).
pub(crate) fn parse_query(query: &str) -> Vec<(String, String)> {
    query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            (decode(k, true), decode(v, true))
        })
        .collect()
}

/// Percent-decodes `s`; malformed escapes are kept as they are; invalid UTF-8 is replaced.
pub(crate) fn decode(s: &str, plus_is_space: bool) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'+' if plus_is_space => out.push(b' '),
            b'%' if i + 2 < b.len() => {
                let hex = |c: u8| (c as char).to_digit(16);
                match (hex(b[i + 1]), hex(b[i + 2])) {
                    (Some(h), Some(l)) => {
                        out.push((h * 16 + l) as u8);
                        i += 2;
                    }
                    _ => out.push(b'%'),
                }
            }
            c => out.push(c),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Percent-encodes a query value (everything but the unreserved characters).
pub(crate) fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_round_trip() {
        let v = "status eq 'active' and x ge 2024-01-01T00:00:00+01:00 ü%";
        let q = format!("$filter={}&$top=5&flag", encode(v));
        let parsed = parse_query(&q);
        assert_eq!(parsed[0], ("$filter".to_owned(), v.to_owned()));
        assert_eq!(parsed[1], ("$top".to_owned(), "5".to_owned()));
        assert_eq!(parsed[2], ("flag".to_owned(), String::new()));
        assert_eq!(decode("a+b%2", true), "a b%2");
        assert_eq!(decode("%zz%", false), "%zz%");
        assert_eq!(decode("%41", false), "A");
    }
}
