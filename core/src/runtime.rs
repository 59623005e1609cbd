//! The one tokio runtime of the process: deliveries, retries, timers and child processes run here,
//! never on the caller's thread.

use std::future::Future;
use std::sync::OnceLock;

use tokio::runtime::{Builder, Runtime};

/// The engine's runtime, started on first use with two worker threads: delivery work is I/O-bound,
/// and the machines this runs on are the user's.
pub fn runtime() -> &'static Runtime {
    static RUNTIME: OnceLock<Runtime> = OnceLock::new();
    RUNTIME.get_or_init(|| {
        Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("synapse-worker")
            .enable_all()
            .build()
            .expect("the synapse runtime starts")
    })
}

/// Runs a future to completion from a thread outside the runtime (a binding's caller, with the GIL
/// released or on a libuv worker).
pub fn block_on<F: Future>(future: F) -> F::Output {
    runtime().block_on(future)
}
