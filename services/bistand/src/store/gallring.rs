//! Gallring: the retention job over every municipality's households (socialtjänstförordningen 7 kap.).
//!
//! For each household the last entry is the latest of its registration, its consents' given and
//! withdrawn dates, and its referrals. Each member is assessed with [`retention::assess`]; a member
//! who is due is erased (consents, referrals, their outbound deliveries, the member row), and a
//! household left without members is erased too. Every erasure is audited as the system in the same
//! transaction as the deletion, one transaction per household. The change feed is pseudonymous and
//! is left alone.

use chrono::NaiveDate;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
    TransactionTrait,
};
use trappan_platform::audit::{self, Outcome};
use trappan_platform::auth::{CallContext, Kommun};
use trappan_platform::delivery;
use trappan_platform::error::{ServiceError, ServiceResult};
use trappan_platform::personnummer::Personnummer;
use uuid::Uuid;

use super::{consent, household, member, referral};
use crate::domain::retention::{self, RetentionDecision};

/// The job's name, as audited.
pub const JOB: &str = "gallring";

/// Households read per page.
const PAGE: u64 = 500;

/// What a gallring run did (or, dry, would do). Counts only: no personal data.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct GallringReport {
    /// Households looked at.
    pub households_examined: u64,
    /// Members whose records were due and erased (or would be, in a dry run).
    pub members_due: u64,
    /// Members kept because they were born on the 5th, 15th or 25th.
    pub members_kept_for_research: u64,
    /// Households erased because no member was left (or would be, in a dry run).
    pub households_removed: u64,
}

/// Runs gallring as of `today` over all municipalities; a dry run changes and writes nothing.
pub async fn run_gallring(db: &DatabaseConnection, today: NaiveDate, dry_run: bool) -> ServiceResult<GallringReport> {
    let mut report = GallringReport::default();
    let mut after: Option<Uuid> = None;
    loop {
        let mut query = household::Entity::find().order_by_asc(household::Column::Id).limit(PAGE);
        if let Some(after) = after {
            query = query.filter(household::Column::Id.gt(after));
        }
        let page = query.all(db).await?;
        let Some(last) = page.last() else { break };
        after = Some(last.id);
        for row in page {
            report.households_examined += 1;
            if dry_run {
                assess_household(db, &row, today, None, &mut report).await?;
            } else {
                let txn = db.begin().await?;
                // Re-read inside the transaction: the household may have gone or changed meanwhile.
                let Some(row) = household::Entity::find_by_id(row.id).one(&txn).await? else {
                    continue;
                };
                let context = system_context(&row.kommun)?;
                assess_household(&txn, &row, today, Some(&context), &mut report).await?;
                txn.commit().await?;
            }
        }
    }
    Ok(report)
}

fn system_context(kommun: &str) -> ServiceResult<CallContext> {
    let kommun = Kommun::parse(kommun).ok_or_else(|| internal("a stored household has an invalid kommunkod"))?;
    Ok(CallContext::system(kommun, JOB))
}

fn internal(message: impl Into<String>) -> ServiceError {
    ServiceError::from(DbErr::Custom(message.into()))
}

/// Assesses one household's members and, when `erase_as` is given, erases those due.
async fn assess_household(
    conn: &impl ConnectionTrait,
    row: &household::Model,
    today: NaiveDate,
    erase_as: Option<&CallContext>,
    report: &mut GallringReport,
) -> ServiceResult<()> {
    let members = member::Entity::find().filter(member::Column::HouseholdId.eq(row.id)).all(conn).await?;
    let consents = consent::Entity::find().filter(consent::Column::HouseholdId.eq(row.id)).all(conn).await?;
    let referrals = referral::Entity::find().filter(referral::Column::HouseholdId.eq(row.id)).all(conn).await?;

    let last_entry = consents
        .iter()
        .flat_map(|c| std::iter::once(c.given_on).chain(c.withdrawn_on))
        .chain(referrals.iter().map(|r| r.created_at.date_naive()))
        // The case flow (applications, decisions, payments, reports) counts as entries too.
        .chain(super::case_gallring::last_case_entry(conn, row.id).await?)
        .fold(row.created_at.date_naive(), std::cmp::max);

    let mut remaining = members.len();
    for person in &members {
        let Some(day) = Personnummer::parse(&person.personnummer).ok().map(|p| p.birth_day_of_month()) else {
            // Never erase what cannot be assessed; the identifier is internal, not the number.
            tracing::warn!(member_id = %person.id, "gallring: stored identity number unreadable; member kept");
            continue;
        };
        let decision =
            retention::assess(last_entry, day, today).map_err(|error| internal(format!("gallring: {error}")))?;
        match decision {
            RetentionDecision::KeptForResearch => report.members_kept_for_research += 1,
            RetentionDecision::NotDue { .. } => {}
            RetentionDecision::Due { .. } => {
                report.members_due += 1;
                remaining -= 1;
                if let Some(context) = erase_as {
                    erase_member(conn, context, person, &consents, &referrals).await?;
                }
            }
        }
    }

    if remaining == 0 {
        report.households_removed += 1;
        if let Some(context) = erase_as {
            // Anything still hanging on the household (none in practice) goes with it.
            let leftover: Vec<Uuid> = referral::Entity::find()
                .filter(referral::Column::HouseholdId.eq(row.id))
                .all(conn)
                .await?
                .into_iter()
                .map(|r| r.id)
                .collect();
            delete_referrals(conn, &leftover).await?;
            consent::Entity::delete_many().filter(consent::Column::HouseholdId.eq(row.id)).exec(conn).await?;
            super::case_gallring::erase_household_case_flow(conn, row.id).await?;
            household::Entity::delete_by_id(row.id).exec(conn).await?;
            audit::record(conn, context, "household", &row.id.to_string(), Outcome::Erased).await?;
        }
    }
    Ok(())
}

async fn erase_member(
    conn: &impl ConnectionTrait,
    context: &CallContext,
    person: &member::Model,
    consents: &[consent::Model],
    referrals: &[referral::Model],
) -> ServiceResult<()> {
    let consent_ids: Vec<Uuid> = consents.iter().filter(|c| c.member_id == person.id).map(|c| c.id).collect();
    let referral_ids: Vec<Uuid> = referrals
        .iter()
        .filter(|r| r.member_id == person.id || consent_ids.contains(&r.consent_id))
        .map(|r| r.id)
        .collect();
    delete_referrals(conn, &referral_ids).await?;
    consent::Entity::delete_many().filter(consent::Column::MemberId.eq(person.id)).exec(conn).await?;
    super::case_gallring::erase_member_reports(conn, person.id).await?;
    member::Entity::delete_by_id(person.id).exec(conn).await?;
    audit::record(conn, context, "household_member", &person.id.to_string(), Outcome::Erased).await?;
    Ok(())
}

/// Deletes referrals and their (pending or delivered) outbound deliveries, which share their ids.
async fn delete_referrals(conn: &impl ConnectionTrait, ids: &[Uuid]) -> ServiceResult<()> {
    if ids.is_empty() {
        return Ok(());
    }
    delivery::entity::Entity::delete_many()
        .filter(delivery::entity::Column::Id.is_in(ids.iter().copied()))
        .exec(conn)
        .await?;
    referral::Entity::delete_many().filter(referral::Column::Id.is_in(ids.iter().copied())).exec(conn).await?;
    Ok(())
}
