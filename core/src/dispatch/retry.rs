//! The retry policy as data: which outcomes are retried, after how long.

use std::time::{Duration, SystemTime};

/// When to try a delivery again. The defaults follow Svix: 8 attempts spread over about a day,
/// ±20% jitter, a 15 s per-attempt timeout.
#[derive(Clone, Debug)]
pub struct RetryPolicy {
    /// The wait before attempt 2, 3, …; its length is the number of retries. Default
    /// 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h; `SYNAPSE_RETRY_SCHEDULE_MS`.
    pub schedule: Vec<Duration>,
    /// Each wait is scaled by a random factor in `1 ± jitter`, so a receiver that comes back is not
    /// hit by every retry at once. Default 0.2.
    pub jitter: f64,
    /// The most a `Retry-After` header may stretch one wait. Default 1 h.
    pub retry_after_cap: Duration,
    /// How long one attempt may take, connection included. Default 15 s;
    /// `SYNAPSE_ATTEMPT_TIMEOUT_MS`.
    pub attempt_timeout: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        let s = Duration::from_secs;
        RetryPolicy {
            schedule: vec![s(5), s(300), s(1800), s(7200), s(18_000), s(36_000), s(36_000)],
            jitter: 0.2,
            retry_after_cap: s(3600),
            attempt_timeout: s(15),
        }
    }
}

/// What one attempt came to, as far as retrying is concerned.
#[derive(Clone, Debug, PartialEq)]
pub enum Verdict {
    /// A 2xx: done.
    Delivered,
    /// Worth another attempt after this wait.
    Retry(Duration),
    /// Not worth another attempt (a 4xx other than 408/429, or the schedule is used up).
    GiveUp,
}

/// Whether a status is worth retrying: 408, 429 and every 5xx.
pub fn should_retry(status: u16) -> bool {
    status == 408 || status == 429 || (500..600).contains(&status)
}

impl RetryPolicy {
    /// Judges attempt number `attempt` (from 1): `status` is `None` for a connection error or a
    /// timeout; `retry_after` is the receiver's `Retry-After`, if any.
    pub fn judge(&self, attempt: u32, status: Option<u16>, retry_after: Option<Duration>) -> Verdict {
        match status {
            Some(s) if (200..300).contains(&s) => return Verdict::Delivered,
            Some(s) if !should_retry(s) => return Verdict::GiveUp,
            _ => {}
        }
        let Some(base) = self.schedule.get(attempt as usize - 1) else {
            return Verdict::GiveUp;
        };
        let factor = 1.0 + self.jitter * (fastrand::f64() * 2.0 - 1.0);
        let wait = Duration::try_from_secs_f64(base.as_secs_f64() * factor.max(0.0)).unwrap_or(*base);
        // A receiver's Retry-After is honoured as a floor, clamped so a hostile or buggy header
        // cannot park a delivery for days.
        Verdict::Retry(retry_after.map_or(wait, |ra| wait.max(ra.min(self.retry_after_cap))))
    }

    /// The attempts a delivery gets at most.
    pub fn max_attempts(&self) -> u32 {
        self.schedule.len() as u32 + 1
    }
}

/// Parses a `Retry-After` value: delay seconds or an HTTP date.
pub fn parse_retry_after(value: &str) -> Option<Duration> {
    let value = value.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let when = httpdate::parse_http_date(value).ok()?;
    Some(when.duration_since(SystemTime::now()).unwrap_or(Duration::ZERO))
}
