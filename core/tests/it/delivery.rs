use std::time::{Duration, Instant};

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use hmac::{Hmac, Mac};
use serde_json::json;
use sha2::Sha256;
use synapse_core::{CellOptions, Outcome};

use crate::support::{engine, engine_with, wait_until, Hit, Receiver};

/// Verifies a delivery as a receiver would, from the secret text alone.
fn verify(hit: &Hit, secret: &str) {
    let key = B64.decode(secret.strip_prefix("whsec_").unwrap()).unwrap();
    let signed = format!(
        "{}.{}.{}",
        hit.header("webhook-id"),
        hit.header("webhook-timestamp"),
        String::from_utf8_lossy(&hit.body)
    );
    let mut mac = Hmac::<Sha256>::new_from_slice(&key).unwrap();
    mac.update(signed.as_bytes());
    let expected = format!("v1,{}", B64.encode(mac.finalize().into_bytes()));
    assert!(hit.header("webhook-signature").split(' ').any(|s| s == expected), "bad signature on {hit:?}");
}

#[test]
fn every_event_reaches_a_wildcard_hook_with_its_detail_signed() {
    let engine = engine();
    let rx = Receiver::start();
    let hook = engine.register_webhook(&rx.url("/hooks/synapse"), &["*"], None).unwrap();
    let cell =
        engine.create_cell(CellOptions { metadata: Some(json!({"team": "billing"})), ..Default::default() }).unwrap();
    cell.run("print('hi')", None).unwrap();
    let snap = cell.pause().unwrap();
    cell.resume().unwrap();
    cell.kill().unwrap();
    let hits = rx.wait_for(5);
    assert_eq!(engine.flush(Duration::from_secs(5)), 0);
    let mut by_event: Vec<_> = hits.iter().map(|h| (h.json["event"].as_str().unwrap().to_string(), h)).collect();
    by_event.sort_by_key(|(_, h)| h.json["timestamp"].as_i64());
    let names: Vec<_> = by_event.iter().map(|(n, _)| n.as_str()).collect();
    for name in ["cell.created", "exec.completed", "cell.paused", "cell.resumed", "cell.killed"] {
        assert!(names.contains(&name), "{name} missing from {names:?}");
    }
    for hit in &hits {
        let body = hit.json.as_object().unwrap();
        assert_eq!(body.keys().collect::<Vec<_>>(), ["event", "cell_id", "detail", "timestamp"]);
        assert_eq!(body["cell_id"], json!(cell.id()));
        assert_eq!(hit.header("content-type"), "application/json");
        assert!(hit.header("webhook-id").starts_with("evt_"));
        assert!(hit.header("user-agent").starts_with("synapse-webhooks/"));
        let ts: i64 = hit.header("webhook-timestamp").parse().unwrap();
        assert!((ts - body["timestamp"].as_i64().unwrap() / 1000).abs() <= 5);
        verify(hit, hook.secret().expose());
        let detail = &body["detail"];
        match body["event"].as_str().unwrap() {
            "cell.created" => assert_eq!(detail, &json!({"template": "python3", "metadata": {"team": "billing"}})),
            "exec.completed" => {
                assert!(detail["execution_id"].as_str().unwrap().starts_with("exec_"));
                assert_eq!(detail["exit_code"], 0);
                assert!(detail["latency_ms"].as_f64().unwrap() > 0.0);
                assert_eq!(detail["timed_out"], false);
            }
            "cell.paused" | "cell.resumed" => assert_eq!(detail["snapshot_id"], json!(snap.snapshot_id)),
            "cell.killed" => {
                assert_eq!(detail["reason"], "requested");
                assert!(detail["uptime_ms"].as_f64().unwrap() > 0.0);
            }
            other => panic!("unexpected {other}"),
        }
    }
    // The webhook-id is the event id a query returns.
    let ids: Vec<_> = engine.cell_events(cell.id()).iter().map(|e| e.event_id.clone()).collect();
    assert!(hits.iter().all(|h| ids.contains(&h.header("webhook-id").to_string())));
}

#[test]
fn hooks_get_only_the_events_they_subscribe_to() {
    let engine = engine();
    let rx = Receiver::start();
    engine.register_webhook(&rx.url("/only"), &["cell.created", "exec.completed"], None).unwrap();
    let cell = engine.create_cell(CellOptions::default()).unwrap();
    cell.run("pass", None).unwrap();
    cell.pause().unwrap();
    cell.resume().unwrap();
    cell.kill().unwrap();
    assert_eq!(engine.flush(Duration::from_secs(5)), 0);
    let mut names: Vec<_> = rx.hits().iter().map(|h| h.json["event"].as_str().unwrap().to_string()).collect();
    names.sort();
    assert_eq!(names, ["cell.created", "exec.completed"]);
}

#[test]
fn nothing_is_delivered_after_delete() {
    let engine = engine();
    let rx = Receiver::start();
    let hook = engine.register_webhook(&rx.url("/gone"), &["*"], None).unwrap();
    engine.record_event("cell.created", "c1", None).unwrap();
    rx.wait_for(1);
    engine.delete_webhook(&hook.webhook_id).unwrap();
    engine.record_event("cell.created", "c2", None).unwrap();
    assert_eq!(engine.flush(Duration::from_secs(5)), 0);
    assert_eq!(rx.hits().len(), 1);
}

#[test]
fn a_receiver_failing_then_recovering_gets_the_same_webhook_id() {
    let engine = engine();
    let rx = Receiver::with_script(&[(500, None), (503, None)]);
    let hook = engine.register_webhook(&rx.url("/flaky"), &["*"], None).unwrap();
    let id = engine.record_event("exec.completed", "c", None).unwrap();
    let hits = rx.wait_for(3);
    assert!(hits.iter().all(|h| h.header("webhook-id") == id));
    assert_eq!(engine.flush(Duration::from_secs(5)), 0);
    let log = engine.webhook_deliveries(&hook.webhook_id, 100).unwrap();
    let summary: Vec<_> = log.iter().map(|a| (a.attempt, a.status_code, a.outcome)).collect();
    assert_eq!(
        summary,
        [(1, Some(500), Outcome::Retrying), (2, Some(503), Outcome::Retrying), (3, Some(200), Outcome::Succeeded)]
    );
    let stats = engine.stats();
    assert_eq!((stats.succeeded, stats.retried, stats.failed, stats.pending), (1, 2, 0, 0));
}

#[test]
fn a_client_error_is_not_retried() {
    let engine = engine();
    let rx = Receiver::with_script(&[(400, None)]);
    let hook = engine.register_webhook(&rx.url("/bad"), &["*"], None).unwrap();
    engine.record_event("cell.created", "c", None).unwrap();
    assert_eq!(engine.flush(Duration::from_secs(5)), 0);
    assert_eq!(rx.hits().len(), 1);
    let log = engine.webhook_deliveries(&hook.webhook_id, 10).unwrap();
    assert_eq!(log[0].outcome, Outcome::Failed);
    assert_eq!(engine.stats().failed, 1);
}

#[test]
fn a_dead_endpoint_is_retried_then_failed_with_the_error_logged() {
    let engine = engine();
    let dead = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap();
    let hook = engine.register_webhook(&format!("http://{dead}/"), &["*"], None).unwrap();
    engine.record_event("cell.created", "c", None).unwrap();
    assert_eq!(engine.flush(Duration::from_secs(5)), 0);
    let log = engine.webhook_deliveries(&hook.webhook_id, 10).unwrap();
    assert_eq!(log.len(), 3);
    assert!(log.iter().all(|a| a.status_code.is_none() && a.error.as_deref().unwrap().contains("connection")));
    assert_eq!(log[2].outcome, Outcome::Failed);
}

#[test]
fn retry_after_is_honoured() {
    let engine = engine();
    let rx = Receiver::with_script(&[(429, Some("1"))]);
    engine.register_webhook(&rx.url("/slow-down"), &["*"], None).unwrap();
    engine.record_event("cell.created", "c", None).unwrap();
    let hits = rx.wait_for(2);
    assert!(hits[1].at - hits[0].at >= Duration::from_millis(950), "{:?}", hits[1].at - hits[0].at);
}

#[test]
fn emitting_100k_events_at_a_dead_endpoint_returns_with_memory_bounded() {
    let engine = engine_with(|c| {
        c.max_pending = 5_000;
        c.retry.schedule = vec![Duration::from_secs(60)];
    });
    let dead = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap();
    engine.register_webhook(&format!("http://{dead}/"), &["*"], None).unwrap();
    let started = Instant::now();
    for _ in 0..100_000 {
        engine.record_event("exec.completed", "c", None).unwrap();
    }
    let took = started.elapsed();
    let stats = engine.stats();
    assert_eq!(stats.events_emitted, 100_000);
    assert!(stats.pending <= 5_000, "{stats:?}");
    assert_eq!(stats.deliveries_queued + stats.dropped, 100_000, "every delivery is queued or counted as dropped");
    assert!(engine.global_events(10_000).unwrap().len() <= 10_000);
    // A hang guard, not a benchmark (BENCHMARKS.md has the figures).
    assert!(took < Duration::from_secs(30), "{took:?}");
    engine.delete_webhook(&engine.list_webhooks()[0].webhook_id).unwrap();
}

#[test]
fn flush_reports_what_remains() {
    let engine = engine_with(|c| c.retry.schedule = vec![Duration::from_secs(60)]);
    let rx = Receiver::with_script(&[(503, None)]);
    engine.register_webhook(&rx.url("/later"), &["*"], None).unwrap();
    engine.record_event("cell.created", "c", None).unwrap();
    rx.wait_for(1);
    wait_until(|| engine.stats().retried == 1, "the first attempt to be judged");
    assert_eq!(engine.flush(Duration::from_millis(50)), 1);
}
