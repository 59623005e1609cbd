//! The attempt log: every delivery attempt, bounded per webhook, queryable by webhook.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;

use parking_lot::Mutex;
use serde::Serialize;

use crate::error::{Error, Result};
use crate::events::Event;

/// Where a delivery stands after an attempt.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// The receiver answered 2xx.
    Succeeded,
    /// This attempt failed; another is scheduled at `next_retry_at`.
    Retrying,
    /// This attempt failed and no other will be made.
    Failed,
}

/// One delivery attempt of one event to one webhook.
#[derive(Clone, Debug, Serialize)]
pub struct Attempt {
    /// The webhook delivered to.
    pub webhook_id: String,
    /// The event delivered (also the `webhook-id` header).
    pub event_id: String,
    /// The event's name.
    pub event: String,
    /// 1 for the first attempt.
    pub attempt: u32,
    /// When the attempt started, in milliseconds since the Unix epoch.
    pub timestamp: i64,
    /// The receiver's status code, if it answered.
    pub status_code: Option<u16>,
    /// What went wrong without a status (connection refused, timeout), if anything.
    pub error: Option<String>,
    /// How long the attempt took.
    pub latency_ms: f64,
    /// When the next attempt is due, for `retrying`.
    pub next_retry_at: Option<i64>,
    /// Where the delivery stands.
    pub outcome: Outcome,
}

/// An attempt and the event it carried, kept so the event can be sent again after it has left the
/// event history.
struct Entry {
    attempt: Attempt,
    event: Arc<Event>,
}

/// Bounded attempt histories, one per webhook.
pub struct AttemptLog {
    per_webhook: usize,
    entries: Mutex<HashMap<String, VecDeque<Entry>>>,
}

impl AttemptLog {
    /// A log keeping the newest `per_webhook` attempts of each webhook.
    pub fn new(per_webhook: usize) -> Self {
        AttemptLog { per_webhook: per_webhook.max(1), entries: Mutex::new(HashMap::new()) }
    }

    /// Records an attempt of `event`.
    pub fn record(&self, attempt: Attempt, event: &Arc<Event>) {
        let mut entries = self.entries.lock();
        let log = entries.entry(attempt.webhook_id.clone()).or_default();
        if log.len() == self.per_webhook {
            log.pop_front();
        }
        log.push_back(Entry { attempt, event: event.clone() });
    }

    /// An event this webhook was sent (or was to be sent), by id.
    pub fn find_event(&self, webhook_id: &str, event_id: &str) -> Option<Arc<Event>> {
        let entries = self.entries.lock();
        entries.get(webhook_id)?.iter().find(|e| e.event.event_id == event_id).map(|e| e.event.clone())
    }

    /// The events whose delivery to this webhook last ended `failed`, at or after `since_ms`,
    /// oldest first.
    pub fn failed_since(&self, webhook_id: &str, since_ms: i64) -> Vec<Arc<Event>> {
        let entries = self.entries.lock();
        let Some(log) = entries.get(webhook_id) else { return Vec::new() };
        let mut last: HashMap<&str, &Entry> = HashMap::new();
        for entry in log {
            last.insert(entry.event.event_id.as_str(), entry);
        }
        let mut failed: Vec<&Entry> = last
            .into_values()
            .filter(|e| e.attempt.outcome == Outcome::Failed && e.attempt.timestamp >= since_ms)
            .collect();
        failed.sort_by_key(|e| (e.event.timestamp, e.attempt.timestamp));
        failed.into_iter().map(|e| e.event.clone()).collect()
    }

    /// The newest `limit` attempts of a webhook, oldest first.
    pub fn query(&self, webhook_id: &str, limit: i64) -> Result<Vec<Attempt>> {
        if limit < 0 {
            return Err(Error::invalid("limit", format!("must be 0 or more, got {limit}")));
        }
        let entries = self.entries.lock();
        let Some(log) = entries.get(webhook_id) else { return Ok(Vec::new()) };
        let skip = log.len().saturating_sub(limit as usize);
        Ok(log.range(skip..).map(|e| e.attempt.clone()).collect())
    }

    /// Forgets a deleted webhook's attempts.
    pub fn forget(&self, webhook_id: &str) {
        self.entries.lock().remove(webhook_id);
    }
}
