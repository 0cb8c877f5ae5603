//! Values the service sent that a field could not hold: kept, not lost.

use std::fmt;
use std::ops::Deref;

use serde::ser::SerializeMap;
use serde::{Serialize, Serializer};
use serde_json::Value;

/// One value the service sent that its field could not hold (a date that is not a date, a
/// number where a list belongs): the field is absent on the model and the value is kept here,
/// exactly as sent.
///
/// `Debug` shows the field and the kind of value, never the value itself (it may be a name or
/// an address); read it with [`UnparsedValue::value`].
#[derive(Clone, PartialEq)]
pub struct UnparsedValue {
    field: Box<str>,
    value: Value,
}

impl UnparsedValue {
    /// A value kept for `field`.
    pub fn new(field: impl Into<Box<str>>, value: Value) -> Self {
        UnparsedValue {
            field: field.into(),
            value,
        }
    }

    /// The property's name as the service sent it (`detectedDateTime`, `IsTest`).
    pub fn field(&self) -> &str {
        &self.field
    }

    /// The value exactly as sent.
    pub fn value(&self) -> &Value {
        &self.value
    }
}

/// The name of a JSON value's kind, for messages that must not show the value.
pub(crate) fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

impl fmt::Debug for UnparsedValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UnparsedValue")
            .field("field", &self.field)
            .field("value", &format_args!("<{}>", kind(&self.value)))
            .finish()
    }
}

/// The values of one alert (or event) that their fields could not hold; empty for nearly
/// every alert.
///
/// It reads as a slice of [`UnparsedValue`]. `Serialize` writes each value back under its
/// own name, beside the alert's other properties, so storing an alert and reading it again
/// loses nothing.
///
/// ```
/// use partner_alerts::Alert;
///
/// // As decoded by the clients: a bad value drops its field, not the alert.
/// # let mut alert = Alert::new(partner_alerts::AlertId::new("a1")?);
/// # alert.unparsed.push(partner_alerts::model::UnparsedValue::new("isTest", "yes".into()));
/// for u in alert.unparsed.iter() {
///     eprintln!("alert {}: could not read {}", alert.id, u.field());
/// }
/// assert_eq!(alert.unparsed.get("isTest"), Some(&serde_json::json!("yes")));
/// assert_eq!(serde_json::to_value(&alert)?["isTest"], "yes");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Default, PartialEq)]
pub struct Unparsed(Vec<UnparsedValue>);

impl Unparsed {
    /// None.
    pub fn new() -> Self {
        Self::default()
    }

    /// The value kept for `field` (exact name), if any.
    pub fn get(&self, field: &str) -> Option<&Value> {
        self.0.iter().find(|u| &*u.field == field).map(|u| &u.value)
    }

    /// Keeps one more value.
    pub fn push(&mut self, value: UnparsedValue) {
        self.0.push(value);
    }

    pub(crate) fn rename(&mut self, names: &[(&str, &str)]) {
        for u in &mut self.0 {
            if let Some((_, to)) = names.iter().find(|(from, _)| **from == *u.field) {
                u.field = (*to).into();
            }
        }
    }
}

impl Deref for Unparsed {
    type Target = [UnparsedValue];

    fn deref(&self) -> &[UnparsedValue] {
        &self.0
    }
}

impl From<Vec<UnparsedValue>> for Unparsed {
    fn from(values: Vec<UnparsedValue>) -> Self {
        Unparsed(values)
    }
}

impl fmt::Debug for Unparsed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(&self.0).finish()
    }
}

impl Serialize for Unparsed {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut m = serializer.serialize_map(Some(self.0.len()))?;
        for u in &self.0 {
            m.serialize_entry(&*u.field, &u.value)?;
        }
        m.end()
    }
}
