//! The one place that touches `serde_yaml`, so the YAML crate can be swapped later.

use serde::de::DeserializeOwned;
use serde::Serialize;

/// Deserialize a YAML document; the error is rendered as text.
pub fn from_str<T: DeserializeOwned>(text: &str) -> Result<T, String> {
    serde_yaml::from_str(text).map_err(|e| e.to_string())
}

/// Serialize a value to YAML text.
pub fn to_string<T: Serialize>(value: &T) -> Result<String, String> {
    serde_yaml::to_string(value).map_err(|e| e.to_string())
}

/// Deserialize every document of a multi-document YAML stream (`---` separated).
pub fn from_str_all<T: DeserializeOwned>(text: &str) -> Result<Vec<T>, String> {
    serde_yaml::Deserializer::from_str(text)
        .map(|d| T::deserialize(d).map_err(|e| e.to_string()))
        .collect()
}

/// Parse one YAML document into a JSON value (maps keep their order). The error carries
/// the parser's message and the byte offset where it stopped.
pub fn value(text: &str) -> Result<serde_json::Value, (String, usize)> {
    serde_yaml::from_str::<serde_json::Value>(text).map_err(|e| {
        let at = e.location().map(|l| l.index()).unwrap_or(0);
        (e.to_string(), at)
    })
}
