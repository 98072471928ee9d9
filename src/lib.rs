//! The `trappan` command: serve any service or the whole suite, migrate stores, print dev tokens, seed
//! the demo municipality.
//!
//! # Layout
//! - [`cli`]: the command line and what each command does.
//! - [`suite`]: starting one service or all four on listeners.
//! - [`demo`]: the demo municipality loaded through the public API.
//! - [`loadgen`]: the load generator, measuring calls beside a bare tonic baseline.
//! - [`progress`]: progress of long command-line work (a bar on a terminal, periodic lines in logs).

pub mod cli;
pub mod demo;
pub mod loadgen;
pub mod progress;
pub mod suite;
