//! `synapse._synapse`: the native face of the Synapse engine for Python. Every rule lives in
//! `synapse-core`; this crate converts arguments, results and errors, and releases the GIL around
//! anything that waits.

mod cells;
mod convert;
mod error;

use pyo3::prelude::*;

/// Kills live cells and waits for pending deliveries (up to the exit flush timeout); registered
/// with `atexit` by `synapse/__init__.py`. Returns how many deliveries remain.
#[pyfunction]
fn _shutdown(py: Python<'_>) -> PyResult<usize> {
    let engine = synapse_core::Engine::global().map_err(error::to_py)?;
    Ok(py.detach(|| engine.shutdown()))
}

/// Runs `synapse gateway ARGS…` (the console script's body) and returns its exit code. The GIL is
/// released for as long as the gateway serves.
#[pyfunction]
fn gateway_main(py: Python<'_>, args: Vec<String>) -> i32 {
    py.detach(|| synapse_core::gateway::main(&args, synapse_core::gateway::Signals::Os))
}

#[pymodule]
fn _synapse(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<cells::Cell>()?;
    m.add_class::<cells::Execution>()?;
    m.add_class::<cells::Snapshot>()?;
    m.add_function(wrap_pyfunction!(_shutdown, m)?)?;
    m.add_function(wrap_pyfunction!(gateway_main, m)?)?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}
