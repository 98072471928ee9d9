//! Handovers to the labour-market unit (insatser): recorded with the delivery that carries them in one
//! transaction, settled when insatser acknowledges (or when the consent goes first), and closed by the
//! outcome insatser reports back.

use chrono::NaiveDate;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait,
    QueryFilter, QuerySelect, TransactionTrait,
};
use trappan_api::common::v1 as common;
use trappan_api::ungsam::v1 as api;
use trappan_platform::audit::{self, Outcome};
use trappan_platform::auth::CallContext;
use trappan_platform::delivery;
use trappan_platform::error::{ServiceError, ServiceResult};
use trappan_platform::grpc::to_date;
use trappan_platform::outbox;
use trappan_platform::store::is_unique_violation;
use uuid::Uuid;

use super::{
    apply_status, consents, exit_reason_for, handover, identified_on, lock_young_person, status_of, young_person,
};
use crate::domain::{ConsentScope, Status};

/// A handover recorded, not yet acknowledged.
pub const PENDING: &str = "pending";
/// insatser registered the participant.
pub const DELIVERED: &str = "delivered";
/// Cancelled before delivery (consent withdrawn).
pub const CANCELLED: &str = "cancelled";

/// The receiving service of a handover delivery.
pub const DELIVERY_TARGET: &str = "insatser";
/// The delivery kind of a handover.
pub const DELIVERY_KIND: &str = "handover";

/// The contract's value of a stored handover state.
pub fn api_state(state: &str) -> api::HandoverState {
    match state {
        PENDING => api::HandoverState::Pending,
        DELIVERED => api::HandoverState::Delivered,
        CANCELLED => api::HandoverState::Cancelled,
        _ => api::HandoverState::Unspecified,
    }
}

async fn handover_by_request(
    conn: &impl ConnectionTrait,
    context: &CallContext,
    request_id: Uuid,
) -> ServiceResult<Option<handover::Model>> {
    Ok(handover::Entity::find()
        .filter(handover::Column::Kommun.eq(context.kommun()))
        .filter(handover::Column::RequestId.eq(request_id))
        .one(conn)
        .await?)
}

/// Hands a young person over: they must be in dialogue or in an activity, consent to the handover, and
/// have no open handover. Records the handover, enqueues its delivery, moves a person in dialogue to
/// in activity, audits and publishes a [`api::HandedOverEvent`], all in one transaction. A retried
/// request returns the handover already recorded.
pub async fn hand_over(
    db: &DatabaseConnection,
    context: &CallContext,
    request_id: Uuid,
    young_person_id: Uuid,
    reason: String,
    today: NaiveDate,
) -> ServiceResult<handover::Model> {
    if let Some(existing) = handover_by_request(db, context, request_id).await? {
        return Ok(existing);
    }
    let txn = db.begin().await?;
    let person = lock_young_person(&txn, context, young_person_id).await?;
    let status = status_of(&person)?;
    if !matches!(status, Status::InDialogue | Status::InActivity) {
        return Err(ServiceError::FailedPrecondition(format!(
            "only a young person in dialogue or in an activity can be handed over, not one with status {}",
            status.code()
        )));
    }
    let Some(consent) = consents::active_consent(&txn, person.id, ConsentScope::Handover).await? else {
        return Err(ServiceError::FailedPrecondition(
            "the young person has not consented to a handover to the labour-market unit".into(),
        ));
    };
    let open = handover::Entity::find()
        .filter(handover::Column::YoungPersonId.eq(person.id))
        .filter(handover::Column::State.is_in([PENDING, DELIVERED]))
        .filter(handover::Column::Outcome.is_null())
        .one(&txn)
        .await?;
    if open.is_some() {
        return Err(ServiceError::FailedPrecondition("the young person has a handover that is still open".into()));
    }
    let id = Uuid::now_v7();
    let inserted = handover::ActiveModel {
        id: Set(id),
        kommun: Set(context.kommun().to_string()),
        young_person_id: Set(person.id),
        request_id: Set(request_id),
        consent_id: Set(consent.id),
        reason: Set(reason),
        state: Set(PENDING.to_string()),
        participant_id: Set(None),
        handed_over_on: Set(today),
        outcome: Set(None),
        outcome_report_id: Set(None),
        exited_on: Set(None),
        created_at: Set(chrono::Utc::now()),
    }
    .insert(&txn)
    .await;
    let row = match inserted {
        Ok(row) => row,
        Err(error) if is_unique_violation(&error) => {
            txn.rollback().await?;
            return handover_by_request(db, context, request_id).await?.ok_or(ServiceError::NotFound("handover"));
        }
        Err(error) => return Err(error.into()),
    };
    delivery::enqueue(
        &txn,
        Uuid::now_v7(),
        &context.caller.kommun,
        DELIVERY_TARGET,
        DELIVERY_KIND,
        id.as_bytes().to_vec(),
    )
    .await?;
    audit::record(&txn, context, "handover", &id.to_string(), Outcome::Created).await?;
    if status == Status::InDialogue {
        apply_status(&txn, context, person, Status::InActivity, today, "handover", None).await?;
    }
    outbox::append(
        &txn,
        &context.caller.kommun,
        &api::HandedOverEvent {
            young_person_id: young_person_id.to_string(),
            handover_id: id.to_string(),
            handed_over_on: Some(to_date(today)),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(row)
}

/// What the delivery worker sends for a handover.
#[derive(Debug, Clone)]
pub struct HandoverToDeliver {
    /// The handover.
    pub handover: handover::Model,
    /// The person handed over.
    pub person: young_person::Model,
    /// Whether it may still be sent: pending, and its consent still in force.
    pub sendable: bool,
}

/// Loads a handover for delivery, with whether it may still be sent (the consent is checked at the moment
/// of sending).
pub async fn handover_to_deliver(conn: &impl ConnectionTrait, id: Uuid) -> Result<Option<HandoverToDeliver>, DbErr> {
    let Some(handover) = handover::Entity::find_by_id(id).one(conn).await? else {
        return Ok(None);
    };
    let Some(person) = young_person::Entity::find_by_id(handover.young_person_id).one(conn).await? else {
        return Ok(None);
    };
    let consent = consents::active_consent(conn, person.id, ConsentScope::Handover).await?;
    let sendable = handover.state == PENDING && consent.is_some_and(|c| c.id == handover.consent_id);
    Ok(Some(HandoverToDeliver { handover, person, sendable }))
}

/// Settles a pending handover as delivered (with the participant) or cancelled; a settled one is left as
/// it is.
pub async fn settle_handover(
    conn: &impl ConnectionTrait,
    id: Uuid,
    state: &str,
    participant_id: Option<String>,
) -> Result<(), DbErr> {
    let Some(row) = handover::Entity::find_by_id(id).one(conn).await? else {
        return Ok(());
    };
    if row.state != PENDING {
        return Ok(());
    }
    let mut row: handover::ActiveModel = row.into();
    row.state = Set(state.to_string());
    row.participant_id = Set(participant_id);
    row.update(conn).await?;
    Ok(())
}

/// Records the outcome insatser reports for a handover and exits the young person with it (when still in
/// outreach and the exit is allowed from their status). Only while the young person's consent to the
/// handover is in force: that consent covers hearing back how the path ended (as bistand's report-back
/// needs its consent); without it nothing is stored (FAILED_PRECONDITION). Idempotent on `report_id`; a
/// second, different report for the same handover is ALREADY_EXISTS.
pub async fn receive_outcome(
    db: &DatabaseConnection,
    context: &CallContext,
    report_id: Uuid,
    handover_id: Uuid,
    outcome: common::ExitOutcome,
    exited_on: NaiveDate,
) -> ServiceResult<()> {
    let txn = db.begin().await?;
    let row = handover::Entity::find_by_id(handover_id)
        .filter(handover::Column::Kommun.eq(context.kommun()))
        .lock_exclusive()
        .one(&txn)
        .await?
        .ok_or(ServiceError::NotFound("handover"))?;
    if row.outcome_report_id == Some(report_id) {
        return Ok(());
    }
    if row.outcome_report_id.is_some() {
        return Err(ServiceError::AlreadyExists("an outcome was already reported for this handover".into()));
    }
    if row.state != DELIVERED {
        return Err(ServiceError::FailedPrecondition(format!(
            "an outcome can be reported only for a delivered handover, not a {} one",
            row.state
        )));
    }
    let person = lock_young_person(&txn, context, row.young_person_id).await?;
    if consents::active_consent(&txn, person.id, ConsentScope::Handover).await?.is_none() {
        return Err(ServiceError::FailedPrecondition(
            "the young person's consent to the handover (which covers hearing back how it ended) is not in force; \
             nothing was stored"
                .into(),
        ));
    }
    let mut settled: handover::ActiveModel = row.into();
    settled.outcome = Set(Some(outcome as i32));
    settled.outcome_report_id = Set(Some(report_id));
    settled.exited_on = Set(Some(exited_on));
    settled.update(&txn).await?;
    audit::record(&txn, context, "handover", &handover_id.to_string(), Outcome::Updated).await?;
    let to = Status::Exited(exit_reason_for(outcome));
    if crate::domain::transition(status_of(&person)?, to).is_ok() {
        let on = exited_on.max(identified_on(&person));
        apply_status(&txn, context, person, to, on, "handover_outcome", Some(outcome)).await?;
    } else {
        tracing::info!(%handover_id, "handover outcome recorded; the young person's status does not allow the exit");
    }
    txn.commit().await?;
    Ok(())
}
