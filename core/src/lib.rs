//! # synapse-core
//!
//! The in-process lifecycle-event and webhook engine behind the Synapse SDKs. Cells emit lifecycle
//! events; the engine stores them in bounded histories and POSTs each one, signed the Standard
//! Webhooks way, to every webhook that subscribes to it, on its own tokio runtime so the code that
//! caused the event never waits on the network.
//!
//! ```no_run
//! use synapse_core::{CellOptions, Engine};
//!
//! let engine = Engine::global()?;
//! let hook = engine.register_webhook("http://127.0.0.1:9000/hooks", &["cell.created", "exec.completed"], None)?;
//! let cell = engine.create_cell(CellOptions::default())?;
//! let out = cell.run("print(6 * 7)", None)?;
//! assert_eq!(out.stdout, "42\n");
//! cell.kill()?;
//! engine.flush(std::time::Duration::from_secs(5));
//! println!("{} delivered to {}", engine.stats().succeeded, hook.url);
//! # Ok::<(), synapse_core::Error>(())
//! ```

#![deny(missing_docs)]

pub mod cells;
pub mod config;
pub mod dispatch;
pub mod engine;
pub mod error;
pub mod events;
pub mod gateway;
pub mod guard;
pub mod ids;
pub mod registry;
pub mod runtime;
pub mod signing;
pub mod store;

pub use cells::{Cell, CellOptions, CellState, Execution, Snapshot, Template};
pub use config::Config;
pub use dispatch::{Attempt, HealthPolicy, Outcome, RetryPolicy, Stats};
pub use engine::Engine;
pub use error::{Error, Result};
pub use events::{Event, EventKind, WILDCARD};
pub use registry::Webhook;
pub use signing::Secret;
