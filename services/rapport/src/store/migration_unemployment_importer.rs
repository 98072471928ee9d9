//! Keys the imported unemployment figures by the importing municipality (`importer`). Until this migration
//! one table held the figures every municipality saw, so one municipality's analytiker could overwrite the
//! comparison figures of all the others. Each municipality now keeps the series it imported itself.
//!
//! The figures already stored are copied to every municipality whose feeds rapport follows (the
//! municipalities that could see them before), so no one loses the figures they had.

use sea_orm_migration::prelude::*;

#[derive(DeriveIden)]
enum UnemploymentFigure {
    Table,
    Region,
    MonthKey,
    GroupCode,
    Series,
    RegisteredUnemployed,
    ShareBp,
}

#[derive(DeriveIden)]
enum ImportedUnemploymentFigure {
    Table,
    Importer,
}

#[derive(DeriveIden)]
enum FeedCursor {
    Table,
    Kommun,
}

/// The `unemployment_figure.importer` key column.
pub struct UnemploymentImporter;

impl MigrationName for UnemploymentImporter {
    fn name(&self) -> &str {
        "m0004_rapport_unemployment_importer"
    }
}

fn figures_table(name: impl IntoIden, with_importer: bool) -> TableCreateStatement {
    let mut table = Table::create();
    table.table(name);
    let mut key = Index::create();
    if with_importer {
        table.col(ColumnDef::new(ImportedUnemploymentFigure::Importer).string_len(4).not_null());
        key.col(ImportedUnemploymentFigure::Importer);
    }
    table
        .col(ColumnDef::new(UnemploymentFigure::Region).string().not_null())
        .col(ColumnDef::new(UnemploymentFigure::MonthKey).integer().not_null())
        .col(ColumnDef::new(UnemploymentFigure::GroupCode).string().not_null())
        .col(ColumnDef::new(UnemploymentFigure::Series).string().not_null())
        .col(ColumnDef::new(UnemploymentFigure::RegisteredUnemployed).big_integer().null())
        .col(ColumnDef::new(UnemploymentFigure::ShareBp).integer().null());
    key.col(UnemploymentFigure::Region)
        .col(UnemploymentFigure::MonthKey)
        .col(UnemploymentFigure::GroupCode)
        .col(UnemploymentFigure::Series);
    table.primary_key(&mut key).to_owned()
}

const FIGURE_COLUMNS: [UnemploymentFigure; 6] = [
    UnemploymentFigure::Region,
    UnemploymentFigure::MonthKey,
    UnemploymentFigure::GroupCode,
    UnemploymentFigure::Series,
    UnemploymentFigure::RegisteredUnemployed,
    UnemploymentFigure::ShareBp,
];

#[async_trait::async_trait]
impl MigrationTrait for UnemploymentImporter {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.create_table(figures_table(ImportedUnemploymentFigure::Table, true)).await?;
        let followed = Query::select()
            .distinct()
            .column((FeedCursor::Table, FeedCursor::Kommun))
            .column((UnemploymentFigure::Table, UnemploymentFigure::Region))
            .column((UnemploymentFigure::Table, UnemploymentFigure::MonthKey))
            .column((UnemploymentFigure::Table, UnemploymentFigure::GroupCode))
            .column((UnemploymentFigure::Table, UnemploymentFigure::Series))
            .column((UnemploymentFigure::Table, UnemploymentFigure::RegisteredUnemployed))
            .column((UnemploymentFigure::Table, UnemploymentFigure::ShareBp))
            .from(UnemploymentFigure::Table)
            .cross_join(FeedCursor::Table)
            .to_owned();
        let mut copy = Query::insert();
        copy.into_table(ImportedUnemploymentFigure::Table)
            .columns(
                std::iter::once(ImportedUnemploymentFigure::Importer.into_iden())
                    .chain(FIGURE_COLUMNS.into_iter().map(IntoIden::into_iden)),
            )
            .select_from(followed)
            .map_err(|e| DbErr::Migration(e.to_string()))?;
        manager.exec_stmt(copy).await?;
        manager.drop_table(Table::drop().table(UnemploymentFigure::Table).to_owned()).await?;
        manager
            .rename_table(
                Table::rename().table(ImportedUnemploymentFigure::Table, UnemploymentFigure::Table).to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // Back to one shared series: every municipality's copy of a figure collapses into one row.
        manager.create_table(figures_table(ImportedUnemploymentFigure::Table, false)).await?;
        let shared = Query::select()
            .columns([
                UnemploymentFigure::Region,
                UnemploymentFigure::MonthKey,
                UnemploymentFigure::GroupCode,
                UnemploymentFigure::Series,
            ])
            .expr(Func::max(Expr::col(UnemploymentFigure::RegisteredUnemployed)))
            .expr(Func::max(Expr::col(UnemploymentFigure::ShareBp)))
            .from(UnemploymentFigure::Table)
            .group_by_columns([
                UnemploymentFigure::Region,
                UnemploymentFigure::MonthKey,
                UnemploymentFigure::GroupCode,
                UnemploymentFigure::Series,
            ])
            .to_owned();
        let mut copy = Query::insert();
        copy.into_table(ImportedUnemploymentFigure::Table)
            .columns(FIGURE_COLUMNS)
            .select_from(shared)
            .map_err(|e| DbErr::Migration(e.to_string()))?;
        manager.exec_stmt(copy).await?;
        manager.drop_table(Table::drop().table(UnemploymentFigure::Table).to_owned()).await?;
        manager
            .rename_table(
                Table::rename().table(ImportedUnemploymentFigure::Table, UnemploymentFigure::Table).to_owned(),
            )
            .await
    }
}

#[cfg(test)]
mod tests {
    use sea_orm::{ConnectionTrait, Statement};
    use sea_orm_migration::MigratorTrait;
    use trappan_platform::testing::{TestDatabase, backends};

    use crate::store::Migrator;

    #[tokio::test]
    async fn every_followed_municipality_gets_its_copy_of_the_shared_figures() {
        for backend in backends() {
            let database = TestDatabase::create(backend).await;
            let db = trappan_platform::store::connect(&database.url).await.expect("connect");
            // Up to the facts (m0003), when the figures were one shared series.
            Migrator::up(&db, Some(3)).await.expect("migrate to m0003");
            db.execute_unprepared(
                "INSERT INTO unemployment_figure (region, month_key, group_code, series, registered_unemployed, \
                 share_bp) VALUES ('0767', 202008, 'all', 's', 300, 580)",
            )
            .await
            .expect("a shared figure");
            // 0767 follows two feeds, 0780 one: each gets one copy.
            db.execute_unprepared(
                "INSERT INTO feed_cursor (producer, kommun, applied_sequence, updated_at) VALUES \
                 ('bistand', '0767', 1, CURRENT_TIMESTAMP), ('insatser', '0767', 1, CURRENT_TIMESTAMP), \
                 ('bistand', '0780', 1, CURRENT_TIMESTAMP)",
            )
            .await
            .expect("cursors");
            Migrator::up(&db, None).await.expect("migrate to the latest");
            let rows = db
                .query_all_raw(Statement::from_string(
                    db.get_database_backend(),
                    "SELECT importer, registered_unemployed FROM unemployment_figure ORDER BY importer",
                ))
                .await
                .expect("rows");
            let copies: Vec<(String, i64)> = rows
                .iter()
                .map(|row| {
                    let importer: String = row.try_get("", "importer").expect("importer");
                    let count: i64 = row.try_get("", "registered_unemployed").expect("count");
                    (importer, count)
                })
                .collect();
            assert_eq!(copies, vec![("0767".to_string(), 300), ("0780".to_string(), 300)]);

            // m0005 (feed dead letters) came after it: revert that and then this one.
            Migrator::down(&db, Some(2)).await.expect("the migration reverts");
            let shared = db
                .query_all_raw(Statement::from_string(
                    db.get_database_backend(),
                    "SELECT region FROM unemployment_figure",
                ))
                .await
                .expect("rows");
            assert_eq!(shared.len(), 1, "the copies collapse into the one shared row");
        }
    }
}
