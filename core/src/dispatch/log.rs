//! The attempt log: every delivery attempt, bounded per webhook, queryable by webhook.

use std::collections::{HashMap, VecDeque};

use parking_lot::Mutex;
use serde::Serialize;

use crate::error::{Error, Result};

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

/// Bounded attempt histories, one per webhook.
pub struct AttemptLog {
    per_webhook: usize,
    entries: Mutex<HashMap<String, VecDeque<Attempt>>>,
}

impl AttemptLog {
    /// A log keeping the newest `per_webhook` attempts of each webhook.
    pub fn new(per_webhook: usize) -> Self {
        AttemptLog { per_webhook: per_webhook.max(1), entries: Mutex::new(HashMap::new()) }
    }

    /// Records an attempt.
    pub fn record(&self, attempt: Attempt) {
        let mut entries = self.entries.lock();
        let log = entries.entry(attempt.webhook_id.clone()).or_default();
        if log.len() == self.per_webhook {
            log.pop_front();
        }
        log.push_back(attempt);
    }

    /// The newest `limit` attempts of a webhook, oldest first.
    pub fn query(&self, webhook_id: &str, limit: i64) -> Result<Vec<Attempt>> {
        if limit < 0 {
            return Err(Error::invalid("limit", format!("must be 0 or more, got {limit}")));
        }
        let entries = self.entries.lock();
        let Some(log) = entries.get(webhook_id) else { return Ok(Vec::new()) };
        let skip = log.len().saturating_sub(limit as usize);
        Ok(log.range(skip..).cloned().collect())
    }

    /// Forgets a deleted webhook's attempts.
    pub fn forget(&self, webhook_id: &str) {
        self.entries.lock().remove(webhook_id);
    }
}
