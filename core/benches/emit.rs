//! `cargo bench -p synapse-core`: what recording an event costs the caller's thread.
//!
//! A plain timing loop (no harness): each case records events as fast as it can, with webhooks
//! pointing at a real receiver on 127.0.0.1 that answers 204, and reports the caller's CPU time and
//! wall time per event (the figures BENCHMARKS.md quotes), then how long delivering them all took.

use std::time::{Duration, Instant};

use serde_json::json;
use synapse_core::runtime::runtime;
use synapse_core::{Config, Engine};

const EVENTS: u32 = 10_000;

/// CPU time of the calling thread: what the app pays, without the time the scheduler gave the
/// engine's own workers on a busy two-core machine.
fn thread_cpu() -> Duration {
    let mut ts = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: clock_gettime writes into the timespec we own.
    unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32)
}

fn receiver() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let addr = listener.local_addr().unwrap();
    let app = axum::Router::new().route("/hook", axum::routing::post(|| async { axum::http::StatusCode::NO_CONTENT }));
    runtime().spawn(async move {
        axum::serve(tokio::net::TcpListener::from_std(listener).unwrap(), app).await.unwrap();
    });
    format!("http://{addr}/hook")
}

fn measure(url: &str, name: &str, webhooks: usize, matching: bool) {
    let engine = Engine::new(Config { max_pending: 1_000_000, ..Config::default() });
    let events: &[&str] = if matching { &["exec.completed"] } else { &["cell.paused"] };
    for _ in 0..webhooks {
        engine.register_webhook(url, events, None).unwrap();
    }
    let detail = json!({"execution_id": "exec_0", "exit_code": 0, "latency_ms": 0.24, "timed_out": false});
    let (start, cpu_start) = (Instant::now(), thread_cpu());
    for i in 0..EVENTS {
        let cell = if i % 2 == 0 { "cell-a" } else { "cell-b" };
        engine.record_event("exec.completed", cell, Some(detail.clone())).unwrap();
    }
    let wall = start.elapsed().as_nanos() as f64 / EVENTS as f64;
    let cpu = (thread_cpu() - cpu_start).as_nanos() as f64 / EVENTS as f64;
    let left = engine.flush(Duration::from_secs(120));
    let delivered = engine.stats().succeeded;
    let rate = delivered as f64 / start.elapsed().as_secs_f64();
    println!("{name:<40} {cpu:>6.0} ns caller CPU {wall:>6.0} ns wall | {delivered:>6} delivered, {rate:>6.0}/s, {left} left");
}

fn main() {
    let url = receiver();
    let detail = json!({"execution_id": "exec_0", "exit_code": 0, "latency_ms": 0.24, "timed_out": false});
    let start = Instant::now();
    for _ in 0..EVENTS {
        std::hint::black_box(detail.clone());
    }
    let clone = start.elapsed().as_nanos() as f64 / EVENTS as f64;
    println!("per event, {EVENTS} events a case (cloning the detail alone: {clone:.0} ns)");
    measure(&url, "(warm-up: allocator and page faults)", 0, false);
    measure(&url, "record_event, no webhooks", 0, false);
    measure(&url, "record_event, 10 webhooks, none matching", 10, false);
    measure(&url, "record_event, 1 matching webhook", 1, true);
    measure(&url, "record_event, 10 matching webhooks", 10, true);
}
