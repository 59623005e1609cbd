use serde_json::json;
use synapse_core::{Config, Engine, Error};

use crate::support::engine;

#[test]
fn global_events_are_the_newest_limit_oldest_first() {
    let engine = engine();
    for i in 0..250 {
        engine.record_event("exec.completed", &format!("cell-{}", i % 3), Some(json!({ "n": i }))).unwrap();
    }
    let default = engine.global_events(100).unwrap();
    assert_eq!(default.len(), 100);
    assert_eq!(default[0].detail["n"], 150);
    assert_eq!(default[99].detail["n"], 249);
    assert!(default.windows(2).all(|w| w[0].timestamp <= w[1].timestamp));
    assert_eq!(engine.global_events(1000).unwrap().len(), 250);
    assert!(engine.global_events(0).unwrap().is_empty());
    let err = engine.global_events(-1).unwrap_err();
    assert!(matches!(err, Error::InvalidArgument { ref field, .. } if field == "limit"), "{err}");
}

#[test]
fn the_global_history_keeps_its_capacity() {
    let engine = Engine::new(Config { global_history: 1000, ..Config::default() });
    for i in 0..1500 {
        engine.record_event("cell.created", "c", Some(json!({ "n": i }))).unwrap();
    }
    let all = engine.global_events(1000).unwrap();
    assert_eq!(all.len(), 1000);
    assert_eq!(all[0].detail["n"], 500);
}

#[test]
fn cell_events_hold_only_that_cell_in_order() {
    let engine = engine();
    engine.record_event("cell.created", "a", None).unwrap();
    engine.record_event("cell.created", "b", None).unwrap();
    engine.record_event("exec.completed", "a", Some(json!({"exit_code": 0}))).unwrap();
    let a = engine.cell_events("a");
    assert_eq!(a.iter().map(|e| e.event.as_str()).collect::<Vec<_>>(), ["cell.created", "exec.completed"]);
    assert!(engine.cell_events("nobody").is_empty());
    let record = a[1].to_value();
    assert_eq!(
        record.as_object().unwrap().keys().collect::<Vec<_>>(),
        ["event_id", "event", "cell_id", "detail", "timestamp"]
    );
    assert!(record["event_id"].as_str().unwrap().starts_with("evt_"));
}

#[test]
fn record_event_validates_its_input() {
    let engine = engine();
    let bad = [
        ("cell.exploded", "c", None, "event"),
        ("*", "c", None, "event"),
        ("cell.created", "", None, "cell_id"),
        ("cell.created", "c", Some(json!([1, 2])), "detail"),
    ];
    for (event, cell, detail, field) in bad {
        let err = engine.record_event(event, cell, detail).unwrap_err();
        assert!(matches!(err, Error::InvalidArgument { field: ref f, .. } if f == field), "{err}");
    }
    assert!(engine.global_events(100).unwrap().is_empty());
}
