//! The opaque `$skiptoken`: where a page starts, its number and whether it is an inserted
//! empty page, with a check against tampering.

use crate::rng::SplitMix64;
// For the documentation's links only.
#[cfg(doc)]
use crate::quirks::Quirks;

const TOKEN_MASK: u64 = 0x9e37_79b9_7f4a_7c15;

/// Where a page starts: after listing position `after`. `page` is its number (from 1), for
/// the quirks that pick a page; `empty` marks the empty page [`Quirks::empty_page_after`]
/// serves before it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Token {
    pub(super) after: u64,
    pub(super) page: u32,
    pub(super) empty: bool,
}

impl Token {
    /// The first page (which has no token).
    pub(super) const FIRST: Token = Token {
        after: 0,
        page: 1,
        empty: false,
    };

    fn check(&self) -> u32 {
        let tail = (u64::from(self.page) << 1) | u64::from(self.empty);
        SplitMix64::new(self.after ^ tail.wrapping_mul(TOKEN_MASK)).next_u64() as u32
    }
}

/// An opaque `$skiptoken` for a page.
pub(super) fn skiptoken(t: Token) -> String {
    format!(
        "{:016x}{:08x}{}{:08x}",
        t.after ^ TOKEN_MASK,
        t.page,
        u8::from(t.empty),
        t.check()
    )
}

pub(super) fn parse_skiptoken(s: &str) -> Option<Token> {
    if s.len() != 33 || !s.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    let t = Token {
        after: u64::from_str_radix(&s[..16], 16).ok()? ^ TOKEN_MASK,
        page: u32::from_str_radix(&s[16..24], 16).ok()?,
        empty: match &s[24..25] {
            "0" => false,
            "1" => true,
            _ => return None,
        },
    };
    let check = u32::from_str_radix(&s[25..], 16).ok()?;
    (t.page >= 1 && t.check() == check).then_some(t)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn skiptokens_round_trip_and_reject_garbage() {
        for after in [0, 1, 99, u64::MAX] {
            for (page, empty) in [(1, false), (2, true), (u32::MAX, false)] {
                let t = Token { after, page, empty };
                assert_eq!(parse_skiptoken(&skiptoken(t)), Some(t));
            }
        }
        assert_eq!(parse_skiptoken("abc"), None);
        let t = Token {
            after: 5,
            page: 2,
            empty: false,
        };
        for at in [0, 20, 24, 30] {
            let mut s = skiptoken(t);
            let c = if &s[at..at + 1] == "0" { "1" } else { "0" };
            s.replace_range(at..at + 1, c);
            assert_eq!(parse_skiptoken(&s), None, "{s}");
        }
        let page_zero = Token { page: 0, ..t };
        assert_eq!(parse_skiptoken(&skiptoken(page_zero)), None);
    }
}
