//! Trappan's integration tests: one binary, one module per feature, each starting the services it needs on
//! port 0 with a store each (`common::TestSuite`), on SQLite and on PostgreSQL as separate test cases.
//!
//! # Layout
//! - `common`: the harness (spawn a suite, authenticated clients, backends, bounded waits on observable state).
//! - `auth`: every RPC's authentication and role policy, enumerated from the descriptors; the audit chain.
//! - `audit`: the dataskyddsombud's review and verification of the audit log through the gRPC API.
//! - `grpc_web`: gRPC-Web beside gRPC on every port; CORS only for configured origins.
//! - `lifecycle`: health follows the store; SIGTERM drains in-flight calls.
//! - `telemetry`: one trace across services.
//! - `tls`: the suite over mutual TLS: certificates for services, tokens for people, renewal, probes.
//! - `thin_slice`: one path through all four services; `cross_service`: the units working together.
//! - `bistand`, `insatser`, `ungsam`, `rapport`: each service's case work through its API.
//! - `gallring`: retention, per case file, through the API and the command.
//! - `demo`: the demo municipality's figures.

mod audit;
mod auth;
mod bistand;
mod common;
mod cross_service;
mod demo;
mod gallring;
mod grpc_web;
mod insatser;
mod lifecycle;
mod rapport;
mod telemetry;
mod thin_slice;
mod tls;
mod ungsam;
