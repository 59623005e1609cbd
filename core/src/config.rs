//! Engine settings: every knob with its default and the environment variable that sets it, read once.

use std::path::PathBuf;
use std::time::Duration;

use crate::dispatch::{HealthPolicy, RetryPolicy};
use crate::error::{Error, Result};

/// Engine settings. `Config::default()` holds the defaults; [`Config::from_env`] applies the
/// `SYNAPSE_*` environment variables on top.
#[derive(Clone, Debug)]
pub struct Config {
    /// Events kept in the global history. Default 10,000; `SYNAPSE_GLOBAL_HISTORY`.
    pub global_history: usize,
    /// Events kept per cell. Default 1,000; `SYNAPSE_CELL_HISTORY`.
    pub cell_history: usize,
    /// Cells whose histories are kept (the oldest history goes first). Default 10,000;
    /// `SYNAPSE_MAX_CELL_HISTORIES`.
    pub max_cell_histories: usize,
    /// Deliveries queued or retrying at once; past it new deliveries are dropped and counted in
    /// `stats().dropped`. Default 10,000; `SYNAPSE_MAX_PENDING`.
    pub max_pending: usize,
    /// HTTP requests in flight across all endpoints. Default 64; `SYNAPSE_MAX_IN_FLIGHT`.
    pub max_in_flight: usize,
    /// HTTP requests in flight to one webhook. Default 8; `SYNAPSE_PER_ENDPOINT_CONCURRENCY`.
    pub per_endpoint_concurrency: usize,
    /// Retry schedule, jitter and per-attempt timeout. See [`RetryPolicy`].
    pub retry: RetryPolicy,
    /// Circuit breaker and disabling of endpoints that keep failing. See [`HealthPolicy`].
    pub health: HealthPolicy,
    /// How long a rotated-out secret keeps signing beside the new one. Default 24 h;
    /// `SYNAPSE_SECRET_OVERLAP_MS`.
    pub secret_overlap: Duration,
    /// Attempts remembered per webhook in the delivery log. Default 1,000; `SYNAPSE_ATTEMPT_LOG`.
    pub attempt_log: usize,
    /// How long pending deliveries are awaited when the process exits; `None` skips the wait.
    /// Default 5 s; `SYNAPSE_EXIT_FLUSH_TIMEOUT_MS` (0 turns it off).
    pub exit_flush_timeout: Option<Duration>,
    /// A cell idle this long is killed with reason `timeout`. Default 300 s; per cell `timeout_ms`.
    pub cell_timeout: Duration,
    /// A `run()` longer than this is stopped and reported with `timed_out: true`. Default 60 s;
    /// `SYNAPSE_RUN_TIMEOUT_MS`, or per call.
    pub run_timeout: Duration,
    /// Refuse webhook URLs that resolve to private, loopback or link-local addresses, at
    /// registration and at delivery (for gateways reachable from other hosts). Default off;
    /// `SYNAPSE_DENY_PRIVATE_URLS=1`.
    pub deny_private_urls: bool,
    /// Where cells keep their working directories and snapshots. Default `$SYNAPSE_HOME/cells`, or
    /// a `synapse-<pid>` folder in the system's temporary directory when `SYNAPSE_HOME` is unset.
    pub cells_dir: PathBuf,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            global_history: 10_000,
            cell_history: 1_000,
            max_cell_histories: 10_000,
            max_pending: 10_000,
            max_in_flight: 64,
            per_endpoint_concurrency: 8,
            retry: RetryPolicy::default(),
            health: HealthPolicy::default(),
            secret_overlap: Duration::from_secs(86_400),
            attempt_log: 1_000,
            exit_flush_timeout: Some(Duration::from_secs(5)),
            cell_timeout: Duration::from_secs(300),
            run_timeout: Duration::from_secs(60),
            deny_private_urls: false,
            cells_dir: std::env::temp_dir().join(format!("synapse-{}", std::process::id())).join("cells"),
        }
    }
}

impl Config {
    /// The defaults with the `SYNAPSE_*` environment variables applied. A malformed variable is an
    /// invalid-argument error naming it.
    pub fn from_env() -> Result<Self> {
        let mut c = Config::default();
        let count = |name: &str, into: &mut usize| -> Result<()> {
            if let Some(v) = env_u64(name)? {
                *into = v.max(1) as usize;
            }
            Ok(())
        };
        count("SYNAPSE_GLOBAL_HISTORY", &mut c.global_history)?;
        count("SYNAPSE_CELL_HISTORY", &mut c.cell_history)?;
        count("SYNAPSE_MAX_CELL_HISTORIES", &mut c.max_cell_histories)?;
        count("SYNAPSE_MAX_PENDING", &mut c.max_pending)?;
        count("SYNAPSE_MAX_IN_FLIGHT", &mut c.max_in_flight)?;
        count("SYNAPSE_PER_ENDPOINT_CONCURRENCY", &mut c.per_endpoint_concurrency)?;
        count("SYNAPSE_ATTEMPT_LOG", &mut c.attempt_log)?;
        if let Some(ms) = env_u64("SYNAPSE_EXIT_FLUSH_TIMEOUT_MS")? {
            c.exit_flush_timeout = (ms > 0).then(|| Duration::from_millis(ms));
        }
        if let Some(ms) = env_u64("SYNAPSE_RUN_TIMEOUT_MS")? {
            c.run_timeout = Duration::from_millis(ms.max(1));
        }
        if let Some(ms) = env_u64("SYNAPSE_ATTEMPT_TIMEOUT_MS")? {
            c.retry.attempt_timeout = Duration::from_millis(ms.max(1));
        }
        if let Some(n) = env_u64("SYNAPSE_BREAKER_THRESHOLD")? {
            c.health.breaker_threshold = n.clamp(1, u32::MAX as u64) as u32;
        }
        let millis = |name: &str, into: &mut Duration| -> Result<()> {
            if let Some(ms) = env_u64(name)? {
                *into = Duration::from_millis(ms);
            }
            Ok(())
        };
        millis("SYNAPSE_BREAKER_COOLDOWN_MS", &mut c.health.breaker_cooldown)?;
        millis("SYNAPSE_DISABLE_AFTER_MS", &mut c.health.disable_after)?;
        millis("SYNAPSE_SECRET_OVERLAP_MS", &mut c.secret_overlap)?;
        if let Ok(list) = std::env::var("SYNAPSE_RETRY_SCHEDULE_MS") {
            c.retry.schedule = parse_schedule(&list)?;
        }
        if let Ok(v) = std::env::var("SYNAPSE_DENY_PRIVATE_URLS") {
            c.deny_private_urls = match v.trim() {
                "1" | "true" | "yes" => true,
                "0" | "false" | "no" | "" => false,
                _ => return Err(Error::invalid("SYNAPSE_DENY_PRIVATE_URLS", format!("must be 1 or 0, got {v:?}"))),
            };
        }
        if let Some(home) = std::env::var_os("SYNAPSE_HOME").filter(|h| !h.is_empty()) {
            c.cells_dir = PathBuf::from(home).join("cells");
        }
        Ok(c)
    }
}

/// Converts a caller's timeout in milliseconds, rejecting negative and non-finite values.
pub fn duration_from_ms(field: &str, ms: f64) -> Result<Duration> {
    Duration::try_from_secs_f64(ms / 1000.0)
        .map_err(|_| Error::invalid(field, format!("must be a finite, non-negative duration, got {ms} ms")))
}

fn env_u64(name: &str) -> Result<Option<u64>> {
    match std::env::var(name) {
        Ok(v) => {
            v.trim().parse().map(Some).map_err(|_| Error::invalid(name, format!("must be a whole number, got {v:?}")))
        }
        Err(_) => Ok(None),
    }
}

fn parse_schedule(list: &str) -> Result<Vec<Duration>> {
    list.split(',')
        .filter(|s| !s.trim().is_empty())
        .map(|s| {
            s.trim().parse::<u64>().map(Duration::from_millis).map_err(|_| {
                Error::invalid(
                    "SYNAPSE_RETRY_SCHEDULE_MS",
                    format!(
                        "must be comma-separated milliseconds between attempts, e.g. \"5000,300000\"; got {list:?}"
                    ),
                )
            })
        })
        .collect()
}
