//! The plain objects the SDK hands to JavaScript. Records that mirror wire JSON (webhooks, events,
//! delivery attempts, stats) keep their snake_case keys, as the product documentation shows.

use std::collections::HashMap;

use napi_derive::napi;
use serde_json::Value;
use synapse_core as core;

/// A registered webhook. `secret` is present only in what `registerWebhook` returns.
#[napi(object)]
pub struct Webhook {
    /// `wh_` + hex.
    #[napi(js_name = "webhook_id")]
    pub webhook_id: String,
    /// Where deliveries are POSTed.
    pub url: String,
    /// The subscribed events, `*` included.
    pub events: Vec<String>,
    /// Milliseconds since the Unix epoch.
    #[napi(js_name = "created_at")]
    pub created_at: i64,
    /// `enabled` or `disabled`.
    pub status: String,
    /// The `whsec_…` signing secret (from `registerWebhook` and `rotateWebhookSecret` only).
    pub secret: Option<String>,
    /// After a rotation: when the previous secret stops signing, in ms since the Unix epoch.
    #[napi(js_name = "previous_secret_expires_at")]
    pub previous_secret_expires_at: Option<i64>,
}

impl Webhook {
    pub fn from_core(hook: &core::Webhook, with_secret: bool) -> Self {
        Webhook {
            webhook_id: hook.webhook_id.clone(),
            url: hook.url.to_string(),
            events: hook.events.clone(),
            created_at: hook.created_at,
            status: hook.status().to_string(),
            secret: with_secret.then(|| hook.secret().expose().to_string()),
            previous_secret_expires_at: hook.previous_secret_expires_at().filter(|_| with_secret),
        }
    }
}

/// A lifecycle event record.
#[napi(object)]
pub struct LifecycleEvent {
    /// `evt_` + hex; also the `webhook-id` header of its deliveries.
    #[napi(js_name = "event_id")]
    pub event_id: String,
    /// `cell.created`, `cell.killed`, `cell.paused`, `cell.resumed` or `exec.completed`.
    pub event: String,
    /// The cell it happened to.
    #[napi(js_name = "cell_id")]
    pub cell_id: String,
    /// Event-specific fields.
    pub detail: Value,
    /// Milliseconds since the Unix epoch.
    pub timestamp: i64,
}

impl From<&core::Event> for LifecycleEvent {
    fn from(e: &core::Event) -> Self {
        LifecycleEvent {
            event_id: e.event_id.clone(),
            event: e.event.as_str().to_string(),
            cell_id: e.cell_id.clone(),
            detail: e.detail.clone(),
            timestamp: e.timestamp,
        }
    }
}

/// One delivery attempt of one event to one webhook.
#[napi(object)]
pub struct DeliveryAttempt {
    #[napi(js_name = "webhook_id")]
    pub webhook_id: String,
    #[napi(js_name = "event_id")]
    pub event_id: String,
    /// The event's name.
    pub event: String,
    /// 1 for the first attempt.
    pub attempt: u32,
    /// When it started, in milliseconds since the Unix epoch.
    pub timestamp: i64,
    /// The receiver's status, if it answered.
    #[napi(js_name = "status_code")]
    pub status_code: Option<u32>,
    /// What went wrong without a status (connection refused, timeout).
    pub error: Option<String>,
    #[napi(js_name = "latency_ms")]
    pub latency_ms: f64,
    /// When the next attempt is due, for `retrying`.
    #[napi(js_name = "next_retry_at")]
    pub next_retry_at: Option<i64>,
    /// `succeeded`, `retrying` or `failed`.
    pub outcome: String,
}

impl From<core::Attempt> for DeliveryAttempt {
    fn from(a: core::Attempt) -> Self {
        let outcome = match a.outcome {
            core::Outcome::Succeeded => "succeeded",
            core::Outcome::Retrying => "retrying",
            core::Outcome::Failed => "failed",
        };
        DeliveryAttempt {
            webhook_id: a.webhook_id,
            event_id: a.event_id,
            event: a.event,
            attempt: a.attempt,
            timestamp: a.timestamp,
            status_code: a.status_code.map(u32::from),
            error: a.error,
            latency_ms: a.latency_ms,
            next_retry_at: a.next_retry_at,
            outcome: outcome.to_string(),
        }
    }
}

/// The dispatcher's counters since the process started.
#[napi(object)]
pub struct WebhookStats {
    #[napi(js_name = "events_emitted")]
    pub events_emitted: i64,
    #[napi(js_name = "deliveries_queued")]
    pub deliveries_queued: i64,
    pub succeeded: i64,
    pub failed: i64,
    pub retried: i64,
    pub dropped: i64,
    pub pending: i64,
    #[napi(js_name = "disabled_endpoints")]
    pub disabled_endpoints: i64,
}

impl From<core::Stats> for WebhookStats {
    fn from(s: core::Stats) -> Self {
        WebhookStats {
            events_emitted: s.events_emitted as i64,
            deliveries_queued: s.deliveries_queued as i64,
            succeeded: s.succeeded as i64,
            failed: s.failed as i64,
            retried: s.retried as i64,
            dropped: s.dropped as i64,
            pending: s.pending as i64,
            disabled_endpoints: s.disabled_endpoints as i64,
        }
    }
}

/// What `cell.run()` produced.
#[napi(object)]
pub struct Execution {
    /// `exec_` + hex.
    pub execution_id: String,
    pub stdout: String,
    pub stderr: String,
    /// The exit code; 128 + signal if killed by one; 124 if the run timed out.
    pub exit_code: i32,
    /// Wall time in milliseconds.
    pub latency_ms: f64,
    /// Whether the run was stopped at its timeout.
    pub timed_out: bool,
}

impl From<core::Execution> for Execution {
    fn from(e: core::Execution) -> Self {
        Execution {
            execution_id: e.execution_id,
            stdout: e.stdout,
            stderr: e.stderr,
            exit_code: e.exit_code,
            latency_ms: e.latency_ms,
            timed_out: e.timed_out,
        }
    }
}

/// The snapshot `cell.pause()` made (and `cell.resume()` restored).
#[napi(object)]
pub struct Snapshot {
    /// `snap_` + hex.
    pub snapshot_id: String,
}

/// Options of `Cell.create()`; every field is optional.
#[napi(object)]
#[derive(Default)]
pub struct CellOptions {
    /// `python3` (default), `node` or `bash`.
    pub template: Option<String>,
    /// Idle time in ms after which the cell is killed with reason `timeout` (default 300000).
    pub timeout_ms: Option<f64>,
    /// Free-form object, echoed in `cell.created`.
    pub metadata: Option<Value>,
    /// Environment variables for every `run()`.
    pub envs: Option<HashMap<String, String>>,
}

impl From<CellOptions> for core::CellOptions {
    fn from(o: CellOptions) -> Self {
        core::CellOptions {
            template: o.template,
            timeout_ms: o.timeout_ms,
            metadata: o.metadata,
            envs: o.envs.unwrap_or_default(),
        }
    }
}
