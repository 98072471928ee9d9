//! ungsam's schema, in order. The shared platform tables come first.

use sea_orm_migration::prelude::*;

/// ungsam's migrator.
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![Box::new(trappan_platform::store::PlatformTables), Box::new(YoungPersonTables)]
    }
}

#[derive(DeriveIden)]
enum YoungPerson {
    Table,
    Id,
    Kommun,
    RequestId,
    Personnummer,
    GivenName,
    FamilyName,
    Source,
    Status,
    CreatedAt,
}

/// The young people in the target group.
pub struct YoungPersonTables;

impl MigrationName for YoungPersonTables {
    fn name(&self) -> &str {
        "m0002_ungsam_young_person"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for YoungPersonTables {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(YoungPerson::Table)
                    .col(ColumnDef::new(YoungPerson::Id).uuid().not_null().primary_key())
                    .col(ColumnDef::new(YoungPerson::Kommun).string_len(4).not_null())
                    .col(ColumnDef::new(YoungPerson::RequestId).uuid().not_null())
                    .col(ColumnDef::new(YoungPerson::Personnummer).string_len(12).not_null())
                    .col(ColumnDef::new(YoungPerson::GivenName).string().not_null())
                    .col(ColumnDef::new(YoungPerson::FamilyName).string().not_null())
                    .col(ColumnDef::new(YoungPerson::Source).string().not_null())
                    .col(ColumnDef::new(YoungPerson::Status).string().not_null())
                    .col(ColumnDef::new(YoungPerson::CreatedAt).timestamp_with_time_zone().not_null())
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("young_person_request")
                    .table(YoungPerson::Table)
                    .col(YoungPerson::Kommun)
                    .col(YoungPerson::RequestId)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("young_person_personnummer")
                    .table(YoungPerson::Table)
                    .col(YoungPerson::Kommun)
                    .col(YoungPerson::Personnummer)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(YoungPerson::Table).to_owned()).await
    }
}
