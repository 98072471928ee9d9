//! Outbound deliveries: messages one service must get to another (a referral from bistand to insatser),
//! recorded in the same transaction as the change that causes them and delivered by a background worker
//! until the receiver acknowledges. A receiver that is down gets the message later; receivers are
//! idempotent on the message's own key, so a delivery retried after a lost acknowledgement counts once.

use std::sync::Arc;
use std::time::Duration;

use sea_orm::entity::prelude::*;
use sea_orm::{ActiveValue::Set, ConnectionTrait, QueryOrder, QuerySelect, TransactionTrait};
use tokio::sync::{Notify, watch};

use crate::auth::Kommun;
use crate::store::Store;

/// The outbound_delivery table.
pub mod entity {
    use sea_orm::entity::prelude::*;

    /// One message to deliver.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "outbound_delivery")]
    pub struct Model {
        /// The delivery's identifier; also the idempotency key the receiver sees.
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        /// The municipality on whose behalf it is sent.
        pub kommun: String,
        /// The receiving service.
        pub target: String,
        /// What kind of message (the handler's name for it).
        pub kind: String,
        /// The encoded message.
        pub payload: Vec<u8>,
        /// When it was recorded.
        pub created_at: DateTimeUtc,
        /// How many attempts failed so far.
        pub attempts: i32,
        /// When to try next.
        pub next_attempt_at: DateTimeUtc,
        /// When the receiver acknowledged; unset while pending.
        pub delivered_at: Option<DateTimeUtc>,
        /// The last failure, for operators (never personal data: status codes and messages only).
        pub last_error: Option<String>,
        /// The W3C traceparent of the request that caused it, so its delivery continues that trace.
        pub trace_context: String,
    }

    /// No relations.
    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// Records a message for delivery inside the caller's transaction.
pub async fn enqueue(
    conn: &impl ConnectionTrait,
    id: Uuid,
    kommun: &Kommun,
    target: &str,
    kind: &str,
    payload: Vec<u8>,
) -> Result<(), DbErr> {
    let now = chrono::Utc::now();
    entity::ActiveModel {
        id: Set(id),
        kommun: Set(kommun.as_str().to_string()),
        target: Set(target.to_string()),
        kind: Set(kind.to_string()),
        payload: Set(payload),
        created_at: Set(now),
        attempts: Set(0),
        next_attempt_at: Set(now),
        delivered_at: Set(None),
        last_error: Set(None),
        trace_context: Set(crate::telemetry::current_trace_context()),
    }
    .insert(conn)
    .await?;
    Ok(())
}

/// How one attempt went.
#[derive(Debug)]
pub enum Attempt {
    /// The receiver acknowledged; the service may record what it answered (in the same transaction as
    /// the delivery is marked done).
    Delivered(Vec<u8>),
    /// Try again later (receiver down, overloaded, deadline).
    Retry(String),
    /// Do not send it at all any more (the consent that allowed it was withdrawn); says why.
    Cancelled(String),
}

/// What a service does to deliver its messages, and to record an acknowledgement.
#[async_trait::async_trait]
pub trait DeliveryHandler: Send + Sync + 'static {
    /// Sends one message to its receiver.
    async fn deliver(&self, delivery: &entity::Model) -> Attempt;

    /// Records the receiver's answer in the service's own tables, inside the transaction that marks the
    /// delivery done.
    async fn acknowledged(
        &self,
        txn: &sea_orm::DatabaseTransaction,
        delivery: &entity::Model,
        answer: &[u8],
    ) -> Result<(), DbErr>;

    /// Records, inside the transaction that closes the delivery, that it was cancelled.
    async fn cancelled(&self, txn: &sea_orm::DatabaseTransaction, delivery: &entity::Model) -> Result<(), DbErr>;
}

/// The background worker that drains a service's deliveries.
#[derive(Clone)]
pub struct Dispatcher {
    store: Store,
    wake: Arc<Notify>,
}

impl Dispatcher {
    /// A dispatcher over `store`'s deliveries.
    pub fn new(store: Store) -> Dispatcher {
        Dispatcher { store, wake: Arc::new(Notify::new()) }
    }

    /// Wakes the worker after a transaction that enqueued something commits.
    pub fn wake(&self) {
        self.wake.notify_one();
    }

    /// Runs until `shutdown` turns true; waits for the store to be ready.
    pub async fn run(self, handler: Arc<dyn DeliveryHandler>, mut shutdown: watch::Receiver<bool>) {
        let mut streak = crate::error::FailureStreak::default();
        loop {
            if *shutdown.borrow() {
                return;
            }
            let drained = self.drain_once(handler.as_ref()).await;
            if drained.is_ok() {
                streak.succeeded();
            }
            let delay = match drained {
                Ok(true) => Duration::ZERO,
                Ok(false) => Duration::from_secs(1),
                Err(error) => {
                    if streak.failed() {
                        tracing::warn!(%error, "delivery worker could not read its queue");
                    } else {
                        tracing::debug!(%error, "delivery worker could not read its queue yet");
                    }
                    Duration::from_secs(2)
                }
            };
            if !delay.is_zero() {
                tokio::select! {
                    _ = self.wake.notified() => {}
                    _ = tokio::time::sleep(delay) => {}
                    _ = shutdown.changed() => {}
                }
            }
        }
    }

    /// Attempts every due delivery once; true when some were due (there may be more).
    pub async fn drain_once(&self, handler: &dyn DeliveryHandler) -> Result<bool, crate::error::ServiceError> {
        let db = self.store.db()?;
        let due = entity::Entity::find()
            .filter(entity::Column::DeliveredAt.is_null())
            .filter(entity::Column::NextAttemptAt.lte(chrono::Utc::now()))
            .order_by_asc(entity::Column::CreatedAt)
            .limit(32)
            .all(db)
            .await?;
        let any = !due.is_empty();
        for delivery in due {
            let span = tracing::info_span!("delivery", otel.kind = "producer", target_service = %delivery.target, kind = %delivery.kind);
            crate::telemetry::continue_trace(&span, &delivery.trace_context);
            let attempt = tracing::Instrument::instrument(handler.deliver(&delivery), span).await;
            match attempt {
                Attempt::Delivered(answer) => {
                    let txn = db.begin().await?;
                    handler.acknowledged(&txn, &delivery, &answer).await?;
                    let mut row: entity::ActiveModel = delivery.into();
                    row.delivered_at = Set(Some(chrono::Utc::now()));
                    row.last_error = Set(None);
                    row.update(&txn).await?;
                    txn.commit().await?;
                }
                Attempt::Cancelled(reason) => {
                    let txn = db.begin().await?;
                    handler.cancelled(&txn, &delivery).await?;
                    let mut row: entity::ActiveModel = delivery.into();
                    row.delivered_at = Set(Some(chrono::Utc::now()));
                    row.last_error = Set(Some(format!("cancelled: {reason}")));
                    row.update(&txn).await?;
                    txn.commit().await?;
                }
                Attempt::Retry(reason) => {
                    let attempts = delivery.attempts.saturating_add(1);
                    let backoff = Duration::from_millis(250u64.saturating_mul(1 << attempts.clamp(0, 8) as u64))
                        .min(Duration::from_secs(60));
                    tracing::info!(target_service = %delivery.target, kind = %delivery.kind, attempts, "delivery will be retried");
                    let mut row: entity::ActiveModel = delivery.into();
                    row.attempts = Set(attempts);
                    row.next_attempt_at = Set(chrono::Utc::now()
                        + chrono::Duration::from_std(backoff).unwrap_or(chrono::Duration::seconds(60)));
                    row.last_error = Set(Some(reason));
                    row.update(db).await?;
                    return Ok(false);
                }
            }
        }
        Ok(any)
    }
}
