//! ungsam's schema, in order. The shared platform tables come first.

use sea_orm_migration::prelude::*;

/// ungsam's migrator.
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(trappan_platform::store::PlatformTables),
            Box::new(YoungPersonTables),
            Box::new(OutreachTables),
            Box::new(trappan_platform::store::FeedPositions),
            Box::new(trappan_platform::store::DeliveryDeadLetters),
            Box::new(trappan_platform::store::AuditChain),
        ]
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

#[derive(DeriveIden)]
enum YoungPersonOutreach {
    #[sea_orm(iden = "young_person")]
    Table,
    IdentifiedOn,
    ContactChannel,
    ContactDetail,
    Coach,
    Needs,
    Plan,
    ExitOutcome,
    FirstReachedOn,
    LastContactOn,
}

#[derive(DeriveIden)]
enum StatusChange {
    Table,
    Id,
    Kommun,
    YoungPersonId,
    FromStatus,
    ToStatus,
    ChangedOn,
    Cause,
    CreatedAt,
}

#[derive(DeriveIden)]
enum OutreachContact {
    Table,
    Id,
    Kommun,
    YoungPersonId,
    RequestId,
    ContactedOn,
    Channel,
    MadeBy,
    Outcome,
    Note,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Consent {
    Table,
    Id,
    Kommun,
    YoungPersonId,
    Scope,
    GivenOn,
    WithdrawnAt,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Handover {
    Table,
    Id,
    Kommun,
    YoungPersonId,
    RequestId,
    ConsentId,
    Reason,
    State,
    ParticipantId,
    HandedOverOn,
    Outcome,
    OutcomeReportId,
    ExitedOn,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Partner {
    Table,
    Id,
    Kommun,
    RequestId,
    Name,
    Kind,
    CreatedAt,
}

#[derive(DeriveIden)]
enum JointActivity {
    Table,
    Id,
    Kommun,
    RequestId,
    Kind,
    Title,
    PartnerIds,
    PlannedOn,
    CompletedOn,
    ParticipantCount,
    CreatedAt,
}

/// Outreach: status history, contacts, consents, handovers, partners and joint activities, and the
/// young person's outreach columns.
pub struct OutreachTables;

impl MigrationName for OutreachTables {
    fn name(&self) -> &str {
        "m0003_ungsam_outreach"
    }
}

/// A unique index over `columns` of `table`.
fn unique(name: &str, table: impl IntoIden, columns: Vec<DynIden>) -> IndexCreateStatement {
    let mut index = Index::create();
    index.name(name).table(table).unique();
    for column in columns {
        index.col(column);
    }
    index.to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for OutreachTables {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // SQLite alters one column per statement.
        let columns = [
            ColumnDef::new(YoungPersonOutreach::IdentifiedOn).date().null().to_owned(),
            ColumnDef::new(YoungPersonOutreach::ContactChannel).string().null().to_owned(),
            ColumnDef::new(YoungPersonOutreach::ContactDetail).string().null().to_owned(),
            ColumnDef::new(YoungPersonOutreach::Coach).string().null().to_owned(),
            ColumnDef::new(YoungPersonOutreach::Needs).text().null().to_owned(),
            ColumnDef::new(YoungPersonOutreach::Plan).text().null().to_owned(),
            ColumnDef::new(YoungPersonOutreach::ExitOutcome).integer().null().to_owned(),
            ColumnDef::new(YoungPersonOutreach::FirstReachedOn).date().null().to_owned(),
            ColumnDef::new(YoungPersonOutreach::LastContactOn).date().null().to_owned(),
        ];
        for mut column in columns {
            manager
                .alter_table(Table::alter().table(YoungPersonOutreach::Table).add_column(&mut column).to_owned())
                .await?;
        }
        // The natural key of a registration: a re-import (or a second registration) from the same source
        // adds nothing.
        manager
            .create_index(unique(
                "young_person_natural_key",
                YoungPerson::Table,
                vec![
                    YoungPerson::Kommun.into_iden(),
                    YoungPerson::Personnummer.into_iden(),
                    YoungPerson::Source.into_iden(),
                ],
            ))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(StatusChange::Table)
                    .col(ColumnDef::new(StatusChange::Id).uuid().not_null().primary_key())
                    .col(ColumnDef::new(StatusChange::Kommun).string_len(4).not_null())
                    .col(ColumnDef::new(StatusChange::YoungPersonId).uuid().not_null())
                    .col(ColumnDef::new(StatusChange::FromStatus).string().null())
                    .col(ColumnDef::new(StatusChange::ToStatus).string().not_null())
                    .col(ColumnDef::new(StatusChange::ChangedOn).date().not_null())
                    .col(ColumnDef::new(StatusChange::Cause).string().not_null())
                    .col(ColumnDef::new(StatusChange::CreatedAt).timestamp_with_time_zone().not_null())
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("status_change_person")
                    .table(StatusChange::Table)
                    .col(StatusChange::YoungPersonId)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(OutreachContact::Table)
                    .col(ColumnDef::new(OutreachContact::Id).uuid().not_null().primary_key())
                    .col(ColumnDef::new(OutreachContact::Kommun).string_len(4).not_null())
                    .col(ColumnDef::new(OutreachContact::YoungPersonId).uuid().not_null())
                    .col(ColumnDef::new(OutreachContact::RequestId).uuid().not_null())
                    .col(ColumnDef::new(OutreachContact::ContactedOn).date().not_null())
                    .col(ColumnDef::new(OutreachContact::Channel).string().not_null())
                    .col(ColumnDef::new(OutreachContact::MadeBy).string().not_null())
                    .col(ColumnDef::new(OutreachContact::Outcome).string().not_null())
                    .col(ColumnDef::new(OutreachContact::Note).text().null())
                    .col(ColumnDef::new(OutreachContact::CreatedAt).timestamp_with_time_zone().not_null())
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(unique(
                "outreach_contact_request",
                OutreachContact::Table,
                vec![OutreachContact::Kommun.into_iden(), OutreachContact::RequestId.into_iden()],
            ))
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("outreach_contact_person")
                    .table(OutreachContact::Table)
                    .col(OutreachContact::YoungPersonId)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Consent::Table)
                    .col(ColumnDef::new(Consent::Id).uuid().not_null().primary_key())
                    .col(ColumnDef::new(Consent::Kommun).string_len(4).not_null())
                    .col(ColumnDef::new(Consent::YoungPersonId).uuid().not_null())
                    .col(ColumnDef::new(Consent::Scope).string().not_null())
                    .col(ColumnDef::new(Consent::GivenOn).date().not_null())
                    .col(ColumnDef::new(Consent::WithdrawnAt).timestamp_with_time_zone().null())
                    .col(ColumnDef::new(Consent::CreatedAt).timestamp_with_time_zone().not_null())
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create().name("consent_person").table(Consent::Table).col(Consent::YoungPersonId).to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Handover::Table)
                    .col(ColumnDef::new(Handover::Id).uuid().not_null().primary_key())
                    .col(ColumnDef::new(Handover::Kommun).string_len(4).not_null())
                    .col(ColumnDef::new(Handover::YoungPersonId).uuid().not_null())
                    .col(ColumnDef::new(Handover::RequestId).uuid().not_null())
                    .col(ColumnDef::new(Handover::ConsentId).uuid().not_null())
                    .col(ColumnDef::new(Handover::Reason).text().not_null())
                    .col(ColumnDef::new(Handover::State).string().not_null())
                    .col(ColumnDef::new(Handover::ParticipantId).string().null())
                    .col(ColumnDef::new(Handover::HandedOverOn).date().not_null())
                    .col(ColumnDef::new(Handover::Outcome).integer().null())
                    .col(ColumnDef::new(Handover::OutcomeReportId).uuid().null())
                    .col(ColumnDef::new(Handover::ExitedOn).date().null())
                    .col(ColumnDef::new(Handover::CreatedAt).timestamp_with_time_zone().not_null())
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(unique(
                "handover_request",
                Handover::Table,
                vec![Handover::Kommun.into_iden(), Handover::RequestId.into_iden()],
            ))
            .await?;
        manager
            .create_index(
                Index::create().name("handover_person").table(Handover::Table).col(Handover::YoungPersonId).to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Partner::Table)
                    .col(ColumnDef::new(Partner::Id).uuid().not_null().primary_key())
                    .col(ColumnDef::new(Partner::Kommun).string_len(4).not_null())
                    .col(ColumnDef::new(Partner::RequestId).uuid().not_null())
                    .col(ColumnDef::new(Partner::Name).string().not_null())
                    .col(ColumnDef::new(Partner::Kind).string().not_null())
                    .col(ColumnDef::new(Partner::CreatedAt).timestamp_with_time_zone().not_null())
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(unique(
                "partner_request",
                Partner::Table,
                vec![Partner::Kommun.into_iden(), Partner::RequestId.into_iden()],
            ))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(JointActivity::Table)
                    .col(ColumnDef::new(JointActivity::Id).uuid().not_null().primary_key())
                    .col(ColumnDef::new(JointActivity::Kommun).string_len(4).not_null())
                    .col(ColumnDef::new(JointActivity::RequestId).uuid().not_null())
                    .col(ColumnDef::new(JointActivity::Kind).string().not_null())
                    .col(ColumnDef::new(JointActivity::Title).string().not_null())
                    .col(ColumnDef::new(JointActivity::PartnerIds).text().not_null())
                    .col(ColumnDef::new(JointActivity::PlannedOn).date().not_null())
                    .col(ColumnDef::new(JointActivity::CompletedOn).date().null())
                    .col(ColumnDef::new(JointActivity::ParticipantCount).integer().not_null())
                    .col(ColumnDef::new(JointActivity::CreatedAt).timestamp_with_time_zone().not_null())
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(unique(
                "joint_activity_request",
                JointActivity::Table,
                vec![JointActivity::Kommun.into_iden(), JointActivity::RequestId.into_iden()],
            ))
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            JointActivity::Table.into_iden(),
            Partner::Table.into_iden(),
            Handover::Table.into_iden(),
            Consent::Table.into_iden(),
            OutreachContact::Table.into_iden(),
            StatusChange::Table.into_iden(),
        ] {
            manager.drop_table(Table::drop().table(table).to_owned()).await?;
        }
        manager.drop_index(Index::drop().name("young_person_natural_key").table(YoungPerson::Table).to_owned()).await?;
        for column in [
            YoungPersonOutreach::IdentifiedOn,
            YoungPersonOutreach::ContactChannel,
            YoungPersonOutreach::ContactDetail,
            YoungPersonOutreach::Coach,
            YoungPersonOutreach::Needs,
            YoungPersonOutreach::Plan,
            YoungPersonOutreach::ExitOutcome,
            YoungPersonOutreach::FirstReachedOn,
            YoungPersonOutreach::LastContactOn,
        ] {
            manager
                .alter_table(Table::alter().table(YoungPersonOutreach::Table).drop_column(column).to_owned())
                .await?;
        }
        Ok(())
    }
}
