//! The case flow's transport: applications, the riksnorm what-if, decisions, decision support, payments,
//! återkrav claims, budget, the labour-market unit's reports and the household history. Decode and validate, call the
//! store, encode.

use chrono::NaiveDate;
use tonic::{Request, Response, Status};
use trappan_api::bistand::v1 as api;
use trappan_api::common::v1 as common;
use trappan_platform::auth::context;
use trappan_platform::error::{FieldViolation, ServiceError};
use trappan_platform::grpc::{
    parse_date, parse_request_id, parse_uuid, parse_year_month, required_text, to_date, to_timestamp,
};
use trappan_platform::store::{PageRequest, next_page_token};
use uuid::Uuid;

use super::{BistandApi, to_api_referral};
use crate::domain::appeal;
use crate::domain::calculation::MAX_LINE_ORE;
use crate::domain::forecast::ForecastMethod;
use crate::domain::{Adult, Child, CostKind, Household, IncomeKind, JobbstimulansStatus, YearMonth, norm_for};
use crate::store::applications::{
    self as applications, ApplicationFilter, ApplicationRecord, NewApplication, StoredCost, StoredIncome, year_month_of,
};
use crate::store::claims;
use crate::store::decisions::{
    self as decisions, Confirmation, DecisionFilter, DecisionRecord, NewDecision, StoredCalculation, StoredOutcome,
    StoredProvenance,
};
use crate::store::history::{self, HistoryEntry};
use crate::store::payments::{self, BudgetPosition, PaymentFilter};
use crate::store::reports::{self, NewReport};
use crate::store::{case_report, claim, payment};
use trappan_platform::clock::today;

/// Most cost or income lines an application may carry.
const MAX_LINES: usize = 50;

fn api_month(month: YearMonth) -> common::YearMonth {
    common::YearMonth { year: month.year(), month: i32::try_from(month.month()).unwrap_or(0) }
}

fn money(ore: i64) -> Option<common::Money> {
    Some(common::Money { ore })
}

fn parse_month(value: Option<&common::YearMonth>, field: &str) -> Result<YearMonth, ServiceError> {
    let (year, month) = parse_year_month(value, field)?;
    YearMonth::new(year, month).map_err(|e| ServiceError::invalid(field, e.to_string()))
}

fn optional_uuid(value: &str, field: &str) -> Result<Option<Uuid>, ServiceError> {
    if value.is_empty() { Ok(None) } else { parse_uuid(value, field).map(Some) }
}

/// Collects the violations of `result` into `violations`, keeping the value if there were none.
fn collect<T>(result: Result<T, ServiceError>, violations: &mut Vec<FieldViolation>) -> Option<T> {
    match result {
        Ok(value) => Some(value),
        Err(ServiceError::InvalidArgument(mut found)) => {
            violations.append(&mut found);
            None
        }
        Err(other) => {
            violations.push(FieldViolation::new("request", other.to_string()));
            None
        }
    }
}

fn parse_amount(value: Option<&common::Money>, field: &str) -> Result<i64, ServiceError> {
    let ore = value.ok_or_else(|| ServiceError::invalid(field, "is required"))?.ore;
    if ore < 0 {
        Err(ServiceError::invalid(field, "must not be negative"))
    } else if ore > MAX_LINE_ORE {
        Err(ServiceError::invalid(field, "is implausibly large"))
    } else {
        Ok(ore)
    }
}

fn cost_kind(value: i32) -> Option<CostKind> {
    Some(match api::CostKind::try_from(value).ok()? {
        api::CostKind::Housing => CostKind::Housing,
        api::CostKind::HouseholdElectricity => CostKind::HouseholdElectricity,
        api::CostKind::HomeInsurance => CostKind::HomeInsurance,
        api::CostKind::WorkTravel => CostKind::WorkTravel,
        api::CostKind::UnionAndUnemploymentFund => CostKind::UnionAndUnemploymentFund,
        api::CostKind::Childcare => CostKind::Childcare,
        api::CostKind::MedicalCare => CostKind::MedicalCare,
        api::CostKind::Medicine => CostKind::Medicine,
        api::CostKind::EmergencyDentalCare => CostKind::EmergencyDentalCare,
        api::CostKind::Glasses => CostKind::Glasses,
        api::CostKind::Other => CostKind::Other,
        api::CostKind::Unspecified => return None,
    })
}

/// A cost kind as the API names it (also used by the demo, which registers applications through the API).
pub fn cost_kind_api(kind: CostKind) -> api::CostKind {
    match kind {
        CostKind::Housing => api::CostKind::Housing,
        CostKind::HouseholdElectricity => api::CostKind::HouseholdElectricity,
        CostKind::HomeInsurance => api::CostKind::HomeInsurance,
        CostKind::WorkTravel => api::CostKind::WorkTravel,
        CostKind::UnionAndUnemploymentFund => api::CostKind::UnionAndUnemploymentFund,
        CostKind::Childcare => api::CostKind::Childcare,
        CostKind::MedicalCare => api::CostKind::MedicalCare,
        CostKind::Medicine => api::CostKind::Medicine,
        CostKind::EmergencyDentalCare => api::CostKind::EmergencyDentalCare,
        CostKind::Glasses => api::CostKind::Glasses,
        CostKind::Other => api::CostKind::Other,
    }
}

fn income_kind(value: i32) -> Option<IncomeKind> {
    Some(match api::IncomeKind::try_from(value).ok()? {
        api::IncomeKind::Salary => IncomeKind::Salary,
        api::IncomeKind::UnemploymentBenefit => IncomeKind::UnemploymentBenefit,
        api::IncomeKind::SicknessBenefit => IncomeKind::SicknessBenefit,
        api::IncomeKind::ActivitySupport => IncomeKind::ActivitySupport,
        api::IncomeKind::HousingAllowance => IncomeKind::HousingAllowance,
        api::IncomeKind::ChildAllowance => IncomeKind::ChildAllowance,
        api::IncomeKind::MaintenanceSupport => IncomeKind::MaintenanceSupport,
        api::IncomeKind::Pension => IncomeKind::Pension,
        api::IncomeKind::Other => IncomeKind::Other,
        api::IncomeKind::Unspecified => return None,
    })
}

/// An income kind as the API names it (also used by the demo, which registers applications through the API).
pub fn income_kind_api(kind: IncomeKind) -> api::IncomeKind {
    match kind {
        IncomeKind::Salary => api::IncomeKind::Salary,
        IncomeKind::UnemploymentBenefit => api::IncomeKind::UnemploymentBenefit,
        IncomeKind::SicknessBenefit => api::IncomeKind::SicknessBenefit,
        IncomeKind::ActivitySupport => api::IncomeKind::ActivitySupport,
        IncomeKind::HousingAllowance => api::IncomeKind::HousingAllowance,
        IncomeKind::ChildAllowance => api::IncomeKind::ChildAllowance,
        IncomeKind::MaintenanceSupport => api::IncomeKind::MaintenanceSupport,
        IncomeKind::Pension => api::IncomeKind::Pension,
        IncomeKind::Other => api::IncomeKind::Other,
    }
}

/// Parses an application to register, collecting every violation.
fn parse_application(request: &api::CreateApplicationRequest) -> Result<NewApplication, ServiceError> {
    let mut violations = Vec::new();
    let request_id = collect(parse_request_id(&request.request_id), &mut violations);
    let Some(application) = request.application.as_ref() else {
        violations.push(FieldViolation::new("application", "is required"));
        return Err(ServiceError::InvalidArgument(violations));
    };
    let household_id = collect(parse_uuid(&application.household_id, "application.household_id"), &mut violations);
    let month = collect(parse_month(application.month.as_ref(), "application.month"), &mut violations);
    let supersedes = collect(
        optional_uuid(&application.supersedes_application_id, "application.supersedes_application_id"),
        &mut violations,
    );
    if application.cost_lines.len() > MAX_LINES || application.income_lines.len() > MAX_LINES {
        violations
            .push(FieldViolation::new("application", format!("may carry at most {MAX_LINES} lines of each kind")));
    }
    let mut costs = Vec::new();
    for (i, line) in application.cost_lines.iter().enumerate() {
        let field = |name: &str| format!("application.cost_lines[{i}].{name}");
        let kind = cost_kind(line.kind);
        if kind.is_none() {
            violations.push(FieldViolation::new(field("kind"), "must be a cost kind"));
        }
        let claimed = collect(parse_amount(line.claimed.as_ref(), &field("claimed")), &mut violations);
        let member_id = collect(optional_uuid(&line.member_id, &field("member_id")), &mut violations);
        let motivation = if kind == Some(CostKind::Other) {
            collect(required_text(&line.motivation, &field("motivation"), 1000), &mut violations)
        } else if line.motivation.trim().is_empty() {
            None
        } else {
            collect(required_text(&line.motivation, &field("motivation"), 1000), &mut violations)
        };
        if let (Some(kind), Some(claimed_ore), Some(member_id)) = (kind, claimed, member_id) {
            costs.push(StoredCost { kind, member_id, claimed_ore, approved_ore: None, motivation });
        }
    }
    let mut incomes = Vec::new();
    for (i, line) in application.income_lines.iter().enumerate() {
        let field = |name: &str| format!("application.income_lines[{i}].{name}");
        let kind = income_kind(line.kind);
        if kind.is_none() {
            violations.push(FieldViolation::new(field("kind"), "must be an income kind"));
        }
        let amount = collect(parse_amount(line.amount.as_ref(), &field("amount")), &mut violations);
        let member_id = collect(optional_uuid(&line.member_id, &field("member_id")), &mut violations);
        if kind == Some(IncomeKind::Salary) && line.member_id.is_empty() {
            violations.push(FieldViolation::new(field("member_id"), "is required for a salary"));
        }
        if let (Some(kind), Some(amount_ore), Some(member_id)) = (kind, amount, member_id) {
            incomes.push(StoredIncome { kind, member_id, amount_ore });
        }
    }
    if !violations.is_empty() {
        return Err(ServiceError::InvalidArgument(violations));
    }
    match (request_id, household_id, month, supersedes) {
        (Some(request_id), Some(household_id), Some(month), Some(supersedes)) => Ok(NewApplication {
            request_id,
            household_id,
            month,
            costs,
            incomes,
            income_verified: application.income_verified,
            supersedes,
        }),
        _ => Err(ServiceError::invalid("application", "is incomplete")),
    }
}

fn to_api_cost(cost: &StoredCost) -> api::CostLine {
    api::CostLine {
        kind: cost_kind_api(cost.kind) as i32,
        claimed: money(cost.claimed_ore),
        approved: cost.approved_ore.and_then(money),
        motivation: cost.motivation.clone().unwrap_or_default(),
        member_id: cost.member_id.map(|id| id.to_string()).unwrap_or_default(),
    }
}

fn to_api_application(record: ApplicationRecord) -> api::Application {
    let row = record.row;
    api::Application {
        application_id: row.id.to_string(),
        household_id: row.household_id.to_string(),
        month: year_month_of(row.month).ok().map(api_month),
        cost_lines: record.costs.iter().map(to_api_cost).collect(),
        income_lines: record
            .incomes
            .iter()
            .map(|income| api::IncomeLine {
                kind: income_kind_api(income.kind) as i32,
                amount: money(income.amount_ore),
                member_id: income.member_id.map(|id| id.to_string()).unwrap_or_default(),
            })
            .collect(),
        income_verified: row.income_verified,
        state: match row.state.as_str() {
            applications::state::WAITING => api::ApplicationState::WaitingForDecision,
            applications::state::DECIDED => api::ApplicationState::Decided,
            applications::state::SUPERSEDED => api::ApplicationState::Superseded,
            _ => api::ApplicationState::Unspecified,
        } as i32,
        supersedes_application_id: row.supersedes_id.map(|id| id.to_string()).unwrap_or_default(),
        registered_by: row.registered_by,
        create_time: Some(to_timestamp(row.created_at)),
    }
}

fn to_api_provenance(p: &StoredProvenance) -> api::NormProvenance {
    api::NormProvenance {
        year: p.year,
        status: match p.status.as_str() {
            "official" => api::NormStatus::Official,
            "derived" => api::NormStatus::Derived,
            _ => api::NormStatus::Unspecified,
        } as i32,
        source: p.source.clone(),
        version: p.version.clone(),
        operator_loaded: p.operator_loaded,
    }
}

fn to_api_jobbstimulans(status: JobbstimulansStatus) -> api::JobbstimulansState {
    match status {
        JobbstimulansStatus::Active { start, months_remaining } => api::JobbstimulansState {
            active: true,
            period_start: Some(api_month(start)),
            months_remaining: i32::try_from(months_remaining).unwrap_or(0),
            consecutive_granted_months: 0,
        },
        JobbstimulansStatus::NotActive { consecutive_granted_months } => api::JobbstimulansState {
            active: false,
            period_start: None,
            months_remaining: 0,
            consecutive_granted_months: i32::try_from(consecutive_granted_months).unwrap_or(0),
        },
    }
}

fn to_api_calculation(c: &StoredCalculation) -> api::Calculation {
    api::Calculation {
        rows: c
            .rows
            .iter()
            .map(|row| api::CalculationRow {
                category: match row.category.as_str() {
                    "norm" => api::CalculationRowCategory::Norm,
                    "cost" => api::CalculationRowCategory::Cost,
                    "income" => api::CalculationRowCategory::Income,
                    "jobbstimulans" => api::CalculationRowCategory::Jobbstimulans,
                    "child_income" => api::CalculationRowCategory::ChildIncome,
                    _ => api::CalculationRowCategory::Unspecified,
                } as i32,
                description: row.description.clone(),
                member_id: row.member_id.map(|id| id.to_string()).unwrap_or_default(),
                amount: money(row.amount_ore),
            })
            .collect(),
        norm: money(c.norm_ore),
        claimed_costs: money(c.claimed_costs_ore),
        approved_costs: money(c.approved_costs_ore),
        gross_income: money(c.gross_income_ore),
        disregarded_income: money(c.disregarded_income_ore),
        balance: money(c.balance_ore),
        payment: money(c.payment_ore),
        jobbstimulans: Some(to_api_jobbstimulans(c.jobbstimulans)),
        norm_provenance: Some(to_api_provenance(&c.norm)),
    }
}

fn to_api_decision(record: DecisionRecord) -> api::Decision {
    let row = &record.row;
    api::Decision {
        decision_id: row.id.to_string(),
        application_id: row.application_id.to_string(),
        household_id: row.household_id.to_string(),
        month: year_month_of(row.month).ok().map(api_month),
        outcome: StoredOutcome::from_code(&row.outcome).map_or(api::DecisionOutcome::Unspecified, StoredOutcome::to_api)
            as i32,
        granted: money(row.granted_ore),
        cost_lines: record.costs.iter().map(to_api_cost).collect(),
        calculation: Some(to_api_calculation(&record.calculation)),
        reason: row.reason.clone(),
        decided_by: row.decided_by.clone(),
        decided_on: Some(to_date(row.decided_on)),
        notified_on: Some(to_date(row.notified_on)),
        appeal_deadline: Some(to_date(row.appeal_deadline)),
        supersedes_decision_id: row.supersedes_id.map(|id| id.to_string()).unwrap_or_default(),
        superseded_by_decision_id: row.superseded_by.map(|id| id.to_string()).unwrap_or_default(),
        create_time: Some(to_timestamp(row.created_at)),
        appeal_instruction: appeal::appeal_instruction(row.appeal_deadline),
    }
}

fn to_api_payment(row: payment::Model) -> api::Payment {
    api::Payment {
        payment_id: row.id.to_string(),
        decision_id: row.decision_id.to_string(),
        household_id: row.household_id.to_string(),
        month: year_month_of(row.month).ok().map(api_month),
        amount: money(row.amount_ore),
        status: match row.status.as_str() {
            payments::status::PLANNED => api::PaymentStatus::Planned,
            payments::status::PAID => api::PaymentStatus::Paid,
            payments::status::STOPPED => api::PaymentStatus::Stopped,
            _ => api::PaymentStatus::Unspecified,
        } as i32,
        planned_on: Some(to_date(row.planned_on)),
        paid_on: row.paid_on.map(to_date),
        stopped_on: row.stopped_on.map(to_date),
        stop_reason: row.stop_reason.unwrap_or_default(),
    }
}

fn to_api_claim(row: claim::Model) -> api::Claim {
    api::Claim {
        claim_id: row.id.to_string(),
        household_id: row.household_id.to_string(),
        month: year_month_of(row.month).ok().map(api_month),
        decision_id: row.decision_id.to_string(),
        replaced_decision_id: row.replaced_decision_id.to_string(),
        amount: money(row.amount_ore),
        status: match row.status.as_str() {
            claims::status::OPEN => api::ClaimStatus::Open,
            claims::status::SUPERSEDED => api::ClaimStatus::Superseded,
            _ => api::ClaimStatus::Unspecified,
        } as i32,
        create_time: Some(to_timestamp(row.created_at)),
    }
}

fn to_api_budget(position: &BudgetPosition) -> api::BudgetStatus {
    api::BudgetStatus {
        year: position.year,
        as_of: Some(api_month(position.as_of)),
        allocated: money(position.allocated_ore),
        paid_to_date: money(position.paid_to_date_ore),
        forecast: money(position.forecast_ore),
        variance: money(position.variance_ore),
        variance_basis_points: position.variance_bp,
        method: match position.method {
            ForecastMethod::SeasonalRatio => api::ForecastMethod::SeasonalRatio,
            ForecastMethod::LinearRunRate => api::ForecastMethod::LinearRunRate,
        } as i32,
    }
}

fn to_api_case_report(row: case_report::Model) -> api::CaseReport {
    api::CaseReport {
        case_report_id: row.id.to_string(),
        household_id: row.household_id.to_string(),
        referral_id: row.referral_id.to_string(),
        member_id: row.member_id.to_string(),
        kind: match row.kind.as_str() {
            reports::kind::UNEXCUSED_ABSENCE => api::LabourMarketReportKind::UnexcusedAbsence,
            reports::kind::PLAN_CHANGED => api::LabourMarketReportKind::PlanChanged,
            reports::kind::EXITED => api::LabourMarketReportKind::Exited,
            _ => api::LabourMarketReportKind::Unspecified,
        } as i32,
        occurred_on: Some(to_date(row.occurred_on)),
        unexcused_absences: row.unexcused_absences,
        period_start: row.period_start.map(to_date),
        exit_outcome: row.exit_outcome,
        summary: row.summary,
        receive_time: Some(to_timestamp(row.received_at)),
    }
}

fn manual_reason_api(reason: crate::domain::decision_support::ManualReason) -> api::ManualHandlingReason {
    use crate::domain::decision_support::ManualReason as R;
    match reason {
        R::NoPreviousMonth => api::ManualHandlingReason::NoPreviousMonth,
        R::HouseholdChanged => api::ManualHandlingReason::HouseholdChanged,
        R::CostsChanged => api::ManualHandlingReason::CostsChanged,
        R::NoActivePlan => api::ManualHandlingReason::NoActivePlan,
        R::IncomeNotVerified => api::ManualHandlingReason::IncomeNotVerified,
        R::PreviousNotBifall => api::ManualHandlingReason::PreviousNotGranted,
        R::OwnMeansCoverNeed => api::ManualHandlingReason::OwnMeansCoverNeed,
        R::UnverifiedNorm => api::ManualHandlingReason::UnverifiedNorm,
        R::OtherCostNeedsAssessment => api::ManualHandlingReason::OtherCost,
    }
}

/// A what-if composition as the domain's household.
fn parse_composition(persons: &[api::NormPerson]) -> Result<Household, ServiceError> {
    let mut violations = Vec::new();
    let mut applicant = None;
    let mut co_applicant = None;
    let mut children = Vec::new();
    let mut other_adults = Vec::new();
    if persons.is_empty() {
        violations.push(FieldViolation::new("persons", "must name at least the applicant"));
    }
    if persons.len() > 30 {
        violations.push(FieldViolation::new("persons", "must have at most 30 persons"));
    }
    for (i, person) in persons.iter().enumerate() {
        let Some(birth_date) =
            collect(parse_date(person.birth_date.as_ref(), &format!("persons[{i}].birth_date")), &mut violations)
        else {
            continue;
        };
        let adult = Adult { birth_date, sex: None };
        let role = api::MemberRole::try_from(person.role).unwrap_or(api::MemberRole::Unspecified);
        match role {
            api::MemberRole::Applicant if i == 0 => applicant = Some(adult),
            api::MemberRole::CoApplicant if co_applicant.is_none() => co_applicant = Some(adult),
            api::MemberRole::Child => children.push(Child {
                birth_date,
                lunch_away_on_weekdays: person.lunch_at_school,
                in_upper_secondary: person.in_upper_secondary_school,
            }),
            api::MemberRole::OtherAdult => other_adults.push(adult),
            api::MemberRole::Applicant => violations
                .push(FieldViolation::new(format!("persons[{i}].role"), "the applicant must come first, once")),
            api::MemberRole::CoApplicant => {
                violations.push(FieldViolation::new(format!("persons[{i}].role"), "at most one co-applicant"))
            }
            api::MemberRole::Unspecified => {
                violations.push(FieldViolation::new(format!("persons[{i}].role"), "must be a member role"))
            }
        }
    }
    if !persons.is_empty() && applicant.is_none() && violations.is_empty() {
        violations.push(FieldViolation::new("persons[0].role", "the first person must be the applicant"));
    }
    match applicant {
        Some(applicant) if violations.is_empty() => Ok(Household { applicant, co_applicant, children, other_adults }),
        _ => Err(ServiceError::InvalidArgument(violations)),
    }
}

fn person_index(person: crate::domain::PersonRef, household: &Household) -> i32 {
    use crate::domain::PersonRef;
    let co = usize::from(household.co_applicant.is_some());
    let index = match person {
        PersonRef::Applicant => 0,
        PersonRef::CoApplicant => 1,
        PersonRef::Child(i) => 1 + co + i,
        PersonRef::OtherAdult(i) => 1 + co + household.children.len() + i,
    };
    i32::try_from(index).unwrap_or(i32::MAX)
}

fn outcome(value: i32) -> Option<StoredOutcome> {
    match api::DecisionOutcome::try_from(value).ok()? {
        api::DecisionOutcome::Granted => Some(StoredOutcome::Granted),
        api::DecisionOutcome::PartlyGranted => Some(StoredOutcome::PartlyGranted),
        api::DecisionOutcome::Refused => Some(StoredOutcome::Refused),
        api::DecisionOutcome::Unspecified => None,
    }
}

/// Parses a decision, collecting every violation.
fn parse_decision(body: &api::DecideApplicationRequest, today: NaiveDate) -> Result<NewDecision, ServiceError> {
    let mut violations = Vec::new();
    let request_id = collect(parse_request_id(&body.request_id), &mut violations);
    let application_id = collect(parse_uuid(&body.application_id, "application_id"), &mut violations);
    let outcome = outcome(body.outcome);
    if outcome.is_none() {
        violations.push(FieldViolation::new("outcome", "must be a decision outcome"));
    }
    let mut approvals = Vec::new();
    for (i, approval) in body.approvals.iter().enumerate() {
        let amount =
            collect(parse_amount(approval.approved.as_ref(), &format!("approvals[{i}].approved")), &mut violations);
        match (usize::try_from(approval.line), amount) {
            (Ok(line), Some(amount)) if !approvals.iter().any(|(l, _)| *l == line) => approvals.push((line, amount)),
            (Ok(_), Some(_)) => violations.push(FieldViolation::new(format!("approvals[{i}].line"), "is listed twice")),
            (Err(_), _) => violations.push(FieldViolation::new(format!("approvals[{i}].line"), "must not be negative")),
            _ => {}
        }
    }
    let reason = body.reason.trim().to_string();
    if matches!(outcome, Some(StoredOutcome::PartlyGranted | StoredOutcome::Refused)) && reason.is_empty() {
        violations.push(FieldViolation::new("reason", "is required for delvis bifall and avslag"));
    }
    if reason.chars().count() > 4000 {
        violations.push(FieldViolation::new("reason", "must be at most 4000 characters"));
    }
    let decided_on = match body.decided_on.as_ref() {
        None => Some(today),
        Some(date) => collect(parse_date(Some(date), "decided_on"), &mut violations),
    };
    if decided_on.is_some_and(|d| d > today) {
        violations.push(FieldViolation::new("decided_on", "must not be in the future"));
    }
    let notified_on = match body.notified_on.as_ref() {
        None => decided_on,
        Some(date) => collect(parse_date(Some(date), "notified_on"), &mut violations),
    };
    if let (Some(decided), Some(notified)) = (decided_on, notified_on)
        && notified < decided
    {
        violations.push(FieldViolation::new("notified_on", "is before the decision date"));
    }
    let supersedes = collect(optional_uuid(&body.supersedes_decision_id, "supersedes_decision_id"), &mut violations);
    if !violations.is_empty() {
        return Err(ServiceError::InvalidArgument(violations));
    }
    match (request_id, application_id, outcome, decided_on, notified_on, supersedes) {
        (
            Some(request_id),
            Some(application_id),
            Some(outcome),
            Some(decided_on),
            Some(notified_on),
            Some(supersedes),
        ) => Ok(NewDecision {
            request_id,
            application_id,
            outcome,
            approvals,
            reason,
            decided_on,
            notified_on,
            supersedes,
        }),
        _ => Err(ServiceError::invalid("request", "is incomplete")),
    }
}

fn parse_report(body: &api::ReceiveLabourMarketReportRequest) -> Result<NewReport, ServiceError> {
    let mut violations = Vec::new();
    let report_id = collect(parse_uuid(&body.report_id, "report_id"), &mut violations);
    let referral_id = collect(parse_uuid(&body.referral_id, "referral_id"), &mut violations);
    let occurred_on = collect(parse_date(body.occurred_on.as_ref(), "occurred_on"), &mut violations);
    let kind = match api::LabourMarketReportKind::try_from(body.kind) {
        Ok(api::LabourMarketReportKind::UnexcusedAbsence) => Some(reports::kind::UNEXCUSED_ABSENCE),
        Ok(api::LabourMarketReportKind::PlanChanged) => Some(reports::kind::PLAN_CHANGED),
        Ok(api::LabourMarketReportKind::Exited) => Some(reports::kind::EXITED),
        _ => {
            violations.push(FieldViolation::new("kind", "must be a report kind"));
            None
        }
    };
    if kind == Some(reports::kind::UNEXCUSED_ABSENCE) && body.unexcused_absences < 1 {
        violations.push(FieldViolation::new("unexcused_absences", "must be at least 1 for an unexcused absence"));
    }
    if body.unexcused_absences < 0 {
        violations.push(FieldViolation::new("unexcused_absences", "must not be negative"));
    }
    let exit_known =
        !matches!(common::ExitOutcome::try_from(body.exit_outcome), Err(_) | Ok(common::ExitOutcome::Unspecified));
    if kind == Some(reports::kind::EXITED) && !exit_known {
        violations.push(FieldViolation::new("exit_outcome", "is required for an exit"));
    }
    let period_start = match body.period_start.as_ref() {
        None => None,
        Some(date) => collect(parse_date(Some(date), "period_start"), &mut violations),
    };
    if body.summary.chars().count() > 1000 {
        violations.push(FieldViolation::new("summary", "must be at most 1000 characters"));
    }
    if !violations.is_empty() {
        return Err(ServiceError::InvalidArgument(violations));
    }
    match (report_id, referral_id, occurred_on, kind) {
        (Some(report_id), Some(referral_id), Some(occurred_on), Some(kind)) => Ok(NewReport {
            report_id,
            referral_id,
            kind,
            occurred_on,
            unexcused_absences: body.unexcused_absences,
            period_start,
            exit_outcome: if exit_known { body.exit_outcome } else { 0 },
            summary: body.summary.trim().to_string(),
        }),
        _ => Err(ServiceError::invalid("request", "is incomplete")),
    }
}

impl BistandApi {
    /// CreateApplication.
    pub(crate) async fn create_application_rpc(
        &self,
        request: Request<api::CreateApplicationRequest>,
    ) -> Result<Response<api::CreateApplicationResponse>, Status> {
        let context = context(&request)?;
        let new = parse_application(request.get_ref())?;
        let record = applications::create_application(self.context.store.db()?, &context, new).await?;
        Ok(Response::new(api::CreateApplicationResponse { application: Some(to_api_application(record)) }))
    }

    /// GetApplication.
    pub(crate) async fn get_application_rpc(
        &self,
        request: Request<api::GetApplicationRequest>,
    ) -> Result<Response<api::GetApplicationResponse>, Status> {
        let context = context(&request)?;
        let id = parse_uuid(&request.get_ref().application_id, "application_id")?;
        let record = applications::get_application(self.context.store.db()?, &context, id).await?;
        Ok(Response::new(api::GetApplicationResponse { application: Some(to_api_application(record)) }))
    }

    /// ListApplications.
    pub(crate) async fn list_applications_rpc(
        &self,
        request: Request<api::ListApplicationsRequest>,
    ) -> Result<Response<api::ListApplicationsResponse>, Status> {
        let context = context(&request)?;
        let body = request.get_ref();
        let page = PageRequest::parse(body.page_size, &body.page_token)?;
        let filter = match optional_uuid(&body.household_id, "household_id")? {
            Some(id) => ApplicationFilter::Household(id),
            None => ApplicationFilter::Waiting { only_mine: body.only_mine },
        };
        let (records, next) = applications::list_applications(self.context.store.db()?, &context, filter, page).await?;
        Ok(Response::new(api::ListApplicationsResponse {
            applications: records.into_iter().map(to_api_application).collect(),
            next_page_token: next_page_token(next),
        }))
    }

    /// CalculateNorm: the what-if norm; stores nothing.
    pub(crate) async fn calculate_norm_rpc(
        &self,
        request: Request<api::CalculateNormRequest>,
    ) -> Result<Response<api::CalculateNormResponse>, Status> {
        let body = request.get_ref();
        let mut violations = Vec::new();
        let month = collect(parse_month(body.month.as_ref(), "month"), &mut violations);
        let household = collect(parse_composition(&body.persons), &mut violations);
        let (Some(month), Some(household)) = (month, household) else {
            return Err(ServiceError::InvalidArgument(violations).into());
        };
        let norms = self.norms()?;
        let breakdown = norm_for(&household, month, norms.tables()).map_err(decisions::norm_error)?;
        let provenance = decisions::provenance(norms, month.year())?;
        let rows = breakdown
            .rows()
            .iter()
            .map(|row| api::NormRow {
                person_index: row.person.map(|p| person_index(p, &household)),
                item: row.item.to_string(),
                personal: money(row.personal_ore),
                common_share: money(row.common_share_ore),
                amount: money(row.amount_ore),
            })
            .collect();
        Ok(Response::new(api::CalculateNormResponse {
            breakdown: Some(api::NormBreakdown {
                month: Some(api_month(month)),
                household_size: i32::try_from(breakdown.household_size()).unwrap_or(i32::MAX),
                rows,
                total: money(breakdown.total_ore()),
                provenance: Some(to_api_provenance(&provenance)),
            }),
        }))
    }

    /// ListNormTables.
    pub(crate) async fn list_norm_tables_rpc(
        &self,
        _request: Request<api::ListNormTablesRequest>,
    ) -> Result<Response<api::ListNormTablesResponse>, Status> {
        let norms = self.norms()?;
        let tables = norms
            .tables()
            .years()
            .map(|year| decisions::provenance(norms, year).map(|p| to_api_provenance(&p)))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Response::new(api::ListNormTablesResponse { tables }))
    }

    /// DecideApplication.
    pub(crate) async fn decide_application_rpc(
        &self,
        request: Request<api::DecideApplicationRequest>,
    ) -> Result<Response<api::DecideApplicationResponse>, Status> {
        let context = context(&request)?;
        let new = parse_decision(request.get_ref(), today())?;
        let record = decisions::decide(self.context.store.db()?, &context, self.norms()?, new).await?;
        self.context.feed.notify_committed();
        Ok(Response::new(api::DecideApplicationResponse { decision: Some(to_api_decision(record)) }))
    }

    /// GetDecision.
    pub(crate) async fn get_decision_rpc(
        &self,
        request: Request<api::GetDecisionRequest>,
    ) -> Result<Response<api::GetDecisionResponse>, Status> {
        let context = context(&request)?;
        let id = parse_uuid(&request.get_ref().decision_id, "decision_id")?;
        let record = decisions::get_decision(self.context.store.db()?, &context, id).await?;
        Ok(Response::new(api::GetDecisionResponse { decision: Some(to_api_decision(record)) }))
    }

    /// ListDecisions.
    pub(crate) async fn list_decisions_rpc(
        &self,
        request: Request<api::ListDecisionsRequest>,
    ) -> Result<Response<api::ListDecisionsResponse>, Status> {
        let context = context(&request)?;
        let body = request.get_ref();
        let page = PageRequest::parse(body.page_size, &body.page_token)?;
        let filter = match optional_uuid(&body.household_id, "household_id")? {
            Some(id) => DecisionFilter::Household(id),
            None => DecisionFilter::DecidedIn {
                month: match body.decided_in.as_ref() {
                    Some(month) => parse_month(Some(month), "decided_in")?,
                    None => YearMonth::of(today()),
                },
                only_mine: body.only_mine,
            },
        };
        let (records, next) = decisions::list_decisions(self.context.store.db()?, &context, filter, page).await?;
        Ok(Response::new(api::ListDecisionsResponse {
            decisions: records.into_iter().map(to_api_decision).collect(),
            next_page_token: next_page_token(next),
        }))
    }

    /// ProposeDecision.
    pub(crate) async fn propose_decision_rpc(
        &self,
        request: Request<api::ProposeDecisionRequest>,
    ) -> Result<Response<api::ProposeDecisionResponse>, Status> {
        let context = context(&request)?;
        let id = parse_uuid(&request.get_ref().application_id, "application_id")?;
        let assessment = decisions::propose(self.context.store.db()?, &context, self.norms()?, id).await?;
        let mut reasons: Vec<i32> = assessment.reasons.iter().map(|r| manual_reason_api(*r) as i32).collect();
        let mut reason_texts: Vec<String> = assessment.reasons.iter().map(|r| r.text_sv().to_string()).collect();
        if assessment.not_waiting {
            reasons.push(api::ManualHandlingReason::NotWaiting as i32);
            reason_texts.push("Ansökan är redan beslutad eller ersatt".to_string());
        }
        let calculation = decisions::store_calculation(
            &assessment.prepared.calculation,
            &assessment.prepared.household,
            assessment.prepared.provenance.clone(),
        );
        Ok(Response::new(api::ProposeDecisionResponse {
            standard_case: reasons.is_empty(),
            reasons,
            reason_texts,
            calculation: Some(to_api_calculation(&calculation)),
            proposal_token: assessment.token,
        }))
    }

    /// ConfirmProposedDecision.
    pub(crate) async fn confirm_proposed_decision_rpc(
        &self,
        request: Request<api::ConfirmProposedDecisionRequest>,
    ) -> Result<Response<api::ConfirmProposedDecisionResponse>, Status> {
        let context = context(&request)?;
        let body = request.get_ref();
        let request_id = parse_request_id(&body.request_id)?;
        let application_id = parse_uuid(&body.application_id, "application_id")?;
        let token = required_text(&body.proposal_token, "proposal_token", 64)?;
        let today = today();
        let notified_on = match body.notified_on.as_ref() {
            None => today,
            Some(date) => parse_date(Some(date), "notified_on")?,
        };
        if notified_on < today {
            return Err(ServiceError::invalid("notified_on", "is before the decision date (today)").into());
        }
        let confirmation = Confirmation { request_id, application_id, token, today, notified_on };
        let record = decisions::confirm(self.context.store.db()?, &context, self.norms()?, confirmation).await?;
        self.context.feed.notify_committed();
        Ok(Response::new(api::ConfirmProposedDecisionResponse { decision: Some(to_api_decision(record)) }))
    }

    /// RecordNotification.
    pub(crate) async fn record_notification_rpc(
        &self,
        request: Request<api::RecordNotificationRequest>,
    ) -> Result<Response<api::RecordNotificationResponse>, Status> {
        let context = context(&request)?;
        let body = request.get_ref();
        let mut violations = Vec::new();
        let id = collect(parse_uuid(&body.decision_id, "decision_id"), &mut violations);
        let notified_on = collect(parse_date(body.notified_on.as_ref(), "notified_on"), &mut violations);
        if notified_on.is_some_and(|day| day > today()) {
            violations.push(FieldViolation::new("notified_on", "must not be in the future"));
        }
        let (Some(id), Some(notified_on), true) = (id, notified_on, violations.is_empty()) else {
            return Err(ServiceError::InvalidArgument(violations).into());
        };
        let record = decisions::record_notification(self.context.store.db()?, &context, id, notified_on).await?;
        Ok(Response::new(api::RecordNotificationResponse { decision: Some(to_api_decision(record)) }))
    }

    /// CreatePayment.
    pub(crate) async fn create_payment_rpc(
        &self,
        request: Request<api::CreatePaymentRequest>,
    ) -> Result<Response<api::CreatePaymentResponse>, Status> {
        let context = context(&request)?;
        let body = request.get_ref();
        let request_id = parse_request_id(&body.request_id)?;
        let decision_id = parse_uuid(&body.decision_id, "decision_id")?;
        let planned_on = parse_date(body.planned_on.as_ref(), "planned_on")?;
        let row =
            payments::create_payment(self.context.store.db()?, &context, request_id, decision_id, planned_on).await?;
        self.context.feed.notify_committed();
        Ok(Response::new(api::CreatePaymentResponse { payment: Some(to_api_payment(row)) }))
    }

    /// MarkPaymentPaid.
    pub(crate) async fn mark_payment_paid_rpc(
        &self,
        request: Request<api::MarkPaymentPaidRequest>,
    ) -> Result<Response<api::MarkPaymentPaidResponse>, Status> {
        let context = context(&request)?;
        let body = request.get_ref();
        let id = parse_uuid(&body.payment_id, "payment_id")?;
        let paid_on = parse_date(body.paid_on.as_ref(), "paid_on")?;
        let row = payments::mark_paid(self.context.store.db()?, &context, id, paid_on).await?;
        self.context.feed.notify_committed();
        Ok(Response::new(api::MarkPaymentPaidResponse { payment: Some(to_api_payment(row)) }))
    }

    /// StopPayment.
    pub(crate) async fn stop_payment_rpc(
        &self,
        request: Request<api::StopPaymentRequest>,
    ) -> Result<Response<api::StopPaymentResponse>, Status> {
        let context = context(&request)?;
        let body = request.get_ref();
        let id = parse_uuid(&body.payment_id, "payment_id")?;
        let stopped_on = parse_date(body.stopped_on.as_ref(), "stopped_on")?;
        let reason = required_text(&body.reason, "reason", 1000)?;
        let row = payments::stop(self.context.store.db()?, &context, id, stopped_on, reason).await?;
        self.context.feed.notify_committed();
        Ok(Response::new(api::StopPaymentResponse { payment: Some(to_api_payment(row)) }))
    }

    /// ListPayments.
    pub(crate) async fn list_payments_rpc(
        &self,
        request: Request<api::ListPaymentsRequest>,
    ) -> Result<Response<api::ListPaymentsResponse>, Status> {
        let context = context(&request)?;
        let body = request.get_ref();
        let page = PageRequest::parse(body.page_size, &body.page_token)?;
        let filter = match optional_uuid(&body.household_id, "household_id")? {
            Some(id) => PaymentFilter::Household(id),
            None => PaymentFilter::Status(match api::PaymentStatus::try_from(body.status) {
                Ok(api::PaymentStatus::Planned) => Some(payments::status::PLANNED),
                Ok(api::PaymentStatus::Paid) => Some(payments::status::PAID),
                Ok(api::PaymentStatus::Stopped) => Some(payments::status::STOPPED),
                Ok(api::PaymentStatus::Unspecified) => None,
                Err(_) => return Err(ServiceError::invalid("status", "must be a payment status").into()),
            }),
        };
        let (rows, next) = payments::list_payments(self.context.store.db()?, &context, filter, page).await?;
        Ok(Response::new(api::ListPaymentsResponse {
            payments: rows.into_iter().map(to_api_payment).collect(),
            next_page_token: next_page_token(next),
        }))
    }

    /// ListClaims.
    pub(crate) async fn list_claims_rpc(
        &self,
        request: Request<api::ListClaimsRequest>,
    ) -> Result<Response<api::ListClaimsResponse>, Status> {
        let context = context(&request)?;
        let body = request.get_ref();
        let household_id = parse_uuid(&body.household_id, "household_id")?;
        let page = PageRequest::parse(body.page_size, &body.page_token)?;
        let (rows, next) = claims::list_claims(self.context.store.db()?, &context, household_id, page).await?;
        Ok(Response::new(api::ListClaimsResponse {
            claims: rows.into_iter().map(to_api_claim).collect(),
            next_page_token: next_page_token(next),
        }))
    }

    /// SetBudget.
    pub(crate) async fn set_budget_rpc(
        &self,
        request: Request<api::SetBudgetRequest>,
    ) -> Result<Response<api::SetBudgetResponse>, Status> {
        let context = context(&request)?;
        let body = request.get_ref();
        let mut violations = Vec::new();
        if !(1900..=2200).contains(&body.year) {
            violations.push(FieldViolation::new("year", "must be 1900–2200"));
        }
        let allocated = collect(parse_amount(body.allocated.as_ref(), "allocated"), &mut violations);
        let Some(allocated) = allocated.filter(|_| violations.is_empty()) else {
            return Err(ServiceError::InvalidArgument(violations).into());
        };
        let position = payments::set_budget(self.context.store.db()?, &context, body.year, allocated, today()).await?;
        self.context.feed.notify_committed();
        Ok(Response::new(api::SetBudgetResponse { status: Some(to_api_budget(&position)) }))
    }

    /// GetBudgetStatus.
    pub(crate) async fn get_budget_status_rpc(
        &self,
        request: Request<api::GetBudgetStatusRequest>,
    ) -> Result<Response<api::GetBudgetStatusResponse>, Status> {
        let context = context(&request)?;
        let body = request.get_ref();
        if !(1900..=2200).contains(&body.year) {
            return Err(ServiceError::invalid("year", "must be 1900–2200").into());
        }
        let as_of = match body.as_of.as_ref() {
            None => None,
            Some(month) => {
                let month = parse_month(Some(month), "as_of")?;
                if month.year() != body.year {
                    return Err(ServiceError::invalid("as_of", "must be a month of the budget year").into());
                }
                Some(month)
            }
        };
        let position =
            payments::budget_status(self.context.store.db()?, context.kommun(), body.year, as_of, today()).await?;
        Ok(Response::new(api::GetBudgetStatusResponse { status: Some(to_api_budget(&position)) }))
    }

    /// ReceiveLabourMarketReport.
    pub(crate) async fn receive_labour_market_report_rpc(
        &self,
        request: Request<api::ReceiveLabourMarketReportRequest>,
    ) -> Result<Response<api::ReceiveLabourMarketReportResponse>, Status> {
        let context = context(&request)?;
        let new = parse_report(request.get_ref())?;
        let row = reports::receive(self.context.store.db()?, &context, new).await?;
        Ok(Response::new(api::ReceiveLabourMarketReportResponse { case_report_id: row.id.to_string() }))
    }

    /// ListCaseReports.
    pub(crate) async fn list_case_reports_rpc(
        &self,
        request: Request<api::ListCaseReportsRequest>,
    ) -> Result<Response<api::ListCaseReportsResponse>, Status> {
        let context = context(&request)?;
        let body = request.get_ref();
        let household_id = parse_uuid(&body.household_id, "household_id")?;
        let page = PageRequest::parse(body.page_size, &body.page_token)?;
        let (rows, next, active) = reports::list(self.context.store.db()?, &context, household_id, page).await?;
        Ok(Response::new(api::ListCaseReportsResponse {
            reports: rows.into_iter().map(to_api_case_report).collect(),
            next_page_token: next_page_token(next),
            has_active_plan: active,
        }))
    }

    /// GetHouseholdHistory.
    pub(crate) async fn get_household_history_rpc(
        &self,
        request: Request<api::GetHouseholdHistoryRequest>,
    ) -> Result<Response<api::GetHouseholdHistoryResponse>, Status> {
        use api::history_entry::Entry;
        let context = context(&request)?;
        let body = request.get_ref();
        let household_id = parse_uuid(&body.household_id, "household_id")?;
        let page = PageRequest::parse(body.page_size, &body.page_token)?;
        let (entries, next) =
            history::household_history(self.context.store.db()?, &context, household_id, page).await?;
        let entries = entries
            .into_iter()
            .map(|entry| api::HistoryEntry {
                entry: Some(match entry {
                    HistoryEntry::Application(a) => Entry::Application(to_api_application(a)),
                    HistoryEntry::Decision(d) => Entry::Decision(to_api_decision(*d)),
                    HistoryEntry::Payment(p) => Entry::Payment(to_api_payment(p)),
                    HistoryEntry::Referral(r) => Entry::Referral(to_api_referral(r)),
                }),
            })
            .collect();
        Ok(Response::new(api::GetHouseholdHistoryResponse { entries, next_page_token: next_page_token(next) }))
    }
}
