//! The one place where the core's error becomes a JavaScript `Error` with a `code`.

use napi::bindgen_prelude::JsObjectValue;
use napi::{Env, JsValue, Status};
use synapse_core as core;

/// The `code` a JavaScript caller switches on.
fn code(err: &core::Error) -> &'static str {
    match err {
        core::Error::InvalidArgument { .. } => "INVALID_ARGUMENT",
        core::Error::NotFound { .. } => "NOT_FOUND",
        core::Error::InvalidState(_) => "INVALID_STATE",
        core::Error::Io { .. } => "IO",
    }
}

/// An `Error` whose `code` is `INVALID_ARGUMENT`, `NOT_FOUND`, `INVALID_STATE` or `IO`, and whose
/// `field` names the argument at fault when there is one.
pub fn to_js(env: &Env, err: core::Error) -> napi::Error {
    let build = || -> napi::Result<napi::Error> {
        let mut object = env.create_error(napi::Error::new(Status::GenericFailure, err.to_string()))?;
        object.set_named_property("code", code(&err))?;
        if let core::Error::InvalidArgument { field, .. } = &err {
            object.set_named_property("field", field.as_str())?;
        }
        Ok(napi::Error::from(object.to_unknown()))
    };
    build().unwrap_or_else(|e| e)
}
