//! `Option<Option<T>>` for PATCH bodies: a missing field leaves a value alone, `null` clears it.

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Deserialises a present field (even `null`) as `Some(..)`; use with `#[serde(default)]`.
pub fn deserialize<'de, T, D>(deserializer: D) -> Result<Option<Option<T>>, D::Error>
where
    T: Deserialize<'de>,
    D: Deserializer<'de>,
{
    Option::<T>::deserialize(deserializer).map(Some)
}

/// Serialises `Some(None)` as `null`; pair with `skip_serializing_if = "Option::is_none"`.
pub fn serialize<T, S>(value: &Option<Option<T>>, serializer: S) -> Result<S::Ok, S::Error>
where
    T: Serialize,
    S: Serializer,
{
    match value {
        Some(inner) => inner.serialize(serializer),
        None => serializer.serialize_none(),
    }
}
