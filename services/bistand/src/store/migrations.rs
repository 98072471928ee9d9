//! bistand's schema, in order. The shared platform tables come first.

use sea_orm_migration::prelude::*;

/// bistand's migrator.
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(trappan_platform::store::PlatformTables),
            Box::new(CaseTables),
            Box::new(super::case_migrations::CaseFlowTables),
            Box::new(super::migration_forsorjningshinder::MemberForsorjningshinder),
            Box::new(trappan_platform::store::FeedPositions),
            Box::new(super::migration_claims::ClaimTable),
            Box::new(trappan_platform::store::DeliveryDeadLetters),
            Box::new(trappan_platform::store::AuditChain),
        ]
    }
}

#[derive(DeriveIden)]
enum Household {
    Table,
    Id,
    Kommun,
    RequestId,
    ResponsibleUnit,
    ResponsibleCaseWorker,
    CreatedAt,
}

#[derive(DeriveIden)]
enum HouseholdMember {
    Table,
    Id,
    HouseholdId,
    Kommun,
    Personnummer,
    GivenName,
    FamilyName,
    Role,
    LunchAtSchool,
    InUpperSecondarySchool,
    BornAbroad,
    MemberFrom,
    MemberUntil,
    Position,
}

#[derive(DeriveIden)]
enum Consent {
    Table,
    Id,
    Kommun,
    RequestId,
    HouseholdId,
    MemberId,
    RecipientUnit,
    Scopes,
    GivenOn,
    WithdrawnOn,
}

#[derive(DeriveIden)]
enum Referral {
    Table,
    Id,
    Kommun,
    RequestId,
    HouseholdId,
    MemberId,
    ConsentId,
    Reason,
    State,
    InsatserParticipantId,
    CreatedAt,
}

/// Households, members, consents and referrals.
pub struct CaseTables;

impl MigrationName for CaseTables {
    fn name(&self) -> &str {
        "m0002_bistand_case_tables"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for CaseTables {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Household::Table)
                    .col(ColumnDef::new(Household::Id).uuid().not_null().primary_key())
                    .col(ColumnDef::new(Household::Kommun).string_len(4).not_null())
                    .col(ColumnDef::new(Household::RequestId).uuid().not_null())
                    .col(ColumnDef::new(Household::ResponsibleUnit).string().not_null())
                    .col(ColumnDef::new(Household::ResponsibleCaseWorker).string().not_null())
                    .col(ColumnDef::new(Household::CreatedAt).timestamp_with_time_zone().not_null())
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("household_request")
                    .table(Household::Table)
                    .col(Household::Kommun)
                    .col(Household::RequestId)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(HouseholdMember::Table)
                    .col(ColumnDef::new(HouseholdMember::Id).uuid().not_null().primary_key())
                    .col(ColumnDef::new(HouseholdMember::HouseholdId).uuid().not_null())
                    .col(ColumnDef::new(HouseholdMember::Kommun).string_len(4).not_null())
                    .col(ColumnDef::new(HouseholdMember::Personnummer).string_len(12).not_null())
                    .col(ColumnDef::new(HouseholdMember::GivenName).string().not_null())
                    .col(ColumnDef::new(HouseholdMember::FamilyName).string().not_null())
                    .col(ColumnDef::new(HouseholdMember::Role).string().not_null())
                    .col(ColumnDef::new(HouseholdMember::LunchAtSchool).boolean().not_null())
                    .col(ColumnDef::new(HouseholdMember::InUpperSecondarySchool).boolean().not_null())
                    .col(ColumnDef::new(HouseholdMember::BornAbroad).boolean().null())
                    .col(ColumnDef::new(HouseholdMember::MemberFrom).integer().not_null())
                    .col(ColumnDef::new(HouseholdMember::MemberUntil).integer().null())
                    .col(ColumnDef::new(HouseholdMember::Position).integer().not_null())
                    .foreign_key(
                        ForeignKey::create()
                            .from(HouseholdMember::Table, HouseholdMember::HouseholdId)
                            .to(Household::Table, Household::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("household_member_household")
                    .table(HouseholdMember::Table)
                    .col(HouseholdMember::HouseholdId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("household_member_personnummer")
                    .table(HouseholdMember::Table)
                    .col(HouseholdMember::Kommun)
                    .col(HouseholdMember::Personnummer)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Consent::Table)
                    .col(ColumnDef::new(Consent::Id).uuid().not_null().primary_key())
                    .col(ColumnDef::new(Consent::Kommun).string_len(4).not_null())
                    .col(ColumnDef::new(Consent::RequestId).uuid().not_null())
                    .col(ColumnDef::new(Consent::HouseholdId).uuid().not_null())
                    .col(ColumnDef::new(Consent::MemberId).uuid().not_null())
                    .col(ColumnDef::new(Consent::RecipientUnit).string().not_null())
                    .col(ColumnDef::new(Consent::Scopes).string().not_null())
                    .col(ColumnDef::new(Consent::GivenOn).date().not_null())
                    .col(ColumnDef::new(Consent::WithdrawnOn).date().null())
                    .foreign_key(
                        ForeignKey::create()
                            .from(Consent::Table, Consent::MemberId)
                            .to(HouseholdMember::Table, HouseholdMember::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("consent_request")
                    .table(Consent::Table)
                    .col(Consent::Kommun)
                    .col(Consent::RequestId)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Referral::Table)
                    .col(ColumnDef::new(Referral::Id).uuid().not_null().primary_key())
                    .col(ColumnDef::new(Referral::Kommun).string_len(4).not_null())
                    .col(ColumnDef::new(Referral::RequestId).uuid().not_null())
                    .col(ColumnDef::new(Referral::HouseholdId).uuid().not_null())
                    .col(ColumnDef::new(Referral::MemberId).uuid().not_null())
                    .col(ColumnDef::new(Referral::ConsentId).uuid().not_null())
                    .col(ColumnDef::new(Referral::Reason).string().not_null())
                    .col(ColumnDef::new(Referral::State).string().not_null())
                    .col(ColumnDef::new(Referral::InsatserParticipantId).string().null())
                    .col(ColumnDef::new(Referral::CreatedAt).timestamp_with_time_zone().not_null())
                    .foreign_key(
                        ForeignKey::create().from(Referral::Table, Referral::ConsentId).to(Consent::Table, Consent::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("referral_request")
                    .table(Referral::Table)
                    .col(Referral::Kommun)
                    .col(Referral::RequestId)
                    .unique()
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in ["referral", "consent", "household_member", "household"] {
            manager.drop_table(Table::drop().table(Alias::new(table)).to_owned()).await?;
        }
        Ok(())
    }
}
