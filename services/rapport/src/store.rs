//! rapport's store: pseudonymous facts from the feeds and the durable cursors of the feed followers.
//!
//! Each event is applied in the same transaction as the cursor advances past it, so a restart of rapport
//! or of a producer resumes exactly where it left off: no gap, no double counting.

use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, PaginatorTrait,
    QueryFilter, TransactionTrait,
};
use sea_orm_migration::prelude::*;

use trappan_platform::error::ServiceResult;

pub mod facts;
pub mod migration_feed_dead_letters;
pub mod migration_unemployment_importer;
pub mod queries;

/// Feed cursors.
pub mod feed_cursor {
    use sea_orm::entity::prelude::*;

    /// How far rapport has applied one producer's feed for one municipality.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "feed_cursor")]
    pub struct Model {
        /// The producer (bistand, insatser, ungsam).
        #[sea_orm(primary_key, auto_increment = false)]
        pub producer: String,
        /// The municipality.
        #[sea_orm(primary_key, auto_increment = false)]
        pub kommun: String,
        /// The last sequence applied.
        pub applied_sequence: i64,
        /// When an event was last applied.
        pub updated_at: DateTimeUtc,
    }

    /// No relations.
    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// Events of a feed rapport could not ingest (see [`migration_feed_dead_letters`]).
pub mod feed_dead_letter {
    use sea_orm::entity::prelude::*;

    /// One event refused for good: what it was and why, never its payload.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "feed_dead_letter")]
    pub struct Model {
        /// The producer (bistand, insatser, ungsam).
        #[sea_orm(primary_key, auto_increment = false)]
        pub producer: String,
        /// The municipality.
        #[sea_orm(primary_key, auto_increment = false)]
        pub kommun: String,
        /// The event's sequence in the producer's feed.
        #[sea_orm(primary_key, auto_increment = false)]
        pub sequence: i64,
        /// The payload's type URL.
        pub type_url: String,
        /// Why it could not be ingested.
        pub reason: String,
        /// When it was refused.
        pub dead_at: DateTimeUtc,
    }

    /// No relations.
    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// Households seen in bistand's feed, by pseudonymous key.
pub mod bistand_household {
    use sea_orm::entity::prelude::*;

    /// One household, pseudonymous.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "bistand_household")]
    pub struct Model {
        /// Keyed hash of the producer's identifier (per-municipality key, kept out of the database).
        #[sea_orm(primary_key, auto_increment = false)]
        pub pseudonym: String,
        /// The municipality.
        pub kommun: String,
        /// The month it was registered, `year * 100 + month`.
        pub registered_month: i32,
        /// Persons.
        pub persons: i32,
        /// Adults.
        pub adults: i32,
        /// Children.
        pub children: i32,
    }

    /// No relations.
    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// rapport's migrator.
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(trappan_platform::store::PlatformTables),
            Box::new(ReportTables),
            Box::new(facts::FactTables),
            Box::new(trappan_platform::store::FeedPositions),
            Box::new(trappan_platform::store::DeliveryDeadLetters),
            Box::new(trappan_platform::store::AuditChain),
            Box::new(migration_unemployment_importer::UnemploymentImporter),
            Box::new(migration_feed_dead_letters::FeedDeadLetters),
        ]
    }
}

#[derive(DeriveIden)]
enum FeedCursor {
    Table,
    Producer,
    Kommun,
    AppliedSequence,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum BistandHousehold {
    Table,
    Pseudonym,
    Kommun,
    RegisteredMonth,
    Persons,
    Adults,
    Children,
}

/// Cursors and the first fact table.
pub struct ReportTables;

impl MigrationName for ReportTables {
    fn name(&self) -> &str {
        "m0002_rapport_tables"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for ReportTables {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(FeedCursor::Table)
                    .col(ColumnDef::new(FeedCursor::Producer).string().not_null())
                    .col(ColumnDef::new(FeedCursor::Kommun).string_len(4).not_null())
                    .col(ColumnDef::new(FeedCursor::AppliedSequence).big_integer().not_null())
                    .col(ColumnDef::new(FeedCursor::UpdatedAt).timestamp_with_time_zone().not_null())
                    .primary_key(Index::create().col(FeedCursor::Producer).col(FeedCursor::Kommun))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(BistandHousehold::Table)
                    .col(ColumnDef::new(BistandHousehold::Pseudonym).string().not_null().primary_key())
                    .col(ColumnDef::new(BistandHousehold::Kommun).string_len(4).not_null())
                    .col(ColumnDef::new(BistandHousehold::RegisteredMonth).integer().not_null())
                    .col(ColumnDef::new(BistandHousehold::Persons).integer().not_null())
                    .col(ColumnDef::new(BistandHousehold::Adults).integer().not_null())
                    .col(ColumnDef::new(BistandHousehold::Children).integer().not_null())
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("bistand_household_kommun_month")
                    .table(BistandHousehold::Table)
                    .col(BistandHousehold::Kommun)
                    .col(BistandHousehold::RegisteredMonth)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(BistandHousehold::Table).to_owned()).await?;
        manager.drop_table(Table::drop().table(FeedCursor::Table).to_owned()).await
    }
}

/// The last sequence applied from `producer` for `kommun` (0 when none).
pub async fn cursor(db: &DatabaseConnection, producer: &str, kommun: &str) -> ServiceResult<u64> {
    Ok(feed_cursor::Entity::find_by_id((producer.to_string(), kommun.to_string()))
        .one(db)
        .await?
        .map_or(0, |row| <u64 as TryFrom<i64>>::try_from(row.applied_sequence).unwrap_or_default()))
}

/// Moves the cursor to `sequence` inside the transaction that applied the event.
pub async fn advance_cursor(
    conn: &impl ConnectionTrait,
    producer: &str,
    kommun: &str,
    sequence: u64,
) -> Result<(), DbErr> {
    let now = chrono::Utc::now();
    let sequence =
        <i64 as TryFrom<u64>>::try_from(sequence).map_err(|_| DbErr::Custom("sequence out of range".into()))?;
    match feed_cursor::Entity::find_by_id((producer.to_string(), kommun.to_string())).one(conn).await? {
        Some(found) => {
            let mut row: feed_cursor::ActiveModel = found.into();
            row.applied_sequence = Set(sequence);
            row.updated_at = Set(now);
            row.update(conn).await?;
        }
        None => {
            feed_cursor::ActiveModel {
                producer: Set(producer.to_string()),
                kommun: Set(kommun.to_string()),
                applied_sequence: Set(sequence),
                updated_at: Set(now),
            }
            .insert(conn)
            .await?;
        }
    }
    Ok(())
}

/// Records a registered household (idempotent on its pseudonym).
pub async fn upsert_household(conn: &impl ConnectionTrait, row: bistand_household::Model) -> Result<(), DbErr> {
    if bistand_household::Entity::find_by_id(row.pseudonym.clone()).one(conn).await?.is_none() {
        bistand_household::ActiveModel::from(row).insert(conn).await?;
    }
    Ok(())
}

/// Households of `kommun` registered up to and including `month_key`.
pub async fn households_registered_by(db: &DatabaseConnection, kommun: &str, month_key: i32) -> ServiceResult<u64> {
    Ok(bistand_household::Entity::find()
        .filter(bistand_household::Column::Kommun.eq(kommun))
        .filter(bistand_household::Column::RegisteredMonth.lte(month_key))
        .count(db)
        .await?)
}

/// Runs `apply` and advances the cursor in one transaction; an event at or below the cursor was applied
/// before and is skipped, so applying is idempotent per (producer, kommun, sequence). Returns whether it applied.
pub async fn apply_event<F>(
    db: &DatabaseConnection,
    producer: &str,
    kommun: &str,
    sequence: u64,
    apply: F,
) -> ServiceResult<bool>
where
    F: for<'t> FnOnce(&'t sea_orm::DatabaseTransaction) -> futures::future::BoxFuture<'t, Result<(), DbErr>>,
{
    let txn = db.begin().await?;
    let applied = feed_cursor::Entity::find_by_id((producer.to_string(), kommun.to_string()))
        .one(&txn)
        .await?
        .map_or(0, |row| row.applied_sequence);
    if <i64 as TryFrom<u64>>::try_from(sequence).map_or(true, |sequence| sequence <= applied) {
        txn.rollback().await?;
        return Ok(false);
    }
    apply(&txn).await?;
    advance_cursor(&txn, producer, kommun, sequence).await?;
    txn.commit().await?;
    Ok(true)
}

/// Records that `producer`'s event `sequence` for `kommun` cannot be ingested, and moves the cursor past it,
/// in one transaction. An event at or below the cursor was handled before and is skipped, so a replay records
/// nothing twice. Returns whether it was recorded.
pub async fn record_dead_letter(
    db: &DatabaseConnection,
    producer: &str,
    kommun: &str,
    sequence: u64,
    type_url: &str,
    reason: &str,
) -> ServiceResult<bool> {
    let row = feed_dead_letter::Model {
        producer: producer.to_string(),
        kommun: kommun.to_string(),
        sequence: <i64 as TryFrom<u64>>::try_from(sequence).unwrap_or(i64::MAX),
        type_url: type_url.to_string(),
        reason: reason.to_string(),
        dead_at: chrono::Utc::now(),
    };
    apply_event(db, producer, kommun, sequence, move |txn| {
        Box::pin(async move {
            feed_dead_letter::ActiveModel::from(row).insert(txn).await?;
            Ok(())
        })
    })
    .await
}

/// The dead letters of `producer`'s feed for `kommun`.
pub async fn dead_letter_count(db: &DatabaseConnection, producer: &str, kommun: &str) -> ServiceResult<u64> {
    Ok(feed_dead_letter::Entity::find()
        .filter(feed_dead_letter::Column::Producer.eq(producer))
        .filter(feed_dead_letter::Column::Kommun.eq(kommun))
        .count(db)
        .await?)
}

/// Every feed dead letter, oldest first.
pub async fn list_dead_letters(db: &DatabaseConnection) -> Result<Vec<feed_dead_letter::Model>, DbErr> {
    use sea_orm::QueryOrder;
    feed_dead_letter::Entity::find()
        .order_by_asc(feed_dead_letter::Column::DeadAt)
        .order_by_asc(feed_dead_letter::Column::Sequence)
        .all(db)
        .await
}
