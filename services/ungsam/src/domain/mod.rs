//! Pure domain rules for the Ungsam outreach service (young people 18–24).
//!
//! No I/O: the store and gRPC layers pass plain values in. Personnummer
//! validation is injected by the caller, so this module has no dependency on
//! the identity-number code.

pub mod consent;
pub mod contact;
pub mod import;
pub mod source;
pub mod status;
pub mod target_group;

pub use consent::{ConsentScope, DataField};
pub use contact::{ContactAttempt, ContactChannel, ContactOutcome, implied_transitions};
pub use import::{ImportError, ImportField, ImportRow, RejectReason, RowReject, parse_import};
pub use source::IdentificationSource;
pub use status::{ExitReason, ForbiddenTransition, Status, transition};
pub use target_group::{BirthDate, Eligibility, TargetGroupRule};
