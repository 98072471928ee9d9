//! bistand's case work through its API.

mod case_flow;
mod forsorjningshinder;
mod norm;
mod payments;
mod socialstyrelsen_export;
