//! `cargo bench -p synapse-core`: what recording an event costs the caller's thread.
//!
//! A plain timing loop (no harness): each case records events as fast as it can and reports
//! nanoseconds per event, the figure BENCHMARKS.md quotes.

use std::time::{Duration, Instant};

use serde_json::json;
use synapse_core::{Config, Engine};

const EVENTS: u32 = 200_000;

fn measure(name: &str, webhooks: usize, matching: bool) {
    let config = Config { max_pending: usize::MAX / 2, ..Config::default() };
    let engine = Engine::new(config);
    let events: &[&str] = if matching { &["exec.completed"] } else { &["cell.paused"] };
    for _ in 0..webhooks {
        // Port 9 (discard) on loopback refuses at once: deliveries fail off the measured thread.
        engine.register_webhook("http://127.0.0.1:9/hook", events, None).unwrap();
    }
    let detail = json!({"execution_id": "exec_0", "exit_code": 0, "latency_ms": 0.24, "timed_out": false});
    let start = Instant::now();
    for i in 0..EVENTS {
        engine
            .record_event("exec.completed", if i % 2 == 0 { "cell-a" } else { "cell-b" }, Some(detail.clone()))
            .unwrap();
    }
    let per_event = start.elapsed().as_nanos() as f64 / EVENTS as f64;
    println!("{name:<46} {per_event:>8.0} ns/event");
    engine.set_exit_flush_timeout(None);
    engine.flush(Duration::ZERO);
}

fn main() {
    // Cloning the detail is part of each loop; measure it alone so it can be subtracted.
    let detail = json!({"execution_id": "exec_0", "exit_code": 0, "latency_ms": 0.24, "timed_out": false});
    let start = Instant::now();
    for _ in 0..EVENTS {
        std::hint::black_box(detail.clone());
    }
    println!(
        "{:<46} {:>8.0} ns/event",
        "(baseline: cloning the detail)",
        start.elapsed().as_nanos() as f64 / EVENTS as f64
    );
    measure("record_event, no webhooks", 0, false);
    measure("record_event, 10 webhooks, none matching", 10, false);
    measure("record_event, 1 matching webhook", 1, true);
    measure("record_event, 10 matching webhooks", 10, true);
}
