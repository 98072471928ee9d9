//! Decisions (beslut): the calculation a decision is made from, the decision itself, omprövning, the feed
//! event, and standard-case decision support.

use chrono::NaiveDate;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, TransactionTrait,
};
use serde::{Deserialize, Serialize};
use trappan_api::bistand::v1 as api;
use trappan_api::common::v1 as common;
use trappan_platform::audit::{self, Outcome};
use trappan_platform::auth::CallContext;
use trappan_platform::error::{ServiceError, ServiceResult};
use trappan_platform::grpc::to_date;
use trappan_platform::outbox;
use trappan_platform::store::{PageRequest, is_unique_violation};
use uuid::Uuid;

use super::applications::{
    ApplicationRecord, MonthHousehold, StoredCost, find_application, internal, key_of, month_household, state,
    year_month_of,
};
use super::case_entities::{application, decision};
use super::{find_household, payments, reports};
use crate::domain::decision_support::{self, ManualReason, Proposal, StandardCaseInput};
use crate::domain::household::age_in_years;
use crate::domain::jobbstimulans::{self, DecisionOutcome as ChainOutcome};
use crate::domain::{
    Calculation, CalculationError, ChildIncomeAllowance, CostKind, CostLine, Household, IncomeLine,
    JobbstimulansStatus, NormError, NormStatus, NormTables, RowKind, YearMonth, calculate, norm_for,
};
use crate::domain::{appeal, prisbasbelopp};
use crate::norms::LoadedNorms;

/// A decision's outcome as stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StoredOutcome {
    /// Bifall.
    Granted,
    /// Delvis bifall.
    PartlyGranted,
    /// Avslag.
    Refused,
}

impl StoredOutcome {
    /// The stored code.
    pub fn code(self) -> &'static str {
        match self {
            StoredOutcome::Granted => "granted",
            StoredOutcome::PartlyGranted => "partly_granted",
            StoredOutcome::Refused => "refused",
        }
    }

    /// Reads a stored code.
    pub fn from_code(code: &str) -> Option<StoredOutcome> {
        [StoredOutcome::Granted, StoredOutcome::PartlyGranted, StoredOutcome::Refused]
            .into_iter()
            .find(|o| o.code() == code)
    }

    /// The outcome as the contract writes it.
    pub fn to_api(self) -> api::DecisionOutcome {
        match self {
            StoredOutcome::Granted => api::DecisionOutcome::Granted,
            StoredOutcome::PartlyGranted => api::DecisionOutcome::PartlyGranted,
            StoredOutcome::Refused => api::DecisionOutcome::Refused,
        }
    }

    fn for_chain(self) -> ChainOutcome {
        match self {
            StoredOutcome::Granted => ChainOutcome::Bifall,
            StoredOutcome::PartlyGranted => ChainOutcome::DelvisBifall,
            StoredOutcome::Refused => ChainOutcome::Avslag,
        }
    }
}

/// One stored calculation row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredRow {
    /// norm, cost, income or jobbstimulans.
    pub category: String,
    /// What the row is.
    pub description: String,
    /// The member it concerns.
    pub member_id: Option<Uuid>,
    /// The signed amount, öre.
    pub amount_ore: i64,
}

/// The provenance of the norm table used.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredProvenance {
    /// The year.
    pub year: i32,
    /// official or derived.
    pub status: String,
    /// The source.
    pub source: String,
    /// The table version.
    pub version: String,
    /// Loaded by the operator.
    pub operator_loaded: bool,
}

/// A calculation as stored on a decision.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredCalculation {
    /// The rows.
    pub rows: Vec<StoredRow>,
    /// Riksnorm, öre.
    pub norm_ore: i64,
    /// Claimed costs, öre.
    pub claimed_costs_ore: i64,
    /// Approved costs, öre.
    pub approved_costs_ore: i64,
    /// Gross income, öre.
    pub gross_income_ore: i64,
    /// Disregarded income, öre.
    pub disregarded_income_ore: i64,
    /// Balance, öre.
    pub balance_ore: i64,
    /// Payment, öre.
    pub payment_ore: i64,
    /// Jobbstimulans in the month.
    pub jobbstimulans: JobbstimulansStatus,
    /// The norm table.
    pub norm: StoredProvenance,
}

/// Everything a calculation is made from, stored with the decision so it can be recomputed exactly.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CalculationInputs {
    /// The month.
    pub month: YearMonth,
    /// The household as it was that month.
    pub household: Household,
    /// The cost lines with approved amounts.
    pub costs: Vec<CostLine>,
    /// The incomes.
    pub incomes: Vec<IncomeLine>,
    /// Jobbstimulans, from the decision history at the time.
    pub jobbstimulans: JobbstimulansStatus,
    /// The prisbasbelopp ceiling on the children's own earned income and what earlier months of the year
    /// used of it. Absent in decisions made before the rule was applied: those recompute with no figure, so
    /// one with a child's earned income is refused rather than recomputed differently.
    #[serde(default)]
    pub child_income: ChildIncomeAllowance,
    /// The norm year.
    pub norm_year: i32,
    /// The norm table version.
    pub norm_version: String,
}

impl CalculationInputs {
    /// Recomputes the calculation from the stored inputs; refused when the loaded table of the year is no
    /// longer the version the decision used.
    pub fn recompute(&self, tables: &NormTables) -> ServiceResult<Calculation> {
        let table = tables.get(self.norm_year).map_err(norm_error)?;
        if table.version() != self.norm_version {
            return Err(ServiceError::FailedPrecondition(format!(
                "the riksnorm for {} loaded now is version {}, the decision used {}",
                self.norm_year,
                table.version(),
                self.norm_version
            )));
        }
        let norm = norm_for(&self.household, self.month, tables).map_err(norm_error)?;
        calculate(&norm, &self.costs, &self.incomes, &self.jobbstimulans, &self.child_income).map_err(calculation_error)
    }
}

/// A norm error as a status: the missing year or item is named, never a person.
pub fn norm_error(error: NormError) -> ServiceError {
    ServiceError::FailedPrecondition(error.to_string())
}

/// A calculation error as a status: the missing year, item or figure is named, never a person.
pub fn calculation_error(error: CalculationError) -> ServiceError {
    ServiceError::FailedPrecondition(error.to_string())
}

/// The stored row category of the disregarded part of a child's own earned income.
const CHILD_INCOME_CATEGORY: &str = "child_income";

/// The prisbasbelopp ceiling for `month` and, per member of this month's household, the child's earned income
/// already disregarded in the household's standing decisions of earlier months of the same calendar year.
fn child_income_allowance(
    standing: &[decision::Model],
    household: &MonthHousehold,
    month: YearMonth,
) -> ServiceResult<ChildIncomeAllowance> {
    let mut disregarded_earlier_ore = Vec::new();
    for earlier in standing {
        let Ok(earlier_month) = year_month_of(earlier.month) else { continue };
        if earlier_month.year() != month.year() || earlier_month >= month {
            continue;
        }
        let calculation: StoredCalculation = serde_json::from_str(&earlier.calculation).map_err(internal)?;
        for row in calculation.rows.iter().filter(|row| row.category == CHILD_INCOME_CATEGORY) {
            if let Some(child) = row.member_id.and_then(|id| household.person_of(id)) {
                disregarded_earlier_ore.push((child, row.amount_ore));
            }
        }
    }
    Ok(ChildIncomeAllowance {
        prisbasbelopp_ore: prisbasbelopp::for_year(month.year()).map(|p| p.ore()),
        disregarded_earlier_ore,
    })
}

/// A decision row with its JSON decoded.
#[derive(Debug, Clone)]
pub struct DecisionRecord {
    /// The row.
    pub row: decision::Model,
    /// The cost lines with approved amounts.
    pub costs: Vec<StoredCost>,
    /// The stored calculation.
    pub calculation: StoredCalculation,
}

impl DecisionRecord {
    /// Decodes a row.
    pub fn decode(row: decision::Model) -> ServiceResult<DecisionRecord> {
        let costs = serde_json::from_str(&row.cost_lines).map_err(internal)?;
        let calculation = serde_json::from_str(&row.calculation).map_err(internal)?;
        Ok(DecisionRecord { row, costs, calculation })
    }

    /// The stored inputs.
    pub fn inputs(&self) -> ServiceResult<CalculationInputs> {
        serde_json::from_str(&self.row.inputs).map_err(internal)
    }

    /// The outcome.
    pub fn outcome(&self) -> ServiceResult<StoredOutcome> {
        StoredOutcome::from_code(&self.row.outcome).ok_or_else(|| internal("unknown outcome"))
    }
}

/// A calculation prepared for an application, with what it was made from.
#[derive(Debug, Clone)]
pub struct Prepared {
    /// The inputs.
    pub inputs: CalculationInputs,
    /// The calculation.
    pub calculation: Calculation,
    /// The household that month.
    pub household: MonthHousehold,
    /// The cost lines with approved amounts.
    pub costs: Vec<StoredCost>,
    /// The provenance of the norm table.
    pub provenance: StoredProvenance,
}

/// The standing (not superseded) decisions of a household, oldest month first.
async fn standing_decisions(
    conn: &impl ConnectionTrait,
    kommun: &str,
    household_id: Uuid,
) -> ServiceResult<Vec<decision::Model>> {
    Ok(decision::Entity::find()
        .filter(decision::Column::Kommun.eq(kommun))
        .filter(decision::Column::HouseholdId.eq(household_id))
        .filter(decision::Column::SupersededBy.is_null())
        .order_by_asc(decision::Column::Month)
        .all(conn)
        .await?)
}

/// The provenance of the year's table.
pub fn provenance(norms: &LoadedNorms, year: i32) -> ServiceResult<StoredProvenance> {
    let table = norms.tables().get(year).map_err(norm_error)?;
    Ok(StoredProvenance {
        year,
        status: match table.status() {
            NormStatus::Official => "official".into(),
            NormStatus::Derived => "derived".into(),
        },
        source: table.source().to_string(),
        version: table.version(),
        operator_loaded: norms.is_operator_loaded(year),
    })
}

/// Calculates an application with the approved amounts given per line (`None`: as claimed) and jobbstimulans
/// from the household's own standing decisions before the month.
pub async fn prepare(
    conn: &impl ConnectionTrait,
    context: &CallContext,
    norms: &LoadedNorms,
    application: &ApplicationRecord,
    approved: &[Option<i64>],
) -> ServiceResult<Prepared> {
    let month = application.month()?;
    let household = month_household(conn, context, application.row.household_id, month).await?;
    let person = |member: Option<Uuid>| -> ServiceResult<Option<crate::domain::PersonRef>> {
        match member {
            None => Ok(None),
            Some(id) => household.person_of(id).map(Some).ok_or_else(|| {
                ServiceError::FailedPrecondition(format!(
                    "a member named on the application no longer belongs to the household in {month}"
                ))
            }),
        }
    };
    let mut costs = Vec::with_capacity(application.costs.len());
    let mut lines = Vec::with_capacity(application.costs.len());
    for (i, cost) in application.costs.iter().enumerate() {
        let approved_ore = approved.get(i).copied().flatten().unwrap_or(cost.claimed_ore);
        let line = match (cost.kind, cost.motivation.as_deref()) {
            (CostKind::Other, motivation) => CostLine::other(cost.claimed_ore, approved_ore, motivation.unwrap_or("")),
            (kind, _) => CostLine::new(kind, cost.claimed_ore, approved_ore),
        }
        .map_err(|e| ServiceError::invalid(format!("approvals[{i}]"), e.to_string()))?;
        lines.push(match person(cost.member_id)? {
            Some(p) => line.for_person(p),
            None => line,
        });
        costs.push(StoredCost { approved_ore: Some(approved_ore), ..cost.clone() });
    }
    let mut incomes = Vec::with_capacity(application.incomes.len());
    for income in &application.incomes {
        let line = IncomeLine::new(income.kind, income.amount_ore).map_err(internal)?;
        incomes.push(match person(income.member_id)? {
            Some(p) => line.for_person(p),
            None => line,
        });
    }
    let standing = standing_decisions(conn, context.kommun(), application.row.household_id).await?;
    let child_income = child_income_allowance(&standing, &household, month)?;
    let history = standing
        .into_iter()
        .filter_map(|d| {
            let outcome = StoredOutcome::from_code(&d.outcome)?;
            Some((year_month_of(d.month).ok()?, outcome.for_chain()))
        })
        .collect::<Vec<_>>();
    let jobbstimulans = jobbstimulans::status_for(&history, month);
    let norm = norm_for(&household.household, month, norms.tables()).map_err(norm_error)?;
    let calculation = calculate(&norm, &lines, &incomes, &jobbstimulans, &child_income).map_err(calculation_error)?;
    let provenance = provenance(norms, month.year())?;
    let inputs = CalculationInputs {
        month,
        household: household.household.clone(),
        costs: lines,
        incomes,
        jobbstimulans,
        child_income,
        norm_year: month.year(),
        norm_version: provenance.version.clone(),
    };
    Ok(Prepared { inputs, calculation, household, costs, provenance })
}

/// The stored form of a calculation; rows name members, not positions.
pub fn store_calculation(
    calculation: &Calculation,
    household: &MonthHousehold,
    provenance: StoredProvenance,
) -> StoredCalculation {
    StoredCalculation {
        rows: calculation
            .rows()
            .iter()
            .map(|row| StoredRow {
                category: match row.kind {
                    RowKind::Norm(_) => "norm",
                    RowKind::Cost(_) => "cost",
                    RowKind::Income(_) => "income",
                    RowKind::JobbstimulansDisregard => "jobbstimulans",
                    RowKind::ChildIncomeDisregard => CHILD_INCOME_CATEGORY,
                }
                .into(),
                description: row.kind.to_string(),
                member_id: row.person.and_then(|p| household.member_of(p)),
                amount_ore: row.amount_ore,
            })
            .collect(),
        norm_ore: calculation.norm_ore(),
        claimed_costs_ore: calculation.claimed_costs_ore(),
        approved_costs_ore: calculation.approved_costs_ore(),
        gross_income_ore: calculation.gross_income_ore(),
        disregarded_income_ore: calculation.disregarded_income_ore(),
        balance_ore: calculation.balance_ore(),
        payment_ore: calculation.payment_ore(),
        jobbstimulans: calculation.jobbstimulans(),
        norm: provenance,
    }
}

/// A decision to make, already parsed.
#[derive(Debug, Clone)]
pub struct NewDecision {
    /// Idempotency key.
    pub request_id: Uuid,
    /// The application.
    pub application_id: Uuid,
    /// The outcome.
    pub outcome: StoredOutcome,
    /// Approved amount per cost line (index), others as claimed.
    pub approvals: Vec<(usize, i64)>,
    /// The reason text.
    pub reason: String,
    /// The decision date.
    pub decided_on: NaiveDate,
    /// The notification date.
    pub notified_on: NaiveDate,
    /// The standing decision an omprövning replaces.
    pub supersedes: Option<Uuid>,
}

async fn by_request(
    conn: &impl ConnectionTrait,
    context: &CallContext,
    request_id: Uuid,
) -> ServiceResult<Option<DecisionRecord>> {
    decision::Entity::find()
        .filter(decision::Column::Kommun.eq(context.kommun()))
        .filter(decision::Column::RequestId.eq(request_id))
        .one(conn)
        .await?
        .map(DecisionRecord::decode)
        .transpose()
}

/// Makes a decision in one transaction: the itemised calculation and its inputs, the application's state,
/// the superseded decision's link, the audit entry and the feed event. A retry returns the first result. An
/// omprövning also settles the month's payments in the same transaction (`payments::settle_on_omprovning`):
/// the replaced decision's planned payment is stopped, and what was paid above the new grant becomes an
/// återkrav claim.
pub async fn decide(
    db: &DatabaseConnection,
    context: &CallContext,
    norms: &LoadedNorms,
    new: NewDecision,
) -> ServiceResult<DecisionRecord> {
    if let Some(existing) = by_request(db, context, new.request_id).await? {
        return Ok(existing);
    }
    let txn = db.begin().await?;
    let application = find_application(&txn, context, new.application_id).await?;
    if application.row.state == state::SUPERSEDED {
        return Err(ServiceError::FailedPrecondition(
            "the application is superseded by a reconsidered one; decide that one".into(),
        ));
    }
    let mut approved = vec![None; application.costs.len()];
    for (line, amount) in &new.approvals {
        match approved.get_mut(*line) {
            Some(slot) => *slot = Some(*amount),
            None => {
                return Err(ServiceError::invalid(format!("approvals[{line}].line"), "names no cost line"));
            }
        }
    }
    // The standing decision's row stays locked until commit (see `payments::lock_decision`): a payment of it
    // being planned or paid finishes first, and the omprövning below then settles what it left.
    let standing = decision::Entity::find()
        .filter(decision::Column::Kommun.eq(context.kommun()))
        .filter(decision::Column::HouseholdId.eq(application.row.household_id))
        .filter(decision::Column::Month.eq(application.row.month))
        .filter(decision::Column::SupersededBy.is_null())
        .lock_exclusive()
        .one(&txn)
        .await?;
    if new.supersedes.is_some()
        && let Some(existing) = by_request(&txn, context, new.request_id).await?
    {
        // The same omprövning committed while this one waited for the lock (and superseded the decision).
        return Ok(existing);
    }
    let chain_key = match (&standing, new.supersedes) {
        (None, None) => format!("{}:{}", application.row.household_id, application.row.month),
        (Some(standing), Some(named)) if standing.id == named => format!("supersedes:{named}"),
        (Some(standing), _) => {
            return Err(ServiceError::FailedPrecondition(format!(
                "the month is already decided ({}); an omprövning must name that decision in supersedes_decision_id",
                standing.id
            )));
        }
        (None, Some(_)) => {
            return Err(ServiceError::invalid("supersedes_decision_id", "names no standing decision of the month"));
        }
    };
    let prepared = prepare(&txn, context, norms, &application, &approved).await?;
    let payment = prepared.calculation.payment_ore();
    let all_as_claimed = prepared.costs.iter().all(|c| c.approved_ore.unwrap_or(0) >= c.claimed_ore);
    let granted = match new.outcome {
        StoredOutcome::Granted | StoredOutcome::PartlyGranted if payment == 0 => {
            return Err(ServiceError::FailedPrecondition(
                "the household's own means cover the need: the calculation pays nothing, so the outcome is avslag"
                    .into(),
            ));
        }
        StoredOutcome::Granted if !all_as_claimed => {
            return Err(ServiceError::FailedPrecondition(
                "a cost is approved below the claimed amount: the outcome is delvis bifall, with a reason".into(),
            ));
        }
        StoredOutcome::Granted | StoredOutcome::PartlyGranted => payment,
        StoredOutcome::Refused => 0,
    };
    let id = Uuid::now_v7();
    let calculation = store_calculation(&prepared.calculation, &prepared.household, prepared.provenance.clone());
    let appeal_deadline = appeal::appeal_deadline(new.notified_on)
        .ok_or_else(|| ServiceError::invalid("notified_on", "is out of range"))?;
    let inserted = decision::ActiveModel {
        id: Set(id),
        kommun: Set(context.kommun().to_string()),
        request_id: Set(new.request_id),
        application_id: Set(application.row.id),
        household_id: Set(application.row.household_id),
        month: Set(application.row.month),
        outcome: Set(new.outcome.code().into()),
        granted_ore: Set(granted),
        cost_lines: Set(serde_json::to_string(&prepared.costs).map_err(internal)?),
        calculation: Set(serde_json::to_string(&calculation).map_err(internal)?),
        inputs: Set(serde_json::to_string(&prepared.inputs).map_err(internal)?),
        norm_year: Set(prepared.inputs.norm_year),
        norm_version: Set(prepared.inputs.norm_version.clone()),
        reason: Set(new.reason.clone()),
        decided_by: Set(context.caller.subject.clone()),
        decided_on: Set(new.decided_on),
        notified_on: Set(new.notified_on),
        appeal_deadline: Set(appeal_deadline),
        supersedes_id: Set(new.supersedes),
        superseded_by: Set(None),
        chain_key: Set(chain_key),
        created_at: Set(chrono::Utc::now()),
    }
    .insert(&txn)
    .await;
    let row = match inserted {
        Ok(row) => row,
        Err(error) if is_unique_violation(&error) => {
            txn.rollback().await?;
            if let Some(existing) = by_request(db, context, new.request_id).await? {
                return Ok(existing);
            }
            return Err(ServiceError::FailedPrecondition(
                "the month was decided at the same time by another request; reload the decisions".into(),
            ));
        }
        Err(error) => return Err(error.into()),
    };
    if let Some(standing) = standing {
        let replaced_id = standing.id;
        let mut old: decision::ActiveModel = standing.into();
        old.superseded_by = Set(Some(id));
        old.update(&txn).await?;
        payments::settle_on_omprovning(&txn, context, &row, replaced_id, new.decided_on).await?;
    }
    let mut app: application::ActiveModel = application.row.clone().into();
    app.state = Set(state::DECIDED.into());
    app.update(&txn).await?;
    audit::record(&txn, context, "decision", &id.to_string(), Outcome::Created).await?;
    let event = decision_event(&row, &prepared, granted, new.outcome)?;
    outbox::append(&txn, &context.caller.kommun, &event).await?;
    txn.commit().await?;
    DecisionRecord::decode(row)
}

/// The statistics age band of an age in years.
pub fn age_band(years: u32) -> common::AgeBand {
    match years {
        0..=17 => common::AgeBand::Under18,
        18..=24 => common::AgeBand::AgeBand1824,
        25..=29 => common::AgeBand::AgeBand2529,
        30..=39 => common::AgeBand::AgeBand3039,
        40..=49 => common::AgeBand::AgeBand4049,
        50..=59 => common::AgeBand::AgeBand5059,
        60..=64 => common::AgeBand::AgeBand6064,
        _ => common::AgeBand::AgeBand65AndOver,
    }
}

fn decision_event(
    row: &decision::Model,
    prepared: &Prepared,
    granted: i64,
    outcome: StoredOutcome,
) -> ServiceResult<api::DecisionMadeEvent> {
    let month = prepared.inputs.month;
    let on = month.last_day();
    let household = &prepared.household.household;
    let adults = prepared.household.adults().collect::<Vec<_>>();
    let adult_births = std::iter::once(household.applicant.birth_date)
        .chain(household.co_applicant.iter().map(|a| a.birth_date))
        .chain(household.other_adults.iter().map(|a| a.birth_date));
    let count = |n: usize| i32::try_from(n).unwrap_or(i32::MAX);
    Ok(api::DecisionMadeEvent {
        decision_id: row.id.to_string(),
        household_id: row.household_id.to_string(),
        month: Some(common::YearMonth { year: month.year(), month: count(month.month() as usize) }),
        outcome: outcome.to_api() as i32,
        granted: Some(common::Money { ore: granted }),
        norm: Some(common::Money { ore: prepared.calculation.norm_ore() }),
        persons: count(household.size()),
        adults: count(adults.len()),
        children: count(household.children_under_18(on)),
        adult_age_bands: adult_births.map(|birth| age_band(age_in_years(birth, on)) as i32).collect(),
        adults_born_abroad: count(adults.iter().filter(|m| m.born_abroad == Some(true)).count()),
        household_type_code: household.household_type(on).code().to_string(),
        decided_on: Some(to_date(row.decided_on)),
        supersedes_decision_id: row.supersedes_id.map(|id| id.to_string()).unwrap_or_default(),
    })
}

/// Reads one decision; audited.
pub async fn get_decision(db: &DatabaseConnection, context: &CallContext, id: Uuid) -> ServiceResult<DecisionRecord> {
    let txn = db.begin().await?;
    let row = decision::Entity::find_by_id(id)
        .filter(decision::Column::Kommun.eq(context.kommun()))
        .one(&txn)
        .await?
        .ok_or(ServiceError::NotFound("decision"))?;
    audit::record(&txn, context, "decision", &id.to_string(), Outcome::Read).await?;
    txn.commit().await?;
    DecisionRecord::decode(row)
}

/// Records the day the person was notified of a decision (delgivning) and the appeal deadline that follows
/// from it (`domain::appeal`); audited as an update of the decision. The decision's content is not changed.
/// A day before the decision date is FAILED_PRECONDITION.
pub async fn record_notification(
    db: &DatabaseConnection,
    context: &CallContext,
    id: Uuid,
    notified_on: NaiveDate,
) -> ServiceResult<DecisionRecord> {
    let txn = db.begin().await?;
    let row = decision::Entity::find_by_id(id)
        .filter(decision::Column::Kommun.eq(context.kommun()))
        .one(&txn)
        .await?
        .ok_or(ServiceError::NotFound("decision"))?;
    if notified_on < row.decided_on {
        return Err(ServiceError::FailedPrecondition(
            "notified_on is before the decision date: a person cannot be notified of a decision not yet made".into(),
        ));
    }
    let appeal_deadline =
        appeal::appeal_deadline(notified_on).ok_or_else(|| ServiceError::invalid("notified_on", "is out of range"))?;
    let mut changed: decision::ActiveModel = row.into();
    changed.notified_on = Set(notified_on);
    changed.appeal_deadline = Set(appeal_deadline);
    let row = changed.update(&txn).await?;
    audit::record(&txn, context, "decision", &id.to_string(), Outcome::Updated).await?;
    txn.commit().await?;
    DecisionRecord::decode(row)
}

/// Which decisions to list.
#[derive(Debug, Clone, Copy)]
pub enum DecisionFilter {
    /// One household's.
    Household(Uuid),
    /// The municipality's decided in a month; `only_mine` limits to the caller's own decisions.
    DecidedIn {
        /// The month of the decision date.
        month: YearMonth,
        /// Only decisions the caller made.
        only_mine: bool,
    },
}

/// One page of decisions, newest first; every decision read is audited.
pub async fn list_decisions(
    db: &DatabaseConnection,
    context: &CallContext,
    filter: DecisionFilter,
    page: PageRequest,
) -> ServiceResult<(Vec<DecisionRecord>, Option<Uuid>)> {
    let txn = db.begin().await?;
    let mut query = decision::Entity::find().filter(decision::Column::Kommun.eq(context.kommun()));
    match filter {
        DecisionFilter::Household(id) => {
            find_household(&txn, context, id).await?;
            query = query.filter(decision::Column::HouseholdId.eq(id));
        }
        DecisionFilter::DecidedIn { month, only_mine } => {
            query = query
                .filter(decision::Column::DecidedOn.gte(month.first_day()))
                .filter(decision::Column::DecidedOn.lte(month.last_day()));
            if only_mine {
                query = query.filter(decision::Column::DecidedBy.eq(context.caller.subject.as_str()));
            }
        }
    }
    if let Some(after) = page.after {
        query = query.filter(decision::Column::Id.lt(after));
    }
    let rows = query.order_by_desc(decision::Column::Id).limit(page.fetch_limit()).all(&txn).await?;
    let (rows, next) = page.split(rows, |r| r.id);
    audit::record_many(&txn, context, "decision", rows.iter().map(|r| r.id.to_string()), Outcome::Read).await?;
    txn.commit().await?;
    Ok((rows.into_iter().map(DecisionRecord::decode).collect::<ServiceResult<Vec<_>>>()?, next))
}

/// The standard-case assessment of an application.
#[derive(Debug, Clone)]
pub struct Assessment {
    /// Every reason for manual handling (empty: a standard case).
    pub reasons: Vec<ManualReason>,
    /// Whether the application was no longer waiting for a decision.
    pub not_waiting: bool,
    /// The calculation with costs approved as claimed.
    pub prepared: Prepared,
    /// A fingerprint of everything the assessment rests on.
    pub token: String,
}

/// Assesses an application against the standard-case rules (see `domain::decision_support`). Audited as a
/// read of the application.
pub async fn propose(
    db: &DatabaseConnection,
    context: &CallContext,
    norms: &LoadedNorms,
    application_id: Uuid,
) -> ServiceResult<Assessment> {
    let txn = db.begin().await?;
    let assessment = assess(&txn, context, norms, application_id).await?;
    audit::record(&txn, context, "application", &application_id.to_string(), Outcome::Read).await?;
    txn.commit().await?;
    Ok(assessment)
}

async fn assess(
    conn: &impl ConnectionTrait,
    context: &CallContext,
    norms: &LoadedNorms,
    application_id: Uuid,
) -> ServiceResult<Assessment> {
    let application = find_application(conn, context, application_id).await?;
    let prepared = prepare(conn, context, norms, &application, &[]).await?;
    let month = prepared.inputs.month;
    let previous_month = month.checked_prev().map(key_of).unwrap_or(0);
    let previous = decision::Entity::find()
        .filter(decision::Column::Kommun.eq(context.kommun()))
        .filter(decision::Column::HouseholdId.eq(application.row.household_id))
        .filter(decision::Column::Month.eq(previous_month))
        .filter(decision::Column::SupersededBy.is_null())
        .one(conn)
        .await?
        .map(DecisionRecord::decode)
        .transpose()?;
    let previous_inputs = previous.as_ref().map(DecisionRecord::inputs).transpose()?;
    let previous_outcome = previous.as_ref().map(DecisionRecord::outcome).transpose()?.map(StoredOutcome::for_chain);
    let has_active_plan = reports::has_active_plan(conn, context.kommun(), application.row.household_id).await?;
    let input = StandardCaseInput {
        month,
        household: &prepared.household.household,
        previous_household: previous_inputs.as_ref().map(|i| &i.household),
        claimed_costs: &prepared.inputs.costs,
        previous_approved_costs: previous_inputs.as_ref().map(|i| i.costs.as_slice()),
        incomes: &prepared.inputs.incomes,
        jobbstimulans: &prepared.inputs.jobbstimulans,
        child_income: &prepared.inputs.child_income,
        has_active_plan,
        income_verified: application.row.income_verified,
        previous_outcome,
    };
    let mut reasons = match decision_support::assess(&input, norms.tables()).map_err(calculation_error)? {
        Proposal::Bifall(_) => Vec::new(),
        Proposal::ManualHandling { reasons, .. } => reasons,
    };
    let not_waiting = application.row.state != state::WAITING;
    if not_waiting {
        reasons.clear();
    }
    let fingerprint = serde_json::to_string(&(
        application.row.id,
        &application.row.state,
        &prepared.inputs,
        has_active_plan,
        application.row.income_verified,
        previous.as_ref().map(|p| p.row.id),
    ))
    .map_err(internal)?;
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in fingerprint.bytes() {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    Ok(Assessment { reasons, not_waiting, prepared, token: format!("{hash:016x}") })
}

/// A confirmation of a proposed decision, already parsed.
#[derive(Debug, Clone)]
pub struct Confirmation {
    /// Idempotency key.
    pub request_id: Uuid,
    /// The application.
    pub application_id: Uuid,
    /// The proposal's token.
    pub token: String,
    /// The decision date (today).
    pub today: NaiveDate,
    /// The notification date.
    pub notified_on: NaiveDate,
}

/// Makes the proposed bifall decision, refusing when the case is not (or no longer) standard or anything the
/// proposal rested on changed. A retry with the same request_id returns the decision made.
pub async fn confirm(
    db: &DatabaseConnection,
    context: &CallContext,
    norms: &LoadedNorms,
    confirmation: Confirmation,
) -> ServiceResult<DecisionRecord> {
    let Confirmation { request_id, application_id, token, today, notified_on } = confirmation;
    if let Some(existing) = by_request(db, context, request_id).await? {
        return Ok(existing);
    }
    let assessment = assess(db, context, norms, application_id).await?;
    if assessment.token != token {
        return Err(ServiceError::FailedPrecondition(
            "the application or what the proposal rested on changed since it was made; propose again".into(),
        ));
    }
    if assessment.not_waiting || !assessment.reasons.is_empty() {
        return Err(ServiceError::FailedPrecondition(
            "the case is not a standard case: it needs manual handling (DecideApplication)".into(),
        ));
    }
    decide(
        db,
        context,
        norms,
        NewDecision {
            request_id,
            application_id,
            outcome: StoredOutcome::Granted,
            approvals: Vec::new(),
            reason: String::new(),
            decided_on: today,
            notified_on,
            supersedes: None,
        },
    )
    .await
}
