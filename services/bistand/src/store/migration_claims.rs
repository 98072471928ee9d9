//! The `claim` table (återkrav claims recorded by an omprövning that lowers a paid month's grant), and an
//! index on `payment(household_id, month)` for the omprövning's look-up of the month's payments.

use sea_orm_migration::prelude::*;

#[derive(DeriveIden)]
enum Claim {
    Table,
    Id,
    Kommun,
    HouseholdId,
    Month,
    DecisionId,
    ReplacedDecisionId,
    AmountOre,
    Status,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Payment {
    Table,
    HouseholdId,
    Month,
}

/// Creates `claim` (see [`super::case_entities::claim`]).
pub struct ClaimTable;

impl MigrationName for ClaimTable {
    fn name(&self) -> &str {
        "m0011_bistand_claims"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for ClaimTable {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Claim::Table)
                    .col(ColumnDef::new(Claim::Id).uuid().not_null().primary_key())
                    .col(ColumnDef::new(Claim::Kommun).string_len(4).not_null())
                    .col(ColumnDef::new(Claim::HouseholdId).uuid().not_null())
                    .col(ColumnDef::new(Claim::Month).integer().not_null())
                    .col(ColumnDef::new(Claim::DecisionId).uuid().not_null())
                    .col(ColumnDef::new(Claim::ReplacedDecisionId).uuid().not_null())
                    .col(ColumnDef::new(Claim::AmountOre).big_integer().not_null())
                    .col(ColumnDef::new(Claim::Status).text().not_null())
                    .col(ColumnDef::new(Claim::CreatedAt).timestamp_with_time_zone().not_null())
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("claim_household")
                    .table(Claim::Table)
                    .col(Claim::HouseholdId)
                    .col(Claim::Month)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("payment_household_month")
                    .table(Payment::Table)
                    .col(Payment::HouseholdId)
                    .col(Payment::Month)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_index(Index::drop().name("payment_household_month").table(Payment::Table).to_owned()).await?;
        manager.drop_table(Table::drop().table(Claim::Table).to_owned()).await
    }
}
