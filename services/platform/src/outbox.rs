//! The transactional outbox and the change feed it serves.
//!
//! A service appends its events in the same transaction as the change ([`append`]), so an event exists
//! exactly when its change does. [`ChangeFeed::stream`] serves them to rapport in commit order from a
//! cursor, then follows new events: a consumer that resumes from the last sequence it applied sees no gap
//! and no duplicate.

use std::time::Duration;

use futures::Stream;
use prost::Name;
use sea_orm::entity::prelude::*;
use sea_orm::{ActiveValue::Set, ConnectionTrait, QueryOrder, QuerySelect};
use tokio::sync::{Notify, watch};

use crate::auth::Kommun;
use crate::store::{Store, lock_feed_for_append};
use trappan_api::common::v1::ChangeEvent;

/// The outbox_event table.
pub mod entity {
    use sea_orm::entity::prelude::*;

    /// One event of the feed.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "outbox_event")]
    pub struct Model {
        /// The feed position, assigned at append, committed in order.
        #[sea_orm(primary_key)]
        pub sequence: i64,
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

/// Appends `event` to the feed inside the caller's transaction. Call it last before commit: on PostgreSQL
/// it takes the feed lock, which is held until the transaction ends.
pub async fn append<M: Name>(conn: &impl ConnectionTrait, kommun: &Kommun, event: &M) -> Result<(), DbErr> {
    lock_feed_for_append(conn).await?;
    entity::ActiveModel {
        sequence: sea_orm::ActiveValue::NotSet,
        kommun: Set(kommun.as_str().to_string()),
        event_type: Set(M::type_url()),
        payload: Set(event.encode_to_vec()),
        occurred_at: Set(chrono::Utc::now()),
    }
    .insert(conn)
    .await?;
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
        let rows = entity::Entity::find()
            .filter(entity::Column::Kommun.eq(kommun.as_str()))
            .filter(entity::Column::Sequence.gt(cursor))
            .order_by_asc(entity::Column::Sequence)
            .limit(self.batch)
            .all(self.store.db()?)
            .await?;
        Ok(rows.into_iter().map(to_change_event).collect())
    }
}

fn to_change_event(row: entity::Model) -> ChangeEvent {
    ChangeEvent {
        sequence: u64::try_from(row.sequence).unwrap_or_default(),
        kommun: row.kommun,
        occurred_at: Some(prost_types::Timestamp {
            seconds: row.occurred_at.timestamp(),
            nanos: i32::try_from(row.occurred_at.timestamp_subsec_nanos()).unwrap_or_default(),
        }),
        payload: Some(prost_types::Any { type_url: row.event_type, value: row.payload }),
    }
}
