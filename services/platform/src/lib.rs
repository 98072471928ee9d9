//! The runtime every Trappan service shares, written once so the services only add their domain.
//!
//! # Layout
//! - [`config`]: layered settings (defaults → file → `TRAPPAN__…` environment).
//! - [`telemetry`]: logs, OTLP traces and metrics, W3C trace context.
//! - [`auth`]: Ed25519 bearer tokens, roles, the per-method policy, the caller's municipality.
//! - [`error`]: the one mapping from domain and store errors to `tonic::Status`.
//! - [`store`]: connections (SQLite or PostgreSQL), the shared tables, readiness, paging.
//! - [`audit`]: the append-only access log, hash-chained per municipality, and its verification.
//! - [`outbox`]: the transactional outbox and the change feed served from it.
//! - [`delivery`]: messages to other services, delivered later if they are down, never lost.
//! - [`client`]: calls to the other services, as this workload, for one municipality.
//! - [`tls`]: TLS on every endpoint, mutual TLS between the services, certificates reloaded on change.
//! - [`server`]: health, reflection, load shedding, timeouts and graceful shutdown.
//! - [`personnummer`]: Swedish personal identity numbers, parsed once at the edge.
//! - [`clock`]: municipal time (Europe/Stockholm): the one "today" of every service.
//! - [`grpc`]: small conversions between contract types and domain types.
//! - [`csv_file`]: the CSV files users upload, read one way.
//! - `testing` (feature `testing`, for tests only): a real database per test, on SQLite or PostgreSQL.

pub mod audit;
pub mod audit_service;
pub mod auth;
pub mod client;
pub mod clock;
pub mod config;
#[cfg(test)]
mod config_docs;
pub mod csv_file;
pub mod delivery;
pub mod error;
pub mod grpc;
pub mod http_get;
pub mod keys;
pub mod outbox;
pub mod personnummer;
pub mod server;
pub mod store;
pub mod telemetry;
#[cfg(any(test, feature = "testing"))]
pub mod testing;
pub mod tls;
pub mod token_cache;
