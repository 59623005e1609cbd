//! `Cell`: the JavaScript class over the core's cells and engine. Every call that waits returns a
//! Promise whose work runs off the event loop.

use std::sync::Arc;

use napi::bindgen_prelude::AsyncTask;
use napi::Env;
use napi_derive::napi;
use serde_json::Value;
use synapse_core::{self as core, config::duration_from_ms, Engine};

use crate::error;
use crate::records::{CellOptions, DeliveryAttempt, Execution, LifecycleEvent, Snapshot, Webhook, WebhookStats};
use crate::task::Job;

fn engine() -> core::Result<&'static Arc<Engine>> {
    Engine::global()
}

/// A sandbox that runs code with a real interpreter in its own working directory, and emits
/// lifecycle events (`cell.created`, `exec.completed`, `cell.paused`, `cell.resumed`, `cell.killed`).
#[napi]
pub struct Cell {
    inner: core::Cell,
}

#[napi]
impl Cell {
    /// Creates a cell (emits `cell.created`).
    #[napi(ts_return_type = "Promise<Cell>")]
    pub fn create(options: Option<CellOptions>) -> AsyncTask<Job<Cell>> {
        let options = core::CellOptions::from(options.unwrap_or_default());
        AsyncTask::new(Job::new(move || Ok(Cell { inner: engine()?.create_cell(options)? })))
    }

    /// The cell's id (a UUID).
    #[napi(getter)]
    pub fn cell_id(&self) -> String {
        self.inner.id().to_string()
    }

    /// `python3`, `node` or `bash`.
    #[napi(getter)]
    pub fn template(&self) -> String {
        self.inner.template().as_str().to_string()
    }

    /// `running`, `paused` or `killed`.
    #[napi(getter)]
    pub fn state(&self) -> String {
        self.inner.state().as_str().to_string()
    }

    /// Runs `code` with the cell's interpreter and resolves when it exits (or times out after
    /// `timeoutMs`). Emits `exec.completed`.
    #[napi(ts_return_type = "Promise<Execution>")]
    pub fn run(&self, code: String, timeout_ms: Option<f64>) -> AsyncTask<Job<Execution>> {
        let cell = self.inner.clone();
        AsyncTask::new(Job::new(move || {
            let timeout = timeout_ms.map(|ms| duration_from_ms("timeoutMs", ms)).transpose()?;
            cell.run(&code, timeout).map(Execution::from)
        }))
    }

    /// Snapshots the working directory and pauses the cell. Emits `cell.paused`.
    #[napi(ts_return_type = "Promise<Snapshot>")]
    pub fn pause(&self) -> AsyncTask<Job<Snapshot>> {
        let cell = self.inner.clone();
        AsyncTask::new(Job::new(move || Ok(Snapshot { snapshot_id: cell.pause()?.snapshot_id })))
    }

    /// Restores the snapshot and resumes the cell. Emits `cell.resumed`.
    #[napi(ts_return_type = "Promise<Snapshot>")]
    pub fn resume(&self) -> AsyncTask<Job<Snapshot>> {
        let cell = self.inner.clone();
        AsyncTask::new(Job::new(move || Ok(Snapshot { snapshot_id: cell.resume()?.snapshot_id })))
    }

    /// Destroys the cell. Emits `cell.killed` (reason `requested`); a second call does nothing.
    #[napi(ts_return_type = "Promise<void>")]
    pub fn kill(&self) -> AsyncTask<Job<()>> {
        let cell = self.inner.clone();
        AsyncTask::new(Job::new(move || cell.kill().map(drop)))
    }

    /// This cell's events, oldest first.
    #[napi(ts_return_type = "Promise<LifecycleEvent[]>")]
    pub fn get_lifecycle_events(&self) -> AsyncTask<Job<Vec<LifecycleEvent>>> {
        let id = self.inner.id().to_string();
        AsyncTask::new(Job::new(move || Ok(engine()?.cell_events(&id).iter().map(|e| e.as_ref().into()).collect())))
    }

    /// Registers a webhook for `events` (names, or `["*"]`, the default). Resolves to its record,
    /// with the signing secret.
    #[napi(ts_return_type = "Promise<Webhook>")]
    pub fn register_webhook(
        url: String,
        events: Option<Vec<String>>,
        secret: Option<String>,
    ) -> AsyncTask<Job<Webhook>> {
        AsyncTask::new(Job::new(move || {
            let events = events.unwrap_or_else(|| vec![core::WILDCARD.to_string()]);
            let hook = engine()?.register_webhook(&url, &events, secret.as_deref())?;
            Ok(Webhook::from_core(&hook, true))
        }))
    }

    /// Every webhook, in creation order, without secrets.
    #[napi(ts_return_type = "Promise<Webhook[]>")]
    pub fn list_webhooks() -> AsyncTask<Job<Vec<Webhook>>> {
        AsyncTask::new(Job::new(|| {
            Ok(engine()?.list_webhooks().iter().map(|h| Webhook::from_core(h, false)).collect())
        }))
    }

    /// Deletes a webhook; an unknown id rejects with code `NOT_FOUND`.
    #[napi(ts_return_type = "Promise<void>")]
    pub fn delete_webhook(webhook_id: String) -> AsyncTask<Job<()>> {
        AsyncTask::new(Job::new(move || engine()?.delete_webhook(&webhook_id)))
    }

    /// The newest `limit` (default 100) events across all cells, oldest first.
    #[napi(ts_return_type = "Promise<LifecycleEvent[]>")]
    pub fn get_global_events(limit: Option<i64>) -> AsyncTask<Job<Vec<LifecycleEvent>>> {
        AsyncTask::new(Job::new(move || {
            Ok(engine()?.global_events(limit.unwrap_or(100))?.iter().map(|e| e.as_ref().into()).collect())
        }))
    }

    /// The newest `limit` (default 100) delivery attempts to a webhook, oldest first.
    #[napi(ts_return_type = "Promise<DeliveryAttempt[]>")]
    pub fn get_webhook_deliveries(webhook_id: String, limit: Option<i64>) -> AsyncTask<Job<Vec<DeliveryAttempt>>> {
        AsyncTask::new(Job::new(move || {
            Ok(engine()?.webhook_deliveries(&webhook_id, limit.unwrap_or(100))?.into_iter().map(Into::into).collect())
        }))
    }

    /// Sends one event to one webhook again, as a new delivery with the same `webhook-id`.
    #[napi(ts_return_type = "Promise<void>")]
    pub fn redeliver(webhook_id: String, event_id: String) -> AsyncTask<Job<()>> {
        AsyncTask::new(Job::new(move || engine()?.redeliver(&webhook_id, &event_id)))
    }

    /// Sends again every event whose delivery to this webhook last failed at or after `sinceMs`
    /// (default 0: everything the log holds). Resolves to how many.
    #[napi(ts_return_type = "Promise<number>")]
    pub fn replay_failed_deliveries(webhook_id: String, since_ms: Option<i64>) -> AsyncTask<Job<u32>> {
        AsyncTask::new(Job::new(move || Ok(engine()?.replay_failed(&webhook_id, since_ms.unwrap_or(0))? as u32)))
    }

    /// Gives a webhook a new secret (generated unless given); the old one keeps signing beside it
    /// for the overlap (24 h by default). Resolves to the record with the new `secret`.
    #[napi(ts_return_type = "Promise<Webhook>")]
    pub fn rotate_webhook_secret(webhook_id: String, secret: Option<String>) -> AsyncTask<Job<Webhook>> {
        AsyncTask::new(Job::new(move || {
            let hook = engine()?.rotate_webhook_secret(&webhook_id, secret.as_deref())?;
            Ok(Webhook::from_core(&hook, true))
        }))
    }

    /// Re-enables a disabled webhook; its parked deliveries resume.
    #[napi(ts_return_type = "Promise<Webhook>")]
    pub fn enable_webhook(webhook_id: String) -> AsyncTask<Job<Webhook>> {
        AsyncTask::new(Job::new(move || Ok(Webhook::from_core(&*engine()?.enable_webhook(&webhook_id)?, false))))
    }

    /// Disables a webhook: pending deliveries wait, new events are logged as not attempted.
    #[napi(ts_return_type = "Promise<Webhook>")]
    pub fn disable_webhook(webhook_id: String) -> AsyncTask<Job<Webhook>> {
        AsyncTask::new(Job::new(move || Ok(Webhook::from_core(&*engine()?.disable_webhook(&webhook_id)?, false))))
    }

    /// Counters: events emitted, deliveries queued, succeeded, failed, retried, dropped, pending,
    /// disabled endpoints.
    #[napi(ts_return_type = "Promise<WebhookStats>")]
    pub fn webhook_stats() -> AsyncTask<Job<WebhookStats>> {
        AsyncTask::new(Job::new(|| Ok(engine()?.stats().into())))
    }

    /// Waits up to `timeoutMs` (default 5000) for pending deliveries; resolves to how many remain.
    #[napi(ts_return_type = "Promise<number>")]
    pub fn flush_webhooks(timeout_ms: Option<f64>) -> AsyncTask<Job<u32>> {
        AsyncTask::new(Job::new(move || {
            let timeout = duration_from_ms("timeoutMs", timeout_ms.unwrap_or(5000.0))?;
            Ok(engine()?.flush(timeout) as u32)
        }))
    }

    /// How long the process waits for pending deliveries when it exits; `null` or 0 does not wait.
    #[napi]
    pub fn set_exit_flush_timeout(env: Env, timeout_ms: Option<f64>) -> napi::Result<()> {
        let set = || -> core::Result<()> {
            let timeout = timeout_ms.map(|ms| duration_from_ms("timeoutMs", ms)).transpose()?;
            engine()?.set_exit_flush_timeout(timeout.filter(|t| !t.is_zero()));
            Ok(())
        };
        set().map_err(|e| error::to_js(&env, e))
    }

    /// Records an event from a cell backend the app runs itself; returns its `event_id` at once.
    #[napi]
    pub fn record_event(env: Env, event: String, cell_id: String, detail: Option<Value>) -> napi::Result<String> {
        engine().and_then(|e| e.record_event(&event, &cell_id, detail)).map_err(|e| error::to_js(&env, e))
    }
}

/// Runs `synapse-gateway ARGS…` (the package's bin) off the event loop until `stopGateway()`;
/// resolves to the exit code. Node owns signal handling, so the bin forwards SIGINT and SIGTERM.
#[napi(ts_return_type = "Promise<number>")]
#[cfg_attr(test, allow(dead_code))]
pub fn gateway_main(args: Vec<String>) -> AsyncTask<Job<i32>> {
    AsyncTask::new(Job::new(move || Ok(core::gateway::main(&args, core::gateway::Signals::Host))))
}

/// Stops a running gateway gracefully, as SIGTERM does for `synapse gateway`.
#[napi]
#[cfg_attr(test, allow(dead_code))]
pub fn stop_gateway() {
    core::gateway::request_stop();
}

/// Kills live cells and waits for pending deliveries, up to the exit flush timeout. The package
/// calls it from `process.on('exit')`, where blocking is what is wanted. Returns how many remain.
#[napi]
// Only referenced through napi's registration, which the lib-test build leaves out.
#[cfg_attr(test, allow(dead_code))]
pub fn shutdown() -> u32 {
    engine().map(|e| e.shutdown() as u32).unwrap_or(0)
}
