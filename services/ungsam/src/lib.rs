//! placeholder

pub mod domain;
