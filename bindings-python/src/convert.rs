//! JSON values to and from Python objects.

use pyo3::prelude::*;
use serde_json::Value;

use crate::error::wrong_type;

/// A JSON value as the matching Python object (dict, list, str, int, float, bool, None).
pub fn to_py<'py>(py: Python<'py>, value: &Value) -> PyResult<Bound<'py, PyAny>> {
    Ok(pythonize::pythonize(py, value)?)
}

/// A Python object as JSON, or an invalid-argument error naming `field`.
pub fn from_py(field: &str, object: Option<&Bound<'_, PyAny>>) -> PyResult<Option<Value>> {
    match object {
        None => Ok(None),
        Some(o) if o.is_none() => Ok(None),
        Some(o) => pythonize::depythonize(o)
            .map(Some)
            .map_err(|_| wrong_type(field, "JSON-serialisable (dicts, lists, str, numbers, bool, None)")),
    }
}

/// A list of JSON values as a Python list.
pub fn list_to_py<'py, I>(py: Python<'py>, values: I) -> PyResult<Bound<'py, PyAny>>
where
    I: IntoIterator<Item = Value>,
{
    to_py(py, &Value::Array(values.into_iter().collect()))
}
