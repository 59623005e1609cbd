use serde_json::json;
use synapse_core::{Error, Secret};

use crate::support::engine;

#[test]
fn register_returns_a_secret_and_lists_without_it_in_creation_order() {
    let engine = engine();
    let a = engine.register_webhook("https://example.com/a", &["cell.created", "exec.completed"], None).unwrap();
    let b = engine.register_webhook("http://127.0.0.1:1/b", &["*"], None).unwrap();
    assert!(a.webhook_id.starts_with("wh_") && a.webhook_id.len() == 27);
    let record = a.to_value_with_secret();
    assert!(record["secret"].as_str().unwrap().starts_with("whsec_"));
    assert_eq!(record["events"], json!(["cell.created", "exec.completed"]));
    assert_eq!(record["status"], "enabled");
    let listed: Vec<_> = engine.list_webhooks().iter().map(|h| h.to_value()).collect();
    assert_eq!(listed.len(), 2);
    assert_eq!(listed[0]["webhook_id"], json!(a.webhook_id));
    assert_eq!(listed[1]["webhook_id"], json!(b.webhook_id));
    assert!(listed.iter().all(|w| w.get("secret").is_none()));
    assert_ne!(a.secret(), b.secret());
}

#[test]
fn duplicate_events_are_dropped_in_order() {
    let engine = engine();
    let hook = engine
        .register_webhook("https://example.com/", &["exec.completed", "cell.created", "exec.completed"], None)
        .unwrap();
    assert_eq!(hook.events, vec!["exec.completed", "cell.created"]);
}

#[test]
fn a_given_secret_is_kept() {
    let engine = engine();
    let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    let hook = engine.register_webhook("https://example.com/", &["*"], Some(secret)).unwrap();
    assert_eq!(hook.secret().expose(), secret);
    assert_eq!(format!("{:?}", hook.secret()), "Secret(whsec_…)");
}

#[test]
fn invalid_input_is_rejected_naming_the_field_and_changes_nothing() {
    let engine = engine();
    engine.register_webhook("https://example.com/keep", &["*"], None).unwrap();
    let long = format!("https://example.com/{}", "a".repeat(2048));
    let cases: Vec<(&str, Vec<&str>, Option<&str>, &str)> = vec![
        ("not a url", vec!["*"], None, "url"),
        ("/relative/path", vec!["*"], None, "url"),
        ("ftp://example.com/x", vec!["*"], None, "url"),
        ("http://", vec!["*"], None, "url"),
        (&long, vec!["*"], None, "url"),
        ("https://example.com/", vec![], None, "events"),
        ("https://example.com/", vec!["cell.created", "cell.exploded"], None, "events[1]"),
        ("https://example.com/", vec!["*"], Some("not-a-secret"), "secret"),
        ("https://example.com/", vec!["*"], Some("whsec_c2hvcnQ="), "secret"),
    ];
    for (url, events, secret, field) in cases {
        match engine.register_webhook(url, &events, secret) {
            Err(Error::InvalidArgument { field: f, message }) => {
                assert_eq!(f, field, "{url} {events:?}: {message}");
                assert!(!message.is_empty());
            }
            other => panic!("{url} {events:?} {secret:?}: expected invalid {field}, got {other:?}"),
        }
    }
    let err = engine.register_webhook("https://example.com/", &["nope"], None).unwrap_err();
    assert!(
        err.to_string().contains("cell.created, cell.killed, cell.paused, cell.resumed, exec.completed, *"),
        "{err}"
    );
    assert_eq!(err.code(), "invalid_argument");
    assert_eq!(engine.list_webhooks().len(), 1);
}

#[test]
fn delete_removes_and_unknown_ids_are_not_found() {
    let engine = engine();
    let hook = engine.register_webhook("https://example.com/", &["*"], None).unwrap();
    engine.delete_webhook(&hook.webhook_id).unwrap();
    assert!(engine.list_webhooks().is_empty());
    let err = engine.delete_webhook(&hook.webhook_id).unwrap_err();
    assert!(matches!(err, Error::NotFound { kind: "webhook", .. }), "{err:?}");
    assert_eq!(err.code(), "not_found");
}

#[test]
fn signatures_match_the_standard_webhooks_vectors() {
    let fixtures: serde_json::Value =
        serde_json::from_str(include_str!("../../../tests/fixtures/signatures.json")).unwrap();
    for v in fixtures["vectors"].as_array().unwrap() {
        let secret = Secret::parse(v["secret"].as_str().unwrap()).unwrap();
        let got = secret.sign(
            v["msg_id"].as_str().unwrap(),
            v["timestamp"].as_i64().unwrap(),
            v["payload"].as_str().unwrap().as_bytes(),
        );
        assert_eq!(got, v["signature"].as_str().unwrap());
    }
}
