use std::borrow::Cow;
use std::fmt;

use serde::de::{MapAccess, Visitor};
use serde::ser::SerializeMap;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::Value;

/// An alert's type-specific details (Graph `additionalDataDictionary`): an open bag of
/// name/value pairs.
///
/// Every key and every JSON value is kept, in the order read. Lookups ignore ASCII case,
/// since Graph sends `VM_IP` where Partner Center sends `vM_IP`. Typed accessors cover the
/// keys the documentation shows, including the values that arrive as JSON inside a string.
/// Equality, like a JSON object's, ignores the order of the keys.
///
/// ```
/// use partner_alerts::AdditionalDetails;
///
/// let details: AdditionalDetails = serde_json::from_str(r#"{
///     "vM_IP": "[\r\n \"13.89.185.189\"\r\n]",
///     "connectionCount": "31",
///     "cryptoCurrencyMiningPoolDomainName": "pool.example"
/// }"#)?;
/// assert_eq!(details.vm_ips(), Some(vec!["13.89.185.189".to_string()]));
/// assert_eq!(details.connection_count(), Some(31));
/// assert_eq!(details.mining_pool_domain_name(), Some("pool.example"));
/// assert_eq!(details.get_str("VM_ip").map(|s| s.contains("13.89")), Some(true));
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Clone, Default)]
pub struct AdditionalDetails {
    entries: Vec<(Cow<'static, str>, Value)>,
}

/// Keys decoded without allocating, in both services' spellings: every alert repeats them.
const INTERNED_KEYS: &[&str] = &[
    AdditionalDetails::VM_IP,
    AdditionalDetails::MINING_POOL_IP,
    AdditionalDetails::CONNECTION_COUNT,
    AdditionalDetails::MINING_POOL_DOMAIN_NAME,
    AdditionalDetails::RESOURCE_ID,
    AdditionalDetails::RESOURCE_TYPE,
    "vM_IP",
    "miningPool_IP",
    "connectionCount",
    "cryptoCurrencyMiningPoolDomainName",
];

fn key(k: Cow<'_, str>) -> Cow<'static, str> {
    match INTERNED_KEYS.iter().find(|known| **known == k) {
        Some(known) => Cow::Borrowed(known),
        None => Cow::Owned(k.into_owned()),
    }
}

impl PartialEq for AdditionalDetails {
    /// The same keys (exact spelling) with equal values, in any order: a JSON object's order
    /// is not data, and is lost through `serde_json::Value`.
    fn eq(&self, other: &Self) -> bool {
        fn sorted(d: &AdditionalDetails) -> Vec<&(Cow<'static, str>, Value)> {
            let mut v: Vec<_> = d.entries.iter().collect();
            v.sort_by(|a, b| a.0.cmp(&b.0));
            v
        }
        self.entries.len() == other.entries.len() && sorted(self) == sorted(other)
    }
}

impl AdditionalDetails {
    /// Graph's key for the virtual machine's IP addresses.
    pub const VM_IP: &'static str = "VM_IP";
    /// Graph's key for the mining pool's IP addresses.
    pub const MINING_POOL_IP: &'static str = "MiningPool_IP";
    /// Graph's key for the number of connections seen.
    pub const CONNECTION_COUNT: &'static str = "ConnectionCount";
    /// Graph's key for the mining pool's domain name.
    pub const MINING_POOL_DOMAIN_NAME: &'static str = "CryptoCurrencyMiningPoolDomainName";
    /// Partner Center's key for the affected resource's id.
    pub const RESOURCE_ID: &'static str = "resourceid";
    /// Partner Center's key for the affected resource's type.
    pub const RESOURCE_TYPE: &'static str = "resourcetype";

    /// An empty bag.
    pub fn new() -> Self {
        Self::default()
    }

    /// The value of `key`, ignoring ASCII case; the first one if the key was sent twice.
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.entries
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(key))
            .map(|(_, v)| v)
    }

    /// The value of `key` if it is a string.
    pub fn get_str(&self, key: &str) -> Option<&str> {
        self.get(key).and_then(Value::as_str)
    }

    /// Sets `key` (replacing a value under the same key in any case) and returns the old
    /// value.
    pub fn insert(&mut self, key: impl Into<String>, value: impl Into<Value>) -> Option<Value> {
        let key: String = key.into();
        let value = value.into();
        match self
            .entries
            .iter_mut()
            .find(|(k, _)| k.eq_ignore_ascii_case(&key))
        {
            Some(slot) => {
                slot.0 = Cow::Owned(key);
                Some(std::mem::replace(&mut slot.1, value))
            }
            None => {
                self.entries.push((Cow::Owned(key), value));
                None
            }
        }
    }

    /// Every key and value, in the order read.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &Value)> {
        self.entries.iter().map(|(k, v)| (k.as_ref(), v))
    }

    /// How many keys there are.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The virtual machine's IP addresses (`VM_IP`), decoded from the JSON array inside
    /// the string.
    pub fn vm_ips(&self) -> Option<Vec<String>> {
        self.string_list(Self::VM_IP)
    }

    /// The mining pool's IP addresses (`MiningPool_IP`).
    pub fn mining_pool_ips(&self) -> Option<Vec<String>> {
        self.string_list(Self::MINING_POOL_IP)
    }

    /// How many connections were seen (`ConnectionCount`, sent as a string).
    pub fn connection_count(&self) -> Option<u64> {
        match self.get(Self::CONNECTION_COUNT)? {
            Value::String(s) => s.trim().parse().ok(),
            Value::Number(n) => n.as_u64(),
            _ => None,
        }
    }

    /// The mining pool's domain name (`CryptoCurrencyMiningPoolDomainName`).
    pub fn mining_pool_domain_name(&self) -> Option<&str> {
        self.get_str(Self::MINING_POOL_DOMAIN_NAME)
    }

    /// The affected resource's id (`resourceid`, Partner Center only), trimmed.
    pub fn resource_id(&self) -> Option<&str> {
        self.get_str(Self::RESOURCE_ID).map(str::trim)
    }

    /// The affected resource's type (`resourcetype`, Partner Center only), trimmed.
    pub fn resource_type(&self) -> Option<&str> {
        self.get_str(Self::RESOURCE_TYPE).map(str::trim)
    }

    /// A list of strings sent as a JSON array inside a string (`"[\"1.2.3.4\"]"`), as a real
    /// array, or as one bare string.
    fn string_list(&self, key: &str) -> Option<Vec<String>> {
        fn from_array(items: &[Value]) -> Option<Vec<String>> {
            items
                .iter()
                .map(|v| v.as_str().map(|s| s.trim().to_owned()))
                .collect()
        }
        match self.get(key)? {
            Value::Array(items) => from_array(items),
            Value::String(s) => {
                let t = s.trim();
                if t.starts_with('[') {
                    match serde_json::from_str::<Value>(t).ok()? {
                        Value::Array(items) => from_array(&items),
                        _ => None,
                    }
                } else if t.is_empty() {
                    Some(Vec::new())
                } else {
                    Some(vec![t.to_owned()])
                }
            }
            _ => None,
        }
    }
}

impl fmt::Debug for AdditionalDetails {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}

impl<K: Into<String>, V: Into<Value>> FromIterator<(K, V)> for AdditionalDetails {
    fn from_iter<I: IntoIterator<Item = (K, V)>>(iter: I) -> Self {
        let mut d = AdditionalDetails::new();
        for (k, v) in iter {
            d.insert(k, v);
        }
        d
    }
}

impl Serialize for AdditionalDetails {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.entries.len()))?;
        for (k, v) in &self.entries {
            map.serialize_entry(k.as_ref(), v)?;
        }
        map.end()
    }
}

impl<'de> Deserialize<'de> for AdditionalDetails {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = AdditionalDetails;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an object of details")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut entries = Vec::with_capacity(map.size_hint().unwrap_or(6));
                while let Some((k, v)) =
                    map.next_entry::<crate::model::wire::CowStr<'de>, Value>()?
                {
                    entries.push((key(k.0), v));
                }
                Ok(AdditionalDetails { entries })
            }
        }
        deserializer.deserialize_map(V)
    }
}
