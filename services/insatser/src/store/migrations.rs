//! insatser's schema, in order. The shared platform tables come first.

use sea_orm_migration::prelude::*;

/// insatser's migrator.
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(trappan_platform::store::PlatformTables),
            Box::new(ParticipantTables),
            Box::new(PathTables),
            Box::new(trappan_platform::store::FeedPositions),
            Box::new(trappan_platform::store::DeliveryDeadLetters),
            Box::new(trappan_platform::store::AuditChain),
        ]
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

#[derive(DeriveIden, Clone, Copy)]
enum ParticipantPath {
    #[sea_orm(iden = "participant")]
    Table,
    RegisteredOn,
    BornAbroad,
    Coordinator,
    PlanStart,
    ExitedOn,
    ExitOutcome,
}

#[derive(DeriveIden, Clone, Copy)]
enum UnitRules {
    Table,
    Kommun,
    Ladder,
    UnexcusedThreshold,
    UnexcusedWindowDays,
    FollowUpIntervalDays,
    FollowUpGraceDays,
    UpdatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum PlanRevision {
    Table,
    Id,
    Kommun,
    RequestId,
    ParticipantId,
    Revision,
    Goal,
    GoalStep,
    CurrentStep,
    Activities,
    Coordinator,
    DecidedOn,
    CreatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum CatalogueEntry {
    Table,
    Id,
    Kommun,
    RequestId,
    Code,
    Label,
    ActivityType,
    CreatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum Employer {
    Table,
    Id,
    Kommun,
    RequestId,
    Name,
    OrganisationNumber,
    Sector,
    Industry,
    CreatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum Intervention {
    Table,
    Id,
    Kommun,
    RequestId,
    ParticipantId,
    Kind,
    StartDate,
    PlannedEndDate,
    WeeklyHours,
    EmployerId,
    EndedOn,
    CreatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum Attendance {
    Table,
    Id,
    Kommun,
    RequestId,
    InterventionId,
    ParticipantId,
    Date,
    Period,
    Status,
    CreatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum AbsenceReport {
    Table,
    Id,
    Kommun,
    ParticipantId,
    PeriodStart,
    PeriodEnd,
    Unexcused,
    Reported,
    CreatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum FollowUp {
    Table,
    Id,
    Kommun,
    ParticipantId,
    Number,
    MonthsAfterExit,
    DueOn,
    DoneOn,
    Progress,
    NextStep,
    OnTime,
    CreatedAt,
}

/// A unique index over `columns` of `table`.
fn unique_index<T: IntoIden + Copy + 'static, C: IntoIden + Copy + 'static>(
    name: &str,
    table: T,
    columns: &[C],
) -> IndexCreateStatement {
    let mut index = Index::create();
    index.name(name).table(table).unique();
    for column in columns {
        index.col(*column);
    }
    index.to_owned()
}

/// A plain index over `columns` of `table`.
fn index<T: IntoIden + Copy + 'static, C: IntoIden + Copy + 'static>(
    name: &str,
    table: T,
    columns: &[C],
) -> IndexCreateStatement {
    let mut index = Index::create();
    index.name(name).table(table);
    for column in columns {
        index.col(*column);
    }
    index.to_owned()
}

/// The participant's path: plans, rules, the catalogue, employers, interventions, attendance, absence
/// reports and follow-ups; and the participant's registration date, exit and coordinator.
pub struct PathTables;

impl MigrationName for PathTables {
    fn name(&self) -> &str {
        "m0003_insatser_path_tables"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for PathTables {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // SQLite takes one column per ALTER TABLE.
        for column in [
            ColumnDef::new(ParticipantPath::RegisteredOn).date().null().to_owned(),
            ColumnDef::new(ParticipantPath::BornAbroad).boolean().null().to_owned(),
            ColumnDef::new(ParticipantPath::Coordinator).string().null().to_owned(),
            ColumnDef::new(ParticipantPath::PlanStart).date().null().to_owned(),
            ColumnDef::new(ParticipantPath::ExitedOn).date().null().to_owned(),
            ColumnDef::new(ParticipantPath::ExitOutcome).string().null().to_owned(),
        ] {
            manager.alter_table(Table::alter().table(ParticipantPath::Table).add_column(column).to_owned()).await?;
        }
        manager
            .create_table(
                Table::create()
                    .table(UnitRules::Table)
                    .col(ColumnDef::new(UnitRules::Kommun).string_len(4).not_null().primary_key())
                    .col(ColumnDef::new(UnitRules::Ladder).text().not_null())
                    .col(ColumnDef::new(UnitRules::UnexcusedThreshold).integer().not_null())
                    .col(ColumnDef::new(UnitRules::UnexcusedWindowDays).integer().not_null())
                    .col(ColumnDef::new(UnitRules::FollowUpIntervalDays).integer().not_null())
                    .col(ColumnDef::new(UnitRules::FollowUpGraceDays).integer().not_null())
                    .col(ColumnDef::new(UnitRules::UpdatedAt).timestamp_with_time_zone().not_null())
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(PlanRevision::Table)
                    .col(ColumnDef::new(PlanRevision::Id).uuid().not_null().primary_key())
                    .col(ColumnDef::new(PlanRevision::Kommun).string_len(4).not_null())
                    .col(ColumnDef::new(PlanRevision::RequestId).uuid().not_null())
                    .col(ColumnDef::new(PlanRevision::ParticipantId).uuid().not_null())
                    .col(ColumnDef::new(PlanRevision::Revision).integer().not_null())
                    .col(ColumnDef::new(PlanRevision::Goal).string().not_null())
                    .col(ColumnDef::new(PlanRevision::GoalStep).string().null())
                    .col(ColumnDef::new(PlanRevision::CurrentStep).string().not_null())
                    .col(ColumnDef::new(PlanRevision::Activities).text().not_null())
                    .col(ColumnDef::new(PlanRevision::Coordinator).string().not_null())
                    .col(ColumnDef::new(PlanRevision::DecidedOn).date().not_null())
                    .col(ColumnDef::new(PlanRevision::CreatedAt).timestamp_with_time_zone().not_null())
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(unique_index(
                "plan_revision_request",
                PlanRevision::Table,
                &[PlanRevision::Kommun, PlanRevision::RequestId],
            ))
            .await?;
        manager
            .create_index(unique_index(
                "plan_revision_number",
                PlanRevision::Table,
                &[PlanRevision::ParticipantId, PlanRevision::Revision],
            ))
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(CatalogueEntry::Table)
                    .col(ColumnDef::new(CatalogueEntry::Id).uuid().not_null().primary_key())
                    .col(ColumnDef::new(CatalogueEntry::Kommun).string_len(4).not_null())
                    .col(ColumnDef::new(CatalogueEntry::RequestId).uuid().not_null())
                    .col(ColumnDef::new(CatalogueEntry::Code).string().not_null())
                    .col(ColumnDef::new(CatalogueEntry::Label).string().not_null())
                    .col(ColumnDef::new(CatalogueEntry::ActivityType).string().not_null())
                    .col(ColumnDef::new(CatalogueEntry::CreatedAt).timestamp_with_time_zone().not_null())
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(unique_index(
                "catalogue_entry_request",
                CatalogueEntry::Table,
                &[CatalogueEntry::Kommun, CatalogueEntry::RequestId],
            ))
            .await?;
        manager
            .create_index(unique_index(
                "catalogue_entry_code",
                CatalogueEntry::Table,
                &[CatalogueEntry::Kommun, CatalogueEntry::Code],
            ))
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Employer::Table)
                    .col(ColumnDef::new(Employer::Id).uuid().not_null().primary_key())
                    .col(ColumnDef::new(Employer::Kommun).string_len(4).not_null())
                    .col(ColumnDef::new(Employer::RequestId).uuid().not_null())
                    .col(ColumnDef::new(Employer::Name).string().not_null())
                    .col(ColumnDef::new(Employer::OrganisationNumber).string().null())
                    .col(ColumnDef::new(Employer::Sector).string().not_null())
                    .col(ColumnDef::new(Employer::Industry).string().not_null())
                    .col(ColumnDef::new(Employer::CreatedAt).timestamp_with_time_zone().not_null())
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(unique_index("employer_request", Employer::Table, &[Employer::Kommun, Employer::RequestId]))
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Intervention::Table)
                    .col(ColumnDef::new(Intervention::Id).uuid().not_null().primary_key())
                    .col(ColumnDef::new(Intervention::Kommun).string_len(4).not_null())
                    .col(ColumnDef::new(Intervention::RequestId).uuid().not_null())
                    .col(ColumnDef::new(Intervention::ParticipantId).uuid().not_null())
                    .col(ColumnDef::new(Intervention::Kind).string().not_null())
                    .col(ColumnDef::new(Intervention::StartDate).date().not_null())
                    .col(ColumnDef::new(Intervention::PlannedEndDate).date().not_null())
                    .col(ColumnDef::new(Intervention::WeeklyHours).integer().not_null())
                    .col(ColumnDef::new(Intervention::EmployerId).uuid().null())
                    .col(ColumnDef::new(Intervention::EndedOn).date().null())
                    .col(ColumnDef::new(Intervention::CreatedAt).timestamp_with_time_zone().not_null())
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(unique_index(
                "intervention_request",
                Intervention::Table,
                &[Intervention::Kommun, Intervention::RequestId],
            ))
            .await?;
        manager
            .create_index(index("intervention_participant", Intervention::Table, &[Intervention::ParticipantId]))
            .await?;
        manager.create_index(index("intervention_employer", Intervention::Table, &[Intervention::EmployerId])).await?;
        manager
            .create_table(
                Table::create()
                    .table(Attendance::Table)
                    .col(ColumnDef::new(Attendance::Id).uuid().not_null().primary_key())
                    .col(ColumnDef::new(Attendance::Kommun).string_len(4).not_null())
                    .col(ColumnDef::new(Attendance::RequestId).uuid().not_null())
                    .col(ColumnDef::new(Attendance::InterventionId).uuid().not_null())
                    .col(ColumnDef::new(Attendance::ParticipantId).uuid().not_null())
                    .col(ColumnDef::new(Attendance::Date).date().not_null())
                    .col(ColumnDef::new(Attendance::Period).string().not_null())
                    .col(ColumnDef::new(Attendance::Status).string().not_null())
                    .col(ColumnDef::new(Attendance::CreatedAt).timestamp_with_time_zone().not_null())
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(unique_index(
                "attendance_request",
                Attendance::Table,
                &[Attendance::Kommun, Attendance::RequestId],
            ))
            .await?;
        manager
            .create_index(unique_index(
                "attendance_occasion",
                Attendance::Table,
                &[Attendance::InterventionId, Attendance::Date, Attendance::Period],
            ))
            .await?;
        manager
            .create_index(index(
                "attendance_participant",
                Attendance::Table,
                &[Attendance::ParticipantId, Attendance::Date],
            ))
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(AbsenceReport::Table)
                    .col(ColumnDef::new(AbsenceReport::Id).uuid().not_null().primary_key())
                    .col(ColumnDef::new(AbsenceReport::Kommun).string_len(4).not_null())
                    .col(ColumnDef::new(AbsenceReport::ParticipantId).uuid().not_null())
                    .col(ColumnDef::new(AbsenceReport::PeriodStart).date().not_null())
                    .col(ColumnDef::new(AbsenceReport::PeriodEnd).date().not_null())
                    .col(ColumnDef::new(AbsenceReport::Unexcused).integer().not_null())
                    .col(ColumnDef::new(AbsenceReport::Reported).boolean().not_null())
                    .col(ColumnDef::new(AbsenceReport::CreatedAt).timestamp_with_time_zone().not_null())
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(unique_index(
                "absence_report_period",
                AbsenceReport::Table,
                &[AbsenceReport::ParticipantId, AbsenceReport::PeriodStart],
            ))
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(FollowUp::Table)
                    .col(ColumnDef::new(FollowUp::Id).uuid().not_null().primary_key())
                    .col(ColumnDef::new(FollowUp::Kommun).string_len(4).not_null())
                    .col(ColumnDef::new(FollowUp::ParticipantId).uuid().not_null())
                    .col(ColumnDef::new(FollowUp::Number).integer().not_null())
                    .col(ColumnDef::new(FollowUp::MonthsAfterExit).integer().not_null())
                    .col(ColumnDef::new(FollowUp::DueOn).date().not_null())
                    .col(ColumnDef::new(FollowUp::DoneOn).date().null())
                    .col(ColumnDef::new(FollowUp::Progress).string().null())
                    .col(ColumnDef::new(FollowUp::NextStep).text().null())
                    .col(ColumnDef::new(FollowUp::OnTime).boolean().null())
                    .col(ColumnDef::new(FollowUp::CreatedAt).timestamp_with_time_zone().not_null())
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(unique_index(
                "follow_up_occasion",
                FollowUp::Table,
                &[FollowUp::ParticipantId, FollowUp::Number, FollowUp::MonthsAfterExit],
            ))
            .await?;
        manager.create_index(index("follow_up_kommun_due", FollowUp::Table, &[FollowUp::Kommun, FollowUp::DueOn])).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            FollowUp::Table.into_iden(),
            AbsenceReport::Table.into_iden(),
            Attendance::Table.into_iden(),
            Intervention::Table.into_iden(),
            Employer::Table.into_iden(),
            CatalogueEntry::Table.into_iden(),
            PlanRevision::Table.into_iden(),
            UnitRules::Table.into_iden(),
        ] {
            manager.drop_table(Table::drop().table(table).to_owned()).await?;
        }
        for column in [
            ParticipantPath::RegisteredOn,
            ParticipantPath::BornAbroad,
            ParticipantPath::Coordinator,
            ParticipantPath::PlanStart,
            ParticipantPath::ExitedOn,
            ParticipantPath::ExitOutcome,
        ] {
            manager.alter_table(Table::alter().table(ParticipantPath::Table).drop_column(column).to_owned()).await?;
        }
        Ok(())
    }
}
