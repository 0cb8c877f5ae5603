//! Validated identifiers.
//!
//! An id becomes part of a URL path, so one that could change the path (`/`, `?`, `#`, `%`,
//! `\`), or that is empty, over-long, or holds whitespace or control characters, is rejected
//! when it is built, before any request exists. Ids decoded from the service pass the same
//! check.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::error::InvalidInput;

/// The longest id accepted, in bytes. Graph's longest documented id is 73 characters.
pub const MAX_ID_LEN: usize = 256;

/// ASCII bytes an id must not hold: path and query delimiters, whitespace, controls.
fn forbidden(b: u8) -> bool {
    matches!(b, b'/' | b'\\' | b'?' | b'#' | b'%') || b <= b' ' || b == 0x7f
}

pub(crate) fn validate(field: &'static str, value: &str) -> Result<(), InvalidInput> {
    if value.is_empty() {
        return Err(InvalidInput::new(field, "must not be empty"));
    }
    if value.len() > MAX_ID_LEN {
        return Err(InvalidInput::new(
            field,
            format!(
                "is {} bytes long; at most {MAX_ID_LEN} are accepted",
                value.len()
            ),
        ));
    }
    // The common case, checked without branching per byte so it vectorises: printable ASCII
    // free of the delimiters (anything else takes the exact path below).
    let suspicious = value.bytes().fold(false, |acc, b| {
        acc | (b <= b' ')
            | (b >= 0x7f)
            | (b == b'/')
            | (b == b'\\')
            | (b == b'?')
            | (b == b'#')
            | (b == b'%')
    });
    if !suspicious && value != "." && value != ".." {
        return Ok(());
    }
    if value == "." || value == ".." {
        return Err(InvalidInput::new(
            field,
            format!("must not be {value:?} (a URL path would drop or climb it)"),
        ));
    }
    // Ids are ASCII in practice: check bytes, and look at characters only past the first
    // non-ASCII byte (Unicode whitespace and C1 controls are rejected too).
    let bad = match value.bytes().position(|b| !b.is_ascii() || forbidden(b)) {
        None => None,
        Some(i) if value.as_bytes()[i].is_ascii() => Some(char::from(value.as_bytes()[i])),
        Some(i) => value[i..].chars().find(|&c| {
            if c.is_ascii() {
                forbidden(c as u8)
            } else {
                c.is_whitespace() || c.is_control()
            }
        }),
    };
    if let Some(c) = bad {
        let shown = if c.is_control() || c.is_whitespace() {
            format!("{c:?}")
        } else {
            format!("'{c}'")
        };
        return Err(InvalidInput::new(
            field,
            format!("must not contain {shown} (it would change the request path)"),
        ));
    }
    Ok(())
}

macro_rules! id_type {
    ($(#[$meta:meta])* $name:ident, $field:literal) => {
        $(#[$meta])*
        #[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub struct $name(Box<str>);

        impl $name {
            /// Validates `value` and wraps it.
            ///
            /// # Errors
            /// [`InvalidInput`] naming the field when the value is empty, longer than
            /// [`MAX_ID_LEN`], or holds `/`, `\`, `?`, `#`, `%`, whitespace or a control character.
            pub fn new(value: impl AsRef<str>) -> Result<Self, InvalidInput> {
                let value = value.as_ref();
                validate($field, value)?;
                Ok(Self(value.into()))
            }

            /// The id as sent on the wire.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, concat!(stringify!($name), "({:?})"), &*self.0)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl FromStr for $name {
            type Err = InvalidInput;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Self::new(s)
            }
        }

        impl TryFrom<&str> for $name {
            type Error = InvalidInput;
            fn try_from(s: &str) -> Result<Self, Self::Error> {
                Self::new(s)
            }
        }

        impl TryFrom<String> for $name {
            type Error = InvalidInput;
            fn try_from(s: String) -> Result<Self, Self::Error> {
                validate($field, &s)?;
                Ok(Self(s.into_boxed_str()))
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl PartialEq<str> for $name {
            fn eq(&self, other: &str) -> bool {
                &*self.0 == other
            }
        }

        impl PartialEq<&str> for $name {
            fn eq(&self, other: &&str) -> bool {
                &*self.0 == *other
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(&self.0)
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let s = crate::model::wire::CowStr::deserialize(deserializer)?;
                validate($field, &s.0).map_err(serde::de::Error::custom)?;
                Ok(Self(s.0.into()))
            }
        }
    };
}

id_type!(
    /// The id of an alert: a Graph `partnerSecurityAlert.id` or a Partner Center `eventId`.
    ///
    /// ```
    /// use partner_alerts::AlertId;
    ///
    /// let id = AlertId::new("d8b202fc-a216-3404-69ef-bdffa445eff6")?;
    /// assert_eq!(id.as_str(), "d8b202fc-a216-3404-69ef-bdffa445eff6");
    /// assert!(AlertId::new("../other").is_err());
    /// # Ok::<(), partner_alerts::InvalidInput>(())
    /// ```
    AlertId,
    "alert id"
);

id_type!(
    /// A customer's Azure subscription id.
    ///
    /// ```
    /// use partner_alerts::SubscriptionId;
    ///
    /// let sub: SubscriptionId = "5f6e6521-6e5f-4b0b-80aa-bd44fad7a398".parse()?;
    /// assert_eq!(sub.to_string(), "5f6e6521-6e5f-4b0b-80aa-bd44fad7a398");
    /// # Ok::<(), partner_alerts::InvalidInput>(())
    /// ```
    SubscriptionId,
    "subscription id"
);

id_type!(
    /// An Entra tenant id: a customer's, a partner's or an indirect reseller's.
    ///
    /// ```
    /// use partner_alerts::TenantId;
    ///
    /// assert!(TenantId::new("1889e718-414b-4bad-8bbe-c1135bd39a41").is_ok());
    /// assert!(TenantId::new("").is_err());
    /// ```
    TenantId,
    "tenant id"
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn non_ascii_whitespace_and_controls_are_rejected_ascii_letters_kept() {
        assert!(AlertId::new("abc\u{a0}def").is_err());
        assert!(AlertId::new("abc\u{85}").is_err());
        assert!(AlertId::new("é\u{2028}").is_err());
        assert!(AlertId::new("évènement_1").is_ok());
        assert_eq!(AlertId::new("..").unwrap_err().field(), "alert id");
        assert!(SubscriptionId::new(".").is_err());
        assert!(AlertId::new("...").is_ok());
        let e = AlertId::new("a b").unwrap_err();
        assert!(e.reason().contains("' '"), "{}", e.reason());
        let e = AlertId::new("a\\b").unwrap_err();
        assert!(e.reason().contains("'\\'"), "{}", e.reason());
    }
}
