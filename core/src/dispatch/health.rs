//! Endpoint health: a circuit breaker per webhook, and disabling an endpoint that keeps failing.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use parking_lot::Mutex;
use tokio::sync::Notify;

/// When an endpoint is backed off as a whole, and when it is given up on.
#[derive(Clone, Debug)]
pub struct HealthPolicy {
    /// Consecutive failed attempts that open the circuit. Default 5; `SYNAPSE_BREAKER_THRESHOLD`.
    pub breaker_threshold: u32,
    /// How long an open circuit holds every delivery to the endpoint back before one more try.
    /// Default 30 s; `SYNAPSE_BREAKER_COOLDOWN_MS`.
    pub breaker_cooldown: Duration,
    /// An endpoint failing without a single success for this long is disabled. Default 5 days,
    /// as Svix does; `SYNAPSE_DISABLE_AFTER_MS`.
    pub disable_after: Duration,
}

impl Default for HealthPolicy {
    fn default() -> Self {
        HealthPolicy {
            breaker_threshold: 5,
            breaker_cooldown: Duration::from_secs(30),
            disable_after: Duration::from_secs(5 * 86_400),
        }
    }
}

#[derive(Default)]
struct State {
    consecutive_failures: u32,
    failing_since: Option<Instant>,
    open_until: Option<Instant>,
    disabled_reason: Option<String>,
}

/// One endpoint's health. Deliveries ask [`Health::ready`] before each attempt and report back.
#[derive(Default)]
pub struct Health {
    state: Mutex<State>,
    /// Mirrors `disabled_reason.is_none()`, so the emit path checks it without a lock.
    enabled: AtomicBool,
    /// Set when the webhook is deleted: every wait ends and no attempt is made.
    closed: AtomicBool,
    wake: Notify,
}

impl std::fmt::Debug for Health {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let state = self.state.lock();
        f.debug_struct("Health")
            .field("consecutive_failures", &state.consecutive_failures)
            .field("disabled_reason", &state.disabled_reason)
            .finish()
    }
}

impl Health {
    /// A healthy, enabled endpoint.
    pub fn new() -> Self {
        Health { enabled: AtomicBool::new(true), ..Default::default() }
    }

    /// Whether deliveries are being made.
    pub fn is_enabled(&self) -> bool {
        self.enabled.load(Ordering::Acquire)
    }

    /// Why the endpoint was disabled, if it is.
    pub fn disabled_reason(&self) -> Option<String> {
        self.state.lock().disabled_reason.clone()
    }

    /// Waits until an attempt may be made: the endpoint is enabled and its circuit is not open.
    pub async fn ready(&self) {
        loop {
            let woken = self.wake.notified();
            tokio::pin!(woken);
            // Registered before the check, so an enable() between the check and the await is not missed.
            woken.as_mut().enable();
            if self.is_closed() {
                return;
            }
            let open_until = {
                let state = self.state.lock();
                if state.disabled_reason.is_some() {
                    None
                } else {
                    match state.open_until {
                        Some(until) if until > Instant::now() => Some(until),
                        _ => return,
                    }
                }
            };
            match open_until {
                Some(until) => {
                    tokio::select! {
                        _ = tokio::time::sleep_until(until.into()) => {}
                        _ = woken => {}
                    }
                }
                None => woken.await,
            }
        }
    }

    /// Waits `duration` (a retry's backoff), or less if the webhook is deleted meanwhile.
    pub async fn backoff(&self, duration: Duration) {
        let woken = self.wake.notified();
        tokio::pin!(woken);
        woken.as_mut().enable();
        if self.is_closed() {
            return;
        }
        tokio::select! {
            _ = tokio::time::sleep(duration) => {}
            _ = woken => {}
        }
    }

    /// Whether the webhook was deleted.
    pub fn is_closed(&self) -> bool {
        self.closed.load(Ordering::Acquire)
    }

    /// Ends every wait for good: the webhook was deleted.
    pub fn close(&self) {
        self.closed.store(true, Ordering::Release);
        self.wake.notify_waiters();
    }

    /// A 2xx: the circuit closes and the failure streak ends.
    pub fn succeeded(&self) {
        let mut state = self.state.lock();
        state.consecutive_failures = 0;
        state.failing_since = None;
        state.open_until = None;
    }

    /// A failed attempt. Opens the circuit past the threshold; returns the reason if the endpoint
    /// has now been failing for longer than the policy allows and was disabled.
    pub fn failed(&self, policy: &HealthPolicy) -> Option<String> {
        let now = Instant::now();
        let mut state = self.state.lock();
        state.consecutive_failures += 1;
        let since = *state.failing_since.get_or_insert(now);
        if state.consecutive_failures >= policy.breaker_threshold {
            state.open_until = Some(now + policy.breaker_cooldown);
        }
        if state.disabled_reason.is_none() && now.duration_since(since) >= policy.disable_after {
            let reason = format!("failing without a success for {} s", now.duration_since(since).as_secs());
            drop(state);
            self.disable(reason.clone());
            return Some(reason);
        }
        None
    }

    /// Stops deliveries: pending ones wait for [`Health::enable`], new events are not attempted.
    pub fn disable(&self, reason: String) {
        self.state.lock().disabled_reason = Some(reason);
        self.enabled.store(false, Ordering::Release);
    }

    /// Resumes deliveries with a clean slate; waiting deliveries go at once.
    pub fn enable(&self) {
        *self.state.lock() = State::default();
        self.enabled.store(true, Ordering::Release);
        self.wake.notify_waiters();
    }
}
