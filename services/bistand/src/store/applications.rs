//! Monthly applications (ansökan) and the household as it was in a month.

use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, TransactionTrait,
};
use serde::{Deserialize, Serialize};
use trappan_platform::audit::{self, Outcome};
use trappan_platform::auth::CallContext;
use trappan_platform::error::{FieldViolation, ServiceError, ServiceResult};
use trappan_platform::personnummer::{self, Personnummer};
use trappan_platform::store::{PageRequest, is_unique_violation};
use uuid::Uuid;

use super::case_entities::application;
use super::{MemberRole, find_household, household, member, month_key};
use crate::domain::{Adult, Child, CostKind, Household, IncomeKind, PersonRef, Sex, YearMonth};

/// A claimed cost as stored on an application (and, with the approved amount, on a decision).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredCost {
    /// The kind.
    pub kind: CostKind,
    /// The member it concerns.
    pub member_id: Option<Uuid>,
    /// Claimed, öre.
    pub claimed_ore: i64,
    /// Approved, öre; set on a decision only.
    pub approved_ore: Option<i64>,
    /// The motivation of an other cost.
    pub motivation: Option<String>,
}

/// A declared income as stored on an application.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredIncome {
    /// The kind.
    pub kind: IncomeKind,
    /// The member who receives it.
    pub member_id: Option<Uuid>,
    /// The amount, öre.
    pub amount_ore: i64,
}

/// States of an application as stored.
pub mod state {
    /// Waiting for a decision.
    pub const WAITING: &str = "waiting";
    /// Decided.
    pub const DECIDED: &str = "decided";
    /// Replaced by a reconsidered application.
    pub const SUPERSEDED: &str = "superseded";
}

/// An application to register, already parsed (amounts and kinds checked, motivation present).
#[derive(Debug, Clone)]
pub struct NewApplication {
    /// Idempotency key.
    pub request_id: Uuid,
    /// The household.
    pub household_id: Uuid,
    /// The month applied for.
    pub month: YearMonth,
    /// Claimed costs.
    pub costs: Vec<StoredCost>,
    /// Declared incomes.
    pub incomes: Vec<StoredIncome>,
    /// Whether the income is verified.
    pub income_verified: bool,
    /// The application a reconsideration supersedes.
    pub supersedes: Option<Uuid>,
}

/// An application row with its lines decoded.
#[derive(Debug, Clone)]
pub struct ApplicationRecord {
    /// The row.
    pub row: application::Model,
    /// Claimed costs.
    pub costs: Vec<StoredCost>,
    /// Declared incomes.
    pub incomes: Vec<StoredIncome>,
}

impl ApplicationRecord {
    /// Decodes a row's JSON lines.
    pub fn decode(row: application::Model) -> ServiceResult<ApplicationRecord> {
        let costs = serde_json::from_str(&row.cost_lines).map_err(internal)?;
        let incomes = serde_json::from_str(&row.income_lines).map_err(internal)?;
        Ok(ApplicationRecord { row, costs, incomes })
    }

    /// The month applied for.
    pub fn month(&self) -> ServiceResult<YearMonth> {
        year_month_of(self.row.month)
    }
}

/// A stored month key as a month.
pub fn year_month_of(key: i32) -> ServiceResult<YearMonth> {
    YearMonth::new(key / 100, u32::try_from(key % 100).unwrap_or(0)).map_err(internal)
}

/// A stored month from a month.
pub fn key_of(month: YearMonth) -> i32 {
    month_key(month.year(), month.month())
}

/// Wraps an unexpected inconsistency in stored data as an internal error.
pub fn internal(error: impl std::fmt::Display) -> ServiceError {
    ServiceError::Internal(anyhow::anyhow!("stored case data is inconsistent: {error}"))
}

/// The household as it was in a month: the domain composition and who is who.
#[derive(Debug, Clone)]
pub struct MonthHousehold {
    /// The composition the calculation uses.
    pub household: Household,
    /// Each person of the composition and their member row.
    pub people: Vec<(PersonRef, member::Model)>,
}

impl MonthHousehold {
    /// The members who belong to the household in `month` (member_from ≤ month ≤ member_until), arranged for
    /// the calculation. Refused when the applicant is not a member that month.
    pub fn of(members: &[member::Model], month: YearMonth) -> ServiceResult<MonthHousehold> {
        let key = key_of(month);
        let present = members.iter().filter(|m| m.member_from <= key && m.member_until.is_none_or(|u| u >= key));
        let mut applicant = None;
        let mut co_applicant = None;
        let mut children = Vec::new();
        let mut other_adults = Vec::new();
        let mut people = Vec::new();
        for m in present {
            let number = Personnummer::parse(&m.personnummer).map_err(internal)?;
            let adult = Adult {
                birth_date: number.birth_date(),
                sex: Some(match number.sex() {
                    personnummer::Sex::Man => Sex::Man,
                    personnummer::Sex::Woman => Sex::Woman,
                }),
            };
            match MemberRole::from_code(&m.role) {
                Some(MemberRole::Applicant) => {
                    applicant = Some(adult);
                    people.push((PersonRef::Applicant, m.clone()));
                }
                Some(MemberRole::CoApplicant) => {
                    co_applicant = Some(adult);
                    people.push((PersonRef::CoApplicant, m.clone()));
                }
                Some(MemberRole::Child) => {
                    people.push((PersonRef::Child(children.len()), m.clone()));
                    children.push(Child {
                        birth_date: number.birth_date(),
                        lunch_away_on_weekdays: m.lunch_at_school,
                        in_upper_secondary: m.in_upper_secondary_school,
                    });
                }
                Some(MemberRole::OtherAdult) => {
                    people.push((PersonRef::OtherAdult(other_adults.len()), m.clone()));
                    other_adults.push(adult);
                }
                None => return Err(internal("unknown member role")),
            }
        }
        let Some(applicant) = applicant else {
            return Err(ServiceError::FailedPrecondition(format!(
                "the applicant is not a member of the household in {month}"
            )));
        };
        Ok(MonthHousehold { household: Household { applicant, co_applicant, children, other_adults }, people })
    }

    /// The person a member is in this month's composition.
    pub fn person_of(&self, member_id: Uuid) -> Option<PersonRef> {
        self.people.iter().find(|(_, m)| m.id == member_id).map(|(p, _)| *p)
    }

    /// The member behind a person of the composition.
    pub fn member_of(&self, person: PersonRef) -> Option<Uuid> {
        self.people.iter().find(|(p, _)| *p == person).map(|(_, m)| m.id)
    }

    /// The adults' member rows (applicant, co-applicant, other adults), applicant first.
    pub fn adults(&self) -> impl Iterator<Item = &member::Model> {
        self.people.iter().filter(|(p, _)| !matches!(p, PersonRef::Child(_))).map(|(_, m)| m)
    }
}

/// Loads the household's members and arranges them for `month`.
pub async fn month_household(
    conn: &impl ConnectionTrait,
    context: &CallContext,
    household_id: Uuid,
    month: YearMonth,
) -> ServiceResult<MonthHousehold> {
    let record = find_household(conn, context, household_id).await?;
    MonthHousehold::of(&record.members, month)
}

async fn by_request(
    conn: &impl ConnectionTrait,
    context: &CallContext,
    request_id: Uuid,
) -> ServiceResult<Option<ApplicationRecord>> {
    application::Entity::find()
        .filter(application::Column::Kommun.eq(context.kommun()))
        .filter(application::Column::RequestId.eq(request_id))
        .one(conn)
        .await?
        .map(ApplicationRecord::decode)
        .transpose()
}

/// Finds an application of the caller's municipality.
pub async fn find_application(
    conn: &impl ConnectionTrait,
    context: &CallContext,
    id: Uuid,
) -> ServiceResult<ApplicationRecord> {
    let row = application::Entity::find_by_id(id)
        .filter(application::Column::Kommun.eq(context.kommun()))
        .one(conn)
        .await?
        .ok_or(ServiceError::NotFound("application"))?;
    ApplicationRecord::decode(row)
}

/// Registers an application. One per household and month, enforced by the store's unique `chain_key`; a
/// reconsideration names the application it supersedes. A retried request returns the first result.
pub async fn create_application(
    db: &DatabaseConnection,
    context: &CallContext,
    new: NewApplication,
) -> ServiceResult<ApplicationRecord> {
    if let Some(existing) = by_request(db, context, new.request_id).await? {
        return Ok(existing);
    }
    let txn = db.begin().await?;
    let month_household = month_household(&txn, context, new.household_id, new.month).await?;
    let mut violations = Vec::new();
    let mut check_member = |member_id: Option<Uuid>, field: String| {
        if let Some(id) = member_id
            && month_household.person_of(id).is_none()
        {
            violations.push(FieldViolation::new(field, format!("is not a member of the household in {}", new.month)));
        }
    };
    for (i, cost) in new.costs.iter().enumerate() {
        check_member(cost.member_id, format!("application.cost_lines[{i}].member_id"));
    }
    for (i, income) in new.incomes.iter().enumerate() {
        check_member(income.member_id, format!("application.income_lines[{i}].member_id"));
    }
    if !violations.is_empty() {
        return Err(ServiceError::InvalidArgument(violations));
    }
    let month = key_of(new.month);
    let chain_key = match new.supersedes {
        Some(old_id) => {
            let old = find_application(&txn, context, old_id).await?.row;
            if old.household_id != new.household_id || old.month != month {
                return Err(ServiceError::invalid(
                    "application.supersedes_application_id",
                    "must be an application of the same household and month",
                ));
            }
            if old.state == state::SUPERSEDED {
                return Err(ServiceError::FailedPrecondition(
                    "the application named is already superseded; reconsider the newest one".into(),
                ));
            }
            let mut row: application::ActiveModel = old.into();
            row.state = Set(state::SUPERSEDED.into());
            row.update(&txn).await?;
            format!("supersedes:{old_id}")
        }
        None => {
            let existing = application::Entity::find()
                .filter(application::Column::Kommun.eq(context.kommun()))
                .filter(application::Column::HouseholdId.eq(new.household_id))
                .filter(application::Column::Month.eq(month))
                .order_by_desc(application::Column::Id)
                .one(&txn)
                .await?;
            if let Some(existing) = existing {
                return Err(already_exists(new.month, existing.id));
            }
            format!("{}:{month}", new.household_id)
        }
    };
    let id = Uuid::now_v7();
    let inserted = application::ActiveModel {
        id: Set(id),
        kommun: Set(context.kommun().to_string()),
        request_id: Set(new.request_id),
        household_id: Set(new.household_id),
        month: Set(month),
        cost_lines: Set(serde_json::to_string(&new.costs).map_err(internal)?),
        income_lines: Set(serde_json::to_string(&new.incomes).map_err(internal)?),
        income_verified: Set(new.income_verified),
        state: Set(state::WAITING.into()),
        supersedes_id: Set(new.supersedes),
        chain_key: Set(chain_key),
        registered_by: Set(context.caller.subject.clone()),
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
            return Err(ServiceError::AlreadyExists(format!(
                "an application for {} was registered at the same time; reload the household's applications",
                new.month
            )));
        }
        Err(error) => return Err(error.into()),
    };
    audit::record(&txn, context, "application", &id.to_string(), Outcome::Created).await?;
    txn.commit().await?;
    ApplicationRecord::decode(row)
}

fn already_exists(month: YearMonth, existing: Uuid) -> ServiceError {
    ServiceError::AlreadyExists(format!(
        "the household already has an application for {month} ({existing}); a reconsideration must name it in \
         supersedes_application_id"
    ))
}

/// Reads one application; audited.
pub async fn get_application(
    db: &DatabaseConnection,
    context: &CallContext,
    id: Uuid,
) -> ServiceResult<ApplicationRecord> {
    let txn = db.begin().await?;
    let record = find_application(&txn, context, id).await?;
    audit::record(&txn, context, "application", &id.to_string(), Outcome::Read).await?;
    txn.commit().await?;
    Ok(record)
}

/// Which applications to list.
#[derive(Debug, Clone, Copy)]
pub enum ApplicationFilter {
    /// One household's, every state.
    Household(Uuid),
    /// The municipality's waiting for decision; `only_mine` limits to the caller's households.
    Waiting {
        /// Only households the caller is responsible for.
        only_mine: bool,
    },
}

/// The ids of the households the caller is responsible for.
pub async fn my_households(conn: &impl ConnectionTrait, context: &CallContext) -> ServiceResult<Vec<Uuid>> {
    Ok(household::Entity::find()
        .filter(household::Column::Kommun.eq(context.kommun()))
        .filter(household::Column::ResponsibleCaseWorker.eq(context.caller.subject.as_str()))
        .all(conn)
        .await?
        .into_iter()
        .map(|h| h.id)
        .collect())
}

/// One page of applications, newest first; every application read is audited.
pub async fn list_applications(
    db: &DatabaseConnection,
    context: &CallContext,
    filter: ApplicationFilter,
    page: PageRequest,
) -> ServiceResult<(Vec<ApplicationRecord>, Option<Uuid>)> {
    let txn = db.begin().await?;
    let mut query = application::Entity::find().filter(application::Column::Kommun.eq(context.kommun()));
    match filter {
        ApplicationFilter::Household(id) => {
            find_household(&txn, context, id).await?;
            query = query.filter(application::Column::HouseholdId.eq(id));
        }
        ApplicationFilter::Waiting { only_mine } => {
            query = query.filter(application::Column::State.eq(state::WAITING));
            if only_mine {
                query = query.filter(application::Column::HouseholdId.is_in(my_households(&txn, context).await?));
            }
        }
    }
    if let Some(after) = page.after {
        query = query.filter(application::Column::Id.lt(after));
    }
    let rows = query.order_by_desc(application::Column::Id).limit(page.fetch_limit()).all(&txn).await?;
    let (rows, next) = page.split(rows, |r| r.id);
    audit::record_many(&txn, context, "application", rows.iter().map(|r| r.id.to_string()), Outcome::Read).await?;
    txn.commit().await?;
    let records = rows.into_iter().map(ApplicationRecord::decode).collect::<ServiceResult<Vec<_>>>()?;
    Ok((records, next))
}
