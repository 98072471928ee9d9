//! Delivery of insatser's reports: labour-market reports to bistand and exit outcomes to Ungsam.
//!
//! The messages were built and enqueued in the transaction of the change that caused them (see
//! [`crate::store::reports`]); this handler sends them until the receiver acknowledges. A receiver that
//! is down, or not yet able to take the message (UNIMPLEMENTED), gets it later; a receiver answering
//! FAILED_PRECONDITION says the consent that allowed reporting back was withdrawn: the message is
//! cancelled and the participant gets nothing more sent back. Any other permanent refusal makes the
//! message a dead letter for an operator at once.

use prost::Message;
use sea_orm::DbErr;
use trappan_api::bistand::v1 as bistand;
use trappan_api::ungsam::v1 as ungsam;
use trappan_platform::auth::Kommun;
use trappan_platform::client::attempt_after_refusal;
use trappan_platform::delivery::{Attempt, DeliveryHandler, entity};
use trappan_platform::server::ServiceContext;

use crate::store::ParticipantSource;
use crate::store::reports::{KIND_HANDOVER_OUTCOME, KIND_LABOUR_MARKET_REPORT, stop_reporting_back};

/// Sends pending reports to bistand and Ungsam.
pub struct ReportDelivery {
    context: ServiceContext,
}

impl ReportDelivery {
    /// A handler using `context`'s peers.
    pub fn new(context: ServiceContext) -> ReportDelivery {
        ReportDelivery { context }
    }
}

/// How a receiver's answer decides the attempt.
fn judge<T>(receiver: &str, answer: Result<T, tonic::Status>) -> Attempt {
    match answer {
        Ok(_) => Attempt::Delivered(Vec::new()),
        Err(status) if status.code() == tonic::Code::FailedPrecondition => {
            Attempt::Cancelled(format!("{receiver} no longer accepts reports for this person"))
        }
        // The receiver's build may not take reports yet: it will after its next rollout.
        Err(status) if status.code() == tonic::Code::Unimplemented => {
            Attempt::Retry(format!("{receiver}: {}", status.code()))
        }
        Err(status) => attempt_after_refusal(receiver, "report", &status),
    }
}

#[async_trait::async_trait]
impl DeliveryHandler for ReportDelivery {
    async fn deliver(&self, delivery: &entity::Model) -> Attempt {
        let Some(kommun) = Kommun::parse(&delivery.kommun) else {
            return Attempt::Cancelled("malformed municipality".into());
        };
        match delivery.kind.as_str() {
            KIND_LABOUR_MARKET_REPORT => {
                let Ok(request) = bistand::ReceiveLabourMarketReportRequest::decode(delivery.payload.as_slice()) else {
                    return Attempt::Cancelled("malformed report".into());
                };
                judge("bistand", self.context.peers.bistand(&kommun).receive_labour_market_report(request).await)
            }
            KIND_HANDOVER_OUTCOME => {
                let Ok(request) = ungsam::ReceiveHandoverOutcomeRequest::decode(delivery.payload.as_slice()) else {
                    return Attempt::Cancelled("malformed outcome".into());
                };
                judge("ungsam", self.context.peers.ungsam(&kommun).receive_handover_outcome(request).await)
            }
            _ => Attempt::Cancelled("unknown delivery kind".into()),
        }
    }

    async fn cancelled(&self, txn: &sea_orm::DatabaseTransaction, delivery: &entity::Model) -> Result<(), DbErr> {
        // The consent to report back was withdrawn at the referring unit: send nothing more about the person.
        let (source, referral_id) = match delivery.kind.as_str() {
            KIND_LABOUR_MARKET_REPORT => bistand::ReceiveLabourMarketReportRequest::decode(delivery.payload.as_slice())
                .map(|r| (ParticipantSource::EkonomisktBistand, r.referral_id)),
            KIND_HANDOVER_OUTCOME => ungsam::ReceiveHandoverOutcomeRequest::decode(delivery.payload.as_slice())
                .map(|r| (ParticipantSource::Ungsam, r.handover_id)),
            _ => return Ok(()),
        }
        .map_err(|error| DbErr::Custom(format!("undecodable delivery: {error}")))?;
        stop_reporting_back(txn, &delivery.kommun, source, &referral_id).await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_decide_the_attempt() {
        assert!(matches!(judge("bistand", Ok(())), Attempt::Delivered(_)));
        // The consent was withdrawn since: never retried.
        let withdrawn = judge::<()>("bistand", Err(tonic::Status::failed_precondition("consent withdrawn")));
        assert!(matches!(withdrawn, Attempt::Cancelled(_)));
        // A receiver that is down, or not yet able to take reports, gets them later.
        for code in [tonic::Code::Unavailable, tonic::Code::Unimplemented, tonic::Code::DeadlineExceeded] {
            assert!(
                matches!(judge::<()>("bistand", Err(tonic::Status::new(code, "x"))), Attempt::Retry(_)),
                "{code:?}"
            );
        }
        // A permanent refusal is a dead letter for an operator, never silently dropped.
        assert!(matches!(judge::<()>("ungsam", Err(tonic::Status::invalid_argument("x"))), Attempt::Failed(_)));
        assert!(matches!(judge::<()>("ungsam", Err(tonic::Status::not_found("x"))), Attempt::Failed(_)));
        // Other refusals are retried until the attempts run out.
        assert!(matches!(judge::<()>("ungsam", Err(tonic::Status::internal("x"))), Attempt::Retry(_)));
    }
}
