//! Core errors become real JS `Error`s: `message` is the shopper-facing text,
//! `code` the stable machine-readable code, `details` the numbers behind it and
//! `reason` the developer-facing description.

use js_sys::{Error, Object, Reflect};
use mall_core::RuleError;
use wasm_bindgen::JsValue;

pub fn to_js(e: &RuleError) -> JsValue {
    let err = Error::new(&e.message());
    err.set_name("RuleError");
    let details = serde_json::to_string(&e.details())
        .ok()
        .and_then(|t| js_sys::JSON::parse(&t).ok())
        .unwrap_or_else(|| Object::new().into());
    let _ = Reflect::set(&err, &"code".into(), &JsValue::from_str(e.code()));
    let _ = Reflect::set(&err, &"details".into(), &details);
    let _ = Reflect::set(&err, &"reason".into(), &JsValue::from_str(&e.to_string()));
    err.into()
}
