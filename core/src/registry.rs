//! The webhook registry: validated registrations, listed in creation order.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use parking_lot::RwLock;
use serde_json::{json, Value};

use crate::dispatch::Health;
use crate::error::{Error, Result};
use crate::events::EventMask;
use crate::ids;
use crate::signing::{Secret, SecretSet};

/// The longest URL accepted, in bytes.
pub const MAX_URL_BYTES: usize = 2048;

/// A registered webhook.
#[derive(Debug)]
pub struct Webhook {
    /// `wh_` + hex.
    pub webhook_id: String,
    /// Where deliveries are POSTed.
    pub url: reqwest::Url,
    /// The subscribed event names as registered (duplicates dropped), `*` included.
    pub events: Vec<String>,
    /// The same subscription as a bit set, for matching.
    pub mask: EventMask,
    /// The signing secrets (current, and the previous one during a rotation's overlap).
    secrets: RwLock<SecretSet>,
    /// Milliseconds since the Unix epoch.
    pub created_at: i64,
    /// Bounds the deliveries in flight to this endpoint, so one slow receiver cannot take every
    /// worker.
    pub(crate) gate: Arc<tokio::sync::Semaphore>,
    /// Set on delete, so queued and retrying deliveries stop.
    deleted: AtomicBool,
    /// The endpoint's circuit breaker and enabled/disabled status.
    pub(crate) health: Health,
}

impl Webhook {
    /// Whether the webhook was deleted (its pending deliveries are abandoned).
    pub fn is_deleted(&self) -> bool {
        self.deleted.load(Ordering::Acquire)
    }

    /// The `webhook-signature` header value for one delivery.
    pub fn signature(&self, msg_id: &str, timestamp: i64, body: &[u8]) -> String {
        self.secrets.read().sign(msg_id, timestamp, body)
    }

    /// The current signing secret.
    pub fn secret(&self) -> Secret {
        self.secrets.read().current().clone()
    }

    /// After a rotation: when the previous secret stops signing (ms since the epoch), while it does.
    pub fn previous_secret_expires_at(&self) -> Option<i64> {
        self.secrets.read().previous_expires_at()
    }

    /// `enabled`, or `disabled` (by a 410, by failing too long, or by the user).
    pub fn status(&self) -> &'static str {
        if self.health.is_enabled() {
            "enabled"
        } else {
            "disabled"
        }
    }

    /// Why the webhook is disabled, if it is.
    pub fn disabled_reason(&self) -> Option<String> {
        self.health.disabled_reason()
    }

    /// The public record, without the secret (what `list_webhooks` shows).
    pub fn to_value(&self) -> Value {
        json!({
            "webhook_id": self.webhook_id,
            "url": self.url.as_str(),
            "events": self.events,
            "created_at": self.created_at,
            "status": self.status(),
        })
    }

    /// The record with its secret (what `register_webhook` returns, once).
    pub fn to_value_with_secret(&self) -> Value {
        let mut value = self.to_value();
        value["secret"] = Value::String(self.secret().expose().to_string());
        if let Some(at) = self.previous_secret_expires_at() {
            value["previous_secret_expires_at"] = Value::from(at);
        }
        value
    }
}

/// Checks a webhook URL: absolute `http` or `https`, with a host, at most [`MAX_URL_BYTES`].
pub fn parse_url(url: &str) -> Result<reqwest::Url> {
    if url.len() > MAX_URL_BYTES {
        return Err(Error::invalid("url", format!("must be at most {MAX_URL_BYTES} bytes, got {}", url.len())));
    }
    let parsed = reqwest::Url::parse(url).map_err(|e| {
        Error::invalid("url", format!("{url:?} is not an absolute URL ({e}); expected e.g. https://example.com/hooks"))
    })?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err(Error::invalid("url", format!("scheme must be http or https, got {:?}", parsed.scheme())));
    }
    if parsed.host_str().is_none_or(str::is_empty) {
        return Err(Error::invalid("url", format!("{url:?} has no host")));
    }
    Ok(parsed)
}

/// All registered webhooks. Readers take a snapshot (one `Arc` clone under a read lock), so the emit
/// path never waits on a registration.
pub struct Registry {
    hooks: RwLock<Arc<Vec<Arc<Webhook>>>>,
    per_endpoint_concurrency: usize,
    deny_private_urls: bool,
}

impl Registry {
    /// An empty registry whose webhooks each allow `per_endpoint_concurrency` deliveries at once,
    /// refusing URLs that resolve to private addresses when `deny_private_urls` is set.
    pub fn new(per_endpoint_concurrency: usize, deny_private_urls: bool) -> Self {
        Registry {
            hooks: RwLock::new(Arc::new(Vec::new())),
            per_endpoint_concurrency: per_endpoint_concurrency.max(1),
            deny_private_urls,
        }
    }

    /// Validates and adds a webhook. On any invalid input nothing is added.
    pub fn register<S: AsRef<str>>(&self, url: &str, events: &[S], secret: Option<&str>) -> Result<Arc<Webhook>> {
        let url = parse_url(url)?;
        let (mask, events) = EventMask::parse(events)?;
        if self.deny_private_urls {
            crate::guard::ensure_public(&url)?;
        }
        let secret = match secret {
            Some(text) => Secret::parse(text)?,
            None => Secret::generate(),
        };
        let hook = Arc::new(Webhook {
            webhook_id: ids::new_id("wh_"),
            url,
            events,
            mask,
            secrets: RwLock::new(SecretSet::new(secret)),
            created_at: ids::now_ms(),
            gate: Arc::new(tokio::sync::Semaphore::new(self.per_endpoint_concurrency)),
            deleted: AtomicBool::new(false),
            health: Health::new(),
        });
        let mut hooks = self.hooks.write();
        let mut next = Vec::with_capacity(hooks.len() + 1);
        next.extend(hooks.iter().cloned());
        next.push(hook.clone());
        *hooks = Arc::new(next);
        Ok(hook)
    }

    /// Removes a webhook; an unknown id is a not-found error.
    pub fn delete(&self, webhook_id: &str) -> Result<()> {
        let mut hooks = self.hooks.write();
        let Some(hook) = hooks.iter().find(|h| h.webhook_id == webhook_id) else {
            return Err(Error::NotFound { kind: "webhook", id: webhook_id.to_string() });
        };
        hook.deleted.store(true, Ordering::Release);
        hook.health.close();
        *hooks = Arc::new(hooks.iter().filter(|h| h.webhook_id != webhook_id).cloned().collect());
        Ok(())
    }

    /// Gives a webhook a new secret (`secret`, or a generated one); the old one keeps signing,
    /// alongside, for `overlap`.
    pub fn rotate_secret(&self, webhook_id: &str, secret: Option<&str>, overlap: Duration) -> Result<Arc<Webhook>> {
        let next = match secret {
            Some(text) => Secret::parse(text)?,
            None => Secret::generate(),
        };
        let hook = self.get(webhook_id)?;
        hook.secrets.write().rotate(next, ids::now_ms() + overlap.as_millis() as i64);
        Ok(hook)
    }

    /// One webhook by id.
    pub fn get(&self, webhook_id: &str) -> Result<Arc<Webhook>> {
        self.snapshot()
            .iter()
            .find(|h| h.webhook_id == webhook_id)
            .cloned()
            .ok_or_else(|| Error::NotFound { kind: "webhook", id: webhook_id.to_string() })
    }

    /// Every webhook, in creation order.
    pub fn snapshot(&self) -> Arc<Vec<Arc<Webhook>>> {
        self.hooks.read().clone()
    }
}
