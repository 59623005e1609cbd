//! The one place where the core's error becomes a Python exception (defined in `synapse/exceptions.py`).

use pyo3::prelude::*;
use pyo3::types::PyType;
use synapse_core as core;

/// Maps a core error to `InvalidArgumentError`, `NotFoundError`, `StateError` or `SynapseError`,
/// with `code` (and `field`, when there is one) set on the exception.
pub fn to_py(err: core::Error) -> PyErr {
    Python::attach(|py| {
        let class = match &err {
            core::Error::InvalidArgument { .. } => "InvalidArgumentError",
            core::Error::NotFound { .. } => "NotFoundError",
            core::Error::InvalidState(_) => "StateError",
            core::Error::Io { .. } => "SynapseError",
        };
        let exceptions = match py.import("synapse.exceptions") {
            Ok(m) => m,
            Err(e) => return e,
        };
        let class = match exceptions.getattr(class).and_then(|c| c.cast_into::<PyType>().map_err(PyErr::from)) {
            Ok(c) => c,
            Err(e) => return e,
        };
        let py_err = PyErr::from_type(class, err.to_string());
        let value = py_err.value(py);
        let _ = value.setattr("code", err.code());
        if let core::Error::InvalidArgument { field, .. } = &err {
            let _ = value.setattr("field", field.as_str());
        }
        py_err
    })
}

/// A wrong Python type for an argument, reported like any other invalid argument.
pub fn wrong_type(field: &str, expected: &str) -> PyErr {
    to_py(core::Error::InvalidArgument { field: field.to_string(), message: format!("must be {expected}") })
}

/// `?` on a core result inside a binding.
pub trait IntoPyResult<T> {
    /// Converts the error side.
    fn py(self) -> PyResult<T>;
}

impl<T> IntoPyResult<T> for core::Result<T> {
    fn py(self) -> PyResult<T> {
        self.map_err(to_py)
    }
}
