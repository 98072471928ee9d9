//! What insatser tells the referring units, recorded as outbound deliveries in the same transaction as
//! the change that causes them. Only participants whose referral carried the person's consent to report
//! back get anything sent: bistand's referrals get labour-market reports, Ungsam's handovers the outcome.

use chrono::NaiveDate;
use prost::Message;
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, sea_query::Expr};
use trappan_api::bistand::v1 as bistand;
use trappan_api::ungsam::v1 as ungsam;
use trappan_platform::auth::Kommun;
use trappan_platform::delivery;
use trappan_platform::grpc::to_date;
use uuid::Uuid;

use super::{ParticipantSource, exit_outcome_to_api, participant};
use crate::domain::ExitOutcome;

/// The delivery target of reports to bistand.
pub const TARGET_BISTAND: &str = "bistand";
/// The delivery target of outcomes to Ungsam.
pub const TARGET_UNGSAM: &str = "ungsam";
/// The delivery kind of a `ReceiveLabourMarketReportRequest`.
pub const KIND_LABOUR_MARKET_REPORT: &str = "labour_market_report";
/// The delivery kind of a `ReceiveHandoverOutcomeRequest`.
pub const KIND_HANDOVER_OUTCOME: &str = "handover_outcome";

/// What is reported to bistand.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BistandReport {
    /// Unexcused absence reached the threshold in a period.
    UnexcusedAbsence {
        /// Unexcused absences counted.
        count: u32,
        /// The first day of the period.
        period_start: NaiveDate,
    },
    /// The plan's goal or step changed.
    PlanChanged {
        /// The new goal and step, in words, for the socialsekreterare.
        summary: String,
    },
    /// The participant exited.
    Exited(ExitOutcome),
}

/// The referral to report back on, when the participant came from `source` with consent to report back.
fn report_back_referral(participant: &participant::Model, source: ParticipantSource) -> Option<&str> {
    let from = ParticipantSource::from_code(&participant.source)?;
    (from == source && participant.report_back_allowed).then_some(participant.referral_id.as_deref()?)
}

/// Enqueues `report` to bistand when the participant was referred by bistand with consent to report back;
/// true when something was enqueued.
pub async fn report_to_bistand(
    conn: &impl ConnectionTrait,
    kommun: &Kommun,
    participant: &participant::Model,
    occurred_on: NaiveDate,
    report: BistandReport,
) -> Result<bool, DbErr> {
    let Some(referral_id) = report_back_referral(participant, ParticipantSource::EkonomisktBistand) else {
        return Ok(false);
    };
    let id = Uuid::now_v7();
    let mut request = bistand::ReceiveLabourMarketReportRequest {
        report_id: id.to_string(),
        referral_id: referral_id.to_string(),
        occurred_on: Some(to_date(occurred_on)),
        ..Default::default()
    };
    match report {
        BistandReport::UnexcusedAbsence { count, period_start } => {
            request.kind = bistand::LabourMarketReportKind::UnexcusedAbsence as i32;
            request.unexcused_absences = i32::try_from(count).unwrap_or(i32::MAX);
            request.period_start = Some(to_date(period_start));
        }
        BistandReport::PlanChanged { summary } => {
            request.kind = bistand::LabourMarketReportKind::PlanChanged as i32;
            request.summary = summary;
        }
        BistandReport::Exited(outcome) => {
            request.kind = bistand::LabourMarketReportKind::Exited as i32;
            request.exit_outcome = exit_outcome_to_api(outcome) as i32;
        }
    }
    delivery::enqueue(conn, id, kommun, TARGET_BISTAND, KIND_LABOUR_MARKET_REPORT, request.encode_to_vec()).await?;
    Ok(true)
}

/// Enqueues the exit outcome to Ungsam when the participant was handed over by Ungsam with consent to
/// report back; true when something was enqueued.
pub async fn report_outcome_to_ungsam(
    conn: &impl ConnectionTrait,
    kommun: &Kommun,
    participant: &participant::Model,
    outcome: ExitOutcome,
    exited_on: NaiveDate,
) -> Result<bool, DbErr> {
    let Some(handover_id) = report_back_referral(participant, ParticipantSource::Ungsam) else {
        return Ok(false);
    };
    let id = Uuid::now_v7();
    let request = ungsam::ReceiveHandoverOutcomeRequest {
        report_id: id.to_string(),
        handover_id: handover_id.to_string(),
        outcome: exit_outcome_to_api(outcome) as i32,
        exited_on: Some(to_date(exited_on)),
    };
    delivery::enqueue(conn, id, kommun, TARGET_UNGSAM, KIND_HANDOVER_OUTCOME, request.encode_to_vec()).await?;
    Ok(true)
}

/// Stops all reporting back about the participant referred by `source` under `referral_id`: the
/// referring unit answered that the consent which allowed it was withdrawn. Returns how many
/// participants it concerned (0 or 1).
pub async fn stop_reporting_back(
    conn: &impl ConnectionTrait,
    kommun: &str,
    source: ParticipantSource,
    referral_id: &str,
) -> Result<u64, DbErr> {
    let result = participant::Entity::update_many()
        .col_expr(participant::Column::ReportBackAllowed, Expr::value(false))
        .filter(participant::Column::Kommun.eq(kommun))
        .filter(participant::Column::Source.eq(source.code()))
        .filter(participant::Column::ReferralId.eq(referral_id))
        .exec(conn)
        .await?;
    Ok(result.rows_affected)
}
