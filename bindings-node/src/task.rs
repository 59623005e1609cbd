//! Promises for blocking core calls: the work runs on libuv's thread pool (never on the event
//! loop) and a core error rejects the Promise with a coded `Error`.

use napi::bindgen_prelude::{ToNapiValue, TypeName};
use napi::{Env, Task};
use synapse_core as core;

use crate::error;

/// One call into the core, run off the event loop.
pub struct Job<T> {
    work: Option<Box<dyn FnOnce() -> core::Result<T> + Send>>,
}

impl<T> Job<T> {
    /// Wraps `work` for `AsyncTask::new`.
    pub fn new(work: impl FnOnce() -> core::Result<T> + Send + 'static) -> Self {
        Job { work: Some(Box::new(work)) }
    }
}

impl<T: ToNapiValue + TypeName + Send + 'static> Task for Job<T> {
    type Output = core::Result<T>;
    type JsValue = T;

    fn compute(&mut self) -> napi::Result<Self::Output> {
        let work = self.work.take().expect("a job runs once");
        Ok(work())
    }

    fn resolve(&mut self, env: Env, output: Self::Output) -> napi::Result<T> {
        output.map_err(|e| error::to_js(&env, e))
    }
}
