//! Core errors become real JS `Error`s: `message` is the shopper-facing text,
//! `code` the stable machine-readable code, `details` the numbers behind it and
//! `reason` the developer-facing description.

use js_sys::{Error, Object, Reflect};
use mall_core::RuleError;
use wasm_bindgen::JsValue;

pub fn to_js(e: &RuleError) -> JsValue {
    let err = Error::new(&e.message());
    err.set_name("RuleError");
    let details = Object::new();
    for (k, v) in e.details() {
        let value = serde::Serialize::serialize(&v, &crate::serializer()).unwrap_or(JsValue::NULL);
        let _ = Reflect::set(&details, &JsValue::from_str(&k), &value);
    }
    let _ = Reflect::set(&err, &"code".into(), &JsValue::from_str(e.code()));
    let _ = Reflect::set(&err, &"details".into(), &details);
    let _ = Reflect::set(&err, &"reason".into(), &JsValue::from_str(&e.to_string()));
    err.into()
}

/// A value that does not have the shape of the input type.
pub fn bad_input(e: serde_wasm_bindgen::Error) -> JsValue {
    to_js(&RuleError::invalid("input", e.to_string()))
}
