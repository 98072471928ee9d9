//! Gallring: the retention job over households' case files (rules and legal basis in
//! [`crate::domain::retention`]; `docs/law.md`).
//!
//! A household's case file (*akt*) is decided as a whole: its last entry is the latest date in any of its
//! tables (its registration and every entry column listed in [`HOUSEHOLD_TABLES`]), and
//! [`retention::assess`] is given the household's municipality and the birth day of every member. A file
//! kept for research is left entirely alone; a file that is due is erased entirely: every row of every
//! table in [`HOUSEHOLD_TABLES`] (with their outbound deliveries), every member and the household. So no
//! member is ever erased out of a kept file, and no erased person's birth date, sex or income stays behind
//! in a kept decision's stored calculation inputs. Every erasure (each member, then the household) is
//! audited in the same transaction as the deletion, one transaction per household. The change feed is
//! pseudonymous and is left alone.
//!
//! # Adding a table
//! A new table that holds a household's personal data needs a `household_id` column and one entry in
//! [`HOUSEHOLD_TABLES`] (in deletion order: rows that refer to other rows of the list come first).
//! Nothing else in this module changes; a test checks the list against the schema.

use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::sea_query::{Alias, Expr, ExprTrait, Func, Query};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
    TransactionTrait,
};
use trappan_platform::audit::{self, Outcome};
use trappan_platform::auth::{CallContext, Kommun};
use trappan_platform::error::{ServiceError, ServiceResult};
use trappan_platform::personnummer::Personnummer;
use uuid::Uuid;

use super::{household, member};
use crate::domain::retention::{self, RetentionDecision};

/// The job's name, as audited.
pub const JOB: &str = "gallring";

/// Households read per page.
const PAGE: u64 = 500;

/// The column every table in [`HOUSEHOLD_TABLES`] names its household with.
pub const HOUSEHOLD_COLUMN: &str = "household_id";

/// The outbound delivery table, whose rows share their ids with the rows that caused them.
const DELIVERY_TABLE: &str = "outbound_delivery";

/// A column whose values are entries in the case, counted for the household's last entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EntryColumn {
    /// A calendar date (`date`).
    Date(&'static str),
    /// A point in time (`timestamp with time zone`); its UTC date counts.
    Timestamp(&'static str),
}

/// A table that holds a household's personal data, besides `household` and `household_member`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HouseholdTable {
    /// The table's name.
    pub table: &'static str,
    /// The columns that date entries in the case.
    pub entry_columns: &'static [EntryColumn],
    /// Whether its row ids are also ids of outbound deliveries, erased with the row.
    pub has_deliveries: bool,
}

/// Every per-household table with personal data, in deletion order (rows referring to other rows of
/// the list first). The one place gallring learns about a household's tables.
///
/// Claims and payments name their decision and decisions their application, so they come first; a case report names
/// its referral, so it comes before the referral. Every table of the case
/// flow also carries `household_id` itself, so no row is reachable only through another one and none is
/// left orphaned when its parent goes.
pub const HOUSEHOLD_TABLES: &[HouseholdTable] = &[
    HouseholdTable { table: "claim", entry_columns: &[EntryColumn::Timestamp("created_at")], has_deliveries: false },
    HouseholdTable {
        table: "payment",
        entry_columns: &[
            EntryColumn::Date("planned_on"),
            EntryColumn::Date("paid_on"),
            EntryColumn::Date("stopped_on"),
            EntryColumn::Timestamp("created_at"),
        ],
        has_deliveries: false,
    },
    HouseholdTable {
        table: "decision",
        entry_columns: &[
            EntryColumn::Date("decided_on"),
            EntryColumn::Date("notified_on"),
            EntryColumn::Timestamp("created_at"),
        ],
        has_deliveries: false,
    },
    HouseholdTable {
        table: "application",
        entry_columns: &[EntryColumn::Timestamp("created_at")],
        has_deliveries: false,
    },
    HouseholdTable {
        table: "case_report",
        entry_columns: &[EntryColumn::Date("occurred_on"), EntryColumn::Timestamp("received_at")],
        has_deliveries: false,
    },
    HouseholdTable { table: "referral", entry_columns: &[EntryColumn::Timestamp("created_at")], has_deliveries: true },
    HouseholdTable {
        table: "consent",
        entry_columns: &[EntryColumn::Date("given_on"), EntryColumn::Date("withdrawn_on")],
        has_deliveries: false,
    },
];

/// What a gallring run did (or, dry, would do). Counts only: no personal data.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct GallringReport {
    /// Households looked at.
    pub households_examined: u64,
    /// Members of due case files, erased with them (or that would be, in a dry run).
    pub members_due: u64,
    /// Members of case files kept for research: the municipality keeps everything, or someone in the file
    /// was born on the 5th, 15th or 25th.
    pub members_kept_for_research: u64,
    /// Households whose case file was erased (or would be, in a dry run).
    pub households_removed: u64,
}

/// One household gallring touched (or, dry, would touch), by its pseudonymous identifier.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HouseholdGallring {
    /// The household's internal identifier (a random UUID).
    pub household_id: Uuid,
    /// Its members who were (would be) erased.
    pub members_due: u64,
    /// Whether the household itself was (would be) erased; always true, as files are decided as a whole.
    pub household_removed: bool,
}

/// A run's counts and the households it touched, in identifier order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GallringRun {
    /// The counts.
    pub report: GallringReport,
    /// The households with at least one member due.
    pub households: Vec<HouseholdGallring>,
}

/// Who a run answers to: the whole installation (the CLI job) or one municipality's caller (the RPC).
#[derive(Debug, Clone)]
pub enum GallringScope {
    /// Every municipality; erasures are audited as the system job of each household's municipality.
    AllMunicipalities,
    /// The caller's municipality only; erasures are audited as the caller.
    Caller(CallContext),
}

/// Runs gallring as of `today` over all municipalities; a dry run changes and writes nothing.
pub async fn run_gallring(db: &DatabaseConnection, today: NaiveDate, dry_run: bool) -> ServiceResult<GallringReport> {
    Ok(run_gallring_in(db, &GallringScope::AllMunicipalities, today, dry_run).await?.report)
}

/// Runs gallring as of `today` in `scope`; a dry run changes and writes nothing.
pub async fn run_gallring_in(
    db: &DatabaseConnection,
    scope: &GallringScope,
    today: NaiveDate,
    dry_run: bool,
) -> ServiceResult<GallringRun> {
    let mut run = GallringRun::default();
    let mut after: Option<Uuid> = None;
    loop {
        let mut query = household::Entity::find().order_by_asc(household::Column::Id).limit(PAGE);
        if let GallringScope::Caller(context) = scope {
            query = query.filter(household::Column::Kommun.eq(context.kommun()));
        }
        if let Some(after) = after {
            query = query.filter(household::Column::Id.gt(after));
        }
        let page = query.all(db).await?;
        let Some(last) = page.last() else { break };
        after = Some(last.id);
        for row in page {
            run.report.households_examined += 1;
            let outcome = if dry_run {
                assess_household(db, &row, today, None).await?
            } else {
                let txn = db.begin().await?;
                // Re-read inside the transaction: the household may have gone or changed meanwhile.
                let Some(row) = household::Entity::find_by_id(row.id).one(&txn).await? else {
                    continue;
                };
                let context = match scope {
                    GallringScope::AllMunicipalities => system_context(&row.kommun)?,
                    GallringScope::Caller(context) => context.clone(),
                };
                let outcome = assess_household(&txn, &row, today, Some(&context)).await?;
                txn.commit().await?;
                outcome
            };
            run.report.members_due += outcome.members_due;
            run.report.members_kept_for_research += outcome.members_kept_for_research;
            if outcome.household_removed {
                run.report.households_removed += 1;
            }
            if outcome.members_due > 0 {
                run.households.push(HouseholdGallring {
                    household_id: row.id,
                    members_due: outcome.members_due,
                    household_removed: outcome.household_removed,
                });
            }
        }
    }
    Ok(run)
}

/// Runs gallring for an RPC caller's municipality, audited: first one entry for the run itself (it reads
/// every member's identity number to assess it, whether or not it erases), then one per erasure.
/// Returns the run's identifier (the subject of its audit entry) with what it did.
pub async fn run_gallring_for_caller(
    db: &DatabaseConnection,
    context: &CallContext,
    today: NaiveDate,
    dry_run: bool,
) -> ServiceResult<(Uuid, GallringRun)> {
    let run_id = Uuid::now_v7();
    audit::record(db, context, "gallring_run", &run_id.to_string(), Outcome::Read).await?;
    let run = run_gallring_in(db, &GallringScope::Caller(context.clone()), today, dry_run).await?;
    Ok((run_id, run))
}

fn system_context(kommun: &str) -> ServiceResult<CallContext> {
    let kommun = Kommun::parse(kommun).ok_or_else(|| internal("a stored household has an invalid kommunkod"))?;
    Ok(CallContext::system(kommun, JOB))
}

fn internal(message: impl Into<String>) -> ServiceError {
    ServiceError::from(DbErr::Custom(message.into()))
}

/// What gallring found in one household.
#[derive(Debug, Clone, Copy, Default)]
struct HouseholdOutcome {
    members_due: u64,
    members_kept_for_research: u64,
    household_removed: bool,
}

/// The household's last entry: its registration or the latest entry column of any of its tables.
async fn last_entry(conn: &impl ConnectionTrait, row: &household::Model) -> ServiceResult<NaiveDate> {
    let mut last = row.created_at.date_naive();
    for table in HOUSEHOLD_TABLES {
        for column in table.entry_columns {
            let name = match column {
                EntryColumn::Date(name) | EntryColumn::Timestamp(name) => *name,
            };
            let query = Query::select()
                .expr_as(Func::max(Expr::col(Alias::new(name))), Alias::new("last_entry"))
                .from(Alias::new(table.table))
                .and_where(Expr::col(Alias::new(HOUSEHOLD_COLUMN)).eq(row.id))
                .to_owned();
            let Some(result) = conn.query_one(&query).await? else { continue };
            let found = match column {
                EntryColumn::Date(_) => result.try_get::<Option<NaiveDate>>("", "last_entry")?,
                EntryColumn::Timestamp(_) => {
                    result.try_get::<Option<DateTime<Utc>>>("", "last_entry")?.map(|at| at.date_naive())
                }
            };
            last = found.map_or(last, |found| std::cmp::max(found, last));
        }
    }
    Ok(last)
}

/// Assesses one household's case file as a whole and, when `erase_as` is given and it is due, erases it.
async fn assess_household(
    conn: &impl ConnectionTrait,
    row: &household::Model,
    today: NaiveDate,
    erase_as: Option<&CallContext>,
) -> ServiceResult<HouseholdOutcome> {
    let members = member::Entity::find().filter(member::Column::HouseholdId.eq(row.id)).all(conn).await?;
    let mut birth_days = Vec::with_capacity(members.len());
    for person in &members {
        let Some(day) = Personnummer::parse(&person.personnummer).ok().map(|p| p.birth_day_of_month()) else {
            // Never erase what cannot be assessed; the identifier is internal, not the number.
            tracing::warn!(household_id = %row.id, "gallring: a stored identity number is unreadable; file kept");
            return Ok(HouseholdOutcome::default());
        };
        birth_days.push(day);
    }
    let last_entry = last_entry(conn, row).await?;
    let decision = retention::assess(&row.kommun, last_entry, &birth_days, today)
        .map_err(|error| internal(format!("gallring: {error}")))?;
    let count = members.len() as u64;
    let mut outcome = HouseholdOutcome::default();
    match decision {
        RetentionDecision::KeptForResearch(_) => outcome.members_kept_for_research = count,
        RetentionDecision::NotDue { .. } => {}
        RetentionDecision::Due { .. } => {
            outcome.members_due = count;
            outcome.household_removed = true;
            if let Some(context) = erase_as {
                for table in HOUSEHOLD_TABLES {
                    delete_rows(conn, table, HOUSEHOLD_COLUMN, row.id).await?;
                }
                for person in &members {
                    member::Entity::delete_by_id(person.id).exec(conn).await?;
                    audit::record(conn, context, "household_member", &person.id.to_string(), Outcome::Erased).await?;
                }
                household::Entity::delete_by_id(row.id).exec(conn).await?;
                audit::record(conn, context, "household", &row.id.to_string(), Outcome::Erased).await?;
            }
        }
    }
    Ok(outcome)
}

/// Deletes the rows of `table` whose `column` is `id`, and their outbound deliveries first.
async fn delete_rows(conn: &impl ConnectionTrait, table: &HouseholdTable, column: &str, id: Uuid) -> ServiceResult<()> {
    if table.has_deliveries {
        let ids = Query::select()
            .column(Alias::new("id"))
            .from(Alias::new(table.table))
            .and_where(Expr::col(Alias::new(column)).eq(id))
            .to_owned();
        let deliveries = Query::delete()
            .from_table(Alias::new(DELIVERY_TABLE))
            .and_where(Expr::col(Alias::new("id")).in_subquery(ids))
            .to_owned();
        conn.execute(&deliveries).await?;
    }
    let rows =
        Query::delete().from_table(Alias::new(table.table)).and_where(Expr::col(Alias::new(column)).eq(id)).to_owned();
    conn.execute(&rows).await?;
    Ok(())
}
