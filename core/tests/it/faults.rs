//! A fault-injecting receiver against the delivery guarantees: what the receiver sees, what the
//! attempt log says, and that every accepted event is delivered or visibly failed.

use std::time::Duration;

use synapse_core::{Outcome, Stats};

use crate::support::{engine_with, free_port, resetting_server, wait_until, Receiver, Reply};

fn no_jitter(c: &mut synapse_core::Config) {
    c.retry.jitter = 0.0;
}

/// Every delivery queued was delivered or failed, none left pending or dropped.
fn nothing_lost(stats: &Stats) {
    assert_eq!(stats.pending, 0, "{stats:?}");
    assert_eq!(stats.dropped, 0, "{stats:?}");
    assert_eq!(stats.succeeded + stats.failed, stats.deliveries_queued, "{stats:?}");
}

#[test]
fn retries_follow_the_schedule() {
    let engine = engine_with(|c| {
        no_jitter(c);
        c.retry.schedule = vec![Duration::from_millis(150), Duration::from_millis(300)];
    });
    let rx = Receiver::with_script(&[(500, None), (503, None)]);
    engine.register_webhook(&rx.url("/"), &["*"], None).unwrap();
    engine.record_event("cell.created", "c", None).unwrap();
    let hits = rx.wait_for(3);
    assert!(hits[1].at - hits[0].at >= Duration::from_millis(150), "{:?}", hits[1].at - hits[0].at);
    assert!(hits[2].at - hits[1].at >= Duration::from_millis(300), "{:?}", hits[2].at - hits[1].at);
    assert_eq!(engine.flush(Duration::from_secs(5)), 0);
    nothing_lost(&engine.stats());
}

#[test]
fn an_attempt_that_hangs_past_the_timeout_is_retried() {
    let engine = engine_with(|c| c.retry.attempt_timeout = Duration::from_millis(300));
    let rx = Receiver::with_replies(vec![Reply::Hang(Duration::from_secs(3))], 0);
    let hook = engine.register_webhook(&rx.url("/slow"), &["*"], None).unwrap();
    engine.record_event("cell.created", "c", None).unwrap();
    assert_eq!(engine.flush(Duration::from_secs(5)), 0);
    let log = engine.webhook_deliveries(&hook.webhook_id, 10).unwrap();
    assert_eq!(log[0].error.as_deref(), Some("timeout"));
    assert_eq!(log[0].outcome, Outcome::Retrying);
    assert_eq!(log[1].outcome, Outcome::Succeeded);
    nothing_lost(&engine.stats());
}

#[test]
fn reset_connections_are_retried() {
    let engine = engine_with(|_| {});
    let (addr, answered) = resetting_server(2);
    let hook = engine.register_webhook(&format!("http://{addr}/"), &["*"], None).unwrap();
    engine.record_event("cell.created", "c", None).unwrap();
    assert_eq!(engine.flush(Duration::from_secs(5)), 0);
    let log = engine.webhook_deliveries(&hook.webhook_id, 10).unwrap();
    let outcomes: Vec<_> = log.iter().map(|a| a.outcome).collect();
    assert_eq!(outcomes, [Outcome::Retrying, Outcome::Retrying, Outcome::Succeeded], "{log:?}");
    assert!(log[0].error.is_some() && log[0].status_code.is_none());
    assert_eq!(answered.load(std::sync::atomic::Ordering::SeqCst), 1);
}

#[test]
fn a_receiver_that_starts_late_gets_the_event() {
    let engine = engine_with(|c| c.retry.schedule = vec![Duration::from_millis(300); 10]);
    let port = free_port();
    let hook = engine.register_webhook(&format!("http://127.0.0.1:{port}/late"), &["*"], None).unwrap();
    let id = engine.record_event("cell.created", "c", None).unwrap();
    wait_until(|| !engine.webhook_deliveries(&hook.webhook_id, 10).unwrap().is_empty(), "a refused attempt");
    let rx = Receiver::with_replies(vec![], port);
    let hits = rx.wait_for(1);
    assert_eq!(hits[0].header("webhook-id"), id);
    assert_eq!(engine.flush(Duration::from_secs(5)), 0);
    nothing_lost(&engine.stats());
}

#[test]
fn gone_disables_the_webhook_and_enable_plus_replay_catches_up() {
    let engine = engine_with(|_| {});
    let rx = Receiver::with_script(&[(410, None)]);
    let hook = engine.register_webhook(&rx.url("/gone"), &["*"], None).unwrap();
    engine.record_event("cell.created", "first", None).unwrap();
    assert_eq!(engine.flush(Duration::from_secs(5)), 0);
    assert_eq!(rx.hits().len(), 1, "410 is not retried");
    assert_eq!(engine.list_webhooks()[0].to_value()["status"], "disabled");
    assert_eq!(engine.stats().disabled_endpoints, 1);
    // While disabled, events are logged as not attempted, not sent.
    engine.record_event("cell.created", "second", None).unwrap();
    assert_eq!(engine.flush(Duration::from_secs(5)), 0);
    assert_eq!(rx.hits().len(), 1);
    let log = engine.webhook_deliveries(&hook.webhook_id, 10).unwrap();
    assert_eq!((log[1].attempt, log[1].outcome), (0, Outcome::Failed));
    assert!(log[1].error.as_deref().unwrap().contains("disabled"), "{log:?}");
    engine.enable_webhook(&hook.webhook_id).unwrap();
    assert_eq!(engine.stats().disabled_endpoints, 0);
    assert_eq!(engine.replay_failed(&hook.webhook_id, 0).unwrap(), 2);
    let hits = rx.wait_for(3);
    // Replayed deliveries run concurrently, like any others: compare without order.
    let mut replayed: Vec<_> = hits[1..].iter().map(|h| h.json["cell_id"].as_str().unwrap().to_string()).collect();
    replayed.sort();
    assert_eq!(replayed, ["first", "second"]);
    nothing_lost(&engine.stats());
}

#[test]
fn an_open_circuit_holds_every_delivery_back() {
    let engine = engine_with(|c| {
        c.retry.schedule = vec![Duration::from_millis(10); 6];
        c.health.breaker_threshold = 3;
        c.health.breaker_cooldown = Duration::from_millis(400);
    });
    let port = free_port();
    let hook = engine.register_webhook(&format!("http://127.0.0.1:{port}/"), &["*"], None).unwrap();
    engine.record_event("cell.created", "c", None).unwrap();
    wait_until(|| engine.webhook_deliveries(&hook.webhook_id, 10).unwrap().len() >= 4, "four attempts");
    let log = engine.webhook_deliveries(&hook.webhook_id, 10).unwrap();
    let gap = log[3].timestamp - log[2].timestamp;
    assert!(gap >= 390, "the fourth attempt came {gap} ms after the third, inside the cool-down");
    engine.delete_webhook(&hook.webhook_id).unwrap();
    assert_eq!(engine.flush(Duration::from_secs(5)), 0, "deleting ends the waits");
}

#[test]
fn an_endpoint_failing_too_long_is_disabled_and_resumes_when_enabled() {
    let engine = engine_with(|c| {
        c.retry.schedule = vec![Duration::from_millis(50); 20];
        c.health.disable_after = Duration::from_millis(200);
        // Keep the breaker out of it: an open circuit would space the failures 30 s apart.
        c.health.breaker_threshold = 100;
    });
    let port = free_port();
    let hook = engine.register_webhook(&format!("http://127.0.0.1:{port}/"), &["*"], None).unwrap();
    let id = engine.record_event("cell.created", "c", None).unwrap();
    wait_until(|| engine.list_webhooks()[0].status() == "disabled", "the webhook to be disabled");
    assert!(engine.list_webhooks()[0].disabled_reason().unwrap().contains("failing"));
    // The delivery is parked, not lost.
    assert_eq!(engine.flush(Duration::from_millis(100)), 1);
    let rx = Receiver::with_replies(vec![], port);
    engine.enable_webhook(&hook.webhook_id).unwrap();
    assert_eq!(rx.wait_for(1)[0].header("webhook-id"), id);
    assert_eq!(engine.flush(Duration::from_secs(5)), 0);
    nothing_lost(&engine.stats());
}

#[test]
fn a_rotated_secret_signs_beside_the_old_one() {
    let engine = engine_with(|_| {});
    let rx = Receiver::start();
    let hook = engine.register_webhook(&rx.url("/"), &["*"], None).unwrap();
    let old = hook.secret();
    let rotated = engine.rotate_webhook_secret(&hook.webhook_id, None).unwrap();
    let record = rotated.to_value_with_secret();
    assert_ne!(record["secret"].as_str().unwrap(), old.expose());
    assert!(record["previous_secret_expires_at"].as_i64().unwrap() > synapse_core::ids::now_ms());
    engine.record_event("cell.created", "c", None).unwrap();
    let hit = &rx.wait_for(1)[0];
    let signatures: Vec<_> = hit.header("webhook-signature").split(' ').collect();
    assert_eq!(signatures.len(), 2);
    let ts: i64 = hit.header("webhook-timestamp").parse().unwrap();
    assert_eq!(signatures[0], rotated.secret().sign(hit.header("webhook-id"), ts, &hit.body));
    assert_eq!(signatures[1], old.sign(hit.header("webhook-id"), ts, &hit.body));
    assert!(engine.rotate_webhook_secret(&hook.webhook_id, Some("nope")).is_err());
}

#[test]
fn redeliver_sends_an_event_again_with_the_same_id() {
    let engine = engine_with(|_| {});
    let rx = Receiver::start();
    let hook = engine.register_webhook(&rx.url("/"), &["exec.completed"], None).unwrap();
    let id = engine.record_event("exec.completed", "c", None).unwrap();
    rx.wait_for(1);
    engine.redeliver(&hook.webhook_id, &id).unwrap();
    let hits = rx.wait_for(2);
    assert_eq!(hits[1].header("webhook-id"), id);
    assert_eq!(hits[0].body, hits[1].body);
    let err = engine.redeliver(&hook.webhook_id, "evt_nope").unwrap_err();
    assert_eq!(err.code(), "not_found");
    let other = engine.record_event("cell.created", "c", None).unwrap();
    let err = engine.redeliver(&hook.webhook_id, &other).unwrap_err();
    assert_eq!(err.code(), "invalid_argument");
}

#[test]
fn deleting_a_webhook_ends_its_retries() {
    let engine = engine_with(|c| c.retry.schedule = vec![Duration::from_secs(3600)]);
    let rx = Receiver::with_script(&[(503, None)]);
    let hook = engine.register_webhook(&rx.url("/"), &["*"], None).unwrap();
    engine.record_event("cell.created", "c", None).unwrap();
    wait_until(|| engine.stats().retried == 1, "the first attempt to fail");
    engine.delete_webhook(&hook.webhook_id).unwrap();
    assert_eq!(engine.flush(Duration::from_secs(5)), 0);
    assert_eq!(rx.hits().len(), 1);
}
