//! Socialstyrelsen's monthly register file read from the store: which households were paid for a month
//! and who they were that month, handed to the pure [`crate::domain::socialstyrelsen::register_file`].
//!
//! The file names persons by identity number, so making it is a read of every household in it: each is
//! audited in the same transaction as the read, as is the export itself. The file's text is returned to
//! the caller only; it is never logged, and errors name households by their pseudonymous identifier.

use std::collections::BTreeMap;

use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QuerySelect, TransactionTrait};
use trappan_platform::audit::{self, Outcome};
use trappan_platform::auth::CallContext;
use trappan_platform::error::{ServiceError, ServiceResult};
use trappan_platform::personnummer::Personnummer;
use uuid::Uuid;

use super::applications::{MonthHousehold, internal, key_of};
use super::case_entities::payment;
use super::payments::status;
use super::{household, member, members_of};
use crate::domain::PersonRef;
use crate::domain::YearMonth;
use crate::domain::socialstyrelsen::{
    AdultRole, ExportError, Forsorjningshinder, HouseholdMonth, RegisterAdult, RegisterFile, register_file,
};

/// The audit subject of an export run (its reference is `kommun:YYYY-MM`, no personal data).
pub const EXPORT_SUBJECT: &str = "socialstyrelsen_export";

/// Households read per query.
const CHUNK: usize = 500;

/// The job name the CLI's export is audited under.
pub const JOB: &str = "socialstyrelsen_export";

/// What each household of the caller's municipality was paid for `month`: the sum of the payments of
/// the month's decisions that are not stopped (planned or paid). An omprövning's payment is only the
/// difference to what was paid on the decisions it replaces, so the sum over the chain is what the latest
/// standing decision granted, never a double count. Households with nothing left to pay are left out.
async fn paid_for_month(
    conn: &impl sea_orm::ConnectionTrait,
    kommun: &str,
    month: YearMonth,
) -> ServiceResult<BTreeMap<Uuid, i64>> {
    let rows: Vec<(Uuid, i64)> = payment::Entity::find()
        .filter(payment::Column::Kommun.eq(kommun))
        .filter(payment::Column::Month.eq(key_of(month)))
        .filter(payment::Column::Status.ne(status::STOPPED))
        .select_only()
        .column(payment::Column::HouseholdId)
        .column(payment::Column::AmountOre)
        .into_tuple()
        .all(conn)
        .await?;
    let mut paid = BTreeMap::new();
    for (household_id, amount) in rows {
        let sum: &mut i64 = paid.entry(household_id).or_default();
        *sum = sum.saturating_add(amount);
    }
    paid.retain(|_, sum| *sum > 0);
    Ok(paid)
}

fn register_adult(household_id: Uuid, row: &member::Model) -> ServiceResult<RegisterAdult> {
    let identity = Personnummer::parse(&row.personnummer)
        .map_err(|_| internal(format!("household {household_id}: a stored identity number is unreadable")))?;
    let forsorjningshinder = match row.forsorjningshinder.as_deref() {
        None => None,
        Some(code) => Some(
            Forsorjningshinder::from_store_code(code)
                .ok_or_else(|| internal(format!("household {household_id}: unknown stored försörjningshinder code")))?,
        ),
    };
    Ok(RegisterAdult { identity, born_abroad: row.born_abroad, forsorjningshinder })
}

/// One household's row input: the applicant, the co-applicant and the children of the month.
fn household_month(
    household_id: Uuid,
    members: &[member::Model],
    month: YearMonth,
    paid_ore: i64,
) -> ServiceResult<HouseholdMonth> {
    let composition = MonthHousehold::of(members, month).map_err(|error| match error {
        ServiceError::FailedPrecondition(rule) => {
            ServiceError::FailedPrecondition(format!("household {household_id}: {rule}"))
        }
        other => other,
    })?;
    let mut applicant = None;
    let mut co_applicant = None;
    for (person, row) in &composition.people {
        match person {
            PersonRef::Applicant => applicant = Some(register_adult(household_id, row)?),
            PersonRef::CoApplicant => co_applicant = Some(register_adult(household_id, row)?),
            PersonRef::Child(_) | PersonRef::OtherAdult(_) => {}
        }
    }
    let applicant = applicant.ok_or_else(|| internal(format!("household {household_id}: no applicant in {month}")))?;
    Ok(HouseholdMonth {
        applicant,
        co_applicant,
        children: composition.household.children.iter().map(|child| child.birth_date).collect(),
        paid_ore,
    })
}

/// A domain refusal as the caller sees it: which household (by identifier) and which rule, never who.
fn export_error(error: ExportError, households: &[Uuid]) -> ServiceError {
    let id = |row: usize| households.get(row).map_or_else(|| "?".to_string(), Uuid::to_string);
    match error {
        ExportError::MissingForsorjningshinder { row, role } => {
            let role = match role {
                AdultRole::Applicant => "applicant",
                AdultRole::CoApplicant => "co-applicant",
            };
            ServiceError::FailedPrecondition(format!(
                "household {}: the {role} has no försörjningshinder recorded; Socialstyrelsen's register requires \
                 one for every adult in the file",
                id(row)
            ))
        }
        ExportError::DuplicatePerson { first, second } => ServiceError::FailedPrecondition(format!(
            "households {} and {}: the same person is an adult of both in the month",
            id(first),
            id(second)
        )),
        ExportError::SamePerson { row } => ServiceError::FailedPrecondition(format!(
            "household {}: the applicant is registered as the co-applicant too",
            id(row)
        )),
        ExportError::InvalidKommun | ExportError::NegativeAmount { .. } => internal(error),
    }
}

/// Makes Socialstyrelsen's register file for the caller's municipality and `month` (the month assistance
/// is for). Every household in the file is audited as read, with the export itself, in the read's
/// transaction. A month with no payments gives the header row only.
pub async fn export_month(
    db: &DatabaseConnection,
    context: &CallContext,
    month: YearMonth,
) -> ServiceResult<RegisterFile> {
    let txn = db.begin().await?;
    let kommun = context.kommun();
    let paid = paid_for_month(&txn, kommun, month).await?;
    let mut ids = Vec::with_capacity(paid.len());
    let mut rows = Vec::with_capacity(paid.len());
    let paid_ids: Vec<Uuid> = paid.keys().copied().collect();
    // In chunks, so a large municipality's month stays within the databases' limits on bound values.
    for chunk in paid_ids.chunks(CHUNK) {
        // Payments carry the municipality themselves; the household filter makes the scope explicit twice.
        let in_kommun: Vec<Uuid> = household::Entity::find()
            .filter(household::Column::Kommun.eq(kommun))
            .filter(household::Column::Id.is_in(chunk.iter().copied()))
            .select_only()
            .column(household::Column::Id)
            .into_tuple()
            .all(&txn)
            .await?;
        let members = members_of(&txn, &in_kommun).await?;
        for id in chunk.iter().filter(|id| in_kommun.contains(id)) {
            let own: Vec<member::Model> = members.iter().filter(|m| m.household_id == *id).cloned().collect();
            rows.push(household_month(*id, &own, month, paid.get(id).copied().unwrap_or(0))?);
            ids.push(*id);
        }
    }
    let file = register_file(kommun, month, &rows).map_err(|error| export_error(error, &ids))?;
    audit::record(&txn, context, EXPORT_SUBJECT, &format!("{kommun}:{month}"), Outcome::Read).await?;
    for chunk in ids.chunks(CHUNK) {
        audit::record_many(&txn, context, "household", chunk.iter().map(Uuid::to_string), Outcome::Read).await?;
    }
    txn.commit().await?;
    Ok(file)
}
