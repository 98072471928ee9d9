//! The one place where errors become gRPC statuses.
//!
//! Domain and store layers return [`ServiceError`]; the transport layer converts it with `?` into a
//! `tonic::Status` carrying google.rpc error details (BadRequest field violations for invalid input).
//! Messages never carry personal data: they name fields and rules, never values.

use tonic_types::{ErrorDetails, StatusExt};

/// One invalid field and why, in the shape of google.rpc.BadRequest.FieldViolation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldViolation {
    /// The field's path in the request, e.g. `household.members[0].person_identity_number`.
    pub field: String,
    /// What is wrong, without echoing the value.
    pub description: String,
}

impl FieldViolation {
    /// A violation of `field`.
    pub fn new(field: impl Into<String>, description: impl Into<String>) -> FieldViolation {
        FieldViolation { field: field.into(), description: description.into() }
    }
}

/// Everything a service call can fail with, independent of transport.
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    /// The request is malformed; each violation names a field.
    #[error("invalid argument")]
    InvalidArgument(Vec<FieldViolation>),
    /// The thing asked for does not exist in the caller's municipality.
    #[error("{0} not found")]
    NotFound(&'static str),
    /// The thing to create exists already.
    #[error("{0}")]
    AlreadyExists(String),
    /// The request is well-formed but the system is not in a state that allows it; says which rule.
    #[error("{0}")]
    FailedPrecondition(String),
    /// The caller may not do this with this particular record.
    #[error("{0}")]
    PermissionDenied(String),
    /// The store or a peer is not reachable now; retrying later may help.
    #[error("{0}")]
    Unavailable(String),
    /// A fault on our side; the source is logged, the caller gets a generic message.
    #[error("internal error")]
    Internal(#[source] anyhow::Error),
}

impl ServiceError {
    /// A single-field invalid argument.
    pub fn invalid(field: impl Into<String>, description: impl Into<String>) -> ServiceError {
        ServiceError::InvalidArgument(vec![FieldViolation::new(field, description)])
    }
}

impl From<sea_orm::DbErr> for ServiceError {
    fn from(error: sea_orm::DbErr) -> ServiceError {
        match &error {
            sea_orm::DbErr::ConnectionAcquire(_) | sea_orm::DbErr::Conn(_) => {
                tracing::warn!(error = %error, "store unavailable");
                ServiceError::Unavailable("the store is not reachable; try again".into())
            }
            _ => ServiceError::Internal(error.into()),
        }
    }
}

impl From<ServiceError> for tonic::Status {
    fn from(error: ServiceError) -> tonic::Status {
        match error {
            ServiceError::InvalidArgument(violations) => {
                let mut details = ErrorDetails::new();
                for violation in &violations {
                    details.add_bad_request_violation(violation.field.clone(), violation.description.clone());
                }
                let fields: Vec<&str> = violations.iter().map(|v| v.field.as_str()).collect();
                let message = format!("invalid argument: {}", fields.join(", "));
                tonic::Status::with_error_details(tonic::Code::InvalidArgument, message, details)
            }
            ServiceError::NotFound(what) => tonic::Status::not_found(format!("{what} not found")),
            ServiceError::AlreadyExists(message) => tonic::Status::already_exists(message),
            ServiceError::FailedPrecondition(message) => {
                let mut details = ErrorDetails::new();
                details.add_precondition_failure_violation("RULE", "trappan", message.clone());
                tonic::Status::with_error_details(tonic::Code::FailedPrecondition, message, details)
            }
            ServiceError::PermissionDenied(message) => tonic::Status::permission_denied(message),
            ServiceError::Unavailable(message) => tonic::Status::unavailable(message),
            ServiceError::Internal(source) => {
                // Store errors can quote values from the statement; they stay in our logs only.
                tracing::error!(error = %source, "internal error");
                tonic::Status::internal("internal error")
            }
        }
    }
}

/// A convenience alias for results of domain and store calls.
pub type ServiceResult<T> = Result<T, ServiceError>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invalid_argument_carries_field_violations() {
        let status: tonic::Status = ServiceError::InvalidArgument(vec![
            FieldViolation::new("household.members[0].person_identity_number", "check digit does not match"),
            FieldViolation::new("request_id", "must be a UUID"),
        ])
        .into();
        assert_eq!(status.code(), tonic::Code::InvalidArgument);
        let details = status.get_error_details();
        let violations = details.bad_request().expect("bad request details").field_violations.clone();
        assert_eq!(violations.len(), 2);
        assert_eq!(violations[0].field, "household.members[0].person_identity_number");
    }

    #[test]
    fn internal_errors_do_not_leak_their_source() {
        let status: tonic::Status =
            ServiceError::Internal(anyhow::anyhow!("duplicate key (personnummer)=(198112189876)")).into();
        assert_eq!(status.code(), tonic::Code::Internal);
        assert!(!status.message().contains("1981"));
    }
}

/// Consecutive failures of a step a background task retries (connecting the store, reading the delivery
/// queue, following a feed). While the suite starts, the first attempts fail as a matter of course (the store
/// is being migrated, a peer is not listening yet): those are logged at DEBUG, and only a failure that
/// persists for [`FailureStreak::WARN_AFTER`] attempts in a row at WARN.
#[derive(Debug, Default)]
pub struct FailureStreak {
    failures: u32,
}

impl FailureStreak {
    /// Failures in a row after which a retried step is worth a warning.
    pub const WARN_AFTER: u32 = 5;

    /// Counts a failure; true when the streak has become long enough to warn about.
    pub fn failed(&mut self) -> bool {
        self.failures = self.failures.saturating_add(1);
        self.failures >= Self::WARN_AFTER
    }

    /// Ends the streak.
    pub fn succeeded(&mut self) {
        self.failures = 0;
    }
}

#[cfg(test)]
mod failure_streak_tests {
    use super::FailureStreak;

    #[test]
    fn warns_only_after_five_failures_in_a_row() {
        let mut streak = FailureStreak::default();
        let first: Vec<bool> = (0..6).map(|_| streak.failed()).collect();
        assert_eq!(first, [false, false, false, false, true, true]);
        streak.succeeded();
        assert!(!streak.failed(), "a success starts the count again");
    }
}
