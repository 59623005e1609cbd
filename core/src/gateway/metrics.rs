//! `/metrics` in the Prometheus text format, written by hand: a dozen lines do not need a crate.

use std::fmt::Write;

use crate::dispatch::{Metrics, LATENCY_BUCKETS_MS};
use crate::events::EventKind;

/// Renders the engine's counters: events by type, deliveries by outcome, pending, disabled
/// endpoints and the attempt latency histogram.
pub fn render(m: &Metrics) -> String {
    let mut out = String::with_capacity(2048);
    let s = &m.stats;
    out.push_str(
        "# HELP synapse_events_total Lifecycle events recorded, by event.\n# TYPE synapse_events_total counter\n",
    );
    for (kind, n) in EventKind::ALL.iter().zip(m.events_by_kind) {
        let _ = writeln!(out, "synapse_events_total{{event=\"{kind}\"}} {n}");
    }
    out.push_str("# HELP synapse_deliveries_total Deliveries by outcome.\n# TYPE synapse_deliveries_total counter\n");
    for (outcome, n) in [("succeeded", s.succeeded), ("failed", s.failed), ("dropped", s.dropped)] {
        let _ = writeln!(out, "synapse_deliveries_total{{outcome=\"{outcome}\"}} {n}");
    }
    let _ = writeln!(
        out,
        "# HELP synapse_delivery_retries_total Attempts that failed and were scheduled again.\n# TYPE synapse_delivery_retries_total counter\nsynapse_delivery_retries_total {}",
        s.retried
    );
    let _ = writeln!(
        out,
        "# HELP synapse_deliveries_pending Deliveries queued, in flight or waiting to retry.\n# TYPE synapse_deliveries_pending gauge\nsynapse_deliveries_pending {}",
        s.pending
    );
    let _ = writeln!(
        out,
        "# HELP synapse_webhooks_disabled Webhooks disabled now.\n# TYPE synapse_webhooks_disabled gauge\nsynapse_webhooks_disabled {}",
        s.disabled_endpoints
    );
    out.push_str("# HELP synapse_delivery_attempt_seconds Latency of delivery attempts.\n# TYPE synapse_delivery_attempt_seconds histogram\n");
    let mut cumulative = 0;
    for (bound, n) in LATENCY_BUCKETS_MS.iter().zip(m.latency_buckets) {
        cumulative += n;
        let _ = writeln!(out, "synapse_delivery_attempt_seconds_bucket{{le=\"{}\"}} {cumulative}", bound / 1000.0);
    }
    let _ = writeln!(out, "synapse_delivery_attempt_seconds_bucket{{le=\"+Inf\"}} {}", m.attempts);
    let _ = writeln!(out, "synapse_delivery_attempt_seconds_sum {}", m.latency_sum_s);
    let _ = writeln!(out, "synapse_delivery_attempt_seconds_count {}", m.attempts);
    out
}
