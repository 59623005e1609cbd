//! The native face of the Synapse engine for Node. Every rule lives in `synapse-core`; this crate
//! converts arguments, results and errors, and runs anything that waits off the event loop.

mod cells;
mod error;
mod records;
mod task;
