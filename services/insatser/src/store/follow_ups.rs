//! Systematic follow-up and exit (avslut).
//!
//! While a participant is active one regular follow-up is scheduled at a time: the first when the plan is
//! made, the next when one is recorded (a missed one stays overdue until it is done). Exit cancels the
//! regular follow-ups falling on or after the exit day and schedules those after exit (3, 6 and 12 months
//! by default), ends the open interventions, reports to the referring unit when the consent allows, and
//! emits the pseudonymous exit event.

use chrono::NaiveDate;
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
use trappan_platform::store::PageRequest;
use uuid::Uuid;

use super::reports::{BistandReport, report_outcome_to_ungsam, report_to_bistand};
use super::{
    ParticipantSource, exit_outcome_to_api, follow_up, intervention, participant, participant_for_update,
    registered_on, rules,
};
use crate::domain::{ExitOutcome, FollowUpKind, FollowUpSchedule, Timeliness};

/// The audit log's name for a follow-up.
const SUBJECT: &str = "follow_up";

/// Where a follow-up stands on a given day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FollowUpState {
    /// Not yet due.
    Scheduled,
    /// Due, within the grace days.
    Due,
    /// Past the grace days and not done.
    Overdue,
    /// Done.
    Done,
}

/// A follow-up with its state on the day asked about and its participant's coordinator.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FollowUpView {
    /// The stored follow-up.
    pub row: follow_up::Model,
    /// Its state.
    pub state: FollowUpState,
    /// The participant's responsible coordinator.
    pub coordinator: Option<String>,
}

/// The state of `row` on `as_of` under `schedule`.
pub fn state_on(row: &follow_up::Model, schedule: &FollowUpSchedule, as_of: NaiveDate) -> FollowUpState {
    if row.done_on.is_some() {
        FollowUpState::Done
    } else if row.due_on > as_of {
        FollowUpState::Scheduled
    } else if schedule.timeliness(row.due_on, as_of) == Timeliness::Late {
        FollowUpState::Overdue
    } else {
        FollowUpState::Due
    }
}

/// The day a participant's path started: the registration or, when earlier (a referred person whose
/// activities began before the referral was recorded), the first plan's start.
pub fn path_start(participant: &participant::Model) -> NaiveDate {
    let registered = registered_on(participant);
    participant.plan_start.map_or(registered, |start| start.min(registered))
}

/// The domain's occasion of a stored follow-up.
fn kind_of(row: &follow_up::Model) -> FollowUpKind {
    if row.number > 0 {
        FollowUpKind::WhileActive { number: u32::try_from(row.number).unwrap_or(1) }
    } else {
        FollowUpKind::AfterExit { months: u32::try_from(row.months_after_exit).unwrap_or(0) }
    }
}

/// Schedules regular follow-up `number` of a participant whose plan started on `plan_start`, unless it
/// exists already. Returns it.
pub(crate) async fn schedule_active(
    conn: &impl ConnectionTrait,
    context: &CallContext,
    participant_id: Uuid,
    plan_start: NaiveDate,
    number: u32,
    schedule: &FollowUpSchedule,
) -> ServiceResult<Option<follow_up::Model>> {
    let Some(due) = schedule.due_date(plan_start, None, FollowUpKind::WhileActive { number }) else {
        return Ok(None);
    };
    let number = i32::try_from(number).map_err(|_| ServiceError::FailedPrecondition("too many follow-ups".into()))?;
    insert(conn, context, participant_id, number, 0, due).await.map(Some)
}

/// Inserts a follow-up, or returns the one already scheduled for the same occasion.
async fn insert(
    conn: &impl ConnectionTrait,
    context: &CallContext,
    participant_id: Uuid,
    number: i32,
    months_after_exit: i32,
    due_on: NaiveDate,
) -> ServiceResult<follow_up::Model> {
    let existing = follow_up::Entity::find()
        .filter(follow_up::Column::ParticipantId.eq(participant_id))
        .filter(follow_up::Column::Number.eq(number))
        .filter(follow_up::Column::MonthsAfterExit.eq(months_after_exit))
        .one(conn)
        .await?;
    if let Some(existing) = existing {
        return Ok(existing);
    }
    Ok(follow_up::ActiveModel {
        id: Set(Uuid::now_v7()),
        kommun: Set(context.kommun().to_string()),
        participant_id: Set(participant_id),
        number: Set(number),
        months_after_exit: Set(months_after_exit),
        due_on: Set(due_on),
        done_on: Set(None),
        progress: Set(None),
        next_step: Set(None),
        on_time: Set(None),
        created_at: Set(chrono::Utc::now()),
    }
    .insert(conn)
    .await?)
}

/// Which follow-ups a list shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FollowUpFilter {
    /// The day to judge due and overdue on.
    pub as_of: NaiveDate,
    /// Only the caller's participants.
    pub only_mine: bool,
    /// Only overdue ones.
    pub only_overdue: bool,
    /// Only this participant's, done and scheduled ones included.
    pub participant_id: Option<Uuid>,
}

/// One page of follow-ups, in the order they were scheduled; audited.
pub async fn list(
    db: &DatabaseConnection,
    context: &CallContext,
    filter: FollowUpFilter,
    page: PageRequest,
) -> ServiceResult<(Vec<FollowUpView>, Option<Uuid>)> {
    let txn = db.begin().await?;
    let rules = rules::load(&txn, context.kommun()).await?;
    let mut query = follow_up::Entity::find().filter(follow_up::Column::Kommun.eq(context.kommun()));
    match filter.participant_id {
        Some(id) => query = query.filter(follow_up::Column::ParticipantId.eq(id)),
        None => {
            query = query.filter(follow_up::Column::DoneOn.is_null());
            let grace = u64::from(rules.follow_up.grace_days);
            let last_due = if filter.only_overdue {
                filter.as_of.checked_sub_days(chrono::Days::new(grace + 1))
            } else {
                Some(filter.as_of)
            };
            match last_due {
                Some(day) => query = query.filter(follow_up::Column::DueOn.lte(day)),
                None => return Ok((Vec::new(), None)),
            }
        }
    }
    if filter.only_mine {
        let mine: Vec<Uuid> = participant::Entity::find()
            .select_only()
            .column(participant::Column::Id)
            .filter(participant::Column::Kommun.eq(context.kommun()))
            .filter(participant::Column::Coordinator.eq(context.caller.subject.as_str()))
            .into_tuple()
            .all(&txn)
            .await?;
        query = query.filter(follow_up::Column::ParticipantId.is_in(mine));
    }
    if let Some(after) = page.after {
        query = query.filter(follow_up::Column::Id.gt(after));
    }
    let rows = query.order_by_asc(follow_up::Column::Id).limit(page.fetch_limit()).all(&txn).await?;
    let (rows, next) = page.split(rows, |r| r.id);
    let ids: Vec<Uuid> = rows.iter().map(|r| r.participant_id).collect();
    let coordinators: Vec<(Uuid, Option<String>)> = participant::Entity::find()
        .select_only()
        .column(participant::Column::Id)
        .column(participant::Column::Coordinator)
        .filter(participant::Column::Id.is_in(ids))
        .into_tuple()
        .all(&txn)
        .await?;
    audit::record_many(&txn, context, SUBJECT, rows.iter().map(|r| r.id.to_string()), Outcome::Read).await?;
    txn.commit().await?;
    let views = rows
        .into_iter()
        .map(|row| FollowUpView {
            state: state_on(&row, &rules.follow_up, filter.as_of),
            coordinator: coordinators.iter().find(|(id, _)| *id == row.participant_id).and_then(|(_, c)| c.clone()),
            row,
        })
        .collect();
    Ok((views, next))
}

/// A follow-up as the coordinator records it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DoneFollowUp {
    /// The follow-up.
    pub follow_up_id: Uuid,
    /// The day it was done.
    pub done_on: NaiveDate,
    /// The progress code.
    pub progress: String,
    /// The agreed next step.
    pub next_step: String,
}

/// Records a done follow-up; while the participant is active, schedules the next. Emits the event with
/// whether it was on time.
pub async fn record(
    db: &DatabaseConnection,
    context: &CallContext,
    done: DoneFollowUp,
) -> ServiceResult<(FollowUpView, Option<FollowUpView>)> {
    let txn = db.begin().await?;
    let row = follow_up::Entity::find_by_id(done.follow_up_id)
        .filter(follow_up::Column::Kommun.eq(context.kommun()))
        .one(&txn)
        .await?
        .ok_or(ServiceError::NotFound("follow-up"))?;
    let participant = participant_for_update(&txn, context, row.participant_id).await?;
    if row.done_on.is_some() {
        return Err(ServiceError::FailedPrecondition("the follow-up is recorded already".into()));
    }
    if done.done_on < path_start(&participant) {
        return Err(ServiceError::invalid("done_on", "is before the participant's path started"));
    }
    let rules = rules::load(&txn, context.kommun()).await?;
    // The feed's meaning: done no later than the grace days after the due date (early counts as on time).
    let on_time = rules.follow_up.timeliness(row.due_on, done.done_on) != Timeliness::Late;
    let mut update: follow_up::ActiveModel = row.clone().into();
    update.done_on = Set(Some(done.done_on));
    update.progress = Set(Some(done.progress));
    update.next_step = Set(Some(done.next_step));
    update.on_time = Set(Some(on_time));
    let row = update.update(&txn).await?;
    let next = match (kind_of(&row), participant.exited_on, participant.plan_start) {
        (FollowUpKind::WhileActive { number }, None, Some(start)) => {
            schedule_active(&txn, context, row.participant_id, start, number.saturating_add(1), &rules.follow_up)
                .await?
        }
        _ => None,
    };
    audit::record(&txn, context, SUBJECT, &row.id.to_string(), Outcome::Updated).await?;
    outbox::append(
        &txn,
        &context.caller.kommun,
        &api::FollowUpRecordedEvent {
            participant_id: row.participant_id.to_string(),
            follow_up_id: row.id.to_string(),
            due_on: Some(to_date(row.due_on)),
            done_on: Some(to_date(done.done_on)),
            on_time,
            after_exit: row.number == 0,
        },
    )
    .await?;
    txn.commit().await?;
    let view = |row: follow_up::Model| FollowUpView {
        state: state_on(&row, &rules.follow_up, done.done_on),
        coordinator: participant.coordinator.clone(),
        row,
    };
    Ok((view(row), next.map(view)))
}

/// The exit as the coordinator records it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Exit {
    /// The participant.
    pub participant_id: Uuid,
    /// The outcome.
    pub outcome: ExitOutcome,
    /// The exit day.
    pub exited_on: NaiveDate,
}

/// The follow-ups scheduled after a participant's exit.
async fn after_exit_follow_ups(
    conn: &impl ConnectionTrait,
    participant_id: Uuid,
) -> ServiceResult<Vec<follow_up::Model>> {
    Ok(follow_up::Entity::find()
        .filter(follow_up::Column::ParticipantId.eq(participant_id))
        .filter(follow_up::Column::Number.eq(0))
        .order_by_asc(follow_up::Column::DueOn)
        .all(conn)
        .await?)
}

/// Ends a participant's path. Repeating the same exit returns the first; another exit of an exited
/// participant is FAILED_PRECONDITION.
pub async fn exit(
    db: &DatabaseConnection,
    context: &CallContext,
    exit: Exit,
) -> ServiceResult<(participant::Model, Vec<follow_up::Model>)> {
    let txn = db.begin().await?;
    let participant = participant_for_update(&txn, context, exit.participant_id).await?;
    if let (Some(exited_on), Some(outcome)) = (participant.exited_on, participant.exit_outcome.as_deref()) {
        if exited_on == exit.exited_on && outcome == exit.outcome.code() {
            let follow_ups = after_exit_follow_ups(&txn, participant.id).await?;
            txn.commit().await?;
            return Ok((participant, follow_ups));
        }
        return Err(ServiceError::FailedPrecondition("the participant has exited already".into()));
    }
    let path_start = path_start(&participant);
    if exit.exited_on < path_start {
        return Err(ServiceError::invalid("exited_on", "is before the participant's path started"));
    }
    let open = intervention::Entity::find()
        .filter(intervention::Column::Kommun.eq(context.kommun()))
        .filter(intervention::Column::ParticipantId.eq(participant.id))
        .filter(intervention::Column::EndedOn.is_null())
        .all(&txn)
        .await?;
    if open.iter().any(|i| i.start_date > exit.exited_on) {
        return Err(ServiceError::FailedPrecondition("an open intervention starts after the exit date".into()));
    }
    let rules = rules::load(&txn, context.kommun()).await?;
    let mut ended = Vec::with_capacity(open.len());
    for row in open {
        let mut update: intervention::ActiveModel = row.into();
        update.ended_on = Set(Some(exit.exited_on));
        ended.push(update.update(&txn).await?);
    }
    // Regular follow-ups falling on or after the exit day no longer exist (the domain's rule).
    follow_up::Entity::delete_many()
        .filter(follow_up::Column::ParticipantId.eq(participant.id))
        .filter(follow_up::Column::Number.gt(0))
        .filter(follow_up::Column::DoneOn.is_null())
        .filter(follow_up::Column::DueOn.gte(exit.exited_on))
        .exec(&txn)
        .await?;
    let start = participant.plan_start.unwrap_or(path_start);
    let mut follow_ups = Vec::new();
    for months in rules.follow_up.after_exit_months.clone() {
        let kind = FollowUpKind::AfterExit { months };
        if let Some(due) = rules.follow_up.due_date(start, Some(exit.exited_on), kind) {
            let months = i32::try_from(months).unwrap_or(i32::MAX);
            follow_ups.push(insert(&txn, context, participant.id, 0, months, due).await?);
        }
    }
    let mut update: participant::ActiveModel = participant.into();
    update.exited_on = Set(Some(exit.exited_on));
    update.exit_outcome = Set(Some(exit.outcome.code().to_string()));
    let participant = update.update(&txn).await?;
    report_to_bistand(&txn, &context.caller.kommun, &participant, exit.exited_on, BistandReport::Exited(exit.outcome))
        .await?;
    report_outcome_to_ungsam(&txn, &context.caller.kommun, &participant, exit.outcome, exit.exited_on).await?;
    audit::record(&txn, context, super::SUBJECT, &participant.id.to_string(), Outcome::Updated).await?;
    for row in &ended {
        outbox::append(
            &txn,
            &context.caller.kommun,
            &api::InterventionEndedEvent {
                participant_id: row.participant_id.to_string(),
                intervention_id: row.id.to_string(),
                kind: row.kind.clone(),
                ended_on: Some(to_date(exit.exited_on)),
            },
        )
        .await?;
    }
    let source = ParticipantSource::from_code(&participant.source).map_or(0, |s| s.to_api() as i32);
    outbox::append(
        &txn,
        &context.caller.kommun,
        &api::ParticipantExitedEvent {
            participant_id: participant.id.to_string(),
            outcome: exit_outcome_to_api(exit.outcome) as i32,
            exited_on: Some(to_date(exit.exited_on)),
            days_in_programme: i32::try_from((exit.exited_on - path_start).num_days()).unwrap_or(i32::MAX),
            source,
        },
    )
    .await?;
    txn.commit().await?;
    follow_ups.sort_by_key(|f| f.due_on);
    Ok((participant, follow_ups))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn row(due_on: NaiveDate, done_on: Option<NaiveDate>) -> follow_up::Model {
        follow_up::Model {
            id: Uuid::now_v7(),
            kommun: "0767".into(),
            participant_id: Uuid::now_v7(),
            number: 1,
            months_after_exit: 0,
            due_on,
            done_on,
            progress: None,
            next_step: None,
            on_time: None,
            created_at: chrono::Utc::now(),
        }
    }

    proptest! {
        /// A waiting follow-up is scheduled before its day, due from it through the grace days, then
        /// overdue; exactly as the domain's status on the same day sorts it.
        #[test]
        fn states_agree_with_the_domain_schedule(offset in -60i64..120, grace in 0u32..30) {
            let schedule = FollowUpSchedule { grace_days: grace, ..FollowUpSchedule::default() };
            let start = NaiveDate::from_ymd_opt(2020, 1, 6).expect("a date");
            let due = schedule.due_date(start, None, FollowUpKind::WhileActive { number: 1 }).expect("due");
            let as_of = due + chrono::Duration::days(offset);
            let state = state_on(&row(due, None), &schedule, as_of);
            let status = schedule.status(start, None, &[], as_of);
            let first = |list: &[crate::domain::FollowUpOccasion]| list.iter().any(|o| o.due == due);
            prop_assert_eq!(state == FollowUpState::Due, first(&status.due));
            prop_assert_eq!(state == FollowUpState::Overdue, first(&status.overdue));
            prop_assert_eq!(state == FollowUpState::Scheduled, as_of < due);
            prop_assert_eq!(state_on(&row(due, Some(as_of)), &schedule, as_of), FollowUpState::Done);
        }
    }
}
