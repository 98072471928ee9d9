//! What gallring needs from the case-flow tables: their latest entry for a household (which extends the
//! retention period) and the erasure of a member's reports and of a removed household's applications,
//! decisions, payments and reports (free text, motivations and the stored calculation inputs are personal
//! data). The pseudonymous change feed is left alone.

use chrono::NaiveDate;
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter};
use uuid::Uuid;

use super::case_entities::{application, case_report, decision, payment};

/// The latest date the case flow recorded for the household: an application registered, a decision made or
/// notified, a payment planned, paid or stopped, a report received.
pub async fn last_case_entry(conn: &impl ConnectionTrait, household_id: Uuid) -> Result<Option<NaiveDate>, DbErr> {
    let applications =
        application::Entity::find().filter(application::Column::HouseholdId.eq(household_id)).all(conn).await?;
    let decisions = decision::Entity::find().filter(decision::Column::HouseholdId.eq(household_id)).all(conn).await?;
    let payments = payment::Entity::find().filter(payment::Column::HouseholdId.eq(household_id)).all(conn).await?;
    let reports =
        case_report::Entity::find().filter(case_report::Column::HouseholdId.eq(household_id)).all(conn).await?;
    Ok(applications
        .iter()
        .map(|a| a.created_at.date_naive())
        .chain(decisions.iter().flat_map(|d| [d.decided_on, d.notified_on, d.created_at.date_naive()]))
        .chain(payments.iter().flat_map(|p| [Some(p.planned_on), p.paid_on, p.stopped_on].into_iter().flatten()))
        .chain(reports.iter().flat_map(|r| [r.occurred_on, r.received_at.date_naive()]))
        .max())
}

/// Erases the labour-market unit's reports about an erased member.
pub async fn erase_member_reports(conn: &impl ConnectionTrait, member_id: Uuid) -> Result<(), DbErr> {
    case_report::Entity::delete_many().filter(case_report::Column::MemberId.eq(member_id)).exec(conn).await?;
    Ok(())
}

/// Erases a removed household's applications, decisions, payments and reports.
pub async fn erase_household_case_flow(conn: &impl ConnectionTrait, household_id: Uuid) -> Result<(), DbErr> {
    case_report::Entity::delete_many().filter(case_report::Column::HouseholdId.eq(household_id)).exec(conn).await?;
    payment::Entity::delete_many().filter(payment::Column::HouseholdId.eq(household_id)).exec(conn).await?;
    decision::Entity::delete_many().filter(decision::Column::HouseholdId.eq(household_id)).exec(conn).await?;
    application::Entity::delete_many().filter(application::Column::HouseholdId.eq(household_id)).exec(conn).await?;
    Ok(())
}
