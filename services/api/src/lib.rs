//! Trappan's gRPC contracts as Rust types: the messages, clients and servers generated from `proto/`.
//!
//! Other teams depend on this crate to call Trappan; the services depend on it to implement the servers.
//!
//! # Layout
//! - [`common::v1`]: money, dates, identity numbers and the change-feed envelope shared by every service.
//! - [`bistand::v1`], [`insatser::v1`], [`ungsam::v1`], [`rapport::v1`]: one module per service contract.
//! - [`audit::v1`]: the audit-log review every service serves for the dataskyddsombud.
//! - [`FILE_DESCRIPTOR_SET`]: the compiled descriptors, for server reflection and contract tests.

/// Shared types of every contract.
pub mod common {
    /// Version 1 of the shared types.
    pub mod v1 {
        tonic::include_proto!("trappan.common.v1");
    }
}

/// The ekonomiskt bistånd contract.
pub mod bistand {
    /// Version 1 of the bistand contract.
    pub mod v1 {
        tonic::include_proto!("trappan.bistand.v1");
    }
}

/// The arbetsmarknadsinsatser contract.
pub mod insatser {
    /// Version 1 of the insatser contract.
    pub mod v1 {
        tonic::include_proto!("trappan.insatser.v1");
    }
}

/// The youth outreach contract.
pub mod ungsam {
    /// Version 1 of the ungsam contract.
    pub mod v1 {
        tonic::include_proto!("trappan.ungsam.v1");
    }
}

/// The audit-log review and verification, served by every service for its own log.
pub mod audit {
    /// Version 1 of the audit contract.
    pub mod v1 {
        tonic::include_proto!("trappan.audit.v1");
    }
}

/// The reporting contract.
pub mod rapport {
    /// Version 1 of the rapport contract.
    pub mod v1 {
        tonic::include_proto!("trappan.rapport.v1");
    }
}

/// The encoded `FileDescriptorSet` of every Trappan proto file (and the well-known types they import).
pub const FILE_DESCRIPTOR_SET: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/trappan_descriptor.bin"));
