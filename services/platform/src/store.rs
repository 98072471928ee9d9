//! The store every service has: a sea-orm connection (a SQLite file by default, PostgreSQL by URL),
//! the shared tables (audit log, change feed, outbound deliveries) and the store's readiness.

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use sea_orm::{ConnectOptions, ConnectionTrait, DatabaseConnection, DbErr};
use sea_orm_migration::prelude::*;

use crate::error::ServiceError;

mod migration_audit_chain;
pub use migration_audit_chain::AuditChain;

/// Opens a connection pool for `url` (`sqlite://path?mode=rwc` or `postgres://…`).
///
/// SQLite gets one connection, WAL and a busy timeout: one writer at a time is what SQLite offers, and a
/// single connection turns contention into orderly waiting instead of `database is locked` errors.
pub async fn connect(url: &str) -> Result<DatabaseConnection, DbErr> {
    let mut options = ConnectOptions::new(url.to_string());
    options.sqlx_logging(false).connect_timeout(Duration::from_secs(5)).acquire_timeout(Duration::from_secs(30));
    if url.starts_with("sqlite:") {
        if let Some(parent) = sqlite_path(url).and_then(|p| std::path::Path::new(p).parent().map(|p| p.to_path_buf()))
            && !parent.as_os_str().is_empty()
        {
            std::fs::create_dir_all(&parent).map_err(|e| DbErr::Custom(format!("{}: {e}", parent.display())))?;
        }
        options.max_connections(1).min_connections(1).map_sqlx_sqlite_opts(|opts| {
            opts.journal_mode(sea_orm::sqlx::sqlite::SqliteJournalMode::Wal)
                .busy_timeout(Duration::from_secs(10))
                .foreign_keys(true)
                .create_if_missing(true)
        });
    } else {
        // No statement outlives the request that issued it (30 s by default), and a transaction left open
        // by a crashed handler cannot hold its row locks for long: PostgreSQL ends both, and the caller gets
        // an error instead of a store that slowly locks up.
        options.max_connections(16).min_connections(1).map_sqlx_postgres_opts(|opts| {
            opts.options([
                ("statement_timeout", STATEMENT_TIMEOUT),
                ("idle_in_transaction_session_timeout", IDLE_IN_TRANSACTION_TIMEOUT),
            ])
        });
    }
    sea_orm::Database::connect(options).await
}

/// How long a store check waits for its answer before it counts the store as unreachable.
const STORE_CHECK_TIMEOUT: Duration = Duration::from_secs(3);

/// PostgreSQL's limit on one statement: the default request timeout, so a statement never outlives its call.
const STATEMENT_TIMEOUT: &str = "30s";
/// PostgreSQL's limit on a transaction that sits idle between statements.
const IDLE_IN_TRANSACTION_TIMEOUT: &str = "1min";

fn sqlite_path(url: &str) -> Option<&str> {
    let rest = url.strip_prefix("sqlite://").or_else(|| url.strip_prefix("sqlite:"))?;
    Some(rest.split('?').next().unwrap_or(rest))
}

/// A service's store handle. Empty until the store is reachable and migrated; calls made before that
/// get UNAVAILABLE, and health says NOT_SERVING.
#[derive(Clone, Default)]
pub struct Store {
    connection: Arc<OnceLock<DatabaseConnection>>,
    /// Set while the server's store check finds the store unreachable: calls then fail at once with
    /// UNAVAILABLE instead of each waiting out the pool's acquire timeout.
    unreachable: Arc<std::sync::atomic::AtomicBool>,
}

impl Store {
    /// A store that is not ready yet.
    pub fn pending() -> Store {
        Store::default()
    }

    /// A store that is ready with `connection` (tools and tests that migrate first).
    pub fn ready(connection: DatabaseConnection) -> Store {
        let store = Store::default();
        store.set_ready(connection);
        store
    }

    /// Marks the store ready.
    pub fn set_ready(&self, connection: DatabaseConnection) {
        // A second call keeps the first connection; readiness is reached once.
        let _ = self.connection.set(connection);
    }

    /// The connection, or UNAVAILABLE while the store is not ready or found unreachable.
    pub fn db(&self) -> Result<&DatabaseConnection, ServiceError> {
        let connection =
            self.connection.get().ok_or_else(|| ServiceError::Unavailable("the store is not ready yet".into()))?;
        if self.unreachable.load(std::sync::atomic::Ordering::Relaxed) {
            return Err(ServiceError::Unavailable("the store is not reachable; try again".into()));
        }
        Ok(connection)
    }

    /// Records what the last store check found, so calls fail fast while the store is down.
    pub fn set_reachable(&self, reachable: bool) {
        self.unreachable.store(!reachable, std::sync::atomic::Ordering::Relaxed);
    }

    /// Whether the store answers now: one round trip (`SELECT 1` on PostgreSQL), bounded so that a server
    /// that accepts connections but never answers counts as down. Uses the connection even while it is
    /// marked unreachable, since this is how it is found to be back.
    pub async fn answers(&self) -> bool {
        let Some(connection) = self.connection.get() else { return false };
        matches!(tokio::time::timeout(STORE_CHECK_TIMEOUT, connection.ping()).await, Ok(Ok(())))
    }

    /// Whether the store is ready.
    pub fn is_ready(&self) -> bool {
        self.connection.get().is_some()
    }
}

/// Table and column names of the shared tables.
#[derive(DeriveIden)]
enum AuditLog {
    Table,
    Id,
    OccurredAt,
    Kommun,
    Actor,
    Role,
    Unit,
    Rpc,
    SubjectKind,
    SubjectRef,
    Purpose,
    Outcome,
}

#[derive(DeriveIden)]
enum OutboxEvent {
    Table,
    Sequence,
    Position,
    Kommun,
    EventType,
    Payload,
    OccurredAt,
}

#[derive(DeriveIden)]
enum OutboundDelivery {
    Table,
    Id,
    Kommun,
    Target,
    Kind,
    Payload,
    CreatedAt,
    Attempts,
    NextAttemptAt,
    DeliveredAt,
    LastError,
    TraceContext,
    ClaimedBy,
    ClaimedUntil,
    DeadAt,
    DiscardedAt,
}

/// The migration that creates the shared tables; every service lists it first in its migrator.
pub struct PlatformTables;

impl MigrationName for PlatformTables {
    fn name(&self) -> &str {
        "m0001_platform_tables"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for PlatformTables {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(AuditLog::Table)
                    .col(ColumnDef::new(AuditLog::Id).uuid().not_null().primary_key())
                    .col(ColumnDef::new(AuditLog::OccurredAt).timestamp_with_time_zone().not_null())
                    .col(ColumnDef::new(AuditLog::Kommun).string_len(4).not_null())
                    .col(ColumnDef::new(AuditLog::Actor).string().not_null())
                    .col(ColumnDef::new(AuditLog::Role).string().not_null())
                    .col(ColumnDef::new(AuditLog::Unit).string().not_null())
                    .col(ColumnDef::new(AuditLog::Rpc).string().not_null())
                    .col(ColumnDef::new(AuditLog::SubjectKind).string().not_null())
                    .col(ColumnDef::new(AuditLog::SubjectRef).string().not_null())
                    .col(ColumnDef::new(AuditLog::Purpose).string().not_null())
                    .col(ColumnDef::new(AuditLog::Outcome).string().not_null())
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("audit_log_kommun_time")
                    .table(AuditLog::Table)
                    .col(AuditLog::Kommun)
                    .col(AuditLog::OccurredAt)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(OutboxEvent::Table)
                    .col(ColumnDef::new(OutboxEvent::Sequence).big_integer().not_null().auto_increment().primary_key())
                    .col(ColumnDef::new(OutboxEvent::Kommun).string_len(4).not_null())
                    .col(ColumnDef::new(OutboxEvent::EventType).string().not_null())
                    .col(ColumnDef::new(OutboxEvent::Payload).blob().not_null())
                    .col(ColumnDef::new(OutboxEvent::OccurredAt).timestamp_with_time_zone().not_null())
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("outbox_event_kommun_sequence")
                    .table(OutboxEvent::Table)
                    .col(OutboxEvent::Kommun)
                    .col(OutboxEvent::Sequence)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(OutboundDelivery::Table)
                    .col(ColumnDef::new(OutboundDelivery::Id).uuid().not_null().primary_key())
                    .col(ColumnDef::new(OutboundDelivery::Kommun).string_len(4).not_null())
                    .col(ColumnDef::new(OutboundDelivery::Target).string().not_null())
                    .col(ColumnDef::new(OutboundDelivery::Kind).string().not_null())
                    .col(ColumnDef::new(OutboundDelivery::Payload).blob().not_null())
                    .col(ColumnDef::new(OutboundDelivery::CreatedAt).timestamp_with_time_zone().not_null())
                    .col(ColumnDef::new(OutboundDelivery::Attempts).integer().not_null())
                    .col(ColumnDef::new(OutboundDelivery::NextAttemptAt).timestamp_with_time_zone().not_null())
                    .col(ColumnDef::new(OutboundDelivery::DeliveredAt).timestamp_with_time_zone().null())
                    .col(ColumnDef::new(OutboundDelivery::LastError).string().null())
                    .col(ColumnDef::new(OutboundDelivery::TraceContext).string().not_null())
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("outbound_delivery_due")
                    .table(OutboundDelivery::Table)
                    .col(OutboundDelivery::DeliveredAt)
                    .col(OutboundDelivery::NextAttemptAt)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(OutboundDelivery::Table).to_owned()).await?;
        manager.drop_table(Table::drop().table(OutboxEvent::Table).to_owned()).await?;
        manager.drop_table(Table::drop().table(AuditLog::Table).to_owned()).await
    }
}

/// The migration that gives feed events a position assigned after commit ([`crate::outbox`]): writers no
/// longer serialise on a feed lock. Events already in the feed keep their sequence as their position, so
/// consumers' cursors stay valid.
pub struct FeedPositions;

impl MigrationName for FeedPositions {
    fn name(&self) -> &str {
        "m0001_platform_feed_positions"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for FeedPositions {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(OutboxEvent::Table)
                    .add_column(ColumnDef::new(OutboxEvent::Position).big_integer().null())
                    .to_owned(),
            )
            .await?;
        let db = manager.get_connection();
        db.execute_unprepared("UPDATE outbox_event SET position = sequence").await?;
        db.execute_unprepared("CREATE UNIQUE INDEX outbox_event_position ON outbox_event (position)").await?;
        db.execute_unprepared("CREATE INDEX outbox_event_kommun_position ON outbox_event (kommun, position)").await?;
        // The sequencer looks only at events still waiting for a position.
        db.execute_unprepared(
            "CREATE INDEX outbox_event_unpositioned ON outbox_event (sequence) WHERE position IS NULL",
        )
        .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        for index in ["outbox_event_unpositioned", "outbox_event_kommun_position", "outbox_event_position"] {
            db.execute_unprepared(&format!("DROP INDEX {index}")).await?;
        }
        manager
            .alter_table(Table::alter().table(OutboxEvent::Table).drop_column(OutboxEvent::Position).to_owned())
            .await
    }
}

/// The migration that lets several replicas share one delivery queue and bounds its retries
/// ([`crate::delivery`]): a worker claims a delivery for a while before attempting it, and a delivery that
/// cannot be delivered becomes a dead letter that an operator retries or discards, instead of being retried
/// for ever.
pub struct DeliveryDeadLetters;

impl MigrationName for DeliveryDeadLetters {
    fn name(&self) -> &str {
        "m0001_platform_delivery_dead_letters"
    }
}

/// The columns [`DeliveryDeadLetters`] adds, all nullable so existing rows stay pending and unclaimed.
fn dead_letter_columns() -> [ColumnDef; 4] {
    [
        ColumnDef::new(OutboundDelivery::ClaimedBy).string().null().to_owned(),
        ColumnDef::new(OutboundDelivery::ClaimedUntil).timestamp_with_time_zone().null().to_owned(),
        ColumnDef::new(OutboundDelivery::DeadAt).timestamp_with_time_zone().null().to_owned(),
        ColumnDef::new(OutboundDelivery::DiscardedAt).timestamp_with_time_zone().null().to_owned(),
    ]
}

#[async_trait::async_trait]
impl MigrationTrait for DeliveryDeadLetters {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite alters one thing at a time.
        for column in dead_letter_columns() {
            manager.alter_table(Table::alter().table(OutboundDelivery::Table).add_column(column).to_owned()).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for column in [
            OutboundDelivery::ClaimedBy,
            OutboundDelivery::ClaimedUntil,
            OutboundDelivery::DeadAt,
            OutboundDelivery::DiscardedAt,
        ] {
            manager.alter_table(Table::alter().table(OutboundDelivery::Table).drop_column(column).to_owned()).await?;
        }
        Ok(())
    }
}

/// Whether a store error is a unique-constraint violation: a concurrent create with the same idempotency
/// key won the race, and the caller should answer with the record that won.
pub fn is_unique_violation(error: &DbErr) -> bool {
    matches!(error.sql_err(), Some(sea_orm::SqlErr::UniqueConstraintViolation(_)))
}

/// A list request's `page_size` and `page_token`, parsed: list views page newest first by their
/// time-ordered UUIDv7 key, continuing after the last key of the previous page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageRequest {
    /// How many rows the page holds.
    pub size: u64,
    /// The key of the previous page's last row; `None` for the first page.
    pub after: Option<uuid::Uuid>,
}

impl PageRequest {
    /// The largest page a caller may ask for.
    pub const MAX_SIZE: i32 = 500;
    /// The page size when the caller asks for 0.
    pub const DEFAULT_SIZE: u64 = 50;

    /// Parses `page_size` (0 means the default) and the opaque `page_token` this service issued.
    pub fn parse(page_size: i32, page_token: &str) -> Result<PageRequest, ServiceError> {
        use base64::Engine;
        let size = match page_size {
            0 => Self::DEFAULT_SIZE,
            1..=Self::MAX_SIZE => page_size as u64,
            _ => return Err(ServiceError::invalid("page_size", "must be between 0 and 500")),
        };
        let after = if page_token.is_empty() {
            None
        } else {
            let key = base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(page_token)
                .ok()
                .and_then(|bytes| uuid::Uuid::from_slice(&bytes).ok())
                .ok_or_else(|| ServiceError::invalid("page_token", "is not a page token this service issued"))?;
            Some(key)
        };
        Ok(PageRequest { size, after })
    }

    /// How many rows to fetch: one more than the page, to learn whether another page follows.
    pub fn fetch_limit(&self) -> u64 {
        self.size + 1
    }

    /// Splits rows fetched with [`PageRequest::fetch_limit`] into the page and the key to continue after.
    pub fn split<T>(&self, mut rows: Vec<T>, key: impl Fn(&T) -> uuid::Uuid) -> (Vec<T>, Option<uuid::Uuid>) {
        if rows.len() as u64 > self.size {
            rows.truncate(self.size as usize);
            let next = rows.last().map(key);
            (rows, next)
        } else {
            (rows, None)
        }
    }
}

/// The opaque token of the page after `next` (empty on the last page).
pub fn next_page_token(next: Option<uuid::Uuid>) -> String {
    use base64::Engine;
    next.map(|key| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(key.as_bytes())).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Read back from the server: the limits reach every pooled PostgreSQL session.
    #[tokio::test]
    async fn postgres_sessions_carry_the_statement_and_idle_transaction_limits() {
        use crate::testing::{Backend, TestDatabase, backends};
        if !backends().contains(&Backend::Postgres) {
            return;
        }
        let database = TestDatabase::create(Backend::Postgres).await;
        let db = connect(&database.url).await.expect("connect");
        for (setting, expected) in [
            ("statement_timeout", STATEMENT_TIMEOUT),
            ("idle_in_transaction_session_timeout", IDLE_IN_TRANSACTION_TIMEOUT),
        ] {
            let row = db
                .query_one_raw(sea_orm::Statement::from_string(db.get_database_backend(), format!("SHOW {setting}")))
                .await
                .expect("show")
                .expect("a row");
            let value: String = row.try_get_by_index(0).expect("a value");
            assert_eq!(value, expected, "{setting}");
        }
    }

    #[test]
    fn page_requests_parse_and_round_trip() {
        assert_eq!(PageRequest::parse(0, "").expect("valid"), PageRequest { size: 50, after: None });
        assert!(PageRequest::parse(501, "").is_err());
        assert!(PageRequest::parse(-1, "").is_err());
        assert!(PageRequest::parse(10, "not-a-token").is_err());
        let key = uuid::Uuid::now_v7();
        assert_eq!(PageRequest::parse(10, &next_page_token(Some(key))).expect("valid").after, Some(key));
        assert_eq!(next_page_token(None), "");
    }

    #[test]
    fn a_page_splits_off_the_extra_row() {
        let page = PageRequest { size: 2, after: None };
        let keys: Vec<uuid::Uuid> = (0..3).map(|_| uuid::Uuid::now_v7()).collect();
        let (rows, next) = page.split(keys.clone(), |k| *k);
        assert_eq!((rows.len(), next), (2, Some(keys[1])));
        let (rows, next) = page.split(keys[..2].to_vec(), |k| *k);
        assert_eq!((rows.len(), next), (2, None));
    }
}
