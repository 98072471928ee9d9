//! The transactional outbox and the change feed it serves.
//!
//! A service appends its events in the same transaction as the change ([`append`]), so an event exists
//! exactly when its change does. [`ChangeFeed::stream`] serves them to rapport in commit order from a
//! cursor, then follows new events: a consumer that resumes from the last position it applied sees no gap
//! and no duplicate.
//!
//! # Positions are assigned after commit
//! The feed's promise is that a reader that has seen position N never later finds an earlier position
//! committed behind it. A sequence drawn at insert cannot keep it on PostgreSQL without serialising every
//! writer until commit (a transaction that drew 10 may commit after one that drew 11), which defeats group
//! commit. So an event is inserted without a position, and [`assign_positions`], run by the feed's readers
//! under a lock that only sequencers take, numbers the committed, unnumbered events in one statement: the
//! numbers of one sequencer commit all lie above those of every earlier one, so positions become visible
//! in order. Writers take no lock at all. SQLite has one writer at a time, so there an event is numbered
//! at insert, in the writer's own transaction.

use std::time::Duration;

use futures::Stream;
use prost::Name;
use sea_orm::entity::prelude::*;
use sea_orm::{ActiveValue::Set, ConnectionTrait, DatabaseConnection, PaginatorTrait, QueryOrder, QuerySelect};
use tokio::sync::{Notify, watch};

use crate::auth::Kommun;
use crate::store::Store;
use trappan_api::common::v1::ChangeEvent;

/// The outbox_event table.
pub mod entity {
    use sea_orm::entity::prelude::*;

    /// One event of the feed.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "outbox_event")]
    pub struct Model {
        /// The insertion order (not the feed position: it can commit out of order).
        #[sea_orm(primary_key)]
        pub sequence: i64,
        /// The feed position, assigned after commit by [`super::assign_positions`]; unset until then.
        pub position: Option<i64>,
        /// The municipality whose data changed.
        pub kommun: String,
        /// The event's protobuf type URL.
        pub event_type: String,
        /// The encoded event message.
        pub payload: Vec<u8>,
        /// When the change was made.
        pub occurred_at: DateTimeUtc,
    }

    /// No relations.
    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// Appends `event` to the feed inside the caller's transaction. On PostgreSQL it gets its feed position
/// after the transaction commits, when a reader next asks ([`assign_positions`]). SQLite has one writer at a
/// time, so transactions commit in insertion order and the position is given at once, sparing the feed's
/// readers a write transaction (and a sync) of their own.
pub async fn append<M: Name>(conn: &impl ConnectionTrait, kommun: &Kommun, event: &M) -> Result<(), DbErr> {
    let inserted = entity::ActiveModel {
        sequence: sea_orm::ActiveValue::NotSet,
        position: Set(None),
        kommun: Set(kommun.as_str().to_string()),
        event_type: Set(M::type_url()),
        payload: Set(event.encode_to_vec()),
        occurred_at: Set(chrono::Utc::now()),
    }
    .insert(conn)
    .await?;
    if conn.get_database_backend() == sea_orm::DbBackend::Sqlite {
        conn.execute_raw(sea_orm::Statement::from_sql_and_values(
            sea_orm::DbBackend::Sqlite,
            "UPDATE outbox_event SET position = \
             (SELECT COALESCE(MAX(position), 0) + 1 FROM outbox_event) WHERE sequence = ?",
            [inserted.sequence.into()],
        ))
        .await?;
    }
    Ok(())
}

/// The stream type of every service's `StreamChanges` RPC.
pub type FeedStream<R> = std::pin::Pin<Box<dyn Stream<Item = Result<R, tonic::Status>> + Send>>;

/// Serves a service's feed and wakes waiting streams when new events are committed.
#[derive(Clone)]
pub struct ChangeFeed {
    store: Store,
    committed: std::sync::Arc<Notify>,
    shutdown: watch::Receiver<bool>,
    batch: u64,
    poll_interval: Duration,
}

impl ChangeFeed {
    /// A feed over `store`'s outbox; streams end when `shutdown` turns true.
    pub fn new(store: Store, shutdown: watch::Receiver<bool>) -> ChangeFeed {
        ChangeFeed {
            store,
            committed: std::sync::Arc::new(Notify::new()),
            shutdown,
            batch: 500,
            // Other replicas commit too, and they cannot notify us: poll as a fallback.
            poll_interval: Duration::from_millis(500),
        }
    }

    /// Tells waiting streams that a transaction with events has committed.
    pub fn notify_committed(&self) {
        self.committed.notify_waiters();
    }

    /// Serves a `StreamChanges` call: the caller's municipality's events after `after_sequence`, each
    /// wrapped in the service's own response message by `wrap`. UNAVAILABLE while the store is not ready.
    pub fn serve<R: Send + 'static>(
        &self,
        context: &crate::auth::CallContext,
        after_sequence: u64,
        wrap: fn(ChangeEvent) -> R,
    ) -> Result<FeedStream<R>, tonic::Status> {
        self.store.db()?;
        let events = self.stream(context.caller.kommun.clone(), after_sequence);
        Ok(Box::pin(futures::StreamExt::map(events, move |event| event.map(wrap).map_err(tonic::Status::from))))
    }

    /// The events of `kommun` after `after_sequence`, in order, then new ones as they commit. Ends at shutdown.
    pub fn stream(
        &self,
        kommun: Kommun,
        after_sequence: u64,
    ) -> impl Stream<Item = Result<ChangeEvent, crate::error::ServiceError>> + Send + 'static {
        let feed = self.clone();
        let cursor = i64::try_from(after_sequence).unwrap_or(i64::MAX);
        futures::stream::unfold(
            (feed, cursor, std::collections::VecDeque::<ChangeEvent>::new(), false),
            move |(mut feed, mut cursor, mut buffered, failed)| {
                let kommun = kommun.clone();
                async move {
                    if failed {
                        return None;
                    }
                    loop {
                        if let Some(event) = buffered.pop_front() {
                            return Some((Ok(event), (feed, cursor, buffered, false)));
                        }
                        if *feed.shutdown.borrow() {
                            return None;
                        }
                        // Register interest before reading, so a commit between read and wait is not missed.
                        let committed = feed.committed.clone();
                        let notified = committed.notified();
                        match feed.read_after(&kommun, cursor).await {
                            Err(error) => return Some((Err(error), (feed, cursor, buffered, true))),
                            Ok(events) if !events.is_empty() => {
                                cursor = i64::try_from(events.last().map_or(0, |e| e.sequence)).unwrap_or(cursor);
                                buffered.extend(events);
                                continue;
                            }
                            Ok(_) => {}
                        }
                        let mut shutdown = feed.shutdown.clone();
                        tokio::select! {
                            _ = notified => {}
                            _ = tokio::time::sleep(feed.poll_interval) => {}
                            _ = shutdown.changed() => {}
                        }
                        feed.shutdown = shutdown;
                    }
                }
            },
        )
    }

    async fn read_after(&self, kommun: &Kommun, cursor: i64) -> Result<Vec<ChangeEvent>, crate::error::ServiceError> {
        assign_positions(self.store.db()?).await?;
        let rows = entity::Entity::find()
            .filter(entity::Column::Kommun.eq(kommun.as_str()))
            .filter(entity::Column::Position.gt(cursor))
            .order_by_asc(entity::Column::Position)
            .limit(self.batch)
            .all(self.store.db()?)
            .await?;
        Ok(rows.into_iter().map(to_change_event).collect())
    }
}

/// The most events one sequencer commit numbers; a larger backlog is numbered over several commits.
const POSITIONS_PER_COMMIT: u32 = 5_000;

/// Numbers the committed events that have no position yet, in insertion order, above every position given
/// so far. Sequencers (every feed reader of every replica) take turns on one transaction-scoped advisory
/// lock on PostgreSQL, so the positions of one commit are all above those of the commits before it; SQLite
/// has one writer at a time anyway. Writers never take that lock.
pub async fn assign_positions(db: &DatabaseConnection) -> Result<u64, DbErr> {
    use sea_orm::TransactionTrait;
    let unnumbered = entity::Entity::find().filter(entity::Column::Position.is_null()).limit(1).count(db).await?;
    if unnumbered == 0 {
        return Ok(0);
    }
    let txn = db.begin().await?;
    if txn.get_database_backend() == sea_orm::DbBackend::Postgres {
        txn.execute_unprepared("SELECT pg_advisory_xact_lock(727001)").await?;
    }
    let numbered = txn
        .execute_unprepared(&format!(
            "UPDATE outbox_event SET position = numbered.base + numbered.n \
             FROM (SELECT sequence, ROW_NUMBER() OVER (ORDER BY sequence) AS n, \
                          (SELECT COALESCE(MAX(position), 0) FROM outbox_event) AS base \
                   FROM outbox_event WHERE position IS NULL ORDER BY sequence LIMIT {POSITIONS_PER_COMMIT}) AS numbered \
             WHERE outbox_event.sequence = numbered.sequence"
        ))
        .await?
        .rows_affected();
    txn.commit().await?;
    Ok(numbered)
}

fn to_change_event(row: entity::Model) -> ChangeEvent {
    ChangeEvent {
        sequence: row.position.and_then(|position| u64::try_from(position).ok()).unwrap_or_default(),
        kommun: row.kommun,
        occurred_at: Some(prost_types::Timestamp {
            seconds: row.occurred_at.timestamp(),
            nanos: i32::try_from(row.occurred_at.timestamp_subsec_nanos()).unwrap_or_default(),
        }),
        payload: Some(prost_types::Any { type_url: row.event_type, value: row.payload }),
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;
    use std::time::Duration;

    use futures::StreamExt;
    use sea_orm::TransactionTrait;
    use sea_orm_migration::prelude::*;

    use super::*;
    use crate::testing::{Backend, TestDatabase};

    struct FeedMigrator;

    impl MigratorTrait for FeedMigrator {
        fn migrations() -> Vec<Box<dyn MigrationTrait>> {
            vec![Box::new(crate::store::PlatformTables), Box::new(crate::store::FeedPositions)]
        }
    }

    async fn feed_store(database: &TestDatabase) -> (Store, watch::Sender<bool>, ChangeFeed) {
        let connection = crate::store::connect(&database.url).await.expect("connect");
        FeedMigrator::up(&connection, None).await.expect("migrate");
        let store = Store::ready(connection);
        let (shutdown_tx, shutdown) = watch::channel(false);
        let feed = ChangeFeed::new(store.clone(), shutdown);
        (store, shutdown_tx, feed)
    }

    fn kommun() -> Kommun {
        Kommun::parse("0767").expect("a kommun")
    }

    /// An event that says who wrote it: writer in `seconds`, its count in `nanos`.
    fn marker(writer: i64, count: i32) -> prost_types::Timestamp {
        prost_types::Timestamp { seconds: writer, nanos: count }
    }

    fn decode(event: &ChangeEvent) -> (i64, i32) {
        let payload = event.payload.as_ref().expect("a payload");
        let marker = <prost_types::Timestamp as prost::Message>::decode(payload.value.as_slice()).expect("a marker");
        (marker.seconds, marker.nanos)
    }

    /// A transaction that drew its insertion order first but commits last must not be skipped by a reader
    /// that has already seen a later one, and the later writer must not wait for the earlier one's commit.
    #[tokio::test]
    async fn a_late_commit_is_served_after_what_the_reader_has_seen() {
        if !crate::testing::backends().contains(&Backend::Postgres) {
            return;
        }
        let database = TestDatabase::create(Backend::Postgres).await;
        let (store, _shutdown, feed) = feed_store(&database).await;
        let db = store.db().expect("ready");

        let late = db.begin().await.expect("begin");
        append(&late, &kommun(), &marker(1, 1)).await.expect("append late");
        let early = db.begin().await.expect("begin");
        append(&early, &kommun(), &marker(2, 1)).await.expect("append early");
        tokio::time::timeout(Duration::from_secs(10), early.commit())
            .await
            .expect("a writer must not wait for another writer's commit")
            .expect("commit");

        let first = feed.read_after(&kommun(), 0).await.expect("read");
        assert_eq!(first.iter().map(decode).collect::<Vec<_>>(), vec![(2, 1)], "only the committed event");
        late.commit().await.expect("commit late");
        let second = feed
            .read_after(&kommun(), <i64 as TryFrom<u64>>::try_from(first[0].sequence).expect("position"))
            .await
            .expect("read");
        assert_eq!(second.iter().map(decode).collect::<Vec<_>>(), vec![(1, 1)], "the late commit comes after");
        assert!(second[0].sequence > first[0].sequence);
    }

    /// Concurrent writers, each holding its transaction open for a while, and one reader following the feed
    /// from the start: the reader gets every committed event exactly once, in increasing positions.
    async fn concurrent_writers_and_one_follower(backend: Backend) {
        const WRITERS: i64 = 8;
        const TRANSACTIONS: i32 = 40;
        let database = TestDatabase::create(backend).await;
        let (store, shutdown, feed) = feed_store(&database).await;

        let follower = {
            let events = feed.stream(kommun(), 0);
            tokio::spawn(async move {
                let expected = usize::try_from(WRITERS).expect("small") * usize::try_from(TRANSACTIONS).expect("small");
                events.take(expected).map(|event| event.expect("an event")).collect::<Vec<_>>().await
            })
        };
        let mut writers = Vec::new();
        for writer in 0..WRITERS {
            let store = store.clone();
            let feed = feed.clone();
            writers.push(tokio::spawn(async move {
                for count in 0..TRANSACTIONS {
                    let txn = store.db().expect("ready").begin().await.expect("begin");
                    append(&txn, &kommun(), &marker(writer, count)).await.expect("append");
                    for _ in 0..(writer + i64::from(count)) % 4 {
                        tokio::task::yield_now().await;
                    }
                    txn.commit().await.expect("commit");
                    feed.notify_committed();
                }
            }));
        }
        for writer in writers {
            writer.await.expect("a writer");
        }
        let events = tokio::time::timeout(Duration::from_secs(60), follower)
            .await
            .expect("the follower gets every event within a minute")
            .expect("the follower");
        let positions: Vec<u64> = events.iter().map(|e| e.sequence).collect();
        assert!(positions.windows(2).all(|w| w[0] < w[1]), "positions increase: {positions:?}");
        let seen: BTreeSet<(i64, i32)> = events.iter().map(decode).collect();
        let written: BTreeSet<(i64, i32)> = (0..WRITERS).flat_map(|w| (0..TRANSACTIONS).map(move |c| (w, c))).collect();
        assert_eq!(seen, written, "every committed event exactly once");
        let _ = shutdown.send(true);
    }

    #[tokio::test]
    async fn concurrent_writers_and_one_follower_on_sqlite() {
        concurrent_writers_and_one_follower(Backend::Sqlite).await;
    }

    #[tokio::test]
    async fn concurrent_writers_and_one_follower_on_postgres() {
        if crate::testing::backends().contains(&Backend::Postgres) {
            concurrent_writers_and_one_follower(Backend::Postgres).await;
        }
    }
}
