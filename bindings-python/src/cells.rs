//! `Cell`, `Execution` and `Snapshot`: the Python classes over the core's cells and engine.

use std::collections::HashMap;
use std::sync::Arc;

use pyo3::prelude::*;
use pyo3::types::PyType;
use serde_json::Value;
use synapse_core::{self as core, config::duration_from_ms, Engine};

use crate::convert;
use crate::error::{wrong_type, IntoPyResult};

fn engine() -> PyResult<&'static Arc<Engine>> {
    Engine::global().py()
}

/// A sandbox that runs code with a real interpreter in its own working directory, and emits
/// lifecycle events (`cell.created`, `exec.completed`, `cell.paused`, `cell.resumed`, `cell.killed`).
#[pyclass(module = "synapse", frozen)]
pub struct Cell {
    inner: core::Cell,
}

/// What `Cell.run()` produced.
#[pyclass(module = "synapse", frozen, get_all)]
pub struct Execution {
    /// `exec_` + hex.
    execution_id: String,
    /// Standard output.
    stdout: String,
    /// Standard error.
    stderr: String,
    /// Exit code (124 when the run timed out).
    exit_code: i32,
    /// Wall time in milliseconds.
    latency_ms: f64,
    /// Whether the run was stopped at its timeout.
    timed_out: bool,
}

#[pymethods]
impl Execution {
    fn __repr__(&self) -> String {
        format!(
            "Execution(execution_id={}, exit_code={}, latency_ms={:.2}, timed_out={}, stdout={})",
            py_str(&self.execution_id),
            self.exit_code,
            self.latency_ms,
            if self.timed_out { "True" } else { "False" },
            py_str(&self.stdout),
        )
    }
}

/// The snapshot `Cell.pause()` made.
#[pyclass(module = "synapse", frozen, get_all)]
pub struct Snapshot {
    /// `snap_` + hex.
    snapshot_id: String,
}

#[pymethods]
impl Snapshot {
    fn __repr__(&self) -> String {
        format!("Snapshot(snapshot_id={})", py_str(&self.snapshot_id))
    }
}

/// A string quoted as Python's `repr` would, for the common case.
fn py_str(s: &str) -> String {
    format!("'{}'", s.escape_default().to_string().replace("\\\"", "\""))
}

fn create(
    template: Option<String>,
    timeout_ms: Option<f64>,
    metadata: Option<&Bound<'_, PyAny>>,
    envs: Option<HashMap<String, String>>,
) -> PyResult<Cell> {
    let options = core::CellOptions {
        template,
        timeout_ms,
        metadata: convert::from_py("metadata", metadata)?,
        envs: envs.unwrap_or_default(),
    };
    let engine = engine()?;
    let inner = Python::attach(|py| py.detach(|| engine.create_cell(options))).py()?;
    Ok(Cell { inner })
}

fn records<'py>(py: Python<'py>, values: impl IntoIterator<Item = Value>) -> PyResult<Bound<'py, PyAny>> {
    convert::list_to_py(py, values)
}

#[pymethods]
impl Cell {
    /// Creates a cell (emits `cell.created`).
    #[new]
    #[pyo3(signature = (template = None, timeout_ms = None, metadata = None, envs = None))]
    fn new(
        template: Option<String>,
        timeout_ms: Option<f64>,
        metadata: Option<&Bound<'_, PyAny>>,
        envs: Option<HashMap<String, String>>,
    ) -> PyResult<Self> {
        create(template, timeout_ms, metadata, envs)
    }

    /// Creates a cell; the same as `Cell(...)`.
    #[classmethod]
    #[pyo3(signature = (template = None, timeout_ms = None, metadata = None, envs = None))]
    fn create(
        _cls: &Bound<'_, PyType>,
        template: Option<String>,
        timeout_ms: Option<f64>,
        metadata: Option<&Bound<'_, PyAny>>,
        envs: Option<HashMap<String, String>>,
    ) -> PyResult<Self> {
        create(template, timeout_ms, metadata, envs)
    }

    /// The cell's id (a UUID).
    #[getter]
    fn cell_id(&self) -> &str {
        self.inner.id()
    }

    /// `python3`, `node` or `bash`.
    #[getter]
    fn template(&self) -> &'static str {
        self.inner.template().as_str()
    }

    /// `running`, `paused` or `killed`.
    #[getter]
    fn state(&self) -> &'static str {
        self.inner.state().as_str()
    }

    /// Runs `code` and waits for it (the GIL is released meanwhile). Emits `exec.completed`.
    #[pyo3(signature = (code, timeout_ms = None))]
    fn run(&self, py: Python<'_>, code: &str, timeout_ms: Option<f64>) -> PyResult<Execution> {
        let timeout = timeout_ms.map(|ms| duration_from_ms("timeout_ms", ms)).transpose().py()?;
        let e = py.detach(|| self.inner.run(code, timeout)).py()?;
        Ok(Execution {
            execution_id: e.execution_id,
            stdout: e.stdout,
            stderr: e.stderr,
            exit_code: e.exit_code,
            latency_ms: e.latency_ms,
            timed_out: e.timed_out,
        })
    }

    /// Snapshots the working directory and pauses the cell. Emits `cell.paused`.
    fn pause(&self, py: Python<'_>) -> PyResult<Snapshot> {
        let s = py.detach(|| self.inner.pause()).py()?;
        Ok(Snapshot { snapshot_id: s.snapshot_id })
    }

    /// Restores the snapshot and resumes the cell. Emits `cell.resumed`.
    fn resume(&self, py: Python<'_>) -> PyResult<Snapshot> {
        let s = py.detach(|| self.inner.resume()).py()?;
        Ok(Snapshot { snapshot_id: s.snapshot_id })
    }

    /// Destroys the cell. Emits `cell.killed` (reason `requested`); a second call does nothing.
    fn kill(&self, py: Python<'_>) -> PyResult<()> {
        py.detach(|| self.inner.kill()).py()?;
        Ok(())
    }

    /// This cell's events, oldest first.
    fn get_lifecycle_events<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        records(py, engine()?.cell_events(self.inner.id()).iter().map(|e| e.to_value()))
    }

    fn __enter__(slf: Py<Self>) -> Py<Self> {
        slf
    }

    #[pyo3(signature = (*_exc))]
    fn __exit__(&self, py: Python<'_>, _exc: &Bound<'_, pyo3::types::PyTuple>) -> PyResult<bool> {
        self.kill(py)?;
        Ok(false)
    }

    fn __repr__(&self) -> String {
        format!(
            "Cell(cell_id={}, template={}, state={})",
            py_str(self.inner.id()),
            py_str(self.template()),
            py_str(self.state())
        )
    }

    /// Registers a webhook for `events` (names, or `["*"]` for all). Returns its record with the
    /// signing secret: `webhook_id`, `url`, `events`, `secret`, `created_at`.
    #[staticmethod]
    #[pyo3(signature = (url, events = None, secret = None))]
    fn register_webhook<'py>(
        py: Python<'py>,
        url: &Bound<'py, PyAny>,
        events: Option<&Bound<'py, PyAny>>,
        secret: Option<&str>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let url: String =
            url.extract().map_err(|_| wrong_type("url", "a string such as \"https://example.com/hooks\""))?;
        let events: Vec<String> = match events {
            None => vec![core::WILDCARD.to_string()],
            Some(e) if e.is_instance_of::<pyo3::types::PyString>() => {
                return Err(wrong_type("events", "a list of event names, e.g. [\"cell.created\"] or [\"*\"]"))
            }
            Some(e) => e
                .extract()
                .map_err(|_| wrong_type("events", "a list of event names, e.g. [\"cell.created\"] or [\"*\"]"))?,
        };
        let hook = engine()?.register_webhook(&url, &events, secret).py()?;
        convert::to_py(py, &hook.to_value_with_secret())
    }

    /// Every webhook, in creation order, without secrets.
    #[staticmethod]
    fn list_webhooks(py: Python<'_>) -> PyResult<Bound<'_, PyAny>> {
        records(py, engine()?.list_webhooks().iter().map(|h| h.to_value()))
    }

    /// Deletes a webhook; an unknown id raises `NotFoundError`.
    #[staticmethod]
    fn delete_webhook(webhook_id: &str) -> PyResult<()> {
        engine()?.delete_webhook(webhook_id).py()
    }

    /// The newest `limit` events across all cells, oldest first.
    #[staticmethod]
    #[pyo3(signature = (limit = 100))]
    fn get_global_events(py: Python<'_>, limit: i64) -> PyResult<Bound<'_, PyAny>> {
        let events = engine()?.global_events(limit).py()?;
        records(py, events.iter().map(|e| e.to_value()))
    }

    /// The newest `limit` delivery attempts to a webhook, oldest first.
    #[staticmethod]
    #[pyo3(signature = (webhook_id, limit = 100))]
    fn get_webhook_deliveries<'py>(py: Python<'py>, webhook_id: &str, limit: i64) -> PyResult<Bound<'py, PyAny>> {
        let attempts = engine()?.webhook_deliveries(webhook_id, limit).py()?;
        records(py, attempts.iter().map(|a| serde_json::to_value(a).expect("attempts serialise")))
    }

    /// Sends one event to one webhook again, as a new delivery with the same `webhook-id`.
    #[staticmethod]
    fn redeliver(webhook_id: &str, event_id: &str) -> PyResult<()> {
        engine()?.redeliver(webhook_id, event_id).py()
    }

    /// Sends again every event whose delivery to this webhook last failed at or after `since_ms`
    /// (milliseconds since the epoch; 0 for everything the log holds). Returns how many.
    #[staticmethod]
    #[pyo3(signature = (webhook_id, since_ms = 0))]
    fn replay_failed_deliveries(webhook_id: &str, since_ms: i64) -> PyResult<usize> {
        engine()?.replay_failed(webhook_id, since_ms).py()
    }

    /// Gives a webhook a new secret (generated unless given); the old one keeps signing beside it
    /// for the overlap (24 h by default). Returns the record with the new `secret`.
    #[staticmethod]
    #[pyo3(signature = (webhook_id, secret = None))]
    fn rotate_webhook_secret<'py>(
        py: Python<'py>,
        webhook_id: &str,
        secret: Option<&str>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let hook = engine()?.rotate_webhook_secret(webhook_id, secret).py()?;
        convert::to_py(py, &hook.to_value_with_secret())
    }

    /// Re-enables a disabled webhook; its parked deliveries resume.
    #[staticmethod]
    fn enable_webhook<'py>(py: Python<'py>, webhook_id: &str) -> PyResult<Bound<'py, PyAny>> {
        convert::to_py(py, &engine()?.enable_webhook(webhook_id).py()?.to_value())
    }

    /// Disables a webhook: pending deliveries wait, new events are logged as not attempted.
    #[staticmethod]
    fn disable_webhook<'py>(py: Python<'py>, webhook_id: &str) -> PyResult<Bound<'py, PyAny>> {
        convert::to_py(py, &engine()?.disable_webhook(webhook_id).py()?.to_value())
    }

    /// Counters: events emitted, deliveries queued, succeeded, failed, retried, dropped, pending,
    /// disabled endpoints.
    #[staticmethod]
    fn webhook_stats(py: Python<'_>) -> PyResult<Bound<'_, PyAny>> {
        convert::to_py(py, &serde_json::to_value(engine()?.stats()).expect("stats serialise"))
    }

    /// Waits up to `timeout_s` seconds for pending deliveries (the GIL is released meanwhile);
    /// returns how many remain.
    #[staticmethod]
    #[pyo3(signature = (timeout_s = 5.0))]
    fn flush_webhooks(py: Python<'_>, timeout_s: f64) -> PyResult<usize> {
        let timeout = duration_from_ms("timeout_s", timeout_s * 1000.0).py()?;
        let engine = engine()?;
        Ok(py.detach(|| engine.flush(timeout)))
    }

    /// How long the interpreter waits for pending deliveries at exit; `None` or 0 does not wait.
    #[staticmethod]
    #[pyo3(signature = (timeout_s))]
    fn set_exit_flush_timeout(timeout_s: Option<f64>) -> PyResult<()> {
        let timeout = timeout_s.map(|s| duration_from_ms("timeout_s", s * 1000.0)).transpose().py()?;
        engine()?.set_exit_flush_timeout(timeout.filter(|t| !t.is_zero()));
        Ok(())
    }

    /// Records an event from a cell backend the app runs itself; returns its `event_id`.
    #[staticmethod]
    #[pyo3(signature = (event, cell_id, detail = None))]
    fn record_event(event: &str, cell_id: &str, detail: Option<&Bound<'_, PyAny>>) -> PyResult<String> {
        let detail = convert::from_py("detail", detail)?;
        engine()?.record_event(event, cell_id, detail).py()
    }
}
