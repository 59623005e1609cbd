//! The dispatcher: turns each event into signed POSTs to the webhooks that want it, on the engine's
//! runtime, with bounded concurrency, retries and an attempt log.

mod health;
mod log;
mod retry;

pub use health::{Health, HealthPolicy};
pub use log::{Attempt, AttemptLog, Outcome};
pub use retry::{parse_retry_after, should_retry, RetryPolicy, Verdict};

use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use parking_lot::{Condvar, Mutex};
use serde::Serialize;
use tokio::sync::{Notify, Semaphore};

use crate::config::Config;
use crate::events::Event;
use crate::ids;
use crate::registry::Webhook;
use crate::runtime::runtime;

/// The `user-agent` of every delivery.
pub const USER_AGENT: &str = concat!("synapse-webhooks/", env!("CARGO_PKG_VERSION"));

/// How long the worker lets events gather before it drains them.
const BATCH_WINDOW: Duration = Duration::from_millis(1);

/// Counters of the dispatcher's work since the engine started.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Stats {
    /// Events recorded.
    pub events_emitted: u64,
    /// Deliveries queued (one per matching webhook per event).
    pub deliveries_queued: u64,
    /// Deliveries that got a 2xx.
    pub succeeded: u64,
    /// Deliveries that ended without a 2xx.
    pub failed: u64,
    /// Attempts that failed and were scheduled again.
    pub retried: u64,
    /// Deliveries refused because `max_pending` were already pending.
    pub dropped: u64,
    /// Deliveries queued, in flight or waiting for a retry now.
    pub pending: u64,
    /// Webhooks disabled now (by a 410, by failing too long, or by the user).
    pub disabled_endpoints: u64,
}

/// Upper bounds (ms) of the attempt latency histogram's buckets; one more bucket takes the rest.
pub const LATENCY_BUCKETS_MS: [f64; 11] = [5.0, 10.0, 25.0, 50.0, 100.0, 250.0, 500.0, 1000.0, 2500.0, 5000.0, 10000.0];

/// Everything `/metrics` reports, read at one moment.
#[derive(Clone, Debug, Default)]
pub struct Metrics {
    /// The counters of [`Stats`].
    pub stats: Stats,
    /// Events recorded, by event, in [`crate::EventKind::ALL`] order.
    pub events_by_kind: [u64; 5],
    /// Attempts whose latency fell in each of [`LATENCY_BUCKETS_MS`] (not cumulative), then the rest.
    pub latency_buckets: [u64; 12],
    /// Sum of attempt latencies, in seconds.
    pub latency_sum_s: f64,
    /// Attempts made.
    pub attempts: u64,
}

#[derive(Default)]
struct Counters {
    events_by_kind: [AtomicU64; 5],
    latency_buckets: [AtomicU64; 12],
    latency_sum_us: AtomicU64,
    events_emitted: AtomicU64,
    deliveries_queued: AtomicU64,
    succeeded: AtomicU64,
    failed: AtomicU64,
    retried: AtomicU64,
    dropped: AtomicU64,
}

/// The count of unfinished deliveries, with a way to wait for it to reach zero.
#[derive(Default)]
struct Pending {
    count: AtomicUsize,
    lock: Mutex<()>,
    idle: Condvar,
}

impl Pending {
    /// Reserves `n` places if that keeps the count within `max`.
    fn try_add(&self, n: usize, max: usize) -> bool {
        self.count.fetch_update(Ordering::AcqRel, Ordering::Acquire, |c| (c + n <= max).then_some(c + n)).is_ok()
    }

    fn done(&self) {
        if self.count.fetch_sub(1, Ordering::AcqRel) == 1 {
            // Taking the lock orders this wake-up after a waiter's check of the count, so none is lost.
            let _guard = self.lock.lock();
            self.idle.notify_all();
        }
    }

    fn wait(&self, timeout: Duration) -> usize {
        let deadline = Instant::now() + timeout;
        let mut guard = self.lock.lock();
        loop {
            let left = self.count.load(Ordering::Acquire);
            if left == 0 || self.idle.wait_until(&mut guard, deadline).timed_out() {
                return self.count.load(Ordering::Acquire);
            }
        }
    }
}

/// One event and the registry as it stood when the event fired; the worker picks the matching
/// webhooks out of it, so the emitter neither allocates nor filters twice.
struct Job {
    event: Arc<Event>,
    hooks: Arc<Vec<Arc<Webhook>>>,
}

/// The hand-off from emitters to the worker: a plain vector under a short lock, and a flag so
/// that a burst of events wakes the worker once rather than once per event (a wake-up is a
/// syscall when the worker is parked, and costs more than everything else on the emit path).
#[derive(Default)]
struct Queue {
    jobs: Mutex<Vec<Job>>,
    scheduled: AtomicBool,
    wake: Notify,
    closed: AtomicBool,
}

struct Shared {
    client: reqwest::Client,
    policy: RetryPolicy,
    health: HealthPolicy,
    deny_private_urls: bool,
    in_flight: Semaphore,
    max_pending: usize,
    pending: Pending,
    counters: Counters,
    log: AttemptLog,
}

/// Queues deliveries without blocking and runs them on the engine's runtime.
pub struct Dispatcher {
    queue: Arc<Queue>,
    shared: Arc<Shared>,
}

impl Drop for Dispatcher {
    fn drop(&mut self) {
        self.queue.closed.store(true, Ordering::Release);
        self.queue.wake.notify_one();
    }
}

impl Dispatcher {
    /// A dispatcher with one pooled keep-alive HTTP client, its worker started on the runtime.
    pub fn new(config: &Config) -> Self {
        let mut client = reqwest::Client::builder();
        if config.deny_private_urls {
            client = client.dns_resolver(Arc::new(crate::guard::PublicOnlyResolver));
        }
        let client = client
            .user_agent(USER_AGENT)
            // A redirect would send a signed payload somewhere the user did not register.
            .redirect(reqwest::redirect::Policy::none())
            .pool_idle_timeout(Duration::from_secs(60))
            .build()
            .expect("the HTTP client builds");
        let shared = Arc::new(Shared {
            client,
            policy: config.retry.clone(),
            health: config.health.clone(),
            deny_private_urls: config.deny_private_urls,
            in_flight: Semaphore::new(config.max_in_flight.max(1)),
            max_pending: config.max_pending,
            pending: Pending::default(),
            counters: Counters::default(),
            log: AttemptLog::new(config.attempt_log),
        });
        let queue = Arc::new(Queue::default());
        runtime().spawn(run_queue(shared.clone(), queue.clone()));
        Dispatcher { queue, shared }
    }

    /// Queues one delivery of `event` per webhook in `hooks` that subscribes to it, and returns at
    /// once. Called on the caller's thread: no I/O, no await, no allocation.
    pub fn dispatch(&self, event: Arc<Event>, hooks: Arc<Vec<Arc<Webhook>>>) {
        let c = &self.shared.counters;
        c.events_emitted.fetch_add(1, Ordering::Relaxed);
        c.events_by_kind[event.event as usize].fetch_add(1, Ordering::Relaxed);
        let n = hooks.iter().filter(|h| h.mask.contains(event.event)).count();
        if n == 0 {
            return;
        }
        if !self.shared.pending.try_add(n, self.shared.max_pending) {
            c.dropped.fetch_add(n as u64, Ordering::Relaxed);
            return;
        }
        c.deliveries_queued.fetch_add(n as u64, Ordering::Relaxed);
        self.queue.jobs.lock().push(Job { event, hooks });
        if !self.queue.scheduled.swap(true, Ordering::AcqRel) {
            self.queue.wake.notify_one();
        }
    }

    /// Sends `event` to `hook` again, as a new delivery with its own attempts (and the same
    /// `webhook-id`). Refused when `max_pending` deliveries are already pending.
    pub fn redeliver(&self, event: Arc<Event>, hook: Arc<Webhook>) -> crate::Result<()> {
        if !self.shared.pending.try_add(1, self.shared.max_pending) {
            return Err(crate::Error::InvalidState(format!(
                "{} deliveries are already pending (the limit); try again once they drain",
                self.shared.max_pending
            )));
        }
        self.shared.counters.deliveries_queued.fetch_add(1, Ordering::Relaxed);
        let body = Bytes::from(event.payload());
        runtime().spawn(deliver(self.shared.clone(), event, body, hook));
        Ok(())
    }

    /// Waits up to `timeout` for every pending delivery to finish; returns how many remain.
    pub fn flush(&self, timeout: Duration) -> usize {
        self.shared.pending.wait(timeout)
    }

    /// The counters so far.
    pub fn stats(&self) -> Stats {
        let c = &self.shared.counters;
        let get = |a: &AtomicU64| a.load(Ordering::Relaxed);
        Stats {
            events_emitted: get(&c.events_emitted),
            deliveries_queued: get(&c.deliveries_queued),
            succeeded: get(&c.succeeded),
            failed: get(&c.failed),
            retried: get(&c.retried),
            dropped: get(&c.dropped),
            pending: self.shared.pending.count.load(Ordering::Relaxed) as u64,
            disabled_endpoints: 0,
        }
    }

    /// Counters and the latency histogram for `/metrics`.
    pub fn metrics(&self) -> Metrics {
        let c = &self.shared.counters;
        let get = |a: &AtomicU64| a.load(Ordering::Relaxed);
        let latency_buckets = std::array::from_fn(|i| get(&c.latency_buckets[i]));
        Metrics {
            stats: self.stats(),
            events_by_kind: std::array::from_fn(|i| get(&c.events_by_kind[i])),
            attempts: latency_buckets.iter().sum(),
            latency_buckets,
            latency_sum_s: get(&c.latency_sum_us) as f64 / 1e6,
        }
    }

    /// The attempt log.
    pub fn log(&self) -> &AttemptLog {
        &self.shared.log
    }
}

async fn run_queue(shared: Arc<Shared>, queue: Arc<Queue>) {
    let mut batch = Vec::new();
    loop {
        queue.wake.notified().await;
        // Let a burst gather for a moment: meanwhile `scheduled` stays set, so emitters skip the
        // wake-up. It costs a delivery about a millisecond of latency and saves the app a syscall
        // per event under load.
        tokio::time::sleep(BATCH_WINDOW).await;
        // Cleared before draining: an event pushed after the drain sets it again and wakes us.
        queue.scheduled.store(false, Ordering::Release);
        std::mem::swap(&mut batch, &mut *queue.jobs.lock());
        for Job { event, hooks } in batch.drain(..) {
            // Serialised once per event, shared by every target and every retry.
            let body = Bytes::from(event.payload());
            for hook in hooks.iter().filter(|h| h.mask.contains(event.event)) {
                if hook.health.is_enabled() {
                    tokio::spawn(deliver(shared.clone(), event.clone(), body.clone(), hook.clone()));
                } else {
                    shared.not_attempted(&event, hook);
                }
            }
        }
        if queue.closed.load(Ordering::Acquire) {
            return;
        }
    }
}

impl Shared {
    fn observe_latency(&self, latency: Duration) {
        let ms = latency.as_secs_f64() * 1000.0;
        let bucket = LATENCY_BUCKETS_MS.iter().position(|b| ms <= *b).unwrap_or(LATENCY_BUCKETS_MS.len());
        self.counters.latency_buckets[bucket].fetch_add(1, Ordering::Relaxed);
        self.counters.latency_sum_us.fetch_add(latency.as_micros() as u64, Ordering::Relaxed);
    }

    /// An event for a disabled webhook: logged as failed without an attempt, so that
    /// `replay_failed` finds it once the webhook is enabled again.
    fn not_attempted(&self, event: &Arc<Event>, hook: &Webhook) {
        let reason = hook.disabled_reason().unwrap_or_default();
        let attempt = Attempt {
            webhook_id: hook.webhook_id.clone(),
            event_id: event.event_id.clone(),
            event: event.event.as_str().to_string(),
            attempt: 0,
            timestamp: ids::now_ms(),
            status_code: None,
            error: Some(format!("not attempted: the webhook is disabled ({reason})")),
            latency_ms: 0.0,
            next_retry_at: None,
            outcome: Outcome::Failed,
        };
        self.log.record(attempt, event);
        self.counters.failed.fetch_add(1, Ordering::Relaxed);
        self.pending.done();
    }
}

async fn deliver(shared: Arc<Shared>, event: Arc<Event>, body: Bytes, hook: Arc<Webhook>) {
    let c = &shared.counters;
    let mut attempt = 0;
    let delivered = loop {
        // Waits while the endpoint's circuit is open or the webhook is disabled.
        hook.health.ready().await;
        if hook.is_deleted() {
            break false;
        }
        attempt += 1;
        let (status, retry_after, error, started_ms, latency) = {
            // Permits are held for the request only, never across a backoff wait.
            let _all = shared.in_flight.acquire().await.expect("never closed");
            let _endpoint = hook.gate.acquire().await.expect("never closed");
            let started_ms = ids::now_ms();
            let started = Instant::now();
            let result = send(&shared, &event, &body, &hook).await;
            let latency = started.elapsed();
            match result {
                Ok((status, retry_after)) => (Some(status), retry_after, None, started_ms, latency),
                Err(e) => (None, None, Some(e), started_ms, latency),
            }
        };
        shared.observe_latency(latency);
        let verdict = shared.policy.judge(attempt, status, retry_after);
        match (&verdict, status) {
            (Verdict::Delivered, _) => hook.health.succeeded(),
            (_, Some(410)) => hook.health.disable("the endpoint answered 410 Gone".to_string()),
            _ => {
                hook.health.failed(&shared.health);
            }
        }
        let (outcome, next) = match &verdict {
            Verdict::Delivered => (Outcome::Succeeded, None),
            Verdict::GiveUp => (Outcome::Failed, None),
            Verdict::Retry(wait) => (Outcome::Retrying, Some(*wait)),
        };
        let record = Attempt {
            webhook_id: hook.webhook_id.clone(),
            event_id: event.event_id.clone(),
            event: event.event.as_str().to_string(),
            attempt,
            timestamp: started_ms,
            status_code: status,
            error,
            latency_ms: latency.as_secs_f64() * 1000.0,
            next_retry_at: next.map(|w| ids::now_ms() + w.as_millis() as i64),
            outcome,
        };
        shared.log.record(record, &event);
        match verdict {
            Verdict::Delivered => break true,
            Verdict::GiveUp => break false,
            Verdict::Retry(wait) => {
                c.retried.fetch_add(1, Ordering::Relaxed);
                hook.health.backoff(wait).await;
            }
        }
    };
    let counter = if delivered { &c.succeeded } else { &c.failed };
    counter.fetch_add(1, Ordering::Relaxed);
    shared.pending.done();
}

/// One signed POST. Returns the status and any `Retry-After`, or what went wrong without a status.
async fn send(shared: &Shared, event: &Event, body: &Bytes, hook: &Webhook) -> Result<(u16, Option<Duration>), String> {
    if shared.deny_private_urls {
        // IP literals never reach the resolver: check them here.
        let host = hook.url.host_str().unwrap_or_default().trim_matches(['[', ']']);
        if host.parse::<std::net::IpAddr>().is_ok() {
            crate::guard::ensure_public(&hook.url).map_err(|e| e.to_string())?;
        }
    }
    let timestamp = ids::now_ms() / 1000;
    let signature = hook.signature(&event.event_id, timestamp, body);
    let response = shared
        .client
        .post(hook.url.clone())
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .header("webhook-id", &event.event_id)
        .header("webhook-timestamp", timestamp)
        .header("webhook-signature", signature)
        .timeout(shared.policy.attempt_timeout)
        .body(body.clone())
        .send()
        .await
        .map_err(|e| describe(&e))?;
    let retry_after =
        response.headers().get(reqwest::header::RETRY_AFTER).and_then(|v| v.to_str().ok()).and_then(parse_retry_after);
    Ok((response.status().as_u16(), retry_after))
}

fn describe(e: &reqwest::Error) -> String {
    if e.is_timeout() {
        "timeout".to_string()
    } else if e.is_connect() {
        format!("connection failed: {}", std::error::Error::source(e).map_or(e.to_string(), |s| s.to_string()))
    } else {
        e.to_string()
    }
}
