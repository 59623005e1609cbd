//! The in-memory event history: a global ring and one ring per cell, both bounded.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;

use parking_lot::Mutex;

use crate::error::{Error, Result};
use crate::events::Event;

/// Bounded histories of events. Appending is O(1) under one short lock; queries copy out at most
/// `limit` records, so they cost O(limit) whatever the history holds.
pub struct EventStore {
    inner: Mutex<Inner>,
    global_capacity: usize,
    cell_capacity: usize,
    max_cells: usize,
}

struct Inner {
    global: VecDeque<Arc<Event>>,
    cells: HashMap<String, VecDeque<Arc<Event>>>,
    /// Cell ids in the order their history began, so the oldest history goes first when there are
    /// more than `max_cells` of them.
    cell_order: VecDeque<String>,
}

impl EventStore {
    /// A store keeping the newest `global_capacity` events overall, the newest `cell_capacity` per
    /// cell, and the histories of at most `max_cells` cells.
    pub fn new(global_capacity: usize, cell_capacity: usize, max_cells: usize) -> Self {
        EventStore {
            inner: Mutex::new(Inner {
                global: VecDeque::with_capacity(global_capacity.min(4096)),
                cells: HashMap::new(),
                cell_order: VecDeque::new(),
            }),
            global_capacity: global_capacity.max(1),
            cell_capacity: cell_capacity.max(1),
            max_cells: max_cells.max(1),
        }
    }

    /// Appends an event to the global history and to its cell's.
    pub fn push(&self, event: Arc<Event>) {
        let mut inner = self.inner.lock();
        if inner.global.len() == self.global_capacity {
            inner.global.pop_front();
        }
        inner.global.push_back(event.clone());
        if let Some(history) = inner.cells.get_mut(&event.cell_id) {
            if history.len() == self.cell_capacity {
                history.pop_front();
            }
            history.push_back(event);
            return;
        }
        if inner.cell_order.len() == self.max_cells {
            if let Some(oldest) = inner.cell_order.pop_front() {
                inner.cells.remove(&oldest);
            }
        }
        inner.cell_order.push_back(event.cell_id.clone());
        let mut history = VecDeque::with_capacity(8);
        let cell_id = event.cell_id.clone();
        history.push_back(event);
        inner.cells.insert(cell_id, history);
    }

    /// The newest `limit` events across all cells, oldest first.
    pub fn global(&self, limit: i64) -> Result<Vec<Arc<Event>>> {
        let limit = self.check_limit(limit)?;
        let inner = self.inner.lock();
        let skip = inner.global.len().saturating_sub(limit);
        Ok(inner.global.range(skip..).cloned().collect())
    }

    /// Every stored event of one cell, oldest first (empty for a cell with no events).
    pub fn cell(&self, cell_id: &str) -> Vec<Arc<Event>> {
        let inner = self.inner.lock();
        inner.cells.get(cell_id).map(|h| h.iter().cloned().collect()).unwrap_or_default()
    }

    /// An event still in the global history, by id (a scan: for on-demand redelivery only).
    pub fn find(&self, event_id: &str) -> Option<Arc<Event>> {
        self.inner.lock().global.iter().rev().find(|e| e.event_id == event_id).cloned()
    }

    /// How many events the global history can hold.
    pub fn global_capacity(&self) -> usize {
        self.global_capacity
    }

    fn check_limit(&self, limit: i64) -> Result<usize> {
        if limit < 0 || limit as u64 > self.global_capacity as u64 {
            return Err(Error::invalid(
                "limit",
                format!("must be between 0 and {} (the global history's size), got {limit}", self.global_capacity),
            ));
        }
        Ok(limit as usize)
    }
}
