//! The work itself: the register of employers and organisations, interventions (insatser) and
//! attendance, with the rule that unexcused absence reaching the unit's threshold is reported to bistand
//! once per period when the consent allows.

use chrono::{Datelike, Days, NaiveDate};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, TransactionTrait,
};
use trappan_api::insatser::v1 as api;
use trappan_platform::audit::{self, Outcome};
use trappan_platform::auth::CallContext;
use trappan_platform::error::{ServiceError, ServiceResult};
use trappan_platform::grpc::to_date;
use trappan_platform::outbox;
use trappan_platform::store::{PageRequest, is_unique_violation};
use uuid::Uuid;

use super::reports::{BistandReport, report_to_bistand};
use super::{absence_report, attendance, employer, intervention, participant_for_update, require_active, rules};
use crate::domain::{AttendanceRecord, AttendanceStatus, attendance::unexcused_in_window, unexcused_exceeds};

/// The audit log's name for an intervention.
const INTERVENTION: &str = "intervention";

/// An employer to register, already parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewEmployer {
    /// The idempotency key.
    pub request_id: Uuid,
    /// The name.
    pub name: String,
    /// The organisation number, when known.
    pub organisation_number: Option<String>,
    /// private, public or non_profit.
    pub sector: &'static str,
    /// The branch of trade.
    pub industry: String,
}

/// Registers an employer or organisation; a retried request returns the first.
pub async fn create_employer(
    db: &DatabaseConnection,
    context: &CallContext,
    new: NewEmployer,
) -> ServiceResult<employer::Model> {
    let find = || {
        employer::Entity::find()
            .filter(employer::Column::Kommun.eq(context.kommun()))
            .filter(employer::Column::RequestId.eq(new.request_id))
            .one(db)
    };
    if let Some(existing) = find().await? {
        return Ok(existing);
    }
    let txn = db.begin().await?;
    let inserted = employer::ActiveModel {
        id: Set(Uuid::now_v7()),
        kommun: Set(context.kommun().to_string()),
        request_id: Set(new.request_id),
        name: Set(new.name.clone()),
        organisation_number: Set(new.organisation_number.clone()),
        sector: Set(new.sector.to_string()),
        industry: Set(new.industry.clone()),
        created_at: Set(chrono::Utc::now()),
    }
    .insert(&txn)
    .await;
    match inserted {
        Ok(row) => {
            audit::record(&txn, context, "employer", &row.id.to_string(), Outcome::Created).await?;
            txn.commit().await?;
            Ok(row)
        }
        Err(error) if is_unique_violation(&error) => {
            txn.rollback().await?;
            find().await?.ok_or(ServiceError::NotFound("employer"))
        }
        Err(error) => Err(error.into()),
    }
}

/// One page of the municipality's employers, newest first.
pub async fn list_employers(
    db: &DatabaseConnection,
    context: &CallContext,
    page: PageRequest,
) -> ServiceResult<(Vec<employer::Model>, Option<Uuid>)> {
    let mut query = employer::Entity::find().filter(employer::Column::Kommun.eq(context.kommun()));
    if let Some(after) = page.after {
        query = query.filter(employer::Column::Id.lt(after));
    }
    let rows = query.order_by_desc(employer::Column::Id).limit(page.fetch_limit()).all(db).await?;
    Ok(page.split(rows, |r| r.id))
}

/// An intervention to start, already parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewIntervention {
    /// The idempotency key.
    pub request_id: Uuid,
    /// The participant.
    pub participant_id: Uuid,
    /// The catalogue code.
    pub kind: String,
    /// The start date.
    pub start_date: NaiveDate,
    /// The planned last day.
    pub planned_end_date: NaiveDate,
    /// Hours per week.
    pub weekly_hours: u32,
    /// The workplace.
    pub employer_id: Option<Uuid>,
}

/// The intervention of the caller's municipality recorded under `request_id`.
async fn intervention_by_request(
    conn: &impl ConnectionTrait,
    context: &CallContext,
    request_id: Uuid,
) -> ServiceResult<Option<intervention::Model>> {
    Ok(intervention::Entity::find()
        .filter(intervention::Column::Kommun.eq(context.kommun()))
        .filter(intervention::Column::RequestId.eq(request_id))
        .one(conn)
        .await?)
}

/// Starts an intervention for an active participant; emits the started event. Idempotent on request_id.
pub async fn start_intervention(
    db: &DatabaseConnection,
    context: &CallContext,
    new: NewIntervention,
) -> ServiceResult<intervention::Model> {
    if let Some(existing) = intervention_by_request(db, context, new.request_id).await? {
        return Ok(existing);
    }
    let txn = db.begin().await?;
    let participant = participant_for_update(&txn, context, new.participant_id).await?;
    require_active(&participant)?;
    if rules::catalogue(&txn, context.kommun()).await?.get(&new.kind).is_none() {
        return Err(ServiceError::invalid("intervention.kind", "is not in the unit's catalogue"));
    }
    if let Some(employer_id) = new.employer_id {
        employer::Entity::find_by_id(employer_id)
            .filter(employer::Column::Kommun.eq(context.kommun()))
            .one(&txn)
            .await?
            .ok_or_else(|| ServiceError::invalid("intervention.employer_id", "is not a registered employer"))?;
    }
    let row = intervention::ActiveModel {
        id: Set(Uuid::now_v7()),
        kommun: Set(context.kommun().to_string()),
        request_id: Set(new.request_id),
        participant_id: Set(new.participant_id),
        kind: Set(new.kind.clone()),
        start_date: Set(new.start_date),
        planned_end_date: Set(new.planned_end_date),
        weekly_hours: Set(i32::try_from(new.weekly_hours).unwrap_or(i32::MAX)),
        employer_id: Set(new.employer_id),
        ended_on: Set(None),
        created_at: Set(chrono::Utc::now()),
    }
    .insert(&txn)
    .await;
    let row = match row {
        Ok(row) => row,
        Err(error) if is_unique_violation(&error) => {
            txn.rollback().await?;
            return intervention_by_request(db, context, new.request_id)
                .await?
                .ok_or(ServiceError::NotFound("intervention"));
        }
        Err(error) => return Err(error.into()),
    };
    audit::record(&txn, context, INTERVENTION, &row.id.to_string(), Outcome::Created).await?;
    outbox::append(
        &txn,
        &context.caller.kommun,
        &api::InterventionStartedEvent {
            participant_id: row.participant_id.to_string(),
            intervention_id: row.id.to_string(),
            kind: row.kind.clone(),
            started_on: Some(to_date(row.start_date)),
            weekly_hours: row.weekly_hours,
        },
    )
    .await?;
    txn.commit().await?;
    Ok(row)
}

/// Ends an open intervention. Ending it again on the same day returns it; on another day is
/// FAILED_PRECONDITION.
pub async fn end_intervention(
    db: &DatabaseConnection,
    context: &CallContext,
    id: Uuid,
    ended_on: NaiveDate,
) -> ServiceResult<intervention::Model> {
    let txn = db.begin().await?;
    let row = intervention::Entity::find_by_id(id)
        .filter(intervention::Column::Kommun.eq(context.kommun()))
        .one(&txn)
        .await?
        .ok_or(ServiceError::NotFound("intervention"))?;
    participant_for_update(&txn, context, row.participant_id).await?;
    match row.ended_on {
        Some(day) if day == ended_on => {
            txn.commit().await?;
            return Ok(row);
        }
        Some(_) => return Err(ServiceError::FailedPrecondition("the intervention has ended already".into())),
        None => {}
    }
    if ended_on < row.start_date {
        return Err(ServiceError::invalid("ended_on", "is before the intervention started"));
    }
    let mut update: intervention::ActiveModel = row.into();
    update.ended_on = Set(Some(ended_on));
    let row = update.update(&txn).await?;
    audit::record(&txn, context, INTERVENTION, &row.id.to_string(), Outcome::Updated).await?;
    outbox::append(
        &txn,
        &context.caller.kommun,
        &api::InterventionEndedEvent {
            participant_id: row.participant_id.to_string(),
            intervention_id: row.id.to_string(),
            kind: row.kind.clone(),
            ended_on: Some(to_date(ended_on)),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(row)
}

/// Which interventions a list shows.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct InterventionFilter {
    /// Only this participant's.
    pub participant_id: Option<Uuid>,
    /// Only this catalogue kind.
    pub kind: Option<String>,
    /// Only at this employer.
    pub employer_id: Option<Uuid>,
    /// Only open ones.
    pub only_open: bool,
}

/// One page of interventions, newest first; audited.
pub async fn list_interventions(
    db: &DatabaseConnection,
    context: &CallContext,
    filter: InterventionFilter,
    page: PageRequest,
) -> ServiceResult<(Vec<intervention::Model>, Option<Uuid>)> {
    let txn = db.begin().await?;
    let mut query = intervention::Entity::find().filter(intervention::Column::Kommun.eq(context.kommun()));
    if let Some(id) = filter.participant_id {
        query = query.filter(intervention::Column::ParticipantId.eq(id));
    }
    if let Some(kind) = filter.kind {
        query = query.filter(intervention::Column::Kind.eq(kind));
    }
    if let Some(id) = filter.employer_id {
        query = query.filter(intervention::Column::EmployerId.eq(id));
    }
    if filter.only_open {
        query = query.filter(intervention::Column::EndedOn.is_null());
    }
    if let Some(after) = page.after {
        query = query.filter(intervention::Column::Id.lt(after));
    }
    let rows = query.order_by_desc(intervention::Column::Id).limit(page.fetch_limit()).all(&txn).await?;
    let (rows, next) = page.split(rows, |r| r.id);
    audit::record_many(&txn, context, INTERVENTION, rows.iter().map(|r| r.id.to_string()), Outcome::Read).await?;
    txn.commit().await?;
    Ok((rows, next))
}

/// What one attendance registration covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Period {
    /// One occasion.
    Occasion,
    /// A week, Monday to Sunday, counted as one occasion.
    Week,
}

impl Period {
    /// The stored code.
    pub fn code(self) -> &'static str {
        match self {
            Period::Occasion => "occasion",
            Period::Week => "week",
        }
    }

    /// The day a registration of `date` is stored under (a week's Monday).
    pub fn normalise(self, date: NaiveDate) -> NaiveDate {
        match self {
            Period::Occasion => date,
            Period::Week => {
                date.checked_sub_days(Days::new(u64::from(date.weekday().num_days_from_monday()))).unwrap_or(date)
            }
        }
    }
}

/// The stored code of an attendance status.
pub fn status_code(status: AttendanceStatus) -> &'static str {
    match status {
        AttendanceStatus::Present => "present",
        AttendanceStatus::Excused => "excused",
        AttendanceStatus::Unexcused => "unexcused",
    }
}

/// An attendance registration, already parsed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NewAttendance {
    /// The idempotency key.
    pub request_id: Uuid,
    /// The intervention.
    pub intervention_id: Uuid,
    /// The day (any day of a week).
    pub date: NaiveDate,
    /// Occasion or week.
    pub period: Period,
    /// What happened.
    pub status: AttendanceStatus,
}

/// What a registration led to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttendanceOutcome {
    /// The registration.
    pub row: attendance::Model,
    /// Unexcused absences in the window ending on its day.
    pub unexcused_in_window: u32,
    /// Whether a report to bistand was enqueued by this registration.
    pub reported: bool,
    /// Whether the threshold is reached in a window covering this day.
    pub threshold_reached: bool,
}

/// The participant's unexcused registrations in the window of `window_days` ending on `last_day`.
async fn unexcused_window(
    conn: &impl ConnectionTrait,
    participant_id: Uuid,
    last_day: NaiveDate,
    window_days: u32,
) -> ServiceResult<(NaiveDate, Vec<AttendanceRecord>)> {
    let first_day = last_day.checked_sub_days(Days::new(u64::from(window_days.max(1)) - 1)).unwrap_or(last_day);
    let rows = attendance::Entity::find()
        .filter(attendance::Column::ParticipantId.eq(participant_id))
        .filter(attendance::Column::Status.eq(status_code(AttendanceStatus::Unexcused)))
        .filter(attendance::Column::Date.gte(first_day))
        .filter(attendance::Column::Date.lte(last_day))
        .all(conn)
        .await?;
    let records = rows.iter().map(|r| AttendanceRecord { date: r.date, status: AttendanceStatus::Unexcused }).collect();
    Ok((first_day, records))
}

/// Registers attendance. When it is unexcused and the unexcused absences in the window ending on its day,
/// not yet counted in an earlier period, reach the unit's threshold, records the period and reports it to
/// bistand (only with consent): once per period. A retried request records nothing twice.
pub async fn record_attendance(
    db: &DatabaseConnection,
    context: &CallContext,
    new: NewAttendance,
) -> ServiceResult<AttendanceOutcome> {
    let txn = db.begin().await?;
    let rules = rules::load(&txn, context.kommun()).await?;
    let window = rules.absence.window_days;
    let existing = attendance::Entity::find()
        .filter(attendance::Column::Kommun.eq(context.kommun()))
        .filter(attendance::Column::RequestId.eq(new.request_id))
        .one(&txn)
        .await?;
    if let Some(row) = existing {
        let outcome = summarise(&txn, row, window, false).await?;
        txn.commit().await?;
        return Ok(outcome);
    }
    let intervention = intervention::Entity::find_by_id(new.intervention_id)
        .filter(intervention::Column::Kommun.eq(context.kommun()))
        .one(&txn)
        .await?
        .ok_or(ServiceError::NotFound("intervention"))?;
    let participant = participant_for_update(&txn, context, intervention.participant_id).await?;
    let date = new.period.normalise(new.date);
    let last_day = intervention.ended_on.unwrap_or(NaiveDate::MAX);
    if date < new.period.normalise(intervention.start_date) {
        return Err(ServiceError::invalid("date", "is before the intervention started"));
    }
    if date > last_day {
        return Err(ServiceError::invalid("date", "is after the intervention ended"));
    }
    let inserted = attendance::ActiveModel {
        id: Set(Uuid::now_v7()),
        kommun: Set(context.kommun().to_string()),
        request_id: Set(new.request_id),
        intervention_id: Set(intervention.id),
        participant_id: Set(intervention.participant_id),
        date: Set(date),
        period: Set(new.period.code().to_string()),
        status: Set(status_code(new.status).to_string()),
        created_at: Set(chrono::Utc::now()),
    }
    .insert(&txn)
    .await;
    let row = match inserted {
        Ok(row) => row,
        Err(error) if is_unique_violation(&error) => {
            txn.rollback().await?;
            return Err(ServiceError::AlreadyExists("attendance for this occasion is registered already".into()));
        }
        Err(error) => return Err(error.into()),
    };
    audit::record(&txn, context, "attendance", &row.id.to_string(), Outcome::Created).await?;
    let mut reported = false;
    if new.status == AttendanceStatus::Unexcused {
        let (first_day, mut records) = unexcused_window(&txn, participant.id, date, window).await?;
        // Each absence counts towards one reported period at most: a new period starts after the last.
        let last_reported = absence_report::Entity::find()
            .filter(absence_report::Column::ParticipantId.eq(participant.id))
            .filter(absence_report::Column::PeriodEnd.gte(first_day))
            .order_by_desc(absence_report::Column::PeriodEnd)
            .one(&txn)
            .await?;
        if let Some(last) = &last_reported {
            records.retain(|r| r.date > last.period_end);
        }
        if unexcused_exceeds(&rules.absence, &records) {
            let count = unexcused_in_window(&records, date, window);
            let period_start = records.iter().map(|r| r.date).min().unwrap_or(date);
            reported = report_to_bistand(
                &txn,
                &context.caller.kommun,
                &participant,
                date,
                BistandReport::UnexcusedAbsence { count, period_start },
            )
            .await?;
            absence_report::ActiveModel {
                id: Set(Uuid::now_v7()),
                kommun: Set(context.kommun().to_string()),
                participant_id: Set(participant.id),
                period_start: Set(period_start),
                period_end: Set(date),
                unexcused: Set(i32::try_from(count).unwrap_or(i32::MAX)),
                reported: Set(reported),
                created_at: Set(chrono::Utc::now()),
            }
            .insert(&txn)
            .await?;
        }
    }
    let outcome = summarise(&txn, row, window, reported).await?;
    txn.commit().await?;
    Ok(outcome)
}

/// The counts around one registration.
async fn summarise(
    conn: &impl ConnectionTrait,
    row: attendance::Model,
    window: u32,
    reported: bool,
) -> ServiceResult<AttendanceOutcome> {
    let (first_day, records) = unexcused_window(conn, row.participant_id, row.date, window).await?;
    let threshold_reached = absence_report::Entity::find()
        .filter(absence_report::Column::ParticipantId.eq(row.participant_id))
        .filter(absence_report::Column::PeriodEnd.gte(first_day))
        .filter(absence_report::Column::PeriodStart.lte(row.date))
        .one(conn)
        .await?
        .is_some();
    Ok(AttendanceOutcome {
        unexcused_in_window: unexcused_in_window(&records, row.date, window),
        reported,
        threshold_reached,
        row,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn a_week_is_stored_under_its_monday(days in 0i64..40_000) {
            let date = NaiveDate::from_ymd_opt(1990, 1, 1).expect("a date") + chrono::Duration::days(days);
            let monday = Period::Week.normalise(date);
            prop_assert_eq!(monday.weekday(), chrono::Weekday::Mon);
            prop_assert!(monday <= date && (date - monday).num_days() < 7);
            prop_assert_eq!(Period::Week.normalise(monday), monday);
            prop_assert_eq!(Period::Occasion.normalise(date), date);
        }
    }
}
