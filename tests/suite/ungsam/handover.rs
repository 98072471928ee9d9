//! ungsam's handover to insatser through the gRPC API, on SQLite and PostgreSQL: only with consent, a
//! handover made while insatser is down arrives once after it comes back, the participant is recorded
//! in ungsam, a consent withdrawn before delivery cancels it, and the outcome insatser reports back
//! exits the young person, idempotently.

use crate::common;

use common::{
    KOMMUN, OTHER_KOMMUN, TestSuite, backend_tests, calendar_date, count_rows, eventually, new_request_id, today,
};
use prost::Message;
use sea_orm::EntityTrait;
use tonic::Code;
use tonic_types::StatusExt;
use trappan_api::common::v1::ExitOutcome;
use trappan_api::insatser::v1 as insatser;
use trappan_api::ungsam::v1 as ungsam;
use trappan_platform::auth::{Role, Workload};
use trappan_platform::config::ServiceKind;

fn hand_over(id: &str, request_id: &str) -> ungsam::HandOverRequest {
    ungsam::HandOverRequest {
        request_id: request_id.into(),
        young_person_id: id.into(),
        reason: "vill börja arbetsträna".into(),
    }
}

async fn person(suite: &TestSuite, id: &str) -> ungsam::YoungPerson {
    suite
        .ungsam(Role::Ungdomscoach, KOMMUN)
        .get_young_person(ungsam::GetYoungPersonRequest { young_person_id: id.into() })
        .await
        .expect("get")
        .into_inner()
        .young_person
        .expect("person")
}

async fn participants(suite: &TestSuite) -> Vec<insatser::Participant> {
    suite
        .insatser(Role::Arbetsmarknadskoordinator, KOMMUN)
        .list_participants(insatser::ListParticipantsRequest { page_size: 500, ..Default::default() })
        .await
        .expect("participants")
        .into_inner()
        .participants
}

async fn a_handover_made_while_insatser_is_down_arrives_once_and_its_outcome_exits_the_person(
    mut suite: TestSuite,
) -> TestSuite {
    let id = suite.young_person_in_dialogue(801, &[]).await;
    let mut client = suite.ungsam(Role::Ungdomscoach, KOMMUN);
    let no_consent = client.hand_over(hand_over(&id, &new_request_id())).await.expect_err("no consent");
    assert_eq!(no_consent.code(), Code::FailedPrecondition);
    client
        .record_consent(ungsam::RecordConsentRequest {
            young_person_id: id.clone(),
            scope: ungsam::ConsentScope::Handover as i32,
            given_on: None,
        })
        .await
        .expect("consent");

    suite.stop(ServiceKind::Insatser).await;
    let request_id = new_request_id();
    let handover = client
        .hand_over(hand_over(&id, &request_id))
        .await
        .expect("accepted while insatser is down")
        .into_inner()
        .handover
        .expect("handover");
    assert_eq!(handover.state, ungsam::HandoverState::Pending as i32);
    let retried = client.hand_over(hand_over(&id, &request_id)).await.expect("retry").into_inner().handover.expect("h");
    assert_eq!(retried.handover_id, handover.handover_id);
    let second = client.hand_over(hand_over(&id, &new_request_id())).await.expect_err("one open handover");
    assert_eq!(second.code(), Code::FailedPrecondition);
    assert_eq!(person(&suite, &id).await.status, ungsam::YoungPersonStatus::InActivity as i32);
    suite.wait_for_failed_delivery(ServiceKind::Ungsam).await;
    suite.restart(ServiceKind::Insatser).await;

    eventually("the handover is delivered", || async {
        person(&suite, &id).await.handover.is_some_and(|h| h.state == ungsam::HandoverState::Delivered as i32)
    })
    .await;
    let delivered = person(&suite, &id).await.handover.expect("handover");
    let arrived: Vec<insatser::Participant> =
        participants(&suite).await.into_iter().filter(|p| p.referral_id == handover.handover_id).collect();
    assert_eq!(arrived.len(), 1);
    assert_eq!(arrived[0].participant_id, delivered.participant_id);
    assert_eq!(arrived[0].source, insatser::ReferralSource::Ungsam as i32);
    assert!(arrived[0].report_back_allowed);

    // The feed carries the handover, pseudonymously.
    let db = suite.database(ServiceKind::Ungsam).await;
    let handed_over: Vec<ungsam::HandedOverEvent> = trappan_platform::outbox::entity::Entity::find()
        .all(&db)
        .await
        .expect("outbox")
        .into_iter()
        .filter(|row| row.event_type.ends_with("HandedOverEvent"))
        .map(|row| ungsam::HandedOverEvent::decode(row.payload.as_slice()).expect("event"))
        .collect();
    assert_eq!(handed_over.len(), 1);
    assert_eq!(handed_over[0].handover_id, handover.handover_id);

    // The outcome comes back: recorded once, the person exits with it.
    let mut system = suite.ungsam_from(Workload::Insatser, KOMMUN);
    let report = |report_id: &str, outcome: ExitOutcome| ungsam::ReceiveHandoverOutcomeRequest {
        report_id: report_id.into(),
        handover_id: handover.handover_id.clone(),
        outcome: outcome as i32,
        exited_on: Some(calendar_date(today())),
    };
    let report_id = new_request_id();
    system.receive_handover_outcome(report(&report_id, ExitOutcome::Studies)).await.expect("received");
    let history = count_rows(&db, "status_change").await;
    system.receive_handover_outcome(report(&report_id, ExitOutcome::Studies)).await.expect("replayed");
    assert_eq!(count_rows(&db, "status_change").await, history);
    let different =
        system.receive_handover_outcome(report(&new_request_id(), ExitOutcome::Moved)).await.expect_err("second");
    assert_eq!(different.code(), Code::AlreadyExists);
    let exited = person(&suite, &id).await;
    assert_eq!(exited.status, ungsam::YoungPersonStatus::ExitedStudies as i32);
    assert_eq!(exited.exit_outcome, ExitOutcome::Studies as i32);
    let settled = exited.handover.expect("handover");
    assert_eq!(settled.outcome, ExitOutcome::Studies as i32);
    assert_eq!(settled.exited_on, Some(calendar_date(today())));
    assert_eq!(exited.status_history.last().map(|c| c.cause.as_str()), Some("handover_outcome"));

    let elsewhere = suite
        .ungsam_from(Workload::Insatser, OTHER_KOMMUN)
        .receive_handover_outcome(report(&new_request_id(), ExitOutcome::Studies))
        .await
        .expect_err("another municipality's handover");
    assert_eq!(elsewhere.code(), Code::NotFound);
    let coach = client
        .receive_handover_outcome(report(&new_request_id(), ExitOutcome::Studies))
        .await
        .expect_err("insatser only");
    assert_eq!(coach.code(), Code::PermissionDenied);
    let invalid = system
        .receive_handover_outcome(ungsam::ReceiveHandoverOutcomeRequest {
            outcome: 0,
            exited_on: None,
            ..report("x", ExitOutcome::Studies)
        })
        .await
        .expect_err("invalid");
    assert_eq!(invalid.code(), Code::InvalidArgument);
    let fields: Vec<String> = invalid
        .get_details_bad_request()
        .map(|bad| bad.field_violations.into_iter().map(|v| v.field).collect())
        .unwrap_or_default();
    assert_eq!(fields, ["report_id", "outcome", "exited_on"]);
    suite
}
backend_tests!(a_handover_made_while_insatser_is_down_arrives_once_and_its_outcome_exits_the_person);

async fn an_outcome_is_not_stored_once_the_consent_to_the_handover_is_withdrawn(suite: TestSuite) -> TestSuite {
    let id = suite.young_person_in_dialogue(851, &[ungsam::ConsentScope::Handover]).await;
    let mut client = suite.ungsam(Role::Ungdomscoach, KOMMUN);
    let handover = client
        .hand_over(hand_over(&id, &new_request_id()))
        .await
        .expect("handed over")
        .into_inner()
        .handover
        .expect("handover");
    eventually("the handover is delivered", || async {
        person(&suite, &id).await.handover.is_some_and(|h| h.state == ungsam::HandoverState::Delivered as i32)
    })
    .await;
    client
        .withdraw_consent(ungsam::WithdrawConsentRequest {
            young_person_id: id.clone(),
            scope: ungsam::ConsentScope::Handover as i32,
        })
        .await
        .expect("withdrawn after delivery");
    let db = suite.database(ServiceKind::Ungsam).await;
    let history = count_rows(&db, "status_change").await;
    let refused = suite
        .ungsam_from(Workload::Insatser, KOMMUN)
        .receive_handover_outcome(ungsam::ReceiveHandoverOutcomeRequest {
            report_id: new_request_id(),
            handover_id: handover.handover_id.clone(),
            outcome: ExitOutcome::Studies as i32,
            exited_on: Some(calendar_date(today())),
        })
        .await
        .expect_err("no consent in force");
    assert_eq!(refused.code(), Code::FailedPrecondition);
    assert!(refused.message().contains("consent"), "{}", refused.message());
    let unchanged = person(&suite, &id).await;
    assert_eq!(unchanged.status, ungsam::YoungPersonStatus::InActivity as i32, "not exited");
    assert_eq!(unchanged.handover.map(|h| h.outcome), Some(ExitOutcome::Unspecified as i32), "nothing stored");
    assert_eq!(count_rows(&db, "status_change").await, history);
    suite
}
backend_tests!(an_outcome_is_not_stored_once_the_consent_to_the_handover_is_withdrawn);

async fn a_consent_withdrawn_before_delivery_cancels_the_handover(mut suite: TestSuite) -> TestSuite {
    let id = suite.young_person_in_dialogue(901, &[ungsam::ConsentScope::Handover]).await;
    let mut client = suite.ungsam(Role::Ungdomscoach, KOMMUN);
    suite.stop(ServiceKind::Insatser).await;
    let handover = client
        .hand_over(hand_over(&id, &new_request_id()))
        .await
        .expect("accepted")
        .into_inner()
        .handover
        .expect("handover");
    client
        .withdraw_consent(ungsam::WithdrawConsentRequest {
            young_person_id: id.clone(),
            scope: ungsam::ConsentScope::Handover as i32,
        })
        .await
        .expect("withdrawn");
    assert_eq!(person(&suite, &id).await.handover.map(|h| h.state), Some(ungsam::HandoverState::Cancelled as i32));
    suite.restart(ServiceKind::Insatser).await;
    let db = suite.database(ServiceKind::Ungsam).await;
    eventually("the delivery is closed", || async {
        trappan_platform::delivery::entity::Entity::find()
            .all(&db)
            .await
            .expect("deliveries")
            .iter()
            .all(|delivery| delivery.delivered_at.is_some())
    })
    .await;
    assert!(participants(&suite).await.iter().all(|p| p.referral_id != handover.handover_id));
    assert_eq!(person(&suite, &id).await.handover.map(|h| h.state), Some(ungsam::HandoverState::Cancelled as i32));
    suite
}
backend_tests!(a_consent_withdrawn_before_delivery_cancels_the_handover);
