//! insatser's schema, in order. The shared platform tables come first.

use sea_orm_migration::prelude::*;

/// insatser's migrator.
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![Box::new(trappan_platform::store::PlatformTables), Box::new(ParticipantTables)]
    }
}

#[derive(DeriveIden)]
enum Participant {
    Table,
    Id,
    Kommun,
    RequestId,
    ReferralId,
    Personnummer,
    GivenName,
    FamilyName,
    Source,
    ReportBackAllowed,
    ConsentId,
    Reason,
    CreatedAt,
}

/// Participants.
pub struct ParticipantTables;

impl MigrationName for ParticipantTables {
    fn name(&self) -> &str {
        "m0002_insatser_participant_tables"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for ParticipantTables {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Participant::Table)
                    .col(ColumnDef::new(Participant::Id).uuid().not_null().primary_key())
                    .col(ColumnDef::new(Participant::Kommun).string_len(4).not_null())
                    .col(ColumnDef::new(Participant::RequestId).uuid().null())
                    .col(ColumnDef::new(Participant::ReferralId).string().null())
                    .col(ColumnDef::new(Participant::Personnummer).string_len(12).not_null())
                    .col(ColumnDef::new(Participant::GivenName).string().not_null())
                    .col(ColumnDef::new(Participant::FamilyName).string().not_null())
                    .col(ColumnDef::new(Participant::Source).string().not_null())
                    .col(ColumnDef::new(Participant::ReportBackAllowed).boolean().not_null())
                    .col(ColumnDef::new(Participant::ConsentId).string().null())
                    .col(ColumnDef::new(Participant::Reason).string().not_null())
                    .col(ColumnDef::new(Participant::CreatedAt).timestamp_with_time_zone().not_null())
                    .to_owned(),
            )
            .await?;
        // Both unique indexes hold NULLs in one of their columns for every row of the other kind;
        // SQLite and PostgreSQL treat NULLs as distinct in a unique index.
        manager
            .create_index(
                Index::create()
                    .name("participant_request")
                    .table(Participant::Table)
                    .col(Participant::Kommun)
                    .col(Participant::RequestId)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("participant_referral")
                    .table(Participant::Table)
                    .col(Participant::Kommun)
                    .col(Participant::ReferralId)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("participant_personnummer")
                    .table(Participant::Table)
                    .col(Participant::Kommun)
                    .col(Participant::Personnummer)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(Participant::Table).to_owned()).await
    }
}
