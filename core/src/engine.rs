//! The engine: one registry, one event store, one dispatcher and the live cells, behind the API the
//! bindings and the gateway expose.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
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

static GLOBAL: OnceLock<Arc<Engine>> = OnceLock::new();

/// The lifecycle-event and webhook engine.
pub struct Engine {
    config: Config,
    registry: Registry,
    store: EventStore,
    dispatcher: Dispatcher,
    cells: Mutex<HashMap<String, Cell>>,
    exit_flush_timeout: Mutex<Option<Duration>>,
    shut_down: AtomicBool,
}

impl Engine {
    /// A new, independent engine. Apps use [`Engine::global`]; tests make their own.
    pub fn new(config: Config) -> Arc<Engine> {
        Arc::new(Engine {
            registry: Registry::new(config.per_endpoint_concurrency, config.deny_private_urls),
            store: EventStore::new(config.global_history, config.cell_history, config.max_cell_histories),
            dispatcher: Dispatcher::new(&config),
            cells: Mutex::new(HashMap::new()),
            exit_flush_timeout: Mutex::new(config.exit_flush_timeout),
            shut_down: AtomicBool::new(false),
            config,
        })
    }

    /// The process's engine, configured from the environment on first use.
    pub fn global() -> Result<&'static Arc<Engine>> {
        if let Some(engine) = GLOBAL.get() {
            return Ok(engine);
        }
        let config = Config::from_env()?;
        Ok(GLOBAL.get_or_init(|| Engine::new(config)))
    }

    /// Makes the process's engine with `config`; an invalid-state error if it already exists.
    pub fn init_global(config: Config) -> Result<&'static Arc<Engine>> {
        let mut fresh = false;
        let engine = GLOBAL.get_or_init(|| {
            fresh = true;
            Engine::new(config)
        });
        if !fresh {
            return Err(Error::InvalidState("the engine was already started; configure it before first use".into()));
        }
        Ok(engine)
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

    /// One webhook by id.
    pub fn get_webhook(&self, webhook_id: &str) -> Result<Arc<Webhook>> {
        self.registry.get(webhook_id)
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

    /// Sends one event to one webhook again (a new delivery, same `webhook-id`). The event is looked
    /// up in the webhook's attempt log, then in the global history.
    pub fn redeliver(&self, webhook_id: &str, event_id: &str) -> Result<()> {
        let hook = self.registry.get(webhook_id)?;
        let event = self
            .dispatcher
            .log()
            .find_event(webhook_id, event_id)
            .or_else(|| self.store.find(event_id))
            .ok_or_else(|| Error::NotFound { kind: "event", id: event_id.to_string() })?;
        if !hook.mask.contains(event.event) {
            return Err(Error::invalid(
                "event_id",
                format!("{webhook_id} does not subscribe to {}; register one that does", event.event),
            ));
        }
        self.dispatcher.redeliver(event, hook)
    }

    /// Sends again every event whose delivery to this webhook last failed at or after `since_ms`
    /// (ms since the epoch; 0 for all the log holds). Returns how many were queued.
    pub fn replay_failed(&self, webhook_id: &str, since_ms: i64) -> Result<usize> {
        let hook = self.registry.get(webhook_id)?;
        let events = self.dispatcher.log().failed_since(webhook_id, since_ms);
        let count = events.len();
        for event in events {
            self.dispatcher.redeliver(event, hook.clone())?;
        }
        Ok(count)
    }

    /// Gives a webhook a new secret (`secret`, or a generated one). For the configured overlap
    /// (24 h by default) deliveries carry signatures by both.
    pub fn rotate_webhook_secret(&self, webhook_id: &str, secret: Option<&str>) -> Result<Arc<Webhook>> {
        self.registry.rotate_secret(webhook_id, secret, self.config.secret_overlap)
    }

    /// Re-enables a disabled webhook: its parked deliveries resume at once.
    pub fn enable_webhook(&self, webhook_id: &str) -> Result<Arc<Webhook>> {
        let hook = self.registry.get(webhook_id)?;
        hook.health.enable();
        Ok(hook)
    }

    /// Disables a webhook: pending deliveries wait, new events are logged as not attempted.
    pub fn disable_webhook(&self, webhook_id: &str) -> Result<Arc<Webhook>> {
        let hook = self.registry.get(webhook_id)?;
        hook.health.disable("disabled by the user".to_string());
        Ok(hook)
    }

    /// Waits up to `timeout` for pending deliveries; returns how many remain.
    pub fn flush(&self, timeout: Duration) -> usize {
        self.dispatcher.flush(timeout)
    }

    /// Counters and the attempt latency histogram, for `/metrics`.
    pub fn metrics(&self) -> crate::dispatch::Metrics {
        crate::dispatch::Metrics { stats: self.stats(), ..self.dispatcher.metrics() }
    }

    /// The dispatcher's counters.
    pub fn stats(&self) -> Stats {
        let disabled = self.registry.snapshot().iter().filter(|h| !h.health.is_enabled()).count();
        Stats { disabled_endpoints: disabled as u64, ..self.dispatcher.stats() }
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

    /// Best effort, and only empty folders: the cells folder, and the per-process temporary folder
    /// that holds it when `SYNAPSE_HOME` is unset.
    fn remove_empty_state_dirs(&self) {
        let cells = &self.config.cells_dir;
        let _ = std::fs::remove_dir(cells);
        if let Some(parent) = cells.parent().filter(|p| p.parent() == Some(std::env::temp_dir().as_path())) {
            if parent.file_name().is_some_and(|n| n.to_string_lossy().starts_with("synapse-")) {
                let _ = std::fs::remove_dir(parent);
            }
        }
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
    /// for pending deliveries up to the exit flush timeout. Returns how many deliveries remain. Only
    /// the first call waits (the gateway shuts down, then the interpreter's exit hook runs again).
    pub fn shutdown(&self) -> usize {
        if self.shut_down.swap(true, Ordering::AcqRel) {
            return self.stats().pending as usize;
        }
        let cells: Vec<Cell> = self.cells.lock().drain().map(|(_, c)| c).collect();
        for cell in cells {
            cell.shutdown();
        }
        self.remove_empty_state_dirs();
        match self.exit_flush_timeout() {
            Some(timeout) => self.flush(timeout),
            None => self.stats().pending as usize,
        }
    }
}
