//! Consent and the data only consent allows: recording and withdrawing consents, needs and plans.
//! Withdrawal erases what the consent covered (see [`ConsentScope::fields_to_erase`]) in the same
//! transaction, audited, and cancels a handover not yet delivered.

use chrono::NaiveDate;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    TransactionTrait,
};
use trappan_platform::audit::{self, Outcome};
use trappan_platform::auth::CallContext;
use trappan_platform::error::{ServiceError, ServiceResult};
use uuid::Uuid;

use super::{YoungPersonView, consent, handover, handovers, lock_young_person, view, young_person};
use crate::domain::{ConsentScope, DataField};

/// The consent in force for `scope`, if any.
pub async fn active_consent(
    conn: &impl ConnectionTrait,
    young_person_id: Uuid,
    scope: ConsentScope,
) -> Result<Option<consent::Model>, sea_orm::DbErr> {
    consent::Entity::find()
        .filter(consent::Column::YoungPersonId.eq(young_person_id))
        .filter(consent::Column::Scope.eq(scope.code()))
        .filter(consent::Column::WithdrawnAt.is_null())
        .one(conn)
        .await
}

/// Records a consent; recording one already in force changes nothing.
pub async fn record_consent(
    db: &DatabaseConnection,
    context: &CallContext,
    young_person_id: Uuid,
    scope: ConsentScope,
    given_on: NaiveDate,
) -> ServiceResult<YoungPersonView> {
    let txn = db.begin().await?;
    let person = lock_young_person(&txn, context, young_person_id).await?;
    if active_consent(&txn, person.id, scope).await?.is_none() {
        let id = Uuid::now_v7();
        consent::ActiveModel {
            id: Set(id),
            kommun: Set(context.kommun().to_string()),
            young_person_id: Set(person.id),
            scope: Set(scope.code().to_string()),
            given_on: Set(given_on),
            withdrawn_at: Set(None),
            created_at: Set(chrono::Utc::now()),
        }
        .insert(&txn)
        .await?;
        audit::record(&txn, context, "consent", &id.to_string(), Outcome::Created).await?;
    }
    let view = view(&txn, person).await?;
    txn.commit().await?;
    Ok(view)
}

/// Withdraws the consent for `scope`: marks it withdrawn, erases the fields it covered and cancels a
/// pending handover it allowed; the erasure is audited. Withdrawing a consent not in force is a failed
/// precondition.
pub async fn withdraw_consent(
    db: &DatabaseConnection,
    context: &CallContext,
    young_person_id: Uuid,
    scope: ConsentScope,
) -> ServiceResult<YoungPersonView> {
    let txn = db.begin().await?;
    let person = lock_young_person(&txn, context, young_person_id).await?;
    let Some(consent) = active_consent(&txn, person.id, scope).await? else {
        return Err(ServiceError::FailedPrecondition(format!("no consent for {} is in force", scope.code())));
    };
    let consent_id = consent.id;
    let mut withdrawn: consent::ActiveModel = consent.into();
    withdrawn.withdrawn_at = Set(Some(chrono::Utc::now()));
    withdrawn.update(&txn).await?;
    audit::record(&txn, context, "consent", &consent_id.to_string(), Outcome::Updated).await?;

    let fields = scope.fields_to_erase();
    let mut row: young_person::ActiveModel = person.clone().into();
    let mut erased = false;
    if fields.contains(&DataField::Needs) && person.needs.is_some() {
        row.needs = Set(None);
        erased = true;
    }
    if fields.contains(&DataField::Plans) && person.plan.is_some() {
        row.plan = Set(None);
        erased = true;
    }
    let person = if erased {
        let person = row.update(&txn).await?;
        audit::record(&txn, context, "young_person", &person.id.to_string(), Outcome::Erased).await?;
        person
    } else {
        person
    };
    if scope == ConsentScope::Handover {
        let pending = handover::Entity::find()
            .filter(handover::Column::ConsentId.eq(consent_id))
            .filter(handover::Column::State.eq(handovers::PENDING))
            .all(&txn)
            .await?;
        for row in pending {
            handovers::settle_handover(&txn, row.id, handovers::CANCELLED, None).await?;
            audit::record(&txn, context, "handover", &row.id.to_string(), Outcome::Updated).await?;
        }
    }
    let view = view(&txn, person).await?;
    txn.commit().await?;
    Ok(view)
}

/// Records needs and/or a plan; each needs the consent for its scope in force (else a failed
/// precondition naming the scope).
pub async fn update_support_details(
    db: &DatabaseConnection,
    context: &CallContext,
    young_person_id: Uuid,
    needs: Option<String>,
    plan: Option<String>,
) -> ServiceResult<YoungPersonView> {
    let txn = db.begin().await?;
    let person = lock_young_person(&txn, context, young_person_id).await?;
    let mut row: young_person::ActiveModel = person.clone().into();
    for (value, field, scope) in
        [(&needs, DataField::Needs, ConsentScope::Needs), (&plan, DataField::Plans, ConsentScope::Plans)]
    {
        if value.is_none() {
            continue;
        }
        debug_assert_eq!(field.required_scope(), Some(scope));
        if active_consent(&txn, person.id, scope).await?.is_none() {
            return Err(ServiceError::FailedPrecondition(format!(
                "the young person has not consented to {}: such data is held only with consent",
                scope.code()
            )));
        }
    }
    if let Some(needs) = needs {
        row.needs = Set(Some(needs));
    }
    if let Some(plan) = plan {
        row.plan = Set(Some(plan));
    }
    let person = row.update(&txn).await?;
    audit::record(&txn, context, "young_person", &person.id.to_string(), Outcome::Updated).await?;
    let view = view(&txn, person).await?;
    txn.commit().await?;
    Ok(view)
}
