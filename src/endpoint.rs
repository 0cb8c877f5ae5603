//! Where requests may go: the base-URL and origin rules, path joining, query encoding and
//! the body size limit. A leaf module: both `auth` and `http` use it.

use std::net::IpAddr;

use url::Url;

use crate::error::InvalidInput;

/// The default limit on one response body (and a token endpoint's answer): 64 MiB.
pub const DEFAULT_MAX_BODY_BYTES: usize = 64 * 1024 * 1024;

/// Checks a base URL: `https://` always, `http://` only for loopback (127.0.0.0/8, `::1`,
/// `localhost`), no credentials, query or fragment.
pub(crate) fn validate_base_url(field: &'static str, value: &str) -> Result<Url, InvalidInput> {
    let url = Url::parse(value.trim())
        .map_err(|e| InvalidInput::new(field, format!("{value:?} is not a URL: {e}")))?;
    match url.scheme() {
        "https" => {}
        "http" if is_loopback(&url) => {}
        "http" => {
            return Err(InvalidInput::new(
                field,
                format!(
                    "{value:?} uses http:// on a host that is not loopback; the bearer token must travel over https://"
                ),
            ));
        }
        other => {
            return Err(InvalidInput::new(
                field,
                format!("scheme {other:?} is not supported; use https://"),
            ));
        }
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(InvalidInput::new(field, "has no host"));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(InvalidInput::new(field, "must not hold credentials"));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(InvalidInput::new(
            field,
            "must not have a query or fragment",
        ));
    }
    Ok(url)
}

fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => IpAddr::V4(ip).is_loopback(),
        Some(url::Host::Ipv6(ip)) => IpAddr::V6(ip).is_loopback(),
        None => false,
    }
}

/// Whether `url` has the same scheme, host and port as `base`: the only URLs the token goes to.
pub(crate) fn same_origin(base: &Url, url: &Url) -> bool {
    base.scheme() == url.scheme()
        && base.host_str().map(str::to_ascii_lowercase)
            == url.host_str().map(str::to_ascii_lowercase)
        && base.port_or_known_default() == url.port_or_known_default()
}

/// Appends path segments to a base URL, percent-encoding each.
pub(crate) fn join(base: &Url, segments: &[&str]) -> Url {
    let mut url = base.clone();
    if let Ok(mut path) = url.path_segments_mut() {
        path.pop_if_empty().extend(segments);
    }
    url
}

/// Renders query parameters, each value percent-encoded: everything but unreserved
/// characters and the OData punctuation Graph expects verbatim (`$`, `,`, `:`, `(`, `)`), so
/// spaces travel as `%20` and quotes as `%27`.
pub(crate) fn encode_pairs(pairs: &[(&str, String)]) -> String {
    use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
    const SET: &AsciiSet = &NON_ALPHANUMERIC
        .remove(b'-')
        .remove(b'_')
        .remove(b'.')
        .remove(b'~')
        .remove(b'$')
        .remove(b',')
        .remove(b':')
        .remove(b'(')
        .remove(b')');
    pairs
        .iter()
        .map(|(k, v)| format!("{k}={}", utf8_percent_encode(v, SET)))
        .collect::<Vec<_>>()
        .join("&")
}

/// `scheme://host[:port]`, never the path or query (which may be long or opaque).
pub(crate) fn origin(url: &Url) -> String {
    url.origin().ascii_serialization()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_url_rules() {
        for ok in [
            "https://graph.microsoft.com/beta",
            "http://127.0.0.1:8080/beta",
            "http://127.8.9.10/beta",
            "http://localhost:1/x",
            "http://[::1]:9/beta",
        ] {
            assert!(validate_base_url("base url", ok).is_ok(), "{ok}");
        }
        for bad in [
            "http://graph.microsoft.com/beta",
            "http://10.0.0.1/beta",
            "http://localhost.evil.com/beta",
            "ftp://127.0.0.1/",
            "https://user:pw@graph.microsoft.com/beta",
            "https://graph.microsoft.com/beta?x=1",
            "not a url",
        ] {
            let e = validate_base_url("base url", bad).unwrap_err();
            assert_eq!(e.field(), "base url", "{bad}");
        }
    }

    #[test]
    fn origins() {
        let base = Url::parse("https://graph.microsoft.com/beta").unwrap();
        assert!(same_origin(
            &base,
            &Url::parse("https://GRAPH.microsoft.com:443/beta/x?y").unwrap()
        ));
        assert!(!same_origin(
            &base,
            &Url::parse("http://graph.microsoft.com/beta").unwrap()
        ));
        assert!(!same_origin(
            &base,
            &Url::parse("https://graph.microsoft.com.evil.io/beta").unwrap()
        ));
        assert!(!same_origin(
            &base,
            &Url::parse("https://graph.microsoft.com:8443/beta").unwrap()
        ));
    }
}
