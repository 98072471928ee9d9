//! Delivery of handovers to insatser.
//!
//! The handover is loaded at the moment of sending, so a consent withdrawn while insatser was down
//! cancels it instead of sharing data the person no longer allows. insatser is idempotent on the
//! referral identifier (the handover's), so a retry after a lost acknowledgement creates no second
//! participant.

use sea_orm::DbErr;
use trappan_api::common::v1::PersonIdentityNumber;
use trappan_api::insatser::v1 as insatser;
use trappan_platform::auth::Kommun;
use trappan_platform::delivery::{Attempt, DeliveryHandler, entity};
use trappan_platform::server::ServiceContext;

use crate::store::handovers::{self, CANCELLED, DELIVERED, DELIVERY_KIND};

/// Sends pending handovers to insatser.
pub struct HandoverDelivery {
    context: ServiceContext,
}

impl HandoverDelivery {
    /// A handler using `context`'s store and peers.
    pub fn new(context: ServiceContext) -> HandoverDelivery {
        HandoverDelivery { context }
    }
}

fn handover_id(delivery: &entity::Model) -> Result<uuid::Uuid, DbErr> {
    uuid::Uuid::from_slice(&delivery.payload).map_err(|e| DbErr::Custom(e.to_string()))
}

#[async_trait::async_trait]
impl DeliveryHandler for HandoverDelivery {
    async fn deliver(&self, delivery: &entity::Model) -> Attempt {
        if delivery.kind != DELIVERY_KIND {
            return Attempt::Cancelled(format!("unknown delivery kind {}", delivery.kind));
        }
        let Ok(db) = self.context.store.db() else {
            return Attempt::Retry("store not ready".into());
        };
        let Ok(id) = handover_id(delivery) else {
            return Attempt::Cancelled("malformed delivery".into());
        };
        let loaded = match handovers::handover_to_deliver(db, id).await {
            Ok(Some(loaded)) => loaded,
            Ok(None) => return Attempt::Cancelled("the handover no longer exists".into()),
            Err(error) => return Attempt::Retry(format!("could not load the handover: {error}")),
        };
        if !loaded.sendable {
            return Attempt::Cancelled("the consent was withdrawn before delivery".into());
        }
        let Some(kommun) = Kommun::parse(&delivery.kommun) else {
            return Attempt::Cancelled("malformed municipality".into());
        };
        let request = insatser::ReceiveReferralRequest {
            referral_id: id.to_string(),
            source: insatser::ReferralSource::Ungsam as i32,
            person_identity_number: Some(PersonIdentityNumber { value: loaded.person.personnummer.clone() }),
            given_name: loaded.person.given_name.clone(),
            family_name: loaded.person.family_name.clone(),
            consent_id: loaded.handover.consent_id.to_string(),
            report_back_allowed: true,
            reason: loaded.handover.reason.clone(),
        };
        self.context.peers.refer_to_insatser(&kommun, request, "handover").await
    }

    async fn acknowledged(
        &self,
        txn: &sea_orm::DatabaseTransaction,
        delivery: &entity::Model,
        answer: &[u8],
    ) -> Result<(), DbErr> {
        let participant = String::from_utf8_lossy(answer).to_string();
        handovers::settle_handover(txn, handover_id(delivery)?, DELIVERED, Some(participant)).await
    }

    async fn cancelled(&self, txn: &sea_orm::DatabaseTransaction, delivery: &entity::Model) -> Result<(), DbErr> {
        match handover_id(delivery) {
            Ok(id) => handovers::settle_handover(txn, id, CANCELLED, None).await,
            // A malformed delivery has no handover to settle.
            Err(_) => Ok(()),
        }
    }
}
