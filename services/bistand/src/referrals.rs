//! Delivery of referrals to insatser.
//!
//! The referral is loaded at the moment of sending, so a consent withdrawn while insatser was down
//! cancels the referral instead of sharing data the person no longer allows. insatser is idempotent on
//! the referral's identifier, so a retry after a lost acknowledgement creates no second participant.

use sea_orm::DbErr;
use trappan_api::common::v1::PersonIdentityNumber;
use trappan_api::insatser::v1 as insatser;
use trappan_platform::auth::Kommun;
use trappan_platform::delivery::{Attempt, DeliveryHandler, entity};
use trappan_platform::server::ServiceContext;

use crate::store;

/// Sends pending referrals to insatser.
pub struct ReferralDelivery {
    context: ServiceContext,
}

impl ReferralDelivery {
    /// A handler using `context`'s store and peers.
    pub fn new(context: ServiceContext) -> ReferralDelivery {
        ReferralDelivery { context }
    }
}

#[async_trait::async_trait]
impl DeliveryHandler for ReferralDelivery {
    async fn deliver(&self, delivery: &entity::Model) -> Attempt {
        let Ok(db) = self.context.store.db() else {
            return Attempt::Retry("store not ready".into());
        };
        let Ok(referral_id) = uuid::Uuid::from_slice(&delivery.payload) else {
            return Attempt::Cancelled("malformed delivery".into());
        };
        let loaded = match store::referral_to_deliver(db, referral_id).await {
            Ok(loaded) => loaded,
            Err(error) => return Attempt::Retry(format!("could not load the referral: {error}")),
        };
        if !loaded.consent_active {
            return Attempt::Cancelled("the consent was withdrawn before delivery".into());
        }
        let Some(kommun) = Kommun::parse(&delivery.kommun) else {
            return Attempt::Cancelled("malformed municipality".into());
        };
        let request = insatser::ReceiveReferralRequest {
            referral_id: referral_id.to_string(),
            source: insatser::ReferralSource::EkonomisktBistand as i32,
            person_identity_number: Some(PersonIdentityNumber { value: loaded.member.personnummer.clone() }),
            given_name: loaded.member.given_name.clone(),
            family_name: loaded.member.family_name.clone(),
            consent_id: loaded.referral.consent_id.to_string(),
            report_back_allowed: loaded.report_back_allowed,
            reason: loaded.referral.reason.clone(),
        };
        self.context.peers.refer_to_insatser(&kommun, request, "referral").await
    }

    async fn acknowledged(
        &self,
        txn: &sea_orm::DatabaseTransaction,
        delivery: &entity::Model,
        answer: &[u8],
    ) -> Result<(), DbErr> {
        let participant = String::from_utf8_lossy(answer).to_string();
        let referral_id = uuid::Uuid::from_slice(&delivery.payload).map_err(|e| DbErr::Custom(e.to_string()))?;
        store::settle_referral(txn, referral_id, "delivered", Some(participant)).await
    }

    async fn cancelled(&self, txn: &sea_orm::DatabaseTransaction, delivery: &entity::Model) -> Result<(), DbErr> {
        let referral_id = uuid::Uuid::from_slice(&delivery.payload).map_err(|e| DbErr::Custom(e.to_string()))?;
        store::settle_referral(txn, referral_id, "cancelled", None).await
    }
}
