//! Decoding and encoding of the participant's path: rules, plans, the catalogue, employers,
//! interventions, attendance, follow-ups and exit. Every parser collects all violations it finds.

use chrono::NaiveDate;
use trappan_api::common::v1 as common;
use trappan_api::insatser::v1 as api;
use trappan_platform::clock::today;
use trappan_platform::error::{FieldViolation, ServiceError};
use trappan_platform::grpc::{parse_date, parse_request_id, parse_uuid, required_text, to_date, to_timestamp};
use uuid::Uuid;

use super::collect;
use crate::domain::{
    AttendanceStatus, CatalogueEntry, ExitOutcome, KoladaActivityType, LadderStepConfig, PlanDraft, PlanGoal,
    PlannedActivity,
};
use crate::store::follow_ups::{DoneFollowUp, Exit, FollowUpState, FollowUpView};
use crate::store::plans::{NewPlan, stored_activities, stored_goal};
use crate::store::rules::{ProposedRules, UnitRules, ladder_config};
use crate::store::work::{NewAttendance, NewEmployer, NewIntervention, Period};
use crate::store::{self, exit_outcome_from_api, exit_outcome_to_api};

/// The longest label or name the service accepts, in characters.
const LABEL_MAX_CHARS: usize = 200;
/// The longest free text (a next step) the service accepts, in characters.
const TEXT_MAX_CHARS: usize = 2000;
/// The longest coordinator identifier the service accepts, in characters.
const COORDINATOR_MAX_CHARS: usize = 100;

/// Parses an optional date that defaults to today and may not be in the future.
pub fn date_or_today(value: Option<&common::Date>, field: &str) -> Result<NaiveDate, ServiceError> {
    let date = match value {
        None => return Ok(today()),
        Some(date) => parse_date(Some(date), field)?,
    };
    if date > today() {
        return Err(ServiceError::invalid(field, "must not be in the future"));
    }
    Ok(date)
}

/// Parses an optional UUID (empty means none).
fn optional_uuid(value: &str, field: &str) -> Result<Option<Uuid>, ServiceError> {
    if value.is_empty() { Ok(None) } else { parse_uuid(value, field).map(Some) }
}

/// A count or number of days from the contract, which must not be negative.
fn whole(value: i32, field: &str) -> Result<u32, ServiceError> {
    u32::try_from(value).map_err(|_| ServiceError::invalid(field, "must not be negative"))
}

/// Parses proposed unit rules.
pub fn parse_rules(request: &api::UpdateUnitRulesRequest) -> Result<ProposedRules, ServiceError> {
    let rules = request.rules.as_ref().ok_or_else(|| ServiceError::invalid("rules", "is required"))?;
    let mut violations = Vec::new();
    let mut ladder = Vec::with_capacity(rules.ladder.len());
    for (index, step) in rules.ladder.iter().enumerate() {
        match u8::try_from(step.level) {
            Ok(level) => ladder.push(LadderStepConfig { code: step.code.clone(), label: step.label.clone(), level }),
            Err(_) => violations.push(FieldViolation::new(format!("rules.ladder[{index}].level"), "must be 1–255")),
        }
    }
    if !violations.is_empty() {
        return Err(ServiceError::InvalidArgument(violations));
    }
    Ok(ProposedRules {
        ladder,
        unexcused_threshold: rules.unexcused_absence_threshold,
        unexcused_window_days: rules.unexcused_absence_window_days,
        follow_up_interval_days: rules.follow_up_interval_days,
        follow_up_grace_days: rules.follow_up_grace_days,
    })
}

/// The contract's form of unit rules.
pub fn to_api_rules(rules: &UnitRules) -> api::UnitRules {
    let number = |v: u32| i32::try_from(v).unwrap_or(i32::MAX);
    api::UnitRules {
        ladder: ladder_config(&rules.ladder)
            .into_iter()
            .map(|s| api::LadderStep { code: s.code, label: s.label, level: i32::from(s.level) })
            .collect(),
        unexcused_absence_threshold: number(rules.absence.occasions),
        unexcused_absence_window_days: number(rules.absence.window_days),
        follow_up_interval_days: number(rules.follow_up.active_interval_days),
        follow_up_grace_days: number(rules.follow_up.grace_days),
    }
}

/// Parses a plan of CreatePlan or RevisePlan; the coordinator defaults to the caller.
pub fn parse_plan(request_id: &str, plan: Option<&api::Plan>, caller: &str) -> Result<NewPlan, ServiceError> {
    let mut violations = Vec::new();
    let request_id = collect(parse_request_id(request_id), &mut violations)?;
    let Some(plan) = plan else {
        violations.push(FieldViolation::new("plan", "is required"));
        return Err(ServiceError::InvalidArgument(violations));
    };
    let participant_id = collect(parse_uuid(&plan.participant_id, "plan.participant_id"), &mut violations)?;
    let goal = match api::PlanGoalKind::try_from(plan.goal) {
        Ok(api::PlanGoalKind::Work) => Some(PlanGoal::Work),
        Ok(api::PlanGoalKind::Studies) => Some(PlanGoal::Studies),
        Ok(api::PlanGoalKind::LadderStep) if !plan.goal_step.trim().is_empty() => {
            Some(PlanGoal::LadderStep(plan.goal_step.trim().to_string()))
        }
        Ok(api::PlanGoalKind::LadderStep) => {
            violations.push(FieldViolation::new("plan.goal_step", "is required when the goal is a ladder step"));
            None
        }
        _ => {
            violations.push(FieldViolation::new("plan.goal", "must be WORK, STUDIES or LADDER_STEP"));
            None
        }
    };
    let current_step =
        collect(required_text(&plan.current_step, "plan.current_step", LABEL_MAX_CHARS), &mut violations)?;
    let mut activities = Vec::with_capacity(plan.activities.len());
    for (index, activity) in plan.activities.iter().enumerate() {
        let field = |name: &str| format!("plan.activities[{index}].{name}");
        let kind = collect(required_text(&activity.kind, &field("kind"), LABEL_MAX_CHARS), &mut violations)?;
        let start = collect(parse_date(activity.start_date.as_ref(), &field("start_date")), &mut violations)?;
        let end = collect(parse_date(activity.end_date.as_ref(), &field("end_date")), &mut violations)?;
        let hours = collect(whole(activity.weekly_hours, &field("weekly_hours")), &mut violations)?;
        if let (Some(kind), Some(start), Some(end), Some(weekly_hours)) = (kind, start, end, hours) {
            activities.push(PlannedActivity { intervention_code: kind, weekly_hours, start, end });
        }
    }
    let coordinator = if plan.responsible_coordinator.trim().is_empty() {
        Some(caller.to_string())
    } else {
        collect(
            required_text(&plan.responsible_coordinator, "plan.responsible_coordinator", COORDINATOR_MAX_CHARS),
            &mut violations,
        )?
    };
    let decided_on = collect(date_or_today(plan.decided_on.as_ref(), "plan.decided_on"), &mut violations)?;
    match (request_id, participant_id, goal, current_step, coordinator, decided_on) {
        (
            Some(request_id),
            Some(participant_id),
            Some(goal),
            Some(current_step),
            Some(coordinator),
            Some(decided_on),
        ) if violations.is_empty() => Ok(NewPlan {
            request_id,
            participant_id,
            draft: PlanDraft { goal, activities },
            current_step,
            coordinator,
            decided_on,
        }),
        _ => Err(ServiceError::InvalidArgument(violations)),
    }
}

/// The contract's form of a plan revision.
pub fn to_api_plan(row: store::plan_revision::Model) -> Result<api::Plan, ServiceError> {
    let (goal, goal_step) = match stored_goal(&row)? {
        PlanGoal::Work => (api::PlanGoalKind::Work, String::new()),
        PlanGoal::Studies => (api::PlanGoalKind::Studies, String::new()),
        PlanGoal::LadderStep(step) => (api::PlanGoalKind::LadderStep, step),
    };
    let activities = stored_activities(&row)?
        .into_iter()
        .map(|a| api::PlannedActivity {
            kind: a.intervention_code,
            weekly_hours: i32::try_from(a.weekly_hours).unwrap_or(i32::MAX),
            start_date: Some(to_date(a.start)),
            end_date: Some(to_date(a.end)),
        })
        .collect();
    Ok(api::Plan {
        plan_id: row.id.to_string(),
        participant_id: row.participant_id.to_string(),
        revision: row.revision,
        goal: goal as i32,
        goal_step,
        current_step: row.current_step,
        activities,
        responsible_coordinator: row.coordinator,
        decided_on: Some(to_date(row.decided_on)),
        create_time: Some(to_timestamp(row.created_at)),
    })
}

/// The contract's activity type of a Kolada type.
fn activity_type_to_api(kind: KoladaActivityType) -> api::ActivityType {
    match kind {
        KoladaActivityType::WorkTrialOrTraining => api::ActivityType::WorkTrialOrTraining,
        KoladaActivityType::JobSearchActivity => api::ActivityType::JobSearchActivity,
        KoladaActivityType::Course => api::ActivityType::Course,
        KoladaActivityType::Matching => api::ActivityType::Matching,
        KoladaActivityType::Internship => api::ActivityType::Internship,
        KoladaActivityType::StudyAndCareerGuidance => api::ActivityType::StudyAndCareerGuidance,
        KoladaActivityType::MunicipalLabourMarketEmployment => api::ActivityType::MunicipalLabourMarketEmployment,
        KoladaActivityType::SummerJob => api::ActivityType::SummerJob,
        KoladaActivityType::Other => api::ActivityType::Other,
    }
}

/// Parses a new catalogue entry.
pub fn parse_catalogue_entry(
    request: &api::CreateCatalogueEntryRequest,
) -> Result<(Uuid, CatalogueEntry), ServiceError> {
    let mut violations = Vec::new();
    let request_id = collect(parse_request_id(&request.request_id), &mut violations)?;
    let Some(entry) = request.entry.as_ref() else {
        violations.push(FieldViolation::new("entry", "is required"));
        return Err(ServiceError::InvalidArgument(violations));
    };
    let code = collect(required_text(&entry.code, "entry.code", LABEL_MAX_CHARS), &mut violations)?;
    let label = collect(required_text(&entry.label, "entry.label", LABEL_MAX_CHARS), &mut violations)?;
    let kolada_type = KoladaActivityType::ALL
        .into_iter()
        .find(|t| activity_type_to_api(*t) as i32 == entry.activity_type && entry.activity_type != 0);
    if kolada_type.is_none() {
        violations.push(FieldViolation::new("entry.activity_type", "is required"));
    }
    match (request_id, code, label, kolada_type) {
        (Some(request_id), Some(code), Some(label), Some(kolada_type)) if violations.is_empty() => {
            Ok((request_id, CatalogueEntry { code, label, kolada_type }))
        }
        _ => Err(ServiceError::InvalidArgument(violations)),
    }
}

/// The contract's form of a catalogue entry.
pub fn to_api_entry(entry: &CatalogueEntry) -> api::CatalogueEntry {
    api::CatalogueEntry {
        code: entry.code.clone(),
        label: entry.label.clone(),
        activity_type: activity_type_to_api(entry.kolada_type) as i32,
        built_in: store::rules::is_built_in(&entry.code),
    }
}

/// The stored sector code of a contract sector.
fn sector_code(value: i32) -> Option<&'static str> {
    match api::EmployerSector::try_from(value) {
        Ok(api::EmployerSector::Private) => Some("private"),
        Ok(api::EmployerSector::Public) => Some("public"),
        Ok(api::EmployerSector::NonProfit) => Some("non_profit"),
        _ => None,
    }
}

/// Whether `value` is an organisation number in the form NNNNNN-NNNN.
fn is_organisation_number(value: &str) -> bool {
    let bytes = value.as_bytes();
    bytes.len() == 11 && bytes[6] == b'-' && bytes.iter().enumerate().all(|(i, b)| i == 6 || b.is_ascii_digit())
}

/// Parses a new employer.
pub fn parse_employer(request: &api::CreateEmployerRequest) -> Result<NewEmployer, ServiceError> {
    let mut violations = Vec::new();
    let request_id = collect(parse_request_id(&request.request_id), &mut violations)?;
    let Some(employer) = request.employer.as_ref() else {
        violations.push(FieldViolation::new("employer", "is required"));
        return Err(ServiceError::InvalidArgument(violations));
    };
    let name = collect(required_text(&employer.name, "employer.name", LABEL_MAX_CHARS), &mut violations)?;
    let organisation_number = employer.organisation_number.trim();
    if !organisation_number.is_empty() && !is_organisation_number(organisation_number) {
        violations.push(FieldViolation::new("employer.organisation_number", "must be in the form NNNNNN-NNNN"));
    }
    let sector = sector_code(employer.sector);
    if sector.is_none() {
        violations.push(FieldViolation::new("employer.sector", "must be PRIVATE, PUBLIC or NON_PROFIT"));
    }
    let industry = employer.industry.trim();
    if industry.chars().count() > LABEL_MAX_CHARS {
        violations.push(FieldViolation::new("employer.industry", "is too long"));
    }
    match (request_id, name, sector) {
        (Some(request_id), Some(name), Some(sector)) if violations.is_empty() => Ok(NewEmployer {
            request_id,
            name,
            organisation_number: (!organisation_number.is_empty()).then(|| organisation_number.to_string()),
            sector,
            industry: industry.to_string(),
        }),
        _ => Err(ServiceError::InvalidArgument(violations)),
    }
}

/// The contract's form of an employer.
pub fn to_api_employer(row: store::employer::Model) -> api::Employer {
    let sector = match row.sector.as_str() {
        "private" => api::EmployerSector::Private,
        "public" => api::EmployerSector::Public,
        "non_profit" => api::EmployerSector::NonProfit,
        _ => api::EmployerSector::Unspecified,
    };
    api::Employer {
        employer_id: row.id.to_string(),
        name: row.name,
        organisation_number: row.organisation_number.unwrap_or_default(),
        sector: sector as i32,
        industry: row.industry,
        create_time: Some(to_timestamp(row.created_at)),
    }
}

/// Parses an intervention to start.
pub fn parse_intervention(request: &api::StartInterventionRequest) -> Result<NewIntervention, ServiceError> {
    let mut violations = Vec::new();
    let request_id = collect(parse_request_id(&request.request_id), &mut violations)?;
    let Some(intervention) = request.intervention.as_ref() else {
        violations.push(FieldViolation::new("intervention", "is required"));
        return Err(ServiceError::InvalidArgument(violations));
    };
    let participant_id =
        collect(parse_uuid(&intervention.participant_id, "intervention.participant_id"), &mut violations)?;
    let kind = collect(required_text(&intervention.kind, "intervention.kind", LABEL_MAX_CHARS), &mut violations)?;
    let start = collect(date_or_today(intervention.start_date.as_ref(), "intervention.start_date"), &mut violations)?;
    let end =
        collect(parse_date(intervention.planned_end_date.as_ref(), "intervention.planned_end_date"), &mut violations)?;
    if let (Some(start), Some(end)) = (start, end)
        && end < start
    {
        violations.push(FieldViolation::new("intervention.planned_end_date", "is before the start date"));
    }
    let hours = match u32::try_from(intervention.weekly_hours) {
        Ok(hours @ 1..=40) => Some(hours),
        _ => {
            violations.push(FieldViolation::new("intervention.weekly_hours", "must be 1–40"));
            None
        }
    };
    let employer_id = collect(optional_uuid(&intervention.employer_id, "intervention.employer_id"), &mut violations)?;
    match (request_id, participant_id, kind, start, end, hours, employer_id) {
        (
            Some(request_id),
            Some(participant_id),
            Some(kind),
            Some(start_date),
            Some(planned_end_date),
            Some(weekly_hours),
            Some(employer_id),
        ) if violations.is_empty() => Ok(NewIntervention {
            request_id,
            participant_id,
            kind,
            start_date,
            planned_end_date,
            weekly_hours,
            employer_id,
        }),
        _ => Err(ServiceError::InvalidArgument(violations)),
    }
}

/// The contract's form of an intervention.
pub fn to_api_intervention(row: store::intervention::Model) -> api::Intervention {
    api::Intervention {
        intervention_id: row.id.to_string(),
        participant_id: row.participant_id.to_string(),
        kind: row.kind,
        start_date: Some(to_date(row.start_date)),
        planned_end_date: Some(to_date(row.planned_end_date)),
        weekly_hours: row.weekly_hours,
        employer_id: row.employer_id.map(|id| id.to_string()).unwrap_or_default(),
        ended_on: row.ended_on.map(to_date),
    }
}

/// Parses the filter of ListInterventions.
pub fn parse_intervention_filter(
    request: &api::ListInterventionsRequest,
) -> Result<store::work::InterventionFilter, ServiceError> {
    let mut violations = Vec::new();
    let participant_id = collect(optional_uuid(&request.participant_id, "participant_id"), &mut violations)?;
    let employer_id = collect(optional_uuid(&request.employer_id, "employer_id"), &mut violations)?;
    let kind = request.kind.trim();
    let narrowing = usize::from(!request.participant_id.is_empty())
        + usize::from(!kind.is_empty())
        + usize::from(!request.employer_id.is_empty());
    if narrowing > 1 {
        violations.push(FieldViolation::new("participant_id", "at most one of participant_id, kind and employer_id"));
    }
    match (participant_id, employer_id) {
        (Some(participant_id), Some(employer_id)) if violations.is_empty() => Ok(store::work::InterventionFilter {
            participant_id,
            kind: (!kind.is_empty()).then(|| kind.to_string()),
            employer_id,
            only_open: request.only_open,
        }),
        _ => Err(ServiceError::InvalidArgument(violations)),
    }
}

/// Parses an attendance registration.
pub fn parse_attendance(request: &api::RecordAttendanceRequest) -> Result<NewAttendance, ServiceError> {
    let mut violations = Vec::new();
    let request_id = collect(parse_request_id(&request.request_id), &mut violations)?;
    let intervention_id = collect(parse_uuid(&request.intervention_id, "intervention_id"), &mut violations)?;
    let date = collect(parse_date(request.date.as_ref(), "date"), &mut violations)?;
    if let Some(date) = date
        && date > today()
    {
        violations.push(FieldViolation::new("date", "must not be in the future"));
    }
    let period = match api::AttendancePeriod::try_from(request.period) {
        Ok(api::AttendancePeriod::Occasion) => Some(Period::Occasion),
        Ok(api::AttendancePeriod::Week) => Some(Period::Week),
        _ => {
            violations.push(FieldViolation::new("period", "must be OCCASION or WEEK"));
            None
        }
    };
    let status = match api::AttendanceStatus::try_from(request.status) {
        Ok(api::AttendanceStatus::Present) => Some(AttendanceStatus::Present),
        Ok(api::AttendanceStatus::Excused) => Some(AttendanceStatus::Excused),
        Ok(api::AttendanceStatus::Unexcused) => Some(AttendanceStatus::Unexcused),
        _ => {
            violations.push(FieldViolation::new("status", "must be PRESENT, EXCUSED or UNEXCUSED"));
            None
        }
    };
    match (request_id, intervention_id, date, period, status) {
        (Some(request_id), Some(intervention_id), Some(date), Some(period), Some(status)) if violations.is_empty() => {
            Ok(NewAttendance { request_id, intervention_id, date, period, status })
        }
        _ => Err(ServiceError::InvalidArgument(violations)),
    }
}

/// The stored code of a contract progress value.
fn progress_code(value: i32) -> Option<&'static str> {
    match api::FollowUpProgress::try_from(value) {
        Ok(api::FollowUpProgress::OnTrack) => Some("on_track"),
        Ok(api::FollowUpProgress::Delayed) => Some("delayed"),
        Ok(api::FollowUpProgress::Stalled) => Some("stalled"),
        Ok(api::FollowUpProgress::OutcomeLasted) => Some("outcome_lasted"),
        Ok(api::FollowUpProgress::OutcomeEnded) => Some("outcome_ended"),
        Ok(api::FollowUpProgress::NotReached) => Some("not_reached"),
        _ => None,
    }
}

/// The contract's progress value of a stored code.
fn progress_from_code(code: &str) -> api::FollowUpProgress {
    [
        api::FollowUpProgress::OnTrack,
        api::FollowUpProgress::Delayed,
        api::FollowUpProgress::Stalled,
        api::FollowUpProgress::OutcomeLasted,
        api::FollowUpProgress::OutcomeEnded,
        api::FollowUpProgress::NotReached,
    ]
    .into_iter()
    .find(|p| progress_code(*p as i32) == Some(code))
    .unwrap_or(api::FollowUpProgress::Unspecified)
}

/// Parses a recorded follow-up.
pub fn parse_follow_up(request: &api::RecordFollowUpRequest) -> Result<DoneFollowUp, ServiceError> {
    let mut violations = Vec::new();
    let follow_up_id = collect(parse_uuid(&request.follow_up_id, "follow_up_id"), &mut violations)?;
    let done_on = collect(date_or_today(request.done_on.as_ref(), "done_on"), &mut violations)?;
    let progress = progress_code(request.progress);
    if progress.is_none() {
        violations.push(FieldViolation::new("progress", "is required"));
    }
    let next_step = request.next_step.trim();
    if next_step.chars().count() > TEXT_MAX_CHARS {
        violations.push(FieldViolation::new("next_step", format!("must be at most {TEXT_MAX_CHARS} characters")));
    }
    match (follow_up_id, done_on, progress) {
        (Some(follow_up_id), Some(done_on), Some(progress)) if violations.is_empty() => {
            Ok(DoneFollowUp { follow_up_id, done_on, progress: progress.to_string(), next_step: next_step.to_string() })
        }
        _ => Err(ServiceError::InvalidArgument(violations)),
    }
}

/// The contract's form of a follow-up.
pub fn to_api_follow_up(view: FollowUpView) -> api::FollowUp {
    let state = match view.state {
        FollowUpState::Scheduled => api::FollowUpState::Scheduled,
        FollowUpState::Due => api::FollowUpState::Due,
        FollowUpState::Overdue => api::FollowUpState::Overdue,
        FollowUpState::Done => api::FollowUpState::Done,
    };
    let row = view.row;
    api::FollowUp {
        follow_up_id: row.id.to_string(),
        participant_id: row.participant_id.to_string(),
        due_on: Some(to_date(row.due_on)),
        number: row.number,
        months_after_exit: row.months_after_exit,
        state: state as i32,
        done_on: row.done_on.map(to_date),
        progress: row.progress.as_deref().map_or(api::FollowUpProgress::Unspecified, progress_from_code) as i32,
        next_step: row.next_step.unwrap_or_default(),
        on_time: row.on_time.unwrap_or(false),
        responsible_coordinator: view.coordinator.unwrap_or_default(),
    }
}

/// Parses an exit.
pub fn parse_exit(request: &api::ExitParticipantRequest) -> Result<Exit, ServiceError> {
    let mut violations = Vec::new();
    let participant_id = collect(parse_uuid(&request.participant_id, "participant_id"), &mut violations)?;
    let outcome = exit_outcome_from_api(request.outcome);
    if outcome.is_none() {
        violations.push(FieldViolation::new("outcome", "is required: one of the exit outcome codes"));
    }
    let exited_on = collect(date_or_today(request.exited_on.as_ref(), "exited_on"), &mut violations)?;
    match (participant_id, outcome, exited_on) {
        (Some(participant_id), Some(outcome), Some(exited_on)) if violations.is_empty() => {
            Ok(Exit { participant_id, outcome, exited_on })
        }
        _ => Err(ServiceError::InvalidArgument(violations)),
    }
}

/// The contract's exit outcome of a stored code.
pub fn stored_exit_outcome(code: Option<&str>) -> i32 {
    code.and_then(ExitOutcome::from_code).map_or(0, |o| exit_outcome_to_api(o) as i32)
}
