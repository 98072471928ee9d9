//! Individual plans: revisions, never overwritten. The first plan starts the follow-up rhythm; a revision
//! that changes the goal or the current step is reported to bistand when the consent allows.

use chrono::NaiveDate;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, TransactionTrait,
};
use trappan_platform::audit::{self, Outcome};
use trappan_platform::auth::CallContext;
use trappan_platform::error::{FieldViolation, ServiceError, ServiceResult};
use trappan_platform::store::{PageRequest, is_unique_violation};
use uuid::Uuid;

use super::reports::{BistandReport, report_to_bistand};
use super::{follow_ups, participant, participant_for_update, plan_revision, require_active, rules};
use crate::domain::{PlanDraft, PlanError, PlanGoal, PlannedActivity, WorkLadder, validate_plan};

/// The audit log's name for a plan revision.
const SUBJECT: &str = "plan";

/// A plan (revision) to record, already parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewPlan {
    /// The idempotency key.
    pub request_id: Uuid,
    /// The participant.
    pub participant_id: Uuid,
    /// The goal and the planned activities.
    pub draft: PlanDraft,
    /// The participant's current ladder step.
    pub current_step: String,
    /// The responsible coordinator.
    pub coordinator: String,
    /// The day the plan was made.
    pub decided_on: NaiveDate,
}

/// Whether a plan is the first or a revision.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PlanChange {
    /// CreatePlan: there must be no plan yet.
    Create,
    /// RevisePlan: there must be a plan.
    Revise,
}

/// The stored goal code.
pub fn goal_code(goal: &PlanGoal) -> &'static str {
    match goal {
        PlanGoal::Work => "work",
        PlanGoal::Studies => "studies",
        PlanGoal::LadderStep(_) => "ladder_step",
    }
}

/// The goal of a stored revision.
pub fn stored_goal(row: &plan_revision::Model) -> ServiceResult<PlanGoal> {
    match (row.goal.as_str(), &row.goal_step) {
        ("work", _) => Ok(PlanGoal::Work),
        ("studies", _) => Ok(PlanGoal::Studies),
        ("ladder_step", Some(step)) => Ok(PlanGoal::LadderStep(step.clone())),
        _ => Err(ServiceError::Internal(anyhow::anyhow!("stored plan revision has an unknown goal"))),
    }
}

/// The activities of a stored revision.
pub fn stored_activities(row: &plan_revision::Model) -> ServiceResult<Vec<PlannedActivity>> {
    serde_json::from_str(&row.activities)
        .map_err(|_| ServiceError::Internal(anyhow::anyhow!("stored plan revision has unreadable activities")))
}

/// The field violation of one plan rule.
fn plan_violation(error: &PlanError) -> FieldViolation {
    match error {
        PlanError::NoActivities => FieldViolation::new("plan.activities", "must have at least one activity"),
        PlanError::UnknownLadderStep => {
            FieldViolation::new("plan.goal_step", "is not a step on the unit's work ladder")
        }
        PlanError::UnknownIntervention { index } => {
            FieldViolation::new(format!("plan.activities[{index}].kind"), "is not in the unit's catalogue")
        }
        PlanError::WeeklyHoursOutOfRange { index, .. } => {
            FieldViolation::new(format!("plan.activities[{index}].weekly_hours"), "must be 1–40")
        }
        PlanError::EndBeforeStart { index } => {
            FieldViolation::new(format!("plan.activities[{index}].end_date"), "is before the start date")
        }
        PlanError::VersionOverflow => FieldViolation::new("plan", "has too many revisions"),
    }
}

/// The plan's goal and step in words, for the socialsekreterare.
fn summary(goal: &PlanGoal, current_step: &str, ladder: &WorkLadder) -> String {
    let label = |code: &str| ladder.step(code).map_or_else(|| code.to_string(), |s| s.label.clone());
    let goal = match goal {
        PlanGoal::Work => "Arbete".to_string(),
        PlanGoal::Studies => "Studier".to_string(),
        PlanGoal::LadderStep(step) => label(step),
    };
    format!("Mål: {goal}. Aktuellt steg: {}.", label(current_step))
}

/// The revision recorded under `request_id`, if any.
async fn by_request(
    conn: &impl sea_orm::ConnectionTrait,
    context: &CallContext,
    request_id: Uuid,
) -> ServiceResult<Option<plan_revision::Model>> {
    Ok(plan_revision::Entity::find()
        .filter(plan_revision::Column::Kommun.eq(context.kommun()))
        .filter(plan_revision::Column::RequestId.eq(request_id))
        .one(conn)
        .await?)
}

/// The latest revision of a participant's plan.
async fn latest(
    conn: &impl sea_orm::ConnectionTrait,
    context: &CallContext,
    participant_id: Uuid,
) -> ServiceResult<Option<plan_revision::Model>> {
    Ok(plan_revision::Entity::find()
        .filter(plan_revision::Column::Kommun.eq(context.kommun()))
        .filter(plan_revision::Column::ParticipantId.eq(participant_id))
        .order_by_desc(plan_revision::Column::Revision)
        .one(conn)
        .await?)
}

/// Records a plan or a revision. A retried request returns the revision already recorded.
pub async fn record_plan(
    db: &DatabaseConnection,
    context: &CallContext,
    change: PlanChange,
    new: NewPlan,
) -> ServiceResult<(plan_revision::Model, bool)> {
    if let Some(existing) = by_request(db, context, new.request_id).await? {
        return Ok((existing, false));
    }
    let txn = db.begin().await?;
    let participant = participant_for_update(&txn, context, new.participant_id).await?;
    require_active(&participant)?;
    let rules = rules::load(&txn, context.kommun()).await?;
    let catalogue = rules::catalogue(&txn, context.kommun()).await?;
    let mut violations: Vec<FieldViolation> = match validate_plan(&new.draft, &catalogue, &rules.ladder) {
        Ok(()) => Vec::new(),
        Err(errors) => errors.iter().map(plan_violation).collect(),
    };
    if rules.ladder.step(&new.current_step).is_none() {
        violations.push(FieldViolation::new("plan.current_step", "is not a step on the unit's work ladder"));
    }
    if !violations.is_empty() {
        return Err(ServiceError::InvalidArgument(violations));
    }
    let previous = latest(&txn, context, new.participant_id).await?;
    let revision = match (change, &previous) {
        (PlanChange::Create, None) => 1,
        (PlanChange::Create, Some(_)) => {
            return Err(ServiceError::FailedPrecondition("the participant has a plan already: revise it".into()));
        }
        (PlanChange::Revise, None) => {
            return Err(ServiceError::FailedPrecondition("the participant has no plan yet: create one".into()));
        }
        (PlanChange::Revise, Some(previous)) => {
            previous.revision.checked_add(1).ok_or_else(|| ServiceError::invalid("plan", "has too many revisions"))?
        }
    };
    let activities = serde_json::to_string(&new.draft.activities)
        .map_err(|error| ServiceError::Internal(anyhow::anyhow!("encoding activities: {error}")))?;
    let step = match &new.draft.goal {
        PlanGoal::LadderStep(step) => Some(step.clone()),
        _ => None,
    };
    let inserted = plan_revision::ActiveModel {
        id: Set(Uuid::now_v7()),
        kommun: Set(context.kommun().to_string()),
        request_id: Set(new.request_id),
        participant_id: Set(new.participant_id),
        revision: Set(revision),
        goal: Set(goal_code(&new.draft.goal).to_string()),
        goal_step: Set(step),
        current_step: Set(new.current_step.clone()),
        activities: Set(activities),
        coordinator: Set(new.coordinator.clone()),
        decided_on: Set(new.decided_on),
        created_at: Set(chrono::Utc::now()),
    }
    .insert(&txn)
    .await;
    let row = match inserted {
        Ok(row) => row,
        Err(error) if is_unique_violation(&error) => {
            txn.rollback().await?;
            return match by_request(db, context, new.request_id).await? {
                Some(existing) => Ok((existing, false)),
                None => Err(ServiceError::Unavailable("the plan was revised concurrently: try again".into())),
            };
        }
        Err(error) => return Err(error.into()),
    };
    let mut update: participant::ActiveModel = participant.clone().into();
    update.coordinator = Set(Some(new.coordinator.clone()));
    if previous.is_none() {
        // The first plan starts the regular follow-ups.
        let start = new.draft.activities.iter().map(|a| a.start).min().unwrap_or(new.decided_on);
        update.plan_start = Set(Some(start));
        follow_ups::schedule_active(&txn, context, new.participant_id, start, 1, &rules.follow_up).await?;
    }
    let participant = update.update(&txn).await?;
    let mut reported = false;
    if let Some(previous) = &previous {
        let previous_goal = stored_goal(previous)?;
        if previous_goal != new.draft.goal || previous.current_step != new.current_step {
            let summary = summary(&new.draft.goal, &new.current_step, &rules.ladder);
            reported = report_to_bistand(
                &txn,
                &context.caller.kommun,
                &participant,
                new.decided_on,
                BistandReport::PlanChanged { summary },
            )
            .await?;
        }
    }
    audit::record(&txn, context, SUBJECT, &row.id.to_string(), Outcome::Created).await?;
    txn.commit().await?;
    Ok((row, reported))
}

/// The participant's current plan; audited.
pub async fn current_plan(
    db: &DatabaseConnection,
    context: &CallContext,
    participant_id: Uuid,
) -> ServiceResult<plan_revision::Model> {
    let txn = db.begin().await?;
    let row = latest(&txn, context, participant_id).await?.ok_or(ServiceError::NotFound("plan"))?;
    audit::record(&txn, context, SUBJECT, &row.id.to_string(), Outcome::Read).await?;
    txn.commit().await?;
    Ok(row)
}

/// One page of a participant's plan revisions, newest first; audited.
pub async fn list_revisions(
    db: &DatabaseConnection,
    context: &CallContext,
    participant_id: Uuid,
    page: PageRequest,
) -> ServiceResult<(Vec<plan_revision::Model>, Option<Uuid>)> {
    let txn = db.begin().await?;
    participant::Entity::find_by_id(participant_id)
        .filter(participant::Column::Kommun.eq(context.kommun()))
        .one(&txn)
        .await?
        .ok_or(ServiceError::NotFound("participant"))?;
    let mut query = plan_revision::Entity::find()
        .filter(plan_revision::Column::Kommun.eq(context.kommun()))
        .filter(plan_revision::Column::ParticipantId.eq(participant_id));
    if let Some(after) = page.after {
        query = query.filter(plan_revision::Column::Id.lt(after));
    }
    let rows = query.order_by_desc(plan_revision::Column::Id).limit(page.fetch_limit()).all(&txn).await?;
    let (rows, next) = page.split(rows, |r| r.id);
    audit::record_many(&txn, context, SUBJECT, rows.iter().map(|r| r.id.to_string()), Outcome::Read).await?;
    txn.commit().await?;
    Ok((rows, next))
}
