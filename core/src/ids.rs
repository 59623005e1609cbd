//! Prefixed random identifiers (`wh_`, `evt_`, `exec_`, `snap_`) and timestamps.

use std::fmt::Write;
use std::time::{SystemTime, UNIX_EPOCH};

/// A new id: `prefix` followed by 24 hex digits (96 random bits), unique enough that two processes
/// sharing a store never collide in practice.
pub fn new_id(prefix: &str) -> String {
    let mut id = String::with_capacity(prefix.len() + 24);
    id.push_str(prefix);
    // fastrand is a per-thread generator: no syscall and no lock on the emit path.
    let _ = write!(id, "{:016x}{:08x}", fastrand::u64(..), fastrand::u32(..));
    id
}

/// A new cell id: a random (version 4) UUID.
pub fn new_cell_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// Milliseconds since the Unix epoch, as event records carry them.
pub fn now_ms() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_millis() as i64).unwrap_or(0)
}
