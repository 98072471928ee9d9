//! The reads the reports are built from; every query is scoped to one municipality (the caller's), except
//! the public unemployment statistics.

use chrono::NaiveDate;
use sea_orm::sea_query::OnConflict;
use sea_orm::{ColumnTrait, Condition, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, TransactionTrait};

use super::facts::{
    bistand_budget, bistand_decision, bistand_payment, insatser_follow_up, insatser_intervention, insatser_participant,
    population, unemployment_figure, ungsam_event, ungsam_person,
};
use trappan_platform::error::ServiceResult;

/// Granted decisions not replaced by an omprövning, for months `from_key..=to_key`.
pub async fn granted_decisions(
    db: &DatabaseConnection,
    kommun: &str,
    from_key: i32,
    to_key: i32,
) -> ServiceResult<Vec<bistand_decision::Model>> {
    Ok(bistand_decision::Entity::find()
        .filter(bistand_decision::Column::Kommun.eq(kommun))
        .filter(bistand_decision::Column::MonthKey.between(from_key, to_key))
        .filter(bistand_decision::Column::Granted.eq(true))
        .filter(bistand_decision::Column::Superseded.eq(false))
        .all(db)
        .await?)
}

/// Paid payments for the assistance months `from_key..=to_key`.
pub async fn paid_for_months(
    db: &DatabaseConnection,
    kommun: &str,
    from_key: i32,
    to_key: i32,
) -> ServiceResult<Vec<bistand_payment::Model>> {
    Ok(bistand_payment::Entity::find()
        .filter(bistand_payment::Column::Kommun.eq(kommun))
        .filter(bistand_payment::Column::MonthKey.between(from_key, to_key))
        .filter(bistand_payment::Column::Paid.eq(true))
        .all(db)
        .await?)
}

/// Paid payments with a payment date in `from..=to`.
pub async fn paid_between(
    db: &DatabaseConnection,
    kommun: &str,
    from: NaiveDate,
    to: NaiveDate,
) -> ServiceResult<Vec<bistand_payment::Model>> {
    Ok(bistand_payment::Entity::find()
        .filter(bistand_payment::Column::Kommun.eq(kommun))
        .filter(bistand_payment::Column::Paid.eq(true))
        .filter(bistand_payment::Column::PaidOn.between(from, to))
        .all(db)
        .await?)
}

/// bistand's latest budget status for `year` reported for a month up to `up_to_key`.
pub async fn latest_budget(
    db: &DatabaseConnection,
    kommun: &str,
    year: i32,
    up_to_key: i32,
) -> ServiceResult<Option<bistand_budget::Model>> {
    Ok(bistand_budget::Entity::find()
        .filter(bistand_budget::Column::Kommun.eq(kommun))
        .filter(bistand_budget::Column::Year.eq(year))
        .filter(bistand_budget::Column::AsOfKey.lte(up_to_key))
        .order_by_desc(bistand_budget::Column::AsOfKey)
        .one(db)
        .await?)
}

/// Participants registered by `to` and not exited before `from`.
pub async fn participants(
    db: &DatabaseConnection,
    kommun: &str,
    from: NaiveDate,
    to: NaiveDate,
) -> ServiceResult<Vec<insatser_participant::Model>> {
    Ok(insatser_participant::Entity::find()
        .filter(insatser_participant::Column::Kommun.eq(kommun))
        .filter(insatser_participant::Column::RegisteredOn.lte(to))
        .filter(
            Condition::any()
                .add(insatser_participant::Column::ExitedOn.is_null())
                .add(insatser_participant::Column::ExitedOn.gte(from)),
        )
        .all(db)
        .await?)
}

/// Interventions running at some time in `from..=to`.
pub async fn interventions(
    db: &DatabaseConnection,
    kommun: &str,
    from: NaiveDate,
    to: NaiveDate,
) -> ServiceResult<Vec<insatser_intervention::Model>> {
    Ok(insatser_intervention::Entity::find()
        .filter(insatser_intervention::Column::Kommun.eq(kommun))
        .filter(insatser_intervention::Column::StartedOn.lte(to))
        .filter(
            Condition::any()
                .add(insatser_intervention::Column::EndedOn.is_null())
                .add(insatser_intervention::Column::EndedOn.gte(from)),
        )
        .all(db)
        .await?)
}

/// Follow-ups due in `from..=to`.
pub async fn follow_ups(
    db: &DatabaseConnection,
    kommun: &str,
    from: NaiveDate,
    to: NaiveDate,
) -> ServiceResult<Vec<insatser_follow_up::Model>> {
    Ok(insatser_follow_up::Entity::find()
        .filter(insatser_follow_up::Column::Kommun.eq(kommun))
        .filter(insatser_follow_up::Column::DueOn.between(from, to))
        .all(db)
        .await?)
}

/// Young people identified in `from..=to` or first reached in it.
pub async fn young_people(
    db: &DatabaseConnection,
    kommun: &str,
    from: NaiveDate,
    to: NaiveDate,
) -> ServiceResult<Vec<ungsam_person::Model>> {
    Ok(ungsam_person::Entity::find()
        .filter(ungsam_person::Column::Kommun.eq(kommun))
        .filter(
            Condition::any()
                .add(ungsam_person::Column::IdentifiedOn.between(from, to))
                .add(ungsam_person::Column::FirstReachedOn.between(from, to)),
        )
        .all(db)
        .await?)
}

/// Ungsam's status changes and handovers up to `to`, in feed order.
pub async fn ungsam_events(
    db: &DatabaseConnection,
    kommun: &str,
    to: NaiveDate,
) -> ServiceResult<Vec<ungsam_event::Model>> {
    Ok(ungsam_event::Entity::find()
        .filter(ungsam_event::Column::Kommun.eq(kommun))
        .filter(ungsam_event::Column::ChangedOn.lte(to))
        .order_by_asc(ungsam_event::Column::Sequence)
        .all(db)
        .await?)
}

/// The unemployment figures `importer` imported for `group_code` in the months `month_keys`.
pub async fn unemployment(
    db: &DatabaseConnection,
    importer: &str,
    group_code: &str,
    month_keys: &[i32],
) -> ServiceResult<Vec<unemployment_figure::Model>> {
    Ok(unemployment_figure::Entity::find()
        .filter(unemployment_figure::Column::Importer.eq(importer))
        .filter(unemployment_figure::Column::GroupCode.eq(group_code))
        .filter(unemployment_figure::Column::MonthKey.is_in(month_keys.iter().copied()))
        .all(db)
        .await?)
}

/// Stores imported unemployment figures in one transaction, replacing the importer's earlier imports of the
/// same keys (each row names its importer; another municipality's rows are never touched).
pub async fn store_unemployment(db: &DatabaseConnection, rows: Vec<unemployment_figure::Model>) -> ServiceResult<()> {
    let txn = db.begin().await?;
    for row in rows {
        unemployment_figure::Entity::insert(unemployment_figure::ActiveModel::from(row))
            .on_conflict(
                OnConflict::columns([
                    unemployment_figure::Column::Importer,
                    unemployment_figure::Column::Region,
                    unemployment_figure::Column::MonthKey,
                    unemployment_figure::Column::GroupCode,
                    unemployment_figure::Column::Series,
                ])
                .update_columns([
                    unemployment_figure::Column::RegisteredUnemployed,
                    unemployment_figure::Column::ShareBp,
                ])
                .to_owned(),
            )
            .exec(&txn)
            .await?;
    }
    txn.commit().await?;
    Ok(())
}

/// Stores population figures in one transaction, replacing earlier imports of the same years.
pub async fn store_population(db: &DatabaseConnection, rows: Vec<population::Model>) -> ServiceResult<()> {
    let txn = db.begin().await?;
    for row in rows {
        population::Entity::insert(population::ActiveModel::from(row))
            .on_conflict(
                OnConflict::columns([population::Column::Kommun, population::Column::Year])
                    .update_columns([
                        population::Column::Residents,
                        population::Column::Children,
                        population::Column::N31816Population,
                    ])
                    .to_owned(),
            )
            .exec(&txn)
            .await?;
    }
    txn.commit().await?;
    Ok(())
}

/// The imported population of `kommun` for `year`.
pub async fn population_of(
    db: &DatabaseConnection,
    kommun: &str,
    year: i32,
) -> ServiceResult<Option<population::Model>> {
    Ok(population::Entity::find_by_id((kommun.to_string(), year)).one(db).await?)
}
