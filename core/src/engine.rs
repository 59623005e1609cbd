//! The engine: one registry, one event store, one dispatcher and the live cells, behind the API the
//! bindings and the gateway expose.

use std::collections::HashMap;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use parking_lot::Mutex;
use serde_json::Value;

use crate::cells::{Cell, CellOptions};
use crate::config::Config;
use crate::dispatch::{Attempt, Dispatcher, Stats};
use crate::error::{Error, Result};
use crate::events::{validate_record, Event, EventKind};
use crate::ids;
use crate::registry::{Registry, Webhook};
use crate::store::EventStore;

/// The lifecycle-event and webhook engine.
pub struct Engine {
    config: Config,
    registry: Registry,
    store: EventStore,
    dispatcher: Dispatcher,
    cells: Mutex<HashMap<String, Cell>>,
    exit_flush_timeout: Mutex<Option<Duration>>,
}

impl Engine {
    /// A new, independent engine. Apps use [`Engine::global`]; tests make their own.
    pub fn new(config: Config) -> Arc<Engine> {
        Arc::new(Engine {
            registry: Registry::new(config.per_endpoint_concurrency),
            store: EventStore::new(config.global_history, config.cell_history, config.max_cell_histories),
            dispatcher: Dispatcher::new(&config),
            cells: Mutex::new(HashMap::new()),
            exit_flush_timeout: Mutex::new(config.exit_flush_timeout),
            config,
        })
    }

    /// The process's engine, configured from the environment on first use.
    pub fn global() -> Result<&'static Arc<Engine>> {
        static GLOBAL: OnceLock<Arc<Engine>> = OnceLock::new();
        if let Some(engine) = GLOBAL.get() {
            return Ok(engine);
        }
        let config = Config::from_env()?;
        Ok(GLOBAL.get_or_init(|| Engine::new(config)))
    }

    /// The settings it runs with.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// Registers a webhook for `events` (names or `*`), with `secret` or a generated one.
    pub fn register_webhook<S: AsRef<str>>(
        &self,
        url: &str,
        events: &[S],
        secret: Option<&str>,
    ) -> Result<Arc<Webhook>> {
        self.registry.register(url, events, secret)
    }

    /// Every webhook, in creation order.
    pub fn list_webhooks(&self) -> Vec<Arc<Webhook>> {
        self.registry.snapshot().to_vec()
    }

    /// Deletes a webhook; its queued and retrying deliveries are abandoned.
    pub fn delete_webhook(&self, webhook_id: &str) -> Result<()> {
        self.registry.delete(webhook_id)?;
        self.dispatcher.log().forget(webhook_id);
        Ok(())
    }

    /// Records an event from a cell backend the app runs itself; returns its `event_id`.
    pub fn record_event(&self, event: &str, cell_id: &str, detail: Option<Value>) -> Result<String> {
        let (kind, detail) = validate_record(event, cell_id, detail)?;
        Ok(self.emit(kind, cell_id, detail).event_id.clone())
    }

    /// Stores an event and queues its deliveries. This is the hot path: no I/O and no waiting.
    pub(crate) fn emit(&self, kind: EventKind, cell_id: &str, detail: Value) -> Arc<Event> {
        let event = Arc::new(Event {
            event_id: ids::new_id("evt_"),
            event: kind,
            cell_id: cell_id.to_string(),
            detail,
            timestamp: ids::now_ms(),
        });
        self.store.push(event.clone());
        self.dispatcher.dispatch(event.clone(), self.registry.snapshot());
        event
    }

    /// The newest `limit` events across all cells, oldest first.
    pub fn global_events(&self, limit: i64) -> Result<Vec<Arc<Event>>> {
        self.store.global(limit)
    }

    /// One cell's events, oldest first.
    pub fn cell_events(&self, cell_id: &str) -> Vec<Arc<Event>> {
        self.store.cell(cell_id)
    }

    /// The newest `limit` delivery attempts to a webhook, oldest first.
    pub fn webhook_deliveries(&self, webhook_id: &str, limit: i64) -> Result<Vec<Attempt>> {
        self.registry.get(webhook_id)?;
        self.dispatcher.log().query(webhook_id, limit)
    }

    /// Waits up to `timeout` for pending deliveries; returns how many remain.
    pub fn flush(&self, timeout: Duration) -> usize {
        self.dispatcher.flush(timeout)
    }

    /// The dispatcher's counters.
    pub fn stats(&self) -> Stats {
        self.dispatcher.stats()
    }

    /// Creates a cell (emits `cell.created`).
    pub fn create_cell(self: &Arc<Self>, options: CellOptions) -> Result<Cell> {
        let cell = Cell::create(self, options)?;
        self.cells.lock().insert(cell.id().to_string(), cell.clone());
        Ok(cell)
    }

    /// A live cell by id.
    pub fn get_cell(&self, cell_id: &str) -> Result<Cell> {
        self.cells.lock().get(cell_id).cloned().ok_or_else(|| Error::NotFound { kind: "cell", id: cell_id.to_string() })
    }

    /// Every live cell.
    pub fn list_cells(&self) -> Vec<Cell> {
        self.cells.lock().values().cloned().collect()
    }

    pub(crate) fn forget_cell(&self, cell_id: &str) {
        self.cells.lock().remove(cell_id);
    }

    /// How long [`Engine::shutdown`] waits for deliveries; `None` does not wait.
    pub fn set_exit_flush_timeout(&self, timeout: Option<Duration>) {
        *self.exit_flush_timeout.lock() = timeout;
    }

    /// The current exit flush timeout.
    pub fn exit_flush_timeout(&self) -> Option<Duration> {
        *self.exit_flush_timeout.lock()
    }

    /// What the process does on its way out: kills every live cell (reason `shutdown`), then waits
    /// for pending deliveries up to the exit flush timeout. Returns how many deliveries remain.
    pub fn shutdown(&self) -> usize {
        let cells: Vec<Cell> = self.cells.lock().drain().map(|(_, c)| c).collect();
        for cell in cells {
            cell.shutdown();
        }
        match self.exit_flush_timeout() {
            Some(timeout) => self.flush(timeout),
            None => self.stats().pending as usize,
        }
    }
}
