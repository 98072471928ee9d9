//! The case-flow tables: applications, decisions, payments, budgets and case reports.

use sea_orm_migration::prelude::*;

/// Creates the case-flow tables with the unique constraints that make creates idempotent and forbid a
/// second application, standing decision or payment where there may be only one.
pub struct CaseFlowTables;

impl MigrationName for CaseFlowTables {
    fn name(&self) -> &str {
        "m0003_bistand_case_flow"
    }
}

fn id(name: &str) -> ColumnDef {
    ColumnDef::new(Alias::new(name)).uuid().not_null().to_owned()
}

fn text(name: &str) -> ColumnDef {
    ColumnDef::new(Alias::new(name)).text().not_null().to_owned()
}

fn int(name: &str) -> ColumnDef {
    ColumnDef::new(Alias::new(name)).integer().not_null().to_owned()
}

fn money(name: &str) -> ColumnDef {
    ColumnDef::new(Alias::new(name)).big_integer().not_null().to_owned()
}

fn date(name: &str, nullable: bool) -> ColumnDef {
    let mut column = ColumnDef::new(Alias::new(name));
    column.date();
    if nullable {
        column.null()
    } else {
        column.not_null()
    };
    column.to_owned()
}

fn kommun() -> ColumnDef {
    ColumnDef::new(Alias::new("kommun")).string_len(4).not_null().to_owned()
}

fn timestamp(name: &str) -> ColumnDef {
    ColumnDef::new(Alias::new(name)).timestamp_with_time_zone().not_null().to_owned()
}

async fn table(manager: &SchemaManager<'_>, name: &str, columns: Vec<ColumnDef>) -> Result<(), DbErr> {
    let mut create = Table::create();
    create.table(Alias::new(name)).col(ColumnDef::new(Alias::new("id")).uuid().not_null().primary_key());
    for mut column in columns {
        create.col(&mut column);
    }
    manager.create_table(create.to_owned()).await
}

async fn index(
    manager: &SchemaManager<'_>,
    table: &str,
    name: &str,
    columns: &[&str],
    unique: bool,
) -> Result<(), DbErr> {
    let mut create = Index::create();
    create.name(name).table(Alias::new(table));
    for column in columns {
        create.col(Alias::new(*column));
    }
    if unique {
        create.unique();
    }
    manager.create_index(create.to_owned()).await
}

#[async_trait::async_trait]
impl MigrationTrait for CaseFlowTables {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        table(
            manager,
            "application",
            vec![
                kommun(),
                id("request_id"),
                id("household_id"),
                int("month"),
                text("cost_lines"),
                text("income_lines"),
                ColumnDef::new(Alias::new("income_verified")).boolean().not_null().to_owned(),
                text("state"),
                ColumnDef::new(Alias::new("supersedes_id")).uuid().null().to_owned(),
                text("chain_key"),
                text("registered_by"),
                timestamp("created_at"),
            ],
        )
        .await?;
        index(manager, "application", "application_request", &["kommun", "request_id"], true).await?;
        index(manager, "application", "application_chain", &["kommun", "chain_key"], true).await?;
        index(manager, "application", "application_household", &["household_id", "month"], false).await?;
        table(
            manager,
            "decision",
            vec![
                kommun(),
                id("request_id"),
                id("application_id"),
                id("household_id"),
                int("month"),
                text("outcome"),
                money("granted_ore"),
                text("cost_lines"),
                text("calculation"),
                text("inputs"),
                int("norm_year"),
                text("norm_version"),
                text("reason"),
                text("decided_by"),
                date("decided_on", false),
                date("notified_on", false),
                date("appeal_deadline", false),
                ColumnDef::new(Alias::new("supersedes_id")).uuid().null().to_owned(),
                ColumnDef::new(Alias::new("superseded_by")).uuid().null().to_owned(),
                text("chain_key"),
                timestamp("created_at"),
            ],
        )
        .await?;
        index(manager, "decision", "decision_request", &["kommun", "request_id"], true).await?;
        index(manager, "decision", "decision_chain", &["kommun", "chain_key"], true).await?;
        index(manager, "decision", "decision_household", &["household_id", "month"], false).await?;
        index(manager, "decision", "decision_decided_on", &["kommun", "decided_on"], false).await?;
        table(
            manager,
            "payment",
            vec![
                kommun(),
                id("request_id"),
                id("decision_id"),
                id("household_id"),
                int("month"),
                money("amount_ore"),
                text("status"),
                date("planned_on", false),
                date("paid_on", true),
                date("stopped_on", true),
                ColumnDef::new(Alias::new("stop_reason")).text().null().to_owned(),
                timestamp("created_at"),
            ],
        )
        .await?;
        index(manager, "payment", "payment_request", &["kommun", "request_id"], true).await?;
        index(manager, "payment", "payment_decision", &["decision_id"], true).await?;
        index(manager, "payment", "payment_paid_on", &["kommun", "paid_on"], false).await?;
        table(
            manager,
            "budget",
            vec![kommun(), int("year"), money("allocated_ore"), text("set_by"), timestamp("updated_at")],
        )
        .await?;
        index(manager, "budget", "budget_year", &["kommun", "year"], true).await?;
        table(
            manager,
            "case_report",
            vec![
                kommun(),
                id("report_id"),
                id("referral_id"),
                id("household_id"),
                id("member_id"),
                text("kind"),
                date("occurred_on", false),
                int("unexcused_absences"),
                date("period_start", true),
                int("exit_outcome"),
                text("summary"),
                timestamp("received_at"),
            ],
        )
        .await?;
        index(manager, "case_report", "case_report_report", &["kommun", "report_id"], true).await?;
        index(manager, "case_report", "case_report_household", &["household_id"], false).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in ["case_report", "budget", "payment", "decision", "application"] {
            manager.drop_table(Table::drop().table(Alias::new(table)).to_owned()).await?;
        }
        Ok(())
    }
}
