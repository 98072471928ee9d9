//! Outbound deliveries: messages one service must get to another (a referral from bistand to insatser),
//! recorded in the same transaction as the change that causes them and delivered by a background worker
//! until the receiver acknowledges. A receiver that is down gets the message later; receivers are
//! idempotent on the message's own key, so a delivery retried after a lost acknowledgement counts once.
//!
//! Several replicas may drain one queue: a worker claims a delivery for `delivery.claim_secs` before
//! attempting it, with a conditional UPDATE that only one worker can win on either backend, so a message is
//! not sent twice at once; a crashed worker's claim simply expires. A delivery refused permanently, or
//! still failing after `delivery.max_attempts` attempts, becomes a dead letter: never retried by itself,
//! counted, logged, and left for an operator to retry or discard (`trappan deadletters`).

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use opentelemetry::KeyValue;
use opentelemetry::metrics::Counter;
use sea_orm::entity::prelude::*;
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveValue::Set, Condition, ConnectionTrait, QueryOrder, QuerySelect, TransactionTrait, UpdateMany};
use tokio::sync::{Notify, watch};

use crate::auth::Kommun;
use crate::config::DeliverySettings;
use crate::error::ServiceError;
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
        /// The worker attempting it now; unset when no worker holds it.
        pub claimed_by: Option<String>,
        /// Until when that worker's claim holds; after it another worker may take the delivery over.
        pub claimed_until: Option<DateTimeUtc>,
        /// When it became a dead letter (refused permanently or out of attempts); never retried while set.
        pub dead_at: Option<DateTimeUtc>,
        /// When an operator gave the dead letter up; the row stays, so nothing vanishes unrecorded.
        pub discarded_at: Option<DateTimeUtc>,
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
        claimed_by: Set(None),
        claimed_until: Set(None),
        dead_at: Set(None),
        discarded_at: Set(None),
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
    /// The receiver refused it for good (NOT_FOUND after gallring, INVALID_ARGUMENT, …): retrying cannot
    /// help, so it becomes a dead letter at once for an operator to judge; says why, without personal data.
    Failed(String),
}

/// What a service does to deliver its messages, and to record an acknowledgement.
#[async_trait::async_trait]
pub trait DeliveryHandler: Send + Sync + 'static {
    /// Sends one message to its receiver.
    async fn deliver(&self, delivery: &entity::Model) -> Attempt;

    /// Records the receiver's answer in the service's own tables, inside the transaction that marks the
    /// delivery done. By default nothing: the delivery row itself records the acknowledgement, which is all
    /// a message whose receiver answers nothing to keep needs.
    async fn acknowledged(
        &self,
        _txn: &sea_orm::DatabaseTransaction,
        _delivery: &entity::Model,
        _answer: &[u8],
    ) -> Result<(), DbErr> {
        Ok(())
    }

    /// Records, inside the transaction that closes the delivery, that it was cancelled.
    async fn cancelled(&self, txn: &sea_orm::DatabaseTransaction, delivery: &entity::Model) -> Result<(), DbErr>;
}

/// The background worker that drains a service's deliveries.
#[derive(Clone)]
pub struct Dispatcher {
    store: Store,
    wake: Arc<Notify>,
    settings: DeliverySettings,
    /// This worker's name in claims: unique per process, so a restarted replica does not mistake its
    /// predecessor's claims for its own.
    worker: String,
}

impl Dispatcher {
    /// A dispatcher over `store`'s deliveries.
    pub fn new(store: Store, settings: DeliverySettings) -> Dispatcher {
        Dispatcher { store, wake: Arc::new(Notify::new()), settings, worker: Uuid::new_v4().to_string() }
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

    /// Attempts every due delivery no other worker holds, once; true when some were due (there may be more).
    pub async fn drain_once(&self, handler: &dyn DeliveryHandler) -> Result<bool, ServiceError> {
        let db = self.store.db()?;
        let now = chrono::Utc::now();
        let due = entity::Entity::find()
            .filter(entity::Column::DeliveredAt.is_null())
            .filter(entity::Column::DeadAt.is_null())
            .filter(entity::Column::NextAttemptAt.lte(now))
            .filter(unclaimed(now))
            .order_by_asc(entity::Column::CreatedAt)
            .limit(32)
            .all(db)
            .await?;
        let any = !due.is_empty();
        for candidate in due {
            // Claimed one at a time, just before the attempt, so a claim only has to outlast one attempt.
            let Some(delivery) = self.claim(db, candidate.id).await? else { continue };
            if !self.attempt(db, handler, delivery).await? {
                // A receiver that asks for a retry is likely down: the rest can wait for the next round.
                return Ok(false);
            }
        }
        Ok(any)
    }

    /// Claims `id` for this worker if it is still due and nobody else holds it; the row as claimed.
    async fn claim(&self, db: &DatabaseConnection, id: Uuid) -> Result<Option<entity::Model>, DbErr> {
        let now = chrono::Utc::now();
        let lease = chrono::Duration::seconds(i64::try_from(self.settings.claim_secs).unwrap_or(i64::MAX / 1000));
        // The WHERE clause is the lock: PostgreSQL re-checks it after waiting for a concurrent claimant's
        // commit and SQLite has one writer, so exactly one worker sees a row affected.
        let claimed = entity::Entity::update_many()
            .col_expr(entity::Column::ClaimedBy, Expr::value(Some(self.worker.clone())))
            .col_expr(entity::Column::ClaimedUntil, Expr::value(Some(now + lease)))
            .filter(entity::Column::Id.eq(id))
            .filter(entity::Column::DeliveredAt.is_null())
            .filter(entity::Column::DeadAt.is_null())
            .filter(entity::Column::NextAttemptAt.lte(now))
            .filter(unclaimed(now))
            .exec(db)
            .await?;
        if claimed.rows_affected == 0 {
            return Ok(None);
        }
        entity::Entity::find_by_id(id).one(db).await
    }

    /// Attempts one claimed delivery and records the outcome; false when the receiver asked for a retry.
    async fn attempt(
        &self,
        db: &DatabaseConnection,
        handler: &dyn DeliveryHandler,
        delivery: entity::Model,
    ) -> Result<bool, ServiceError> {
        use entity::Column;
        let span = tracing::info_span!("delivery", otel.kind = "producer", target_service = %delivery.target, kind = %delivery.kind);
        crate::telemetry::continue_trace(&span, &delivery.trace_context);
        let attempt = tracing::Instrument::instrument(handler.deliver(&delivery), span).await;
        let now = chrono::Utc::now();
        let attempts = delivery.attempts.saturating_add(1);
        match attempt {
            Attempt::Delivered(answer) => {
                let txn = db.begin().await?;
                handler.acknowledged(&txn, &delivery, &answer).await?;
                let done = entity::Entity::update_many()
                    .col_expr(Column::DeliveredAt, Expr::value(Some(now)))
                    .col_expr(Column::LastError, Expr::value(None::<String>));
                self.commit_if_still_held(txn, &delivery, done).await?;
            }
            Attempt::Cancelled(reason) => {
                let txn = db.begin().await?;
                handler.cancelled(&txn, &delivery).await?;
                let done = entity::Entity::update_many()
                    .col_expr(Column::DeliveredAt, Expr::value(Some(now)))
                    .col_expr(Column::LastError, Expr::value(Some(format!("cancelled: {reason}"))));
                self.commit_if_still_held(txn, &delivery, done).await?;
            }
            Attempt::Failed(reason) => self.bury(db, &delivery, attempts, reason).await?,
            Attempt::Retry(reason) if attempts >= i32::try_from(self.settings.max_attempts).unwrap_or(i32::MAX) => {
                self.bury(db, &delivery, attempts, reason).await?;
                return Ok(false);
            }
            Attempt::Retry(reason) => {
                let backoff = Duration::from_millis(250u64.saturating_mul(1 << attempts.clamp(0, 8) as u64))
                    .min(Duration::from_secs(60));
                tracing::info!(target_service = %delivery.target, kind = %delivery.kind, attempts, "delivery will be retried");
                let later = entity::Entity::update_many()
                    .col_expr(Column::Attempts, Expr::value(attempts))
                    .col_expr(
                        Column::NextAttemptAt,
                        Expr::value(now + chrono::Duration::from_std(backoff).unwrap_or(chrono::Duration::seconds(60))),
                    )
                    .col_expr(Column::LastError, Expr::value(Some(reason)));
                self.release(db, &delivery, later).await?;
                return Ok(false);
            }
        }
        Ok(true)
    }

    /// Makes the delivery a dead letter: it stays in the table, out of the queue, for an operator.
    async fn bury(
        &self,
        db: &DatabaseConnection,
        delivery: &entity::Model,
        attempts: i32,
        reason: String,
    ) -> Result<(), DbErr> {
        use entity::Column;
        let dead = entity::Entity::update_many()
            .col_expr(Column::Attempts, Expr::value(attempts))
            .col_expr(Column::DeadAt, Expr::value(Some(chrono::Utc::now())))
            .col_expr(Column::LastError, Expr::value(Some(reason.clone())));
        if self.release(db, delivery, dead).await? {
            // Only the id, routing and the receiver's status: deliveries' payloads are personal data.
            tracing::warn!(id = %delivery.id, target_service = %delivery.target, kind = %delivery.kind, attempts, error = %reason, "delivery became a dead letter");
            dead_letter_counter().add(
                1,
                &[KeyValue::new("target", delivery.target.clone()), KeyValue::new("kind", delivery.kind.clone())],
            );
        }
        Ok(())
    }

    /// Applies `update` and drops the claim, if this worker still holds it; false when its claim expired
    /// and another worker took the delivery over (that worker's outcome stands).
    async fn release(
        &self,
        conn: &impl ConnectionTrait,
        delivery: &entity::Model,
        update: UpdateMany<entity::Entity>,
    ) -> Result<bool, DbErr> {
        let released = update
            .col_expr(entity::Column::ClaimedBy, Expr::value(None::<String>))
            .col_expr(entity::Column::ClaimedUntil, Expr::value(None::<DateTimeUtc>))
            .filter(entity::Column::Id.eq(delivery.id))
            .filter(entity::Column::ClaimedBy.eq(self.worker.as_str()))
            .exec(conn)
            .await?;
        let held = released.rows_affected == 1;
        if !held {
            tracing::warn!(id = %delivery.id, target_service = %delivery.target, "a delivery's claim expired during its attempt");
        }
        Ok(held)
    }

    /// Commits the handler's record of the outcome together with closing the delivery, or neither when the
    /// claim was lost: the worker that took over sends it again, which receivers absorb as a replay.
    async fn commit_if_still_held(
        &self,
        txn: sea_orm::DatabaseTransaction,
        delivery: &entity::Model,
        update: UpdateMany<entity::Entity>,
    ) -> Result<(), DbErr> {
        if self.release(&txn, delivery, update).await? { txn.commit().await } else { txn.rollback().await }
    }
}

/// Deliveries no worker holds now: never claimed, released, or claimed by a worker whose claim ran out.
fn unclaimed(now: chrono::DateTime<chrono::Utc>) -> Condition {
    Condition::any().add(entity::Column::ClaimedUntil.is_null()).add(entity::Column::ClaimedUntil.lt(now))
}

/// `trappan.delivery.dead_letters`, by target and kind: a rise is what operators alert on.
fn dead_letter_counter() -> &'static Counter<u64> {
    static COUNTER: OnceLock<Counter<u64>> = OnceLock::new();
    COUNTER.get_or_init(|| {
        opentelemetry::global::meter("trappan")
            .u64_counter("trappan.delivery.dead_letters")
            .with_description("Outbound deliveries that became dead letters")
            .build()
    })
}

/// Which dead letters an operator command applies to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeadLetters {
    /// The one with this id.
    One(Uuid),
    /// Every dead letter not yet discarded.
    All,
}

impl DeadLetters {
    fn condition(self) -> Condition {
        let open =
            Condition::all().add(entity::Column::DeadAt.is_not_null()).add(entity::Column::DiscardedAt.is_null());
        match self {
            DeadLetters::One(id) => open.add(entity::Column::Id.eq(id)),
            DeadLetters::All => open,
        }
    }

    /// NOT_FOUND when one was named and it is not an open dead letter, so a mistyped id is not a silent no-op.
    fn check(self, affected: u64) -> Result<u64, ServiceError> {
        match (self, affected) {
            (DeadLetters::One(_), 0) => Err(ServiceError::NotFound("dead letter")),
            _ => Ok(affected),
        }
    }
}

/// The dead letters not discarded, oldest first.
pub async fn list_dead_letters(conn: &impl ConnectionTrait) -> Result<Vec<entity::Model>, DbErr> {
    entity::Entity::find()
        .filter(DeadLetters::All.condition())
        .order_by_asc(entity::Column::DeadAt)
        .order_by_asc(entity::Column::Id)
        .all(conn)
        .await
}

/// Puts dead letters back in the queue, due now with a fresh set of attempts; how many.
pub async fn retry_dead_letters(conn: &impl ConnectionTrait, which: DeadLetters) -> Result<u64, ServiceError> {
    use entity::Column;
    let retried = entity::Entity::update_many()
        .col_expr(Column::DeadAt, Expr::value(None::<DateTimeUtc>))
        .col_expr(Column::Attempts, Expr::value(0))
        .col_expr(Column::NextAttemptAt, Expr::value(chrono::Utc::now()))
        .col_expr(Column::ClaimedBy, Expr::value(None::<String>))
        .col_expr(Column::ClaimedUntil, Expr::value(None::<DateTimeUtc>))
        .filter(which.condition())
        .exec(conn)
        .await?;
    which.check(retried.rows_affected)
}

/// Gives dead letters up: they stay in the table, marked, and are never sent; how many.
pub async fn discard_dead_letters(conn: &impl ConnectionTrait, which: DeadLetters) -> Result<u64, ServiceError> {
    let discarded = entity::Entity::update_many()
        .col_expr(entity::Column::DiscardedAt, Expr::value(Some(chrono::Utc::now())))
        .filter(which.condition())
        .exec(conn)
        .await?;
    which.check(discarded.rows_affected)
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;
    use std::sync::Mutex;

    use sea_orm_migration::prelude::MigratorTrait;

    use super::*;
    use crate::testing::{Backend, TestDatabase, backends};

    struct DeliveryMigrator;

    impl MigratorTrait for DeliveryMigrator {
        fn migrations() -> Vec<Box<dyn sea_orm_migration::MigrationTrait>> {
            vec![
                Box::new(crate::store::PlatformTables),
                Box::new(crate::store::FeedPositions),
                Box::new(crate::store::DeliveryDeadLetters),
            ]
        }
    }

    /// How the test receiver answers.
    #[derive(Clone, Copy)]
    enum Answer {
        Accept,
        Down,
        Gone,
    }

    /// A receiver that answers as told and counts what it was handed, per delivery.
    struct Receiver {
        answer: Mutex<Answer>,
        handed: Mutex<HashMap<Uuid, u32>>,
    }

    impl Receiver {
        fn answering(answer: Answer) -> Receiver {
            Receiver { answer: Mutex::new(answer), handed: Mutex::new(HashMap::new()) }
        }

        fn answer(&self, answer: Answer) {
            *self.answer.lock().expect("answer") = answer;
        }

        fn handed(&self, id: Uuid) -> u32 {
            self.handed.lock().expect("handed").get(&id).copied().unwrap_or(0)
        }
    }

    #[async_trait::async_trait]
    impl DeliveryHandler for Receiver {
        async fn deliver(&self, delivery: &entity::Model) -> Attempt {
            *self.handed.lock().expect("handed").entry(delivery.id).or_default() += 1;
            // Lets the other dispatcher of a race run in between.
            tokio::task::yield_now().await;
            match *self.answer.lock().expect("answer") {
                Answer::Accept => Attempt::Delivered(Vec::new()),
                Answer::Down => Attempt::Retry("receiver: Unavailable".into()),
                Answer::Gone => Attempt::Failed("receiver refused: NotFound".into()),
            }
        }

        async fn cancelled(&self, _txn: &sea_orm::DatabaseTransaction, _delivery: &entity::Model) -> Result<(), DbErr> {
            Ok(())
        }
    }

    async fn open(database: &TestDatabase) -> Store {
        Store::ready(crate::store::connect(&database.url).await.expect("connect"))
    }

    async fn migrated(backend: Backend) -> (TestDatabase, Store) {
        let database = TestDatabase::create(backend).await;
        let store = open(&database).await;
        DeliveryMigrator::up(store.db().expect("ready"), None).await.expect("migrate");
        (database, store)
    }

    fn settings(max_attempts: u32) -> DeliverySettings {
        DeliverySettings { max_attempts, claim_secs: 120 }
    }

    async fn enqueue_one(store: &Store) -> Uuid {
        let id = Uuid::now_v7();
        let kommun = Kommun::parse("0767").expect("a kommun");
        enqueue(store.db().expect("ready"), id, &kommun, "insatser", "referral", vec![1, 2, 3]).await.expect("enqueue");
        id
    }

    async fn row(store: &Store, id: Uuid) -> entity::Model {
        entity::Entity::find_by_id(id).one(store.db().expect("ready")).await.expect("read").expect("the row")
    }

    /// Moves the retry time into the past instead of waiting out the backoff.
    async fn make_due(store: &Store, id: Uuid) {
        entity::Entity::update_many()
            .col_expr(entity::Column::NextAttemptAt, Expr::value(chrono::Utc::now() - chrono::Duration::seconds(1)))
            .filter(entity::Column::Id.eq(id))
            .exec(store.db().expect("ready"))
            .await
            .expect("make due");
    }

    #[tokio::test]
    async fn the_dead_letter_migration_reverts_and_reapplies() {
        for backend in backends() {
            let (_database, store) = migrated(backend).await;
            let db = store.db().expect("ready");
            DeliveryMigrator::down(db, Some(1)).await.expect("revert");
            DeliveryMigrator::up(db, None).await.expect("reapply");
            let id = enqueue_one(&store).await;
            assert_eq!(row(&store, id).await.dead_at, None, "{backend:?}");
        }
    }

    #[tokio::test]
    async fn a_permanent_refusal_is_a_dead_letter_after_one_attempt() {
        for backend in backends() {
            let (_database, store) = migrated(backend).await;
            let dispatcher = Dispatcher::new(store.clone(), settings(20));
            let receiver = Receiver::answering(Answer::Gone);
            let id = enqueue_one(&store).await;

            dispatcher.drain_once(&receiver).await.expect("drain");
            let dead = row(&store, id).await;
            assert_eq!((dead.attempts, dead.delivered_at, dead.claimed_by), (1, None, None), "{backend:?}");
            assert!(dead.dead_at.is_some(), "{backend:?}");
            assert_eq!(dead.last_error.as_deref(), Some("receiver refused: NotFound"), "{backend:?}");

            make_due(&store, id).await;
            dispatcher.drain_once(&receiver).await.expect("drain");
            assert_eq!(receiver.handed(id), 1, "{backend:?}: a dead letter is not retried by itself");
            let listed = list_dead_letters(store.db().expect("ready")).await.expect("list");
            assert_eq!(listed.iter().map(|d| d.id).collect::<Vec<_>>(), vec![id], "{backend:?}");
        }
    }

    #[tokio::test]
    async fn a_delivery_still_failing_after_max_attempts_is_a_dead_letter() {
        for backend in backends() {
            let (_database, store) = migrated(backend).await;
            let dispatcher = Dispatcher::new(store.clone(), settings(3));
            let receiver = Receiver::answering(Answer::Down);
            let id = enqueue_one(&store).await;

            for attempt in 1..=2 {
                dispatcher.drain_once(&receiver).await.expect("drain");
                let pending = row(&store, id).await;
                assert_eq!(
                    (pending.attempts, pending.dead_at, pending.claimed_by),
                    (attempt, None, None),
                    "{backend:?}"
                );
                assert!(pending.next_attempt_at > chrono::Utc::now(), "{backend:?}: backs off");
                make_due(&store, id).await;
            }
            dispatcher.drain_once(&receiver).await.expect("drain");
            let dead = row(&store, id).await;
            assert_eq!(dead.attempts, 3, "{backend:?}");
            assert!(dead.dead_at.is_some(), "{backend:?}: dead after the third attempt");
            assert_eq!(dead.last_error.as_deref(), Some("receiver: Unavailable"), "{backend:?}");

            make_due(&store, id).await;
            dispatcher.drain_once(&receiver).await.expect("drain");
            assert_eq!(receiver.handed(id), 3, "{backend:?}");
        }
    }

    #[tokio::test]
    async fn a_retried_dead_letter_is_delivered_and_a_discarded_one_stays_out() {
        for backend in backends() {
            let (_database, store) = migrated(backend).await;
            let db = store.db().expect("ready").clone();
            let dispatcher = Dispatcher::new(store.clone(), settings(20));
            let receiver = Receiver::answering(Answer::Gone);
            let retried = enqueue_one(&store).await;
            let discarded = enqueue_one(&store).await;
            dispatcher.drain_once(&receiver).await.expect("drain");
            assert_eq!(list_dead_letters(&db).await.expect("list").len(), 2, "{backend:?}");

            assert_eq!(discard_dead_letters(&db, DeadLetters::One(discarded)).await.expect("discard"), 1);
            assert_eq!(retry_dead_letters(&db, DeadLetters::All).await.expect("retry"), 1, "{backend:?}");
            assert!(matches!(
                retry_dead_letters(&db, DeadLetters::One(discarded)).await,
                Err(ServiceError::NotFound("dead letter"))
            ));
            let back = row(&store, retried).await;
            assert_eq!((back.attempts, back.dead_at), (0, None), "{backend:?}: a fresh set of attempts");

            receiver.answer(Answer::Accept);
            dispatcher.drain_once(&receiver).await.expect("drain");
            assert!(row(&store, retried).await.delivered_at.is_some(), "{backend:?}");
            assert_eq!((receiver.handed(retried), receiver.handed(discarded)), (2, 1), "{backend:?}");
            let kept = row(&store, discarded).await;
            assert!(kept.discarded_at.is_some() && kept.delivered_at.is_none(), "{backend:?}: kept, not sent");
            assert!(list_dead_letters(&db).await.expect("list").is_empty(), "{backend:?}");
        }
    }

    /// Two replicas on one database, each with its own connection, race over the same queue.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn two_dispatchers_hand_each_delivery_over_once() {
        const DELIVERIES: usize = 40;
        for backend in backends() {
            let (database, store) = migrated(backend).await;
            let ids: Vec<Uuid> = {
                let mut ids = Vec::new();
                for _ in 0..DELIVERIES {
                    ids.push(enqueue_one(&store).await);
                }
                ids
            };
            let first = Dispatcher::new(store.clone(), settings(20));
            let second = Dispatcher::new(open(&database).await, settings(20));
            let receiver = Arc::new(Receiver::answering(Answer::Accept));
            tokio::join!(
                {
                    let receiver = receiver.clone();
                    async move { while first.drain_once(receiver.as_ref()).await.expect("drain") {} }
                },
                {
                    let receiver = receiver.clone();
                    async move { while second.drain_once(receiver.as_ref()).await.expect("drain") {} }
                },
            );
            for id in &ids {
                assert_eq!(receiver.handed(*id), 1, "{backend:?}: {id}");
                assert!(row(&store, *id).await.delivered_at.is_some(), "{backend:?}: {id}");
            }
        }
    }

    #[tokio::test]
    async fn a_claim_is_respected_until_it_expires() {
        for backend in backends() {
            let (_database, store) = migrated(backend).await;
            let crashed = Dispatcher::new(store.clone(), settings(20));
            let survivor = Dispatcher::new(store.clone(), settings(20));
            let receiver = Receiver::answering(Answer::Accept);
            let id = enqueue_one(&store).await;
            assert!(crashed.claim(store.db().expect("ready"), id).await.expect("claim").is_some());

            survivor.drain_once(&receiver).await.expect("drain");
            assert_eq!(receiver.handed(id), 0, "{backend:?}: held by the other worker");
            entity::Entity::update_many()
                .col_expr(
                    entity::Column::ClaimedUntil,
                    Expr::value(Some(chrono::Utc::now() - chrono::Duration::seconds(1))),
                )
                .filter(entity::Column::Id.eq(id))
                .exec(store.db().expect("ready"))
                .await
                .expect("expire the claim");
            survivor.drain_once(&receiver).await.expect("drain");
            assert_eq!(receiver.handed(id), 1, "{backend:?}");
            assert!(row(&store, id).await.delivered_at.is_some(), "{backend:?}: taken over");
        }
    }
}
