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
    /// A concurrent change conflicted with this one (a serialization failure, a deadlock, a lock not granted)
    /// and nothing of it was kept; the same request, with the same request_id, can simply be sent again.
    #[error("{0}")]
    Aborted(String),
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
        match store_fault(&error) {
            Some(StoreFault::Unreachable) => {
                tracing::warn!(error = %error, "store unavailable");
                ServiceError::Unavailable("the store is not reachable; try again".into())
            }
            Some(StoreFault::TooSlow) => {
                tracing::warn!(error = %error, "store statement cancelled");
                ServiceError::Unavailable("the store did not answer in time; try again".into())
            }
            Some(StoreFault::Conflict) => {
                tracing::info!(error = %error, "concurrent change conflicted");
                ServiceError::Aborted(
                    "a concurrent change conflicted with this request and nothing was kept; send it again".into(),
                )
            }
            None => ServiceError::Internal(error.into()),
        }
    }
}

/// A store failure that is not a fault of ours: the caller is told to retry, not that something broke.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum StoreFault {
    /// No connection: the server is down, restarting or refusing connections, or the pool is exhausted.
    Unreachable,
    /// The statement was cancelled by `statement_timeout` (or an operator).
    TooSlow,
    /// The transaction lost to a concurrent one and was rolled back whole.
    Conflict,
}

/// Classifies a store error by its connection state or SQLSTATE (PostgreSQL) / result code (SQLite).
fn store_fault(error: &sea_orm::DbErr) -> Option<StoreFault> {
    use sea_orm::{DbErr, RuntimeErr};
    let runtime = match error {
        DbErr::ConnectionAcquire(_) | DbErr::Conn(_) => return Some(StoreFault::Unreachable),
        DbErr::Exec(runtime) | DbErr::Query(runtime) => runtime,
        _ => return None,
    };
    let RuntimeErr::SqlxError(sqlx_error) = runtime else { return None };
    match sqlx_error.as_ref() {
        sea_orm::sqlx::Error::Io(_)
        | sea_orm::sqlx::Error::PoolTimedOut
        | sea_orm::sqlx::Error::PoolClosed
        | sea_orm::sqlx::Error::WorkerCrashed => Some(StoreFault::Unreachable),
        sea_orm::sqlx::Error::Database(database) => match database.code()?.as_ref() {
            // PostgreSQL: serialization_failure, deadlock_detected, lock_not_available.
            "40001" | "40P01" | "55P03" => Some(StoreFault::Conflict),
            // SQLite: SQLITE_BUSY and SQLITE_LOCKED with their extended codes (another writer holds the lock
            // past the busy timeout).
            "5" | "6" | "261" | "262" | "517" => Some(StoreFault::Conflict),
            // PostgreSQL: query_canceled (statement_timeout).
            "57014" => Some(StoreFault::TooSlow),
            // PostgreSQL: admin_shutdown, crash_shutdown, cannot_connect_now, and the connection_exception
            // class (08xxx): the server is restarting or the connection broke.
            "57P01" | "57P02" | "57P03" => Some(StoreFault::Unreachable),
            code if code.starts_with("08") => Some(StoreFault::Unreachable),
            _ => None,
        },
        _ => None,
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
            ServiceError::Aborted(message) => tonic::Status::aborted(message),
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
    use crate::testing::{Backend, TestDatabase};
    use sea_orm::{ConnectionTrait, Database};

    async fn status_of(db: &impl ConnectionTrait, sql: &str) -> tonic::Status {
        let error = db.execute_unprepared(sql).await.expect_err(sql);
        ServiceError::from(error).into()
    }

    /// Real failures from a real PostgreSQL server, raised with the SQLSTATE the server would use.
    #[tokio::test]
    async fn postgres_conflicts_timeouts_and_restarts_are_retryable_statuses() {
        if !crate::testing::backends().contains(&Backend::Postgres) {
            return;
        }
        let database = TestDatabase::create(Backend::Postgres).await;
        let db = Database::connect(&database.url).await.expect("connect");
        for (code, expected) in [
            ("40001", tonic::Code::Aborted),
            ("40P01", tonic::Code::Aborted),
            ("55P03", tonic::Code::Aborted),
            ("57P03", tonic::Code::Unavailable),
            ("08006", tonic::Code::Unavailable),
            ("23514", tonic::Code::Internal),
        ] {
            let sql = format!("DO $$ BEGIN RAISE EXCEPTION 'raised' USING ERRCODE = '{code}'; END $$");
            let status = status_of(&db, &sql).await;
            assert_eq!(status.code(), expected, "SQLSTATE {code}: {status:?}");
            assert!(!status.message().contains("raised"), "the store's message stays in the log");
        }
        let status = status_of(&db, "SET statement_timeout = '10ms'; SELECT pg_sleep(5)").await;
        assert_eq!(status.code(), tonic::Code::Unavailable, "statement_timeout: {status:?}");
        // What a client sees when the server is restarted under it: its session is terminated.
        let status = status_of(&db, "SELECT pg_terminate_backend(pg_backend_pid())").await;
        assert_eq!(status.code(), tonic::Code::Unavailable, "terminated session: {status:?}");
    }

    /// A second SQLite writer that finds the write lock taken past its busy timeout is told to retry.
    #[tokio::test]
    async fn a_sqlite_writer_that_finds_the_lock_taken_gets_aborted() {
        let database = TestDatabase::create(Backend::Sqlite).await;
        let first = Database::connect(&database.url).await.expect("connect");
        let second = Database::connect(&database.url).await.expect("connect");
        first.execute_unprepared("CREATE TABLE t (x INTEGER)").await.expect("table");
        first.execute_unprepared("BEGIN IMMEDIATE").await.expect("take the write lock");
        second.execute_unprepared("PRAGMA busy_timeout = 0").await.expect("no waiting");
        let status = status_of(&second, "INSERT INTO t VALUES (1)").await;
        assert_eq!(status.code(), tonic::Code::Aborted, "{status:?}");
        first.execute_unprepared("ROLLBACK").await.expect("release");
    }

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
