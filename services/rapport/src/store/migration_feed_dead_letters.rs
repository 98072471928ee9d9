//! The `feed_dead_letter` table: events of a producer's feed that rapport cannot ingest (an undecodable
//! payload, an invalid date). Each row names the event (producer, kommun, sequence, type URL), why it was
//! refused and when, never the payload, so it holds no personal data. The cursor moves past the event in the
//! same transaction as the row is written, so one such event no longer stops its feed.

use sea_orm_migration::prelude::*;

#[derive(DeriveIden)]
enum FeedDeadLetter {
    Table,
    Producer,
    Kommun,
    Sequence,
    TypeUrl,
    Reason,
    DeadAt,
}

/// The `feed_dead_letter` table.
pub struct FeedDeadLetters;

impl MigrationName for FeedDeadLetters {
    fn name(&self) -> &str {
        "m0005_rapport_feed_dead_letters"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for FeedDeadLetters {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(FeedDeadLetter::Table)
                    .col(ColumnDef::new(FeedDeadLetter::Producer).string().not_null())
                    .col(ColumnDef::new(FeedDeadLetter::Kommun).string_len(4).not_null())
                    .col(ColumnDef::new(FeedDeadLetter::Sequence).big_integer().not_null())
                    .col(ColumnDef::new(FeedDeadLetter::TypeUrl).string().not_null())
                    .col(ColumnDef::new(FeedDeadLetter::Reason).string().not_null())
                    .col(ColumnDef::new(FeedDeadLetter::DeadAt).timestamp_with_time_zone().not_null())
                    .primary_key(
                        Index::create()
                            .col(FeedDeadLetter::Producer)
                            .col(FeedDeadLetter::Kommun)
                            .col(FeedDeadLetter::Sequence),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(FeedDeadLetter::Table).to_owned()).await
    }
}

#[cfg(test)]
mod tests {
    use sea_orm_migration::MigratorTrait;
    use trappan_platform::testing::{TestDatabase, backends};

    use crate::store::{self, Migrator};

    #[tokio::test]
    async fn the_migration_reverts_and_reapplies_and_the_table_takes_dead_letters() {
        for backend in backends() {
            let database = TestDatabase::create(backend).await;
            let db = trappan_platform::store::connect(&database.url).await.expect("connect");
            Migrator::up(&db, None).await.expect("migrate to the latest");
            Migrator::down(&db, Some(1)).await.expect("the migration reverts");
            Migrator::up(&db, None).await.expect("and applies again");
            let recorded =
                store::record_dead_letter(&db, "bistand", "0767", 7, "type/x", "undecodable x at sequence 7")
                    .await
                    .expect("record");
            assert!(recorded, "{backend:?}");
            assert_eq!(store::cursor(&db, "bistand", "0767").await.expect("cursor"), 7, "{backend:?}");
            assert_eq!(store::dead_letter_count(&db, "bistand", "0767").await.expect("count"), 1, "{backend:?}");
        }
    }
}
