//! Payments (utbetalning) of granted decisions, and the budget position with the year's forecast.

use chrono::{Datelike, NaiveDate};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, TransactionTrait,
};
use trappan_api::bistand::v1 as api;
use trappan_api::common::v1 as common;
use trappan_platform::audit::{self, Outcome};
use trappan_platform::auth::CallContext;
use trappan_platform::error::{ServiceError, ServiceResult};
use trappan_platform::grpc::to_date;
use trappan_platform::outbox;
use trappan_platform::store::{PageRequest, is_unique_violation};
use uuid::Uuid;

use super::applications::year_month_of;
use super::case_entities::{budget, decision, payment};
use super::claims;
use super::decisions::StoredOutcome;
use super::find_household;
use crate::domain::YearMonth;
use crate::domain::forecast::{ForecastInput, ForecastMethod, forecast};

/// Payment statuses as stored.
pub mod status {
    /// Planned.
    pub const PLANNED: &str = "planned";
    /// Paid.
    pub const PAID: &str = "paid";
    /// Stopped.
    pub const STOPPED: &str = "stopped";
}

fn status_api(code: &str) -> api::PaymentStatus {
    match code {
        status::PLANNED => api::PaymentStatus::Planned,
        status::PAID => api::PaymentStatus::Paid,
        status::STOPPED => api::PaymentStatus::Stopped,
        _ => api::PaymentStatus::Unspecified,
    }
}

async fn by_request(
    conn: &impl ConnectionTrait,
    context: &CallContext,
    request_id: Uuid,
) -> ServiceResult<Option<payment::Model>> {
    Ok(payment::Entity::find()
        .filter(payment::Column::Kommun.eq(context.kommun()))
        .filter(payment::Column::RequestId.eq(request_id))
        .one(conn)
        .await?)
}

async fn find_payment(conn: &impl ConnectionTrait, context: &CallContext, id: Uuid) -> ServiceResult<payment::Model> {
    payment::Entity::find_by_id(id)
        .filter(payment::Column::Kommun.eq(context.kommun()))
        .one(conn)
        .await?
        .ok_or(ServiceError::NotFound("payment"))
}

fn status_event(row: &payment::Model, effective_on: NaiveDate) -> ServiceResult<api::PaymentStatusChangedEvent> {
    let month = year_month_of(row.month)?;
    Ok(api::PaymentStatusChangedEvent {
        payment_id: row.id.to_string(),
        decision_id: row.decision_id.to_string(),
        household_id: row.household_id.to_string(),
        month: Some(common::YearMonth { year: month.year(), month: i32::try_from(month.month()).unwrap_or(0) }),
        amount: Some(common::Money { ore: row.amount_ore }),
        status: status_api(&row.status) as i32,
        effective_on: Some(to_date(effective_on)),
    })
}

/// What is paid for a household's month, and the first payment still planned for it, if any. Every decision
/// of a household and month belongs to one chain (the first decision, then each omprövning replacing the
/// standing one; `decision.chain_key` enforces it), so the month's payments are the chain's payments.
async fn paid_for_month(
    conn: &impl ConnectionTrait,
    context: &CallContext,
    household_id: Uuid,
    month: i32,
) -> ServiceResult<(i64, Option<Uuid>)> {
    let rows = payment::Entity::find()
        .filter(payment::Column::Kommun.eq(context.kommun()))
        .filter(payment::Column::HouseholdId.eq(household_id))
        .filter(payment::Column::Month.eq(month))
        .filter(payment::Column::Status.is_in([status::PLANNED, status::PAID]))
        .order_by_asc(payment::Column::Id)
        .all(conn)
        .await?;
    let paid = rows.iter().filter(|p| p.status == status::PAID).fold(0i64, |sum, p| sum.saturating_add(p.amount_ore));
    Ok((paid, rows.iter().find(|p| p.status == status::PLANNED).map(|p| p.id)))
}

/// Reads a decision of the caller's municipality and locks its row until the transaction ends (PostgreSQL:
/// `SELECT … FOR UPDATE`; SQLite has one connection, so one writer, and needs no lock). Planning or paying a
/// decision's payment and replacing the decision by an omprövning all take this lock first, so they happen
/// one after the other and each sees what the one before it committed.
async fn lock_decision(conn: &impl ConnectionTrait, context: &CallContext, id: Uuid) -> ServiceResult<decision::Model> {
    decision::Entity::find_by_id(id)
        .filter(decision::Column::Kommun.eq(context.kommun()))
        .lock_exclusive()
        .one(conn)
        .await?
        .ok_or(ServiceError::NotFound("decision"))
}

/// Settles the month's payments when an omprövning replaces its standing decision, in the omprövning's
/// transaction and under the lock of the replaced decision's row (taken by `decisions::decide`): every
/// payment of the month still planned is stopped (with its audit entry and feed event), so only the new
/// decision's own payment can pay the month from now on; what was already paid is measured against the new
/// grant, and an amount paid above it becomes an återkrav claim (`claims::record_overpayment`) instead of a
/// negative payment.
pub(super) async fn settle_on_omprovning(
    conn: &impl ConnectionTrait,
    context: &CallContext,
    omprovning: &decision::Model,
    replaced_id: Uuid,
    decided_on: NaiveDate,
) -> ServiceResult<()> {
    let planned = payment::Entity::find()
        .filter(payment::Column::Kommun.eq(context.kommun()))
        .filter(payment::Column::HouseholdId.eq(omprovning.household_id))
        .filter(payment::Column::Month.eq(omprovning.month))
        .filter(payment::Column::Status.eq(status::PLANNED))
        .order_by_asc(payment::Column::Id)
        .lock_exclusive()
        .all(conn)
        .await?;
    for row in planned {
        let reason = format!("stopped by the omprövning {} that replaced its decision", omprovning.id);
        if let Some(stopped) = stop_if_planned(conn, row.id, decided_on, reason).await? {
            audit::record(conn, context, "payment", &stopped.id.to_string(), Outcome::Updated).await?;
            outbox::append(conn, &context.caller.kommun, &status_event(&stopped, decided_on)?).await?;
        }
    }
    let (paid, _) = paid_for_month(conn, context, omprovning.household_id, omprovning.month).await?;
    claims::record_overpayment(conn, context, omprovning, replaced_id, paid).await
}

/// Stops a payment if it is still planned, as one conditional update: of a stop and a payment racing for
/// the same planned payment exactly one changes it. `None` when it was no longer planned.
async fn stop_if_planned(
    conn: &impl ConnectionTrait,
    id: Uuid,
    stopped_on: NaiveDate,
    reason: String,
) -> ServiceResult<Option<payment::Model>> {
    let changed = payment::Entity::update_many()
        .col_expr(payment::Column::Status, Expr::value(status::STOPPED))
        .col_expr(payment::Column::StoppedOn, Expr::value(stopped_on))
        .col_expr(payment::Column::StopReason, Expr::value(reason))
        .filter(payment::Column::Id.eq(id))
        .filter(payment::Column::Status.eq(status::PLANNED))
        .exec(conn)
        .await?;
    if changed.rows_affected == 0 {
        return Ok(None);
    }
    Ok(payment::Entity::find_by_id(id).one(conn).await?)
}

/// Plans the one payment of a granted decision. The same request_id returns the payment; a second request
/// for the decision is ALREADY_EXISTS; both are enforced by unique constraints, also under concurrency. For
/// an omprövning the amount is what it grants less what was paid on the decisions it replaces. The decision
/// is read under its row lock ([`lock_decision`]), so an omprövning replacing it either comes first (and the
/// request is refused) or waits for this payment and stops it.
pub async fn create_payment(
    db: &DatabaseConnection,
    context: &CallContext,
    request_id: Uuid,
    decision_id: Uuid,
    planned_on: NaiveDate,
) -> ServiceResult<payment::Model> {
    if let Some(existing) = by_request(db, context, request_id).await? {
        return Ok(existing);
    }
    let txn = db.begin().await?;
    let decided = lock_decision(&txn, context, decision_id).await?;
    if StoredOutcome::from_code(&decided.outcome) == Some(StoredOutcome::Refused) || decided.granted_ore <= 0 {
        return Err(ServiceError::FailedPrecondition("the decision grants nothing to pay (avslag)".into()));
    }
    if decided.superseded_by.is_some() {
        return Err(ServiceError::FailedPrecondition(
            "the decision is superseded by an omprövning; pay the standing decision".into(),
        ));
    }
    let existing = payment::Entity::find().filter(payment::Column::DecisionId.eq(decision_id)).one(&txn).await?;
    if let Some(existing) = existing {
        return Err(ServiceError::AlreadyExists(format!("the decision already has its payment ({})", existing.id)));
    }
    let (paid, planned) = paid_for_month(&txn, context, decided.household_id, decided.month).await?;
    if let Some(planned) = planned {
        // Only a payment planned before omprövningar stopped their month's planned payments can be here.
        return Err(ServiceError::FailedPrecondition(format!(
            "the payment {planned} of the decision this omprövning replaces is still planned; stop it first"
        )));
    }
    let amount_ore = decided.granted_ore - paid;
    if amount_ore <= 0 {
        return Err(ServiceError::FailedPrecondition(
            "what the omprövning grants is already paid on the decision it replaces".into(),
        ));
    }
    let row = payment::ActiveModel {
        id: Set(Uuid::now_v7()),
        kommun: Set(context.kommun().to_string()),
        request_id: Set(request_id),
        decision_id: Set(decision_id),
        household_id: Set(decided.household_id),
        month: Set(decided.month),
        amount_ore: Set(amount_ore),
        status: Set(status::PLANNED.into()),
        planned_on: Set(planned_on),
        paid_on: Set(None),
        stopped_on: Set(None),
        stop_reason: Set(None),
        created_at: Set(chrono::Utc::now()),
    };
    let row = match row.insert(&txn).await {
        Ok(row) => row,
        Err(error) if is_unique_violation(&error) => {
            txn.rollback().await?;
            if let Some(existing) = by_request(db, context, request_id).await? {
                return Ok(existing);
            }
            return Err(ServiceError::AlreadyExists("the decision already has its payment".into()));
        }
        Err(error) => return Err(error.into()),
    };
    audit::record(&txn, context, "payment", &row.id.to_string(), Outcome::Created).await?;
    outbox::append(&txn, &context.caller.kommun, &status_event(&row, planned_on)?).await?;
    txn.commit().await?;
    Ok(row)
}

/// Marks a planned payment paid (idempotent when already paid), with the year's budget event. The change is
/// conditional on the payment still being planned, so concurrent requests record (and announce) it once,
/// and of a payment and a stop racing exactly one wins. It is made under the lock of the payment's decision
/// ([`lock_decision`]) and refused when an omprövning has superseded that decision: only the standing
/// decision's payment pays a month.
pub async fn mark_paid(
    db: &DatabaseConnection,
    context: &CallContext,
    id: Uuid,
    paid_on: NaiveDate,
) -> ServiceResult<payment::Model> {
    let txn = db.begin().await?;
    let found = find_payment(&txn, context, id).await?;
    match found.status.as_str() {
        status::PAID => return Ok(found),
        status::STOPPED => {
            return Err(ServiceError::FailedPrecondition("the payment is stopped and cannot be paid".into()));
        }
        _ => {}
    }
    if lock_decision(&txn, context, found.decision_id).await?.superseded_by.is_some() {
        return Err(ServiceError::FailedPrecondition(
            "the payment's decision is superseded by an omprövning; only the standing decision's payment is paid"
                .into(),
        ));
    }
    let changed = payment::Entity::update_many()
        .col_expr(payment::Column::Status, Expr::value(status::PAID))
        .col_expr(payment::Column::PaidOn, Expr::value(paid_on))
        .filter(payment::Column::Id.eq(id))
        .filter(payment::Column::Status.eq(status::PLANNED))
        .exec(&txn)
        .await?;
    if changed.rows_affected == 0 {
        // A concurrent request changed it first; answer from its result.
        txn.rollback().await?;
        let now = find_payment(db, context, id).await?;
        return match now.status.as_str() {
            status::PAID => Ok(now),
            _ => Err(ServiceError::FailedPrecondition("the payment is stopped and cannot be paid".into())),
        };
    }
    let row = find_payment(&txn, context, id).await?;
    audit::record(&txn, context, "payment", &id.to_string(), Outcome::Updated).await?;
    outbox::append(&txn, &context.caller.kommun, &status_event(&row, paid_on)?).await?;
    let position = budget_status(&txn, context.kommun(), paid_on.year(), None, paid_on).await?;
    outbox::append(&txn, &context.caller.kommun, &position.event()).await?;
    txn.commit().await?;
    Ok(row)
}

/// Stops a planned payment (idempotent when already stopped); a paid one cannot be stopped.
pub async fn stop(
    db: &DatabaseConnection,
    context: &CallContext,
    id: Uuid,
    stopped_on: NaiveDate,
    reason: String,
) -> ServiceResult<payment::Model> {
    let txn = db.begin().await?;
    let found = find_payment(&txn, context, id).await?;
    match found.status.as_str() {
        status::STOPPED => return Ok(found),
        status::PAID => return Err(ServiceError::FailedPrecondition("the payment is already paid".into())),
        _ => {}
    }
    let Some(row) = stop_if_planned(&txn, id, stopped_on, reason).await? else {
        // A concurrent request changed it first; answer from its result.
        txn.rollback().await?;
        let now = find_payment(db, context, id).await?;
        return match now.status.as_str() {
            status::STOPPED => Ok(now),
            _ => Err(ServiceError::FailedPrecondition("the payment is already paid".into())),
        };
    };
    audit::record(&txn, context, "payment", &id.to_string(), Outcome::Updated).await?;
    outbox::append(&txn, &context.caller.kommun, &status_event(&row, stopped_on)?).await?;
    txn.commit().await?;
    Ok(row)
}

/// Which payments to list.
#[derive(Debug, Clone, Copy)]
pub enum PaymentFilter {
    /// One household's.
    Household(Uuid),
    /// The municipality's, of one status or all.
    Status(Option<&'static str>),
}

/// One page of payments, newest first; audited.
pub async fn list_payments(
    db: &DatabaseConnection,
    context: &CallContext,
    filter: PaymentFilter,
    page: PageRequest,
) -> ServiceResult<(Vec<payment::Model>, Option<Uuid>)> {
    let txn = db.begin().await?;
    let mut query = payment::Entity::find().filter(payment::Column::Kommun.eq(context.kommun()));
    match filter {
        PaymentFilter::Household(id) => {
            find_household(&txn, context, id).await?;
            query = query.filter(payment::Column::HouseholdId.eq(id));
        }
        PaymentFilter::Status(Some(code)) => query = query.filter(payment::Column::Status.eq(code)),
        PaymentFilter::Status(None) => {}
    }
    if let Some(after) = page.after {
        query = query.filter(payment::Column::Id.lt(after));
    }
    let rows = query.order_by_desc(payment::Column::Id).limit(page.fetch_limit()).all(&txn).await?;
    let (rows, next) = page.split(rows, |r| r.id);
    audit::record_many(&txn, context, "payment", rows.iter().map(|r| r.id.to_string()), Outcome::Read).await?;
    txn.commit().await?;
    Ok((rows, next))
}

/// A year's budget position.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BudgetPosition {
    /// The year.
    pub year: i32,
    /// The last month counted.
    pub as_of: YearMonth,
    /// The allocated budget, öre (0 when none is set).
    pub allocated_ore: i64,
    /// Whether a budget is set.
    pub budget_set: bool,
    /// Paid January..as_of, öre.
    pub paid_to_date_ore: i64,
    /// The year's forecast, öre.
    pub forecast_ore: i64,
    /// forecast − allocated, öre.
    pub variance_ore: i64,
    /// The variance in basis points of the budget.
    pub variance_bp: Option<i64>,
    /// How the forecast was made.
    pub method: ForecastMethod,
}

impl BudgetPosition {
    /// The feed event of the position.
    pub fn event(&self) -> api::BudgetStatusEvent {
        api::BudgetStatusEvent {
            year: self.year,
            as_of: Some(common::YearMonth {
                year: self.as_of.year(),
                month: i32::try_from(self.as_of.month()).unwrap_or(0),
            }),
            allocated: Some(common::Money { ore: self.allocated_ore }),
            paid_to_date: Some(common::Money { ore: self.paid_to_date_ore }),
            forecast: Some(common::Money { ore: self.forecast_ore }),
        }
    }
}

/// The last month of `year` counted on `today`: this month for the current year, December for a past year,
/// January for a future one.
fn counted_through(year: i32, today: NaiveDate) -> ServiceResult<YearMonth> {
    if year == today.year() {
        return Ok(YearMonth::of(today));
    }
    let month = if year < today.year() { 12 } else { 1 };
    YearMonth::new(year, month).map_err(|_| ServiceError::invalid("year", "out of range"))
}

/// The budget position of `year` counted up to `as_of` (default: [`counted_through`] today). The forecast is
/// `domain::forecast`: the seasonal ratio when last year had payments in the same months, otherwise the linear
/// run rate. Payments count in the month they were paid; stopped and planned payments never count.
pub async fn budget_status(
    conn: &impl ConnectionTrait,
    kommun: &str,
    year: i32,
    as_of: Option<YearMonth>,
    today: NaiveDate,
) -> ServiceResult<BudgetPosition> {
    let as_of = match as_of {
        Some(month) => month,
        None => counted_through(year, today)?,
    };
    let budget = budget::Entity::find()
        .filter(budget::Column::Kommun.eq(kommun))
        .filter(budget::Column::Year.eq(year))
        .one(conn)
        .await?;
    let first = NaiveDate::from_ymd_opt(year - 1, 1, 1).ok_or_else(|| ServiceError::invalid("year", "out of range"))?;
    let paid = payment::Entity::find()
        .filter(payment::Column::Kommun.eq(kommun))
        .filter(payment::Column::Status.eq(status::PAID))
        .filter(payment::Column::PaidOn.gte(first))
        .filter(payment::Column::PaidOn.lte(as_of.last_day()))
        .select_only()
        .column(payment::Column::PaidOn)
        .column(payment::Column::AmountOre)
        .into_tuple::<(Option<NaiveDate>, i64)>()
        .all(conn)
        .await?;
    let previous_all = payment::Entity::find()
        .filter(payment::Column::Kommun.eq(kommun))
        .filter(payment::Column::Status.eq(status::PAID))
        .filter(payment::Column::PaidOn.gte(first))
        .filter(payment::Column::PaidOn.lt(first.with_year(year).unwrap_or(first)))
        .select_only()
        .column(payment::Column::AmountOre)
        .into_tuple::<i64>()
        .all(conn)
        .await?;
    let months = as_of.month() as usize;
    let mut this_year = vec![0i64; months];
    let mut last_year = vec![0i64; months];
    for (on, amount) in paid.into_iter().filter_map(|(on, amount)| on.map(|on| (on, amount))) {
        let slot = (on.month() as usize).saturating_sub(1);
        let target = if on.year() == year { &mut this_year } else { &mut last_year };
        if let Some(sum) = target.get_mut(slot) {
            *sum = sum.saturating_add(amount);
        }
    }
    let previous_total: i64 = previous_all.iter().sum();
    let has_previous = !previous_all.is_empty();
    let allocated_ore = budget.as_ref().map_or(0, |b| b.allocated_ore);
    let result = forecast(&ForecastInput {
        budget_ore: allocated_ore,
        paid_by_month_ore: this_year,
        previous_year_same_months_ore: has_previous.then_some(last_year),
        previous_year_total_ore: has_previous.then_some(previous_total),
    })
    .map_err(|e| ServiceError::Internal(anyhow::anyhow!("forecast: {e}")))?;
    Ok(BudgetPosition {
        year,
        as_of,
        allocated_ore,
        budget_set: budget.is_some(),
        paid_to_date_ore: result.paid_to_date_ore,
        forecast_ore: result.forecast_ore,
        variance_ore: result.variance_ore,
        variance_bp: if budget.is_some() { result.variance_bp } else { None },
        method: result.method,
    })
}

/// Sets (or replaces) the allocated budget of a year, with one budget event per month counted so far
/// (January up to [`counted_through`] today). The allocated budget is the year's, not a month's: a report for
/// any month of the year (rapport keeps the latest position up to each month) must show the budget as now set
/// and the forecast as it stood at that month, also when the budget is set after the year's payments (a budget
/// set in December for the past year, a revised budget mid-year).
pub async fn set_budget(
    db: &DatabaseConnection,
    context: &CallContext,
    year: i32,
    allocated_ore: i64,
    today: NaiveDate,
) -> ServiceResult<BudgetPosition> {
    let txn = db.begin().await?;
    let existing = budget::Entity::find()
        .filter(budget::Column::Kommun.eq(context.kommun()))
        .filter(budget::Column::Year.eq(year))
        .one(&txn)
        .await?;
    let id = match existing {
        Some(found) => {
            let id = found.id;
            let mut row: budget::ActiveModel = found.into();
            row.allocated_ore = Set(allocated_ore);
            row.set_by = Set(context.caller.subject.clone());
            row.updated_at = Set(chrono::Utc::now());
            row.update(&txn).await?;
            id
        }
        None => {
            let row = budget::ActiveModel {
                id: Set(Uuid::now_v7()),
                kommun: Set(context.kommun().to_string()),
                year: Set(year),
                allocated_ore: Set(allocated_ore),
                set_by: Set(context.caller.subject.clone()),
                updated_at: Set(chrono::Utc::now()),
            };
            match row.insert(&txn).await {
                Ok(row) => row.id,
                Err(error) if is_unique_violation(&error) => {
                    txn.rollback().await?;
                    return Err(ServiceError::FailedPrecondition(
                        "the budget was set at the same time by another request; try again".into(),
                    ));
                }
                Err(error) => return Err(error.into()),
            }
        }
    };
    audit::record(&txn, context, "budget", &id.to_string(), Outcome::Updated).await?;
    let through = counted_through(year, today)?;
    for month in 1..through.month() {
        let as_of = YearMonth::new(year, month).map_err(|_| ServiceError::invalid("year", "out of range"))?;
        let earlier = budget_status(&txn, context.kommun(), year, Some(as_of), today).await?;
        outbox::append(&txn, &context.caller.kommun, &earlier.event()).await?;
    }
    let position = budget_status(&txn, context.kommun(), year, Some(through), today).await?;
    outbox::append(&txn, &context.caller.kommun, &position.event()).await?;
    txn.commit().await?;
    Ok(position)
}
