//! Integration tests of the engine against real loopback receivers, real interpreters and real
//! files: what a receiver and a caller see.

mod cells;
mod delivery;
mod faults;
mod queries;
mod registry;
mod support;
