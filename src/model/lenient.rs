//! The slow path of decoding: an item whose strict decode failed is read property by
//! property, so that one odd value costs its field, never the alert.
//!
//! | Input | Outcome |
//! |---|---|
//! | every property readable | the alert, `unparsed` empty (the fast path; this module is not reached) |
//! | a property whose value its field cannot hold (a wrong type, a date that is not a date, an id with a `/`) | the alert without that field; the value kept in `unparsed` under its name; a `tracing` warning naming the field and the alert id |
//! | a property sent twice, or under two of its accepted names, where the second cannot join the first | the first kept, the other in `unparsed` |
//! | not a JSON object | no alert: a per-item error |
//! | no id, an id that is not a string, or an id no request could carry (empty, `/`, whitespace...) | no alert: a per-item error |

use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use super::ids::AlertId;
use super::unparsed::{Unparsed, UnparsedValue, kind};

/// A model the slow path can fill: it names its id property and keeps what it could not read.
pub(crate) trait Lenient: DeserializeOwned {
    /// The id property (`id`, `eventId`).
    const ID: &'static str;

    fn keep(&mut self, unparsed: Unparsed);
}

/// Decodes one item property by property. `Err` says why it cannot be an alert at all, in
/// words that hold none of its values.
pub(crate) fn decode<T: Lenient>(raw: &str) -> Result<T, String> {
    let value: Value = serde_json::from_str(raw).map_err(|_| "it is not valid JSON".to_owned())?;
    let Value::Object(map) = value else {
        return Err(format!("it is {}, not an object", kind(&value)));
    };
    let id = match map.get(T::ID) {
        Some(Value::String(s)) => AlertId::new(s)
            .map_err(|e| format!("its {} is not a usable id: it {}", T::ID, e.reason()))?,
        Some(v) => return Err(format!("its {} is {}, not a string", T::ID, kind(v))),
        None => return Err(format!("it has no {}", T::ID)),
    };
    let id_value = Value::String(id.as_str().to_owned());
    let probe = |key: &str, v: &Value| {
        let mut m = Map::with_capacity(2);
        m.insert(T::ID.to_owned(), id_value.clone());
        m.insert(key.to_owned(), v.clone());
        T::deserialize(Value::Object(m)).is_ok()
    };
    let (mut kept, mut dropped) = (Map::with_capacity(map.len()), Vec::new());
    for (k, v) in map {
        if k == T::ID || probe(&k, &v) {
            kept.insert(k, v);
        } else {
            dropped.push(UnparsedValue::new(k, v));
        }
    }
    let mut item = match T::deserialize(Value::Object(kept.clone())) {
        Ok(item) => item,
        // Readable one by one, not together (a property under two of its names): add them
        // one at a time, keeping each that still decodes.
        Err(_) => {
            let mut together = Map::with_capacity(kept.len());
            together.insert(T::ID.to_owned(), id_value.clone());
            for (k, v) in kept {
                if k == T::ID {
                    continue;
                }
                together.insert(k.clone(), v);
                if T::deserialize(Value::Object(together.clone())).is_err() {
                    let v = together.remove(&k).unwrap_or(Value::Null);
                    dropped.push(UnparsedValue::new(k, v));
                }
            }
            T::deserialize(Value::Object(together))
                .map_err(|_| "its properties cannot be read together".to_owned())?
        }
    };
    for u in &dropped {
        tracing::warn!(
            alert_id = %id,
            field = u.field(),
            "a value the service sent could not be read; the field is absent and the value kept in `unparsed`"
        );
    }
    item.keep(dropped.into());
    Ok(item)
}

/// Strictly, and property by property only when that fails.
pub(crate) fn item<T: Lenient>(raw: &str) -> Result<T, String> {
    serde_json::from_str(raw).or_else(|_| decode(raw))
}

/// An item of a page that cannot be an alert, as found while decoding the page.
pub(crate) struct Rejected {
    /// Its index in the page as served.
    pub(crate) index: usize,
    /// How many of the page's alerts come before it (where a listing yields it).
    pub(crate) position: usize,
    /// The address of its first byte, to find its offset in the body.
    pub(crate) at: usize,
    /// Where it is, as a JSON path.
    pub(crate) path: String,
    /// Why it cannot be an alert.
    pub(crate) why: String,
}
