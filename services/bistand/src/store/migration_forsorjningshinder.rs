//! Adds the försörjningshinder recorded per adult to `household_member` (nullable: not recorded until a
//! socialsekreterare records it; children never have one).

use sea_orm_migration::prelude::*;

#[derive(DeriveIden)]
enum HouseholdMember {
    Table,
    Forsorjningshinder,
}

/// The `household_member.forsorjningshinder` column (the stored codes of
/// [`crate::domain::socialstyrelsen::Forsorjningshinder::store_code`]).
pub struct MemberForsorjningshinder;

impl MigrationName for MemberForsorjningshinder {
    fn name(&self) -> &str {
        "m0010_bistand_member_forsorjningshinder"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for MemberForsorjningshinder {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(HouseholdMember::Table)
                    .add_column(ColumnDef::new(HouseholdMember::Forsorjningshinder).string().null())
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(HouseholdMember::Table)
                    .drop_column(HouseholdMember::Forsorjningshinder)
                    .to_owned(),
            )
            .await
    }
}
