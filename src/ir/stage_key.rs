//! What may key a stateful stage: the fields a `threshold` groups `by` or counts `distinct`,
//! and the fields whose value tuple a `new` stage tests. One rule, followed by the checker
//! (a coded error), by every target (a coded refusal for hand-built IR) and by the
//! evaluator (no key, so the event is not counted).

use crate::catalog::FieldType;

/// `Err(why)` when a field of type `ty` cannot be a stage key.
///
/// A `json` field holds an array or object. The language keys stages by text values only
/// (an event whose key is an object or array has no key); a target would group by the
/// value's JSON text, which differs between writers (key order, spacing), or cannot group a
/// dynamic value at all.
pub fn check_type(ty: FieldType) -> Result<(), &'static str> {
    match ty {
        FieldType::Json => Err(
            "a json field holds an array or object, and stages are keyed by text values only; \
             targets would group by its JSON text, which differs between writers",
        ),
        FieldType::String | FieldType::Number | FieldType::Ip | FieldType::Bool => Ok(()),
    }
}
