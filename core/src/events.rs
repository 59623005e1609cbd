//! The lifecycle events, subscriptions to them, and the event record.

use serde::{Serialize, Serializer};
use serde_json::{Map, Value};

use crate::error::{Error, Result};

/// The subscription that matches every event.
pub const WILDCARD: &str = "*";

/// One of the five lifecycle events.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum EventKind {
    /// `cell.created`: a cell was created.
    CellCreated,
    /// `cell.killed`: a cell was destroyed (requested, timed out or shut down).
    CellKilled,
    /// `cell.paused`: a cell's working directory was snapshotted.
    CellPaused,
    /// `cell.resumed`: a cell was restored from its snapshot.
    CellResumed,
    /// `exec.completed`: a `run()` finished, whatever its exit code.
    ExecCompleted,
}

impl EventKind {
    /// Every event, in the order the documentation lists them.
    pub const ALL: [EventKind; 5] = [
        EventKind::CellCreated,
        EventKind::CellKilled,
        EventKind::CellPaused,
        EventKind::CellResumed,
        EventKind::ExecCompleted,
    ];

    /// The wire name, such as `exec.completed`.
    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::CellCreated => "cell.created",
            EventKind::CellKilled => "cell.killed",
            EventKind::CellPaused => "cell.paused",
            EventKind::CellResumed => "cell.resumed",
            EventKind::ExecCompleted => "exec.completed",
        }
    }

    /// Parses a wire name; `field` names the argument in the error.
    pub fn parse(name: &str, field: &str) -> Result<Self> {
        Self::ALL
            .into_iter()
            .find(|k| k.as_str() == name)
            .ok_or_else(|| Error::invalid(field, format!("unknown event {name:?}; expected one of {}", valid_names())))
    }

    fn bit(self) -> u8 {
        1 << (self as u8)
    }
}

impl std::fmt::Display for EventKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for EventKind {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

fn valid_names() -> String {
    let mut names: Vec<&str> = EventKind::ALL.iter().map(|k| k.as_str()).collect();
    names.push(WILDCARD);
    names.join(", ")
}

/// A set of subscribed events, matched with one AND on the emit path.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EventMask(u8);

impl EventMask {
    /// Whether `kind` is in the set.
    pub fn contains(self, kind: EventKind) -> bool {
        self.0 & kind.bit() != 0
    }

    /// Validates a subscription list: non-empty, each a known name or `*`. Duplicates are dropped and
    /// the order kept, so what the user registered is what they list back.
    pub fn parse<S: AsRef<str>>(events: &[S]) -> Result<(EventMask, Vec<String>)> {
        if events.is_empty() {
            return Err(Error::invalid(
                "events",
                format!("must list at least one event; use [\"*\"] for all of them ({})", valid_names()),
            ));
        }
        let mut mask = 0u8;
        let mut names = Vec::with_capacity(events.len());
        for (i, name) in events.iter().enumerate() {
            let name = name.as_ref();
            let bits = if name == WILDCARD {
                EventKind::ALL.iter().fold(0, |m, k| m | k.bit())
            } else {
                EventKind::parse(name, &format!("events[{i}]"))?.bit()
            };
            if !names.iter().any(|n: &String| n == name) {
                names.push(name.to_string());
            }
            mask |= bits;
        }
        Ok((EventMask(mask), names))
    }
}

/// One event, as queries return it and as the engine stores it.
#[derive(Clone, Debug, Serialize)]
pub struct Event {
    /// `evt_` + hex; also the `webhook-id` of every delivery of this event.
    pub event_id: String,
    /// Which lifecycle event this is.
    pub event: EventKind,
    /// The cell it happened to.
    pub cell_id: String,
    /// Event-specific fields (see the contract's table).
    pub detail: Value,
    /// Milliseconds since the Unix epoch.
    pub timestamp: i64,
}

/// The exact four keys a webhook receiver gets: the record minus its id, which travels in the
/// `webhook-id` header.
#[derive(Serialize)]
struct Payload<'a> {
    event: EventKind,
    cell_id: &'a str,
    detail: &'a Value,
    timestamp: i64,
}

impl Event {
    /// The delivery body: `{"event", "cell_id", "detail", "timestamp"}` as compact JSON.
    pub fn payload(&self) -> Vec<u8> {
        let payload =
            Payload { event: self.event, cell_id: &self.cell_id, detail: &self.detail, timestamp: self.timestamp };
        serde_json::to_vec(&payload).expect("a JSON value always serialises")
    }

    /// The record as a JSON value (what the bindings hand to users).
    pub fn to_value(&self) -> Value {
        serde_json::to_value(self).expect("a JSON value always serialises")
    }
}

/// Validates what an app passes to `record_event`: a known event name (not `*`), a cell id and an
/// object (or nothing) as detail.
pub fn validate_record(event: &str, cell_id: &str, detail: Option<Value>) -> Result<(EventKind, Value)> {
    let kind = EventKind::parse(event, "event")?;
    if cell_id.is_empty() || cell_id.len() > 256 {
        return Err(Error::invalid("cell_id", "must be a non-empty string of at most 256 bytes"));
    }
    let detail = match detail {
        None | Some(Value::Null) => Value::Object(Map::new()),
        Some(v @ Value::Object(_)) => v,
        Some(_) => return Err(Error::invalid("detail", "must be an object (a dict in Python), or omitted")),
    };
    Ok((kind, detail))
}
