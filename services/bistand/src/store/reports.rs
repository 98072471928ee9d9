//! Reports from the labour-market unit on a referred person's path, received only while the person's
//! consent to report back is active, and whether the household has an active plan there.

use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, TransactionTrait,
};
use trappan_platform::audit::{self, Outcome};
use trappan_platform::auth::CallContext;
use trappan_platform::error::{ServiceError, ServiceResult};
use trappan_platform::store::{PageRequest, is_unique_violation};
use uuid::Uuid;

use super::case_entities::case_report;
use super::{active_consent, find_household, referral};

/// Report kinds as stored.
pub mod kind {
    /// Unexcused absence.
    pub const UNEXCUSED_ABSENCE: &str = "unexcused_absence";
    /// A plan change (the plan is active).
    pub const PLAN_CHANGED: &str = "plan_changed";
    /// An exit (the plan ended).
    pub const EXITED: &str = "exited";
}

/// A report to store, already parsed.
#[derive(Debug, Clone)]
pub struct NewReport {
    /// The sender's report id (idempotency key).
    pub report_id: Uuid,
    /// bistand's referral.
    pub referral_id: Uuid,
    /// The kind code.
    pub kind: &'static str,
    /// When it happened.
    pub occurred_on: chrono::NaiveDate,
    /// Unexcused absences.
    pub unexcused_absences: i32,
    /// The period's first day.
    pub period_start: Option<chrono::NaiveDate>,
    /// The exit outcome number.
    pub exit_outcome: i32,
    /// The short text.
    pub summary: String,
}

async fn by_report_id(
    conn: &impl ConnectionTrait,
    kommun: &str,
    report_id: Uuid,
) -> ServiceResult<Option<case_report::Model>> {
    Ok(case_report::Entity::find()
        .filter(case_report::Column::Kommun.eq(kommun))
        .filter(case_report::Column::ReportId.eq(report_id))
        .one(conn)
        .await?)
}

/// Stores a report on the referred household's case. Refused (nothing stored) when the referral is not the
/// caller's municipality's, or the member's consent to report back to the labour-market unit is not active.
/// A retried report (same report_id) returns the case report stored first.
pub async fn receive(
    db: &DatabaseConnection,
    context: &CallContext,
    new: NewReport,
) -> ServiceResult<case_report::Model> {
    if let Some(existing) = by_report_id(db, context.kommun(), new.report_id).await? {
        return Ok(existing);
    }
    let txn = db.begin().await?;
    let referred = referral::Entity::find_by_id(new.referral_id)
        .filter(referral::Column::Kommun.eq(context.kommun()))
        .one(&txn)
        .await?
        .ok_or(ServiceError::NotFound("referral"))?;
    if active_consent(&txn, context.kommun(), referred.member_id, "arbetsmarknadsenheten", "report_back")
        .await?
        .is_none()
    {
        return Err(ServiceError::FailedPrecondition(
            "the person's consent to report back to ekonomiskt bistånd is not active; nothing was stored".into(),
        ));
    }
    let row = case_report::ActiveModel {
        id: Set(Uuid::now_v7()),
        kommun: Set(context.kommun().to_string()),
        report_id: Set(new.report_id),
        referral_id: Set(referred.id),
        household_id: Set(referred.household_id),
        member_id: Set(referred.member_id),
        kind: Set(new.kind.into()),
        occurred_on: Set(new.occurred_on),
        unexcused_absences: Set(new.unexcused_absences),
        period_start: Set(new.period_start),
        exit_outcome: Set(new.exit_outcome),
        summary: Set(new.summary),
        received_at: Set(chrono::Utc::now()),
    };
    let row = match row.insert(&txn).await {
        Ok(row) => row,
        Err(error) if is_unique_violation(&error) => {
            txn.rollback().await?;
            return by_report_id(db, context.kommun(), new.report_id).await?.ok_or(ServiceError::NotFound("report"));
        }
        Err(error) => return Err(error.into()),
    };
    audit::record(&txn, context, "case_report", &row.id.to_string(), Outcome::Created).await?;
    txn.commit().await?;
    Ok(row)
}

/// Whether the household has an active plan at the labour-market unit: its latest plan change or exit (by
/// the date it happened) is a plan change.
pub async fn has_active_plan(conn: &impl ConnectionTrait, kommun: &str, household_id: Uuid) -> ServiceResult<bool> {
    let latest = case_report::Entity::find()
        .filter(case_report::Column::Kommun.eq(kommun))
        .filter(case_report::Column::HouseholdId.eq(household_id))
        .filter(case_report::Column::Kind.is_in([kind::PLAN_CHANGED, kind::EXITED]))
        .order_by_desc(case_report::Column::OccurredOn)
        .order_by_desc(case_report::Column::Id)
        .one(conn)
        .await?;
    Ok(latest.is_some_and(|r| r.kind == kind::PLAN_CHANGED))
}

/// One page of a household's case reports, newest first, with whether a plan is active; audited.
pub async fn list(
    db: &DatabaseConnection,
    context: &CallContext,
    household_id: Uuid,
    page: PageRequest,
) -> ServiceResult<(Vec<case_report::Model>, Option<Uuid>, bool)> {
    let txn = db.begin().await?;
    find_household(&txn, context, household_id).await?;
    let mut query = case_report::Entity::find()
        .filter(case_report::Column::Kommun.eq(context.kommun()))
        .filter(case_report::Column::HouseholdId.eq(household_id));
    if let Some(after) = page.after {
        query = query.filter(case_report::Column::Id.lt(after));
    }
    let rows = query.order_by_desc(case_report::Column::Id).limit(page.fetch_limit()).all(&txn).await?;
    let (rows, next) = page.split(rows, |r| r.id);
    let active = has_active_plan(&txn, context.kommun(), household_id).await?;
    audit::record_many(&txn, context, "case_report", rows.iter().map(|r| r.id.to_string()), Outcome::Read).await?;
    audit::record(&txn, context, "household", &household_id.to_string(), Outcome::Read).await?;
    txn.commit().await?;
    Ok((rows, next, active))
}
