//! insatser through its gRPC API, on SQLite and PostgreSQL: a referral from bistand becomes a participant
//! with a plan whose history is kept; unexcused absence beyond the unit's threshold is reported to bistand
//! once per period and only with consent; follow-ups fall due on schedule and turn overdue; exit ends the
//! path, is reported to the referring unit and is fed to rapport; municipalities never see each other's
//! participants; bad input names its fields.

use crate::common;

use std::time::Duration;

use common::{KOMMUN, OTHER_KOMMUN, TestSuite, backend_tests, count_rows, date, eventually, new_request_id, number};
use futures::StreamExt;
use prost::{Message, Name};
use sea_orm::{ConnectionTrait, Statement};
use tonic::Code;
use tonic_types::StatusExt;
use trappan_api::bistand::v1 as bistand;
use trappan_api::common::v1::{AgeBand, Date, ExitOutcome, PersonIdentityNumber};
use trappan_api::insatser::v1 as insatser;
use trappan_api::ungsam::v1 as ungsam;
use trappan_platform::auth::{Role, Workload};
use trappan_platform::config::ServiceKind;

fn koordinator(
    suite: &TestSuite,
) -> trappan_api::insatser::v1::insatser_service_client::InsatserServiceClient<common::Authed> {
    suite.insatser(Role::Arbetsmarknadskoordinator, KOMMUN)
}

fn activity(kind: &str, hours: i32, start: Option<Date>, end: Option<Date>) -> insatser::PlannedActivity {
    insatser::PlannedActivity { kind: kind.into(), weekly_hours: hours, start_date: start, end_date: end }
}

fn plan(participant_id: &str, step: &str) -> insatser::Plan {
    insatser::Plan {
        participant_id: participant_id.into(),
        goal: insatser::PlanGoalKind::Work as i32,
        current_step: step.into(),
        activities: vec![
            activity("work_training", 20, date(2020, 1, 6), date(2020, 6, 30)),
            activity("cv_writing", 2, date(2020, 1, 13), date(2020, 1, 31)),
        ],
        decided_on: date(2020, 1, 6),
        ..Default::default()
    }
}

async fn create_plan(suite: &TestSuite, participant_id: &str) -> insatser::Plan {
    koordinator(suite)
        .create_plan(insatser::CreatePlanRequest {
            request_id: new_request_id(),
            plan: Some(plan(participant_id, "work_training")),
        })
        .await
        .expect("plan")
        .into_inner()
        .plan
        .expect("plan")
}

async fn register(suite: &TestSuite, kommun: &str, serial: u32, registered_on: Option<Date>) -> insatser::Participant {
    suite
        .insatser(Role::Arbetsmarknadskoordinator, kommun)
        .create_participant(insatser::CreateParticipantRequest {
            request_id: new_request_id(),
            participant: Some(insatser::Participant {
                person_identity_number: Some(PersonIdentityNumber { value: number((1990, 6, 14, serial)) }),
                given_name: "Test".into(),
                family_name: "Testsson".into(),
                source: insatser::ReferralSource::Self_ as i32,
                registered_on,
                born_abroad: Some(true),
                ..Default::default()
            }),
        })
        .await
        .expect("registered")
        .into_inner()
        .participant
        .expect("participant")
}

async fn start(suite: &TestSuite, participant_id: &str, kind: &str, employer_id: &str) -> insatser::Intervention {
    koordinator(suite)
        .start_intervention(insatser::StartInterventionRequest {
            request_id: new_request_id(),
            intervention: Some(insatser::Intervention {
                participant_id: participant_id.into(),
                kind: kind.into(),
                start_date: date(2020, 2, 3),
                planned_end_date: date(2020, 5, 29),
                weekly_hours: 20,
                employer_id: employer_id.into(),
                ..Default::default()
            }),
        })
        .await
        .expect("started")
        .into_inner()
        .intervention
        .expect("intervention")
}

async fn attend(
    suite: &TestSuite,
    intervention_id: &str,
    day: Option<Date>,
    status: insatser::AttendanceStatus,
) -> insatser::RecordAttendanceResponse {
    koordinator(suite)
        .record_attendance(insatser::RecordAttendanceRequest {
            request_id: new_request_id(),
            intervention_id: intervention_id.into(),
            date: day,
            period: insatser::AttendancePeriod::Occasion as i32,
            status: status as i32,
        })
        .await
        .expect("attendance")
        .into_inner()
}

/// Every event of the caller's municipality's insatser feed committed so far.
async fn feed(suite: &TestSuite, kommun: &str) -> Vec<prost_types::Any> {
    let mut stream = suite
        .insatser_from(Workload::Rapport, kommun)
        .stream_changes(insatser::StreamChangesRequest { after_sequence: 0 })
        .await
        .expect("stream")
        .into_inner();
    let mut events = Vec::new();
    while let Ok(Some(Ok(message))) = tokio::time::timeout(Duration::from_millis(700), stream.next()).await {
        events.extend(message.event.and_then(|e| e.payload));
    }
    events
}

fn decoded<M: Message + Name + Default>(events: &[prost_types::Any]) -> Vec<M> {
    events
        .iter()
        .filter(|e| e.type_url == M::type_url())
        .map(|e| M::decode(e.value.as_slice()).expect("event"))
        .collect()
}

/// The reports insatser has enqueued for bistand, oldest first.
async fn bistand_reports(suite: &TestSuite) -> Vec<bistand::ReceiveLabourMarketReportRequest> {
    let db = suite.database(ServiceKind::Insatser).await;
    let rows = db
        .query_all_raw(Statement::from_string(
            db.get_database_backend(),
            "SELECT payload FROM outbound_delivery WHERE kind = 'labour_market_report' ORDER BY created_at",
        ))
        .await
        .expect("deliveries");
    rows.iter()
        .map(|row| {
            let payload: Vec<u8> = row.try_get("", "payload").expect("payload");
            bistand::ReceiveLabourMarketReportRequest::decode(payload.as_slice()).expect("report")
        })
        .collect()
}

fn fields(status: &tonic::Status) -> Vec<String> {
    status
        .get_error_details()
        .bad_request()
        .map(|b| b.field_violations.iter().map(|v| v.field.clone()).collect())
        .unwrap_or_default()
}

async fn a_referral_from_bistand_becomes_a_participant_with_a_plan_whose_history_is_kept(
    suite: TestSuite,
) -> TestSuite {
    let referral = suite.referred(11, &[bistand::ConsentScope::Referral, bistand::ConsentScope::ReportBack]).await;
    let mut client = koordinator(&suite);
    let participant = client
        .get_participant(insatser::GetParticipantRequest { participant_id: referral.insatser_participant_id.clone() })
        .await
        .expect("participant")
        .into_inner()
        .participant
        .expect("participant");
    assert_eq!(participant.source, insatser::ReferralSource::EkonomisktBistand as i32);
    assert_eq!(participant.status, insatser::ParticipantStatus::Active as i32);
    assert_eq!(participant.consent_id, referral.consent_id);
    assert_eq!(participant.reason, "Behöver stöd mot arbete");
    assert!(participant.report_back_allowed);

    // Delivered again: still one participant.
    let again = suite
        .insatser_from(Workload::Bistand, KOMMUN)
        .receive_referral(insatser::ReceiveReferralRequest {
            referral_id: referral.referral_id.clone(),
            source: insatser::ReferralSource::EkonomisktBistand as i32,
            person_identity_number: Some(PersonIdentityNumber { value: number((1990, 6, 14, 11)) }),
            given_name: "Test".into(),
            family_name: "Testsson".into(),
            consent_id: referral.consent_id.clone(),
            report_back_allowed: true,
            reason: "Behöver stöd mot arbete".into(),
        })
        .await
        .expect("redelivered")
        .into_inner()
        .participant
        .expect("participant");
    assert_eq!(again.participant_id, participant.participant_id);
    assert_eq!(count_rows(&suite.database(ServiceKind::Insatser).await, "participant").await, 1);

    // The plan: created once (a retry returns it), then revised; both revisions kept.
    let request_id = new_request_id();
    let first = client
        .create_plan(insatser::CreatePlanRequest {
            request_id: request_id.clone(),
            plan: Some(plan(&participant.participant_id, "work_training")),
        })
        .await
        .expect("plan")
        .into_inner()
        .plan
        .expect("plan");
    let retried = client
        .create_plan(insatser::CreatePlanRequest {
            request_id,
            plan: Some(plan(&participant.participant_id, "work_training")),
        })
        .await
        .expect("retry")
        .into_inner()
        .plan
        .expect("plan");
    assert_eq!(first.plan_id, retried.plan_id);
    assert_eq!(first.revision, 1);
    assert_eq!(first.responsible_coordinator, "tester");
    let second_plan = client
        .create_plan(insatser::CreatePlanRequest {
            request_id: new_request_id(),
            plan: Some(plan(&participant.participant_id, "work_training")),
        })
        .await
        .expect_err("a second first plan");
    assert_eq!(second_plan.code(), Code::FailedPrecondition);
    assert!(bistand_reports(&suite).await.is_empty(), "a first plan is not a change");

    let revised = client
        .revise_plan(insatser::RevisePlanRequest {
            request_id: new_request_id(),
            plan: Some(insatser::Plan {
                decided_on: date(2020, 3, 2),
                ..plan(&participant.participant_id, "internship")
            }),
        })
        .await
        .expect("revised")
        .into_inner()
        .plan
        .expect("plan");
    assert_eq!(revised.revision, 2);
    let current = client
        .get_plan(insatser::GetPlanRequest { participant_id: participant.participant_id.clone() })
        .await
        .expect("plan")
        .into_inner()
        .plan
        .expect("plan");
    assert_eq!((current.revision, current.current_step.as_str()), (2, "internship"));
    let history = client
        .list_plan_revisions(insatser::ListPlanRevisionsRequest {
            participant_id: participant.participant_id.clone(),
            page_size: 1,
            ..Default::default()
        })
        .await
        .expect("history")
        .into_inner();
    assert_eq!(history.plans.len(), 1);
    assert!(!history.next_page_token.is_empty());
    let older = client
        .list_plan_revisions(insatser::ListPlanRevisionsRequest {
            participant_id: participant.participant_id.clone(),
            page_size: 1,
            page_token: history.next_page_token,
        })
        .await
        .expect("history")
        .into_inner();
    assert_eq!(older.plans[0].revision, 1);
    assert_eq!(older.plans[0].current_step, "work_training", "revision 1 is never overwritten");

    // The step changed: bistand gets PLAN_CHANGED about its referral.
    let reports = bistand_reports(&suite).await;
    assert_eq!(reports.len(), 1);
    assert_eq!(reports[0].kind, bistand::LabourMarketReportKind::PlanChanged as i32);
    assert_eq!(reports[0].referral_id, referral.referral_id);
    assert_eq!(reports[0].summary, "Mål: Arbete. Aktuellt steg: Praktik.");

    // The registration event is pseudonymous and carries the age band (born 1990, registered today).
    let registered: Vec<insatser::ParticipantRegisteredEvent> = decoded(&feed(&suite, KOMMUN).await);
    assert_eq!(registered.len(), 1);
    assert_eq!(registered[0].participant_id, participant.participant_id);
    assert_ne!(registered[0].age_band, AgeBand::Unspecified as i32);
    assert!(registered[0].registered_on.is_some());
    suite
}
backend_tests!(a_referral_from_bistand_becomes_a_participant_with_a_plan_whose_history_is_kept);

async fn unexcused_absence_beyond_the_threshold_is_reported_once_and_only_with_consent(suite: TestSuite) -> TestSuite {
    let allowed = suite.referred(21, &[bistand::ConsentScope::Referral, bistand::ConsentScope::ReportBack]).await;
    let not_allowed = suite.referred(22, &[bistand::ConsentScope::Referral]).await;
    let with_consent = start(&suite, &allowed.insatser_participant_id, "work_training", "").await;
    let without_consent = start(&suite, &not_allowed.insatser_participant_id, "work_training", "").await;
    use insatser::AttendanceStatus::{Excused, Present, Unexcused};

    for intervention in [&with_consent, &without_consent] {
        let id = &intervention.intervention_id;
        assert!(!attend(&suite, id, date(2020, 2, 3), Present).await.threshold_reached);
        assert!(!attend(&suite, id, date(2020, 2, 4), Unexcused).await.threshold_reached);
        assert!(!attend(&suite, id, date(2020, 2, 5), Excused).await.threshold_reached);
        let second = attend(&suite, id, date(2020, 2, 10), Unexcused).await;
        assert_eq!((second.unexcused_in_window, second.threshold_reached), (2, false));
    }
    // The third unexcused absence within 28 days reaches the default threshold.
    let reached = attend(&suite, &with_consent.intervention_id, date(2020, 2, 20), Unexcused).await;
    assert_eq!(reached.unexcused_in_window, 3);
    assert!(reached.threshold_reached && reached.reported_to_bistand);
    let reached = attend(&suite, &without_consent.intervention_id, date(2020, 2, 20), Unexcused).await;
    assert!(reached.threshold_reached);
    assert!(!reached.reported_to_bistand, "no consent to report back: nothing is sent");
    // A fourth in the same period is not reported again.
    let fourth = attend(&suite, &with_consent.intervention_id, date(2020, 2, 24), Unexcused).await;
    assert!(fourth.threshold_reached && !fourth.reported_to_bistand);

    // Three more after that period make a new period, reported once more.
    assert!(!attend(&suite, &with_consent.intervention_id, date(2020, 2, 27), Unexcused).await.reported_to_bistand);
    let next_period = attend(&suite, &with_consent.intervention_id, date(2020, 3, 2), Unexcused).await;
    assert!(next_period.reported_to_bistand);

    let reports = bistand_reports(&suite).await;
    assert_eq!(reports.len(), 2, "two periods, about the participant whose consent allows it");
    assert_eq!((reports[1].unexcused_absences, reports[1].period_start), (3, date(2020, 2, 24)));
    assert_eq!(reports[0].kind, bistand::LabourMarketReportKind::UnexcusedAbsence as i32);
    assert_eq!(reports[0].referral_id, allowed.referral_id);
    assert_eq!(reports[0].unexcused_absences, 3);
    assert_eq!(reports[0].period_start, date(2020, 2, 4));
    assert_eq!(reports[0].occurred_on, date(2020, 2, 20));

    // The same occasion registered twice is refused; a retried request records nothing twice.
    let twice = koordinator(&suite)
        .record_attendance(insatser::RecordAttendanceRequest {
            request_id: new_request_id(),
            intervention_id: with_consent.intervention_id.clone(),
            date: date(2020, 2, 3),
            period: insatser::AttendancePeriod::Occasion as i32,
            status: Present as i32,
        })
        .await
        .expect_err("twice");
    assert_eq!(twice.code(), Code::AlreadyExists);

    // The delivery worker is trying to hand the report to bistand.
    let db = suite.database(ServiceKind::Insatser).await;
    eventually("the report was attempted", || async {
        count_rows(&db, "outbound_delivery WHERE delivered_at IS NOT NULL OR attempts > 0").await >= 1
    })
    .await;
    suite
}
backend_tests!(unexcused_absence_beyond_the_threshold_is_reported_once_and_only_with_consent);

async fn follow_ups_fall_due_on_schedule_and_show_as_overdue_when_missed(suite: TestSuite) -> TestSuite {
    let participant = register(&suite, KOMMUN, 31, date(2020, 1, 6)).await;
    create_plan(&suite, &participant.participant_id).await;
    let mut client = koordinator(&suite);
    let list = |as_of: Option<Date>, only_overdue: bool| {
        let mut client = koordinator(&suite);
        async move {
            client
                .list_follow_ups(insatser::ListFollowUpsRequest { as_of, only_overdue, ..Default::default() })
                .await
                .expect("follow-ups")
                .into_inner()
                .follow_ups
        }
    };
    // The plan starts 6 January 2020: the first follow-up is due four weeks later, 3 February.
    assert!(list(date(2020, 2, 2), false).await.is_empty());
    let due = list(date(2020, 2, 3), false).await;
    assert_eq!(due.len(), 1);
    assert_eq!(
        (due[0].due_on, due[0].number, due[0].state),
        (date(2020, 2, 3), 1, insatser::FollowUpState::Due as i32)
    );
    assert_eq!(list(date(2020, 2, 10), false).await[0].state, insatser::FollowUpState::Due as i32);
    assert!(list(date(2020, 2, 10), true).await.is_empty());
    let overdue = list(date(2020, 2, 11), true).await;
    assert_eq!(overdue.len(), 1);
    assert_eq!(overdue[0].state, insatser::FollowUpState::Overdue as i32);

    // Done late: not on time; the next falls due at eight weeks.
    let recorded = client
        .record_follow_up(insatser::RecordFollowUpRequest {
            follow_up_id: overdue[0].follow_up_id.clone(),
            done_on: date(2020, 2, 20),
            progress: insatser::FollowUpProgress::OnTrack as i32,
            next_step: "Praktik i mars".into(),
        })
        .await
        .expect("recorded")
        .into_inner();
    let done = recorded.follow_up.expect("done");
    assert_eq!(done.state, insatser::FollowUpState::Done as i32);
    assert!(!done.on_time);
    assert_eq!(recorded.next.expect("next").due_on, date(2020, 3, 2));
    let again = client
        .record_follow_up(insatser::RecordFollowUpRequest {
            follow_up_id: done.follow_up_id.clone(),
            progress: insatser::FollowUpProgress::OnTrack as i32,
            ..Default::default()
        })
        .await
        .expect_err("recorded twice");
    assert_eq!(again.code(), Code::FailedPrecondition);
    let on_time = client
        .record_follow_up(insatser::RecordFollowUpRequest {
            follow_up_id: list(date(2020, 3, 2), false).await[0].follow_up_id.clone(),
            done_on: date(2020, 3, 3),
            progress: insatser::FollowUpProgress::Delayed as i32,
            next_step: String::new(),
        })
        .await
        .expect("on time")
        .into_inner();
    assert!(on_time.follow_up.expect("done").on_time);

    let events: Vec<insatser::FollowUpRecordedEvent> = decoded(&feed(&suite, KOMMUN).await);
    assert_eq!(events.iter().map(|e| e.on_time).collect::<Vec<_>>(), [false, true]);
    assert!(events.iter().all(|e| !e.after_exit));
    let mine = client
        .list_follow_ups(insatser::ListFollowUpsRequest {
            participant_id: participant.participant_id.clone(),
            as_of: date(2020, 3, 3),
            ..Default::default()
        })
        .await
        .expect("participant's follow-ups")
        .into_inner()
        .follow_ups;
    assert_eq!(mine.len(), 3, "two done and the next scheduled");
    suite
}
backend_tests!(follow_ups_fall_due_on_schedule_and_show_as_overdue_when_missed);

async fn exit_ends_the_path_is_reported_to_the_referring_unit_and_fed_to_rapport(suite: TestSuite) -> TestSuite {
    let referral = suite.referred(41, &[bistand::ConsentScope::Referral, bistand::ConsentScope::ReportBack]).await;
    let id = referral.insatser_participant_id.clone();
    create_plan(&suite, &id).await;
    let mut client = koordinator(&suite);
    let employer = client
        .create_employer(insatser::CreateEmployerRequest {
            request_id: new_request_id(),
            employer: Some(insatser::Employer {
                name: "Markaryds Trä AB".into(),
                organisation_number: "556123-4567".into(),
                sector: insatser::EmployerSector::Private as i32,
                industry: "Tillverkning".into(),
                ..Default::default()
            }),
        })
        .await
        .expect("employer")
        .into_inner()
        .employer
        .expect("employer");
    let placement = start(&suite, &id, "internship", &employer.employer_id).await;
    let placements = client
        .list_interventions(insatser::ListInterventionsRequest {
            employer_id: employer.employer_id.clone(),
            ..Default::default()
        })
        .await
        .expect("placements")
        .into_inner()
        .interventions;
    assert_eq!(
        placements.iter().map(|i| i.intervention_id.as_str()).collect::<Vec<_>>(),
        [placement.intervention_id.as_str()]
    );

    let exit = insatser::ExitParticipantRequest {
        participant_id: id.clone(),
        outcome: ExitOutcome::OrdinaryEmployment as i32,
        exited_on: date(2020, 6, 15),
    };
    let exited = client.exit_participant(exit.clone()).await.expect("exit").into_inner();
    let participant = exited.participant.expect("participant");
    assert_eq!(participant.status, insatser::ParticipantStatus::Exited as i32);
    assert_eq!(participant.exit_outcome, ExitOutcome::OrdinaryEmployment as i32);
    let after: Vec<(Option<Date>, i32)> = exited.follow_ups.iter().map(|f| (f.due_on, f.months_after_exit)).collect();
    assert_eq!(after, [(date(2020, 9, 15), 3), (date(2020, 12, 15), 6), (date(2021, 6, 15), 12)]);
    // Repeating the same exit is harmless; another is refused, and so is new work.
    client.exit_participant(exit.clone()).await.expect("same exit again");
    let other = client
        .exit_participant(insatser::ExitParticipantRequest { outcome: ExitOutcome::Studies as i32, ..exit })
        .await
        .expect_err("another exit");
    assert_eq!(other.code(), Code::FailedPrecondition);
    let late = client
        .start_intervention(insatser::StartInterventionRequest {
            request_id: new_request_id(),
            intervention: Some(insatser::Intervention {
                participant_id: id.clone(),
                kind: "cv_writing".into(),
                planned_end_date: date(2020, 7, 1),
                start_date: date(2020, 6, 20),
                weekly_hours: 2,
                ..Default::default()
            }),
        })
        .await
        .expect_err("after exit");
    assert_eq!(late.code(), Code::FailedPrecondition);
    let open = client
        .list_interventions(insatser::ListInterventionsRequest {
            participant_id: id.clone(),
            only_open: true,
            ..Default::default()
        })
        .await
        .expect("open")
        .into_inner()
        .interventions;
    assert!(open.is_empty(), "exit ended the placement");

    let reports = bistand_reports(&suite).await;
    assert_eq!(reports.len(), 1);
    assert_eq!(reports[0].kind, bistand::LabourMarketReportKind::Exited as i32);
    assert_eq!(reports[0].exit_outcome, ExitOutcome::OrdinaryEmployment as i32);
    assert_eq!(reports[0].occurred_on, date(2020, 6, 15));

    let events = feed(&suite, KOMMUN).await;
    let exits: Vec<insatser::ParticipantExitedEvent> = decoded(&events);
    assert_eq!(exits.len(), 1);
    assert_eq!(exits[0].participant_id, id);
    assert_eq!(exits[0].outcome, ExitOutcome::OrdinaryEmployment as i32);
    assert_eq!(exits[0].source, insatser::ReferralSource::EkonomisktBistand as i32);
    // The path started with the plan on 6 January 2020.
    assert_eq!(exits[0].days_in_programme, 161);
    let ended: Vec<insatser::InterventionEndedEvent> = decoded(&events);
    assert_eq!(ended.iter().map(|e| e.ended_on).collect::<Vec<_>>(), [date(2020, 6, 15)]);
    assert_eq!(decoded::<insatser::InterventionStartedEvent>(&events).len(), 1);

    // An Ungsam handover with consent gets its outcome back.
    let handed_over = suite
        .insatser_from(Workload::Ungsam, KOMMUN)
        .receive_referral(insatser::ReceiveReferralRequest {
            referral_id: new_request_id(),
            source: insatser::ReferralSource::Ungsam as i32,
            person_identity_number: Some(PersonIdentityNumber {
                value: trappan::demo::demo_personnummer(2003, 4, 2, 42),
            }),
            given_name: "Ung".into(),
            family_name: "Testsson".into(),
            consent_id: new_request_id(),
            report_back_allowed: true,
            reason: "Överlämnad från Ungsam".into(),
        })
        .await
        .expect("handover")
        .into_inner()
        .participant
        .expect("participant");
    client
        .exit_participant(insatser::ExitParticipantRequest {
            participant_id: handed_over.participant_id.clone(),
            outcome: ExitOutcome::Studies as i32,
            exited_on: None,
        })
        .await
        .expect("exit");
    let db = suite.database(ServiceKind::Insatser).await;
    let rows = db
        .query_all_raw(Statement::from_string(
            db.get_database_backend(),
            "SELECT payload FROM outbound_delivery WHERE kind = 'handover_outcome'",
        ))
        .await
        .expect("deliveries");
    assert_eq!(rows.len(), 1);
    let payload: Vec<u8> = rows[0].try_get("", "payload").expect("payload");
    let outcome = ungsam::ReceiveHandoverOutcomeRequest::decode(payload.as_slice()).expect("outcome");
    assert_eq!(outcome.handover_id, handed_over.referral_id);
    assert_eq!(outcome.outcome, ExitOutcome::Studies as i32);
    let registered: Vec<insatser::ParticipantRegisteredEvent> = decoded(&feed(&suite, KOMMUN).await);
    assert_eq!(registered.last().map(|e| e.age_band), Some(AgeBand::AgeBand1824 as i32));

    let exited = client
        .list_participants(insatser::ListParticipantsRequest {
            status: insatser::ParticipantStatus::Exited as i32,
            ..Default::default()
        })
        .await
        .expect("exited")
        .into_inner()
        .participants;
    assert_eq!(exited.len(), 2);
    let active = client
        .list_participants(insatser::ListParticipantsRequest {
            status: insatser::ParticipantStatus::Active as i32,
            ..Default::default()
        })
        .await
        .expect("active")
        .into_inner()
        .participants;
    assert!(active.is_empty());
    suite
}
backend_tests!(exit_ends_the_path_is_reported_to_the_referring_unit_and_fed_to_rapport);

async fn municipalities_are_isolated_and_bad_input_names_its_fields(suite: TestSuite) -> TestSuite {
    let participant = register(&suite, KOMMUN, 51, None).await;
    assert_eq!(participant.born_abroad, Some(true));
    create_plan(&suite, &participant.participant_id).await;
    let intervention = start(&suite, &participant.participant_id, "work_training", "").await;

    let mut other = suite.insatser(Role::Arbetsmarknadskoordinator, OTHER_KOMMUN);
    let plan = other
        .get_plan(insatser::GetPlanRequest { participant_id: participant.participant_id.clone() })
        .await
        .expect_err("not theirs");
    assert_eq!(plan.code(), Code::NotFound);
    let attendance = other
        .record_attendance(insatser::RecordAttendanceRequest {
            request_id: new_request_id(),
            intervention_id: intervention.intervention_id.clone(),
            date: date(2020, 2, 3),
            period: insatser::AttendancePeriod::Week as i32,
            status: insatser::AttendanceStatus::Present as i32,
        })
        .await
        .expect_err("not theirs");
    assert_eq!(attendance.code(), Code::NotFound);
    let started = other
        .start_intervention(insatser::StartInterventionRequest {
            request_id: new_request_id(),
            intervention: Some(insatser::Intervention {
                participant_id: participant.participant_id.clone(),
                kind: "work_training".into(),
                planned_end_date: date(2020, 3, 1),
                start_date: date(2020, 2, 1),
                weekly_hours: 10,
                ..Default::default()
            }),
        })
        .await
        .expect_err("not theirs");
    assert_eq!(started.code(), Code::NotFound);
    let follow_ups = other
        .list_follow_ups(insatser::ListFollowUpsRequest { as_of: date(2030, 1, 1), ..Default::default() })
        .await
        .expect("list")
        .into_inner()
        .follow_ups;
    assert!(follow_ups.is_empty());
    let interventions =
        other.list_interventions(insatser::ListInterventionsRequest::default()).await.expect("list").into_inner();
    assert!(interventions.interventions.is_empty());
    assert!(feed(&suite, OTHER_KOMMUN).await.is_empty());

    // Validation: every bad field named, nothing stored.
    let mut client = koordinator(&suite);
    let bad_plan = client
        .revise_plan(insatser::RevisePlanRequest {
            request_id: new_request_id(),
            plan: Some(insatser::Plan {
                participant_id: participant.participant_id.clone(),
                goal: insatser::PlanGoalKind::LadderStep as i32,
                goal_step: "the_moon".into(),
                current_step: "nowhere".into(),
                activities: vec![activity("knitting", 0, date(2020, 3, 1), date(2020, 2, 1))],
                ..Default::default()
            }),
        })
        .await
        .expect_err("invalid");
    assert_eq!(bad_plan.code(), Code::InvalidArgument);
    let mut named = fields(&bad_plan);
    named.sort();
    assert_eq!(
        named,
        [
            "plan.activities[0].end_date",
            "plan.activities[0].kind",
            "plan.activities[0].weekly_hours",
            "plan.current_step",
            "plan.goal_step",
        ]
    );
    let bad_start = client
        .start_intervention(insatser::StartInterventionRequest {
            request_id: "not-a-uuid".into(),
            intervention: Some(insatser::Intervention {
                participant_id: participant.participant_id.clone(),
                kind: String::new(),
                start_date: date(2999, 1, 1),
                planned_end_date: date(2020, 2, 30),
                weekly_hours: 41,
                ..Default::default()
            }),
        })
        .await
        .expect_err("invalid");
    let mut named = fields(&bad_start);
    named.sort();
    assert_eq!(
        named,
        [
            "intervention.kind",
            "intervention.planned_end_date",
            "intervention.start_date",
            "intervention.weekly_hours",
            "request_id",
        ]
    );
    let bad_exit = client
        .exit_participant(insatser::ExitParticipantRequest {
            participant_id: participant.participant_id.clone(),
            outcome: ExitOutcome::Unspecified as i32,
            exited_on: date(2020, 2, 30),
        })
        .await
        .expect_err("invalid");
    let mut named = fields(&bad_exit);
    named.sort();
    assert_eq!(named, ["exited_on", "outcome"]);
    let bad_rules = suite
        .insatser(Role::Enhetschef, KOMMUN)
        .update_unit_rules(insatser::UpdateUnitRulesRequest {
            rules: Some(insatser::UnitRules {
                ladder: vec![],
                unexcused_absence_threshold: 0,
                unexcused_absence_window_days: 28,
                follow_up_interval_days: 28,
                follow_up_grace_days: 7,
            }),
        })
        .await
        .expect_err("invalid");
    let mut named = fields(&bad_rules);
    named.sort();
    assert_eq!(named, ["rules.ladder", "rules.unexcused_absence_threshold"]);
    let db = suite.database(ServiceKind::Insatser).await;
    assert_eq!(count_rows(&db, "plan_revision").await, 1);
    assert_eq!(count_rows(&db, "intervention").await, 1);
    assert_eq!(count_rows(&db, "unit_rules").await, 0);
    suite
}
backend_tests!(municipalities_are_isolated_and_bad_input_names_its_fields);

async fn the_unit_sets_its_own_threshold_ladder_and_catalogue(suite: TestSuite) -> TestSuite {
    let mut chef = suite.insatser(Role::Enhetschef, KOMMUN);
    let mut rules =
        chef.get_unit_rules(insatser::GetUnitRulesRequest {}).await.expect("rules").into_inner().rules.expect("rules");
    assert_eq!((rules.unexcused_absence_threshold, rules.unexcused_absence_window_days), (3, 28));
    assert_eq!(rules.ladder.len(), 6);
    rules.unexcused_absence_threshold = 2;
    rules.unexcused_absence_window_days = 7;
    rules.ladder.push(insatser::LadderStep { code: "volunteering".into(), label: "Volontärarbete".into(), level: 1 });
    chef.update_unit_rules(insatser::UpdateUnitRulesRequest { rules: Some(rules.clone()) }).await.expect("updated");
    rules.follow_up_grace_days = 3;
    chef.update_unit_rules(insatser::UpdateUnitRulesRequest { rules: Some(rules.clone()) }).await.expect("again");
    let saved =
        chef.get_unit_rules(insatser::GetUnitRulesRequest {}).await.expect("rules").into_inner().rules.expect("rules");
    assert_eq!((saved.unexcused_absence_threshold, saved.follow_up_grace_days), (2, 3));
    // The ladder is kept lowest level first.
    let codes: Vec<&str> = saved.ladder.iter().map(|s| s.code.as_str()).collect();
    assert_eq!(codes[..3], ["social_rehabilitation", "volunteering", "work_training"]);
    assert_eq!(codes.len(), 7);
    chef.create_catalogue_entry(insatser::CreateCatalogueEntryRequest {
        request_id: new_request_id(),
        entry: Some(insatser::CatalogueEntry {
            code: "forklift_course".into(),
            label: "Truckkort".into(),
            activity_type: insatser::ActivityType::Course as i32,
            built_in: false,
        }),
    })
    .await
    .expect("entry");
    let duplicate = chef
        .create_catalogue_entry(insatser::CreateCatalogueEntryRequest {
            request_id: new_request_id(),
            entry: Some(insatser::CatalogueEntry {
                code: "internship".into(),
                label: "Praktik".into(),
                activity_type: insatser::ActivityType::Internship as i32,
                built_in: false,
            }),
        })
        .await
        .expect_err("a built-in code");
    assert_eq!(duplicate.code(), Code::AlreadyExists);
    let entries = koordinator(&suite)
        .list_catalogue_entries(insatser::ListCatalogueEntriesRequest {})
        .await
        .expect("catalogue")
        .into_inner()
        .entries;
    assert_eq!(entries.len(), 11);
    assert!(entries.iter().any(|e| e.code == "forklift_course" && !e.built_in));

    let referral = suite.referred(61, &[bistand::ConsentScope::Referral, bistand::ConsentScope::ReportBack]).await;
    let mut client = koordinator(&suite);
    client
        .create_plan(insatser::CreatePlanRequest {
            request_id: new_request_id(),
            plan: Some(insatser::Plan {
                activities: vec![activity("forklift_course", 10, date(2020, 1, 6), date(2020, 2, 28))],
                ..plan(&referral.insatser_participant_id, "volunteering")
            }),
        })
        .await
        .expect("a plan on the unit's own ladder and catalogue");
    let course = start(&suite, &referral.insatser_participant_id, "forklift_course", "").await;
    use insatser::AttendanceStatus::Unexcused;
    assert!(!attend(&suite, &course.intervention_id, date(2020, 2, 3), Unexcused).await.threshold_reached);
    let reached = attend(&suite, &course.intervention_id, date(2020, 2, 9), Unexcused).await;
    assert!(reached.reported_to_bistand, "two within seven days under the unit's own rule");
    let mine = client
        .list_participants(insatser::ListParticipantsRequest { only_mine: true, ..Default::default() })
        .await
        .expect("mine")
        .into_inner()
        .participants;
    assert_eq!(mine.len(), 1);
    assert_eq!(mine[0].responsible_coordinator, "tester");
    let per_kind = client
        .list_interventions(insatser::ListInterventionsRequest { kind: "forklift_course".into(), ..Default::default() })
        .await
        .expect("per kind")
        .into_inner()
        .interventions;
    assert_eq!(per_kind.len(), 1);
    suite
}
backend_tests!(the_unit_sets_its_own_threshold_ladder_and_catalogue);

async fn interventions_end_once_and_weeks_count_as_one_occasion(suite: TestSuite) -> TestSuite {
    let participant = register(&suite, KOMMUN, 71, date(2020, 1, 6)).await;
    let intervention = start(&suite, &participant.participant_id, "group_activity", "").await;
    let mut client = koordinator(&suite);
    let week = |day: Option<Date>, request_id: String| insatser::RecordAttendanceRequest {
        request_id,
        intervention_id: intervention.intervention_id.clone(),
        date: day,
        period: insatser::AttendancePeriod::Week as i32,
        status: insatser::AttendanceStatus::Unexcused as i32,
    };
    // Wednesday and Friday of the same week are one registration of that week.
    let request_id = new_request_id();
    let first = client.record_attendance(week(date(2020, 2, 5), request_id.clone())).await.expect("week").into_inner();
    let retried = client.record_attendance(week(date(2020, 2, 5), request_id)).await.expect("retry").into_inner();
    assert_eq!(first.attendance_id, retried.attendance_id);
    let same_week = client.record_attendance(week(date(2020, 2, 7), new_request_id())).await.expect_err("same week");
    assert_eq!(same_week.code(), Code::AlreadyExists);
    let before = client.record_attendance(week(date(2020, 1, 27), new_request_id())).await.expect_err("before");
    assert_eq!(fields(&before), ["date"]);
    let db = suite.database(ServiceKind::Insatser).await;
    assert_eq!(count_rows(&db, "attendance").await, 1);

    let end = |day: Option<Date>| insatser::EndInterventionRequest {
        intervention_id: intervention.intervention_id.clone(),
        ended_on: day,
    };
    let too_early = client.end_intervention(end(date(2020, 1, 31))).await.expect_err("before start");
    assert_eq!(fields(&too_early), ["ended_on"]);
    let ended = client.end_intervention(end(date(2020, 3, 13))).await.expect("ended").into_inner();
    assert_eq!(ended.intervention.expect("intervention").ended_on, date(2020, 3, 13));
    client.end_intervention(end(date(2020, 3, 13))).await.expect("the same end again");
    let other_day = client.end_intervention(end(date(2020, 3, 20))).await.expect_err("ended");
    assert_eq!(other_day.code(), Code::FailedPrecondition);
    let after_end = client.record_attendance(week(date(2020, 3, 18), new_request_id())).await.expect_err("after");
    assert_eq!(fields(&after_end), ["date"]);
    let ended: Vec<insatser::InterventionEndedEvent> = decoded(&feed(&suite, KOMMUN).await);
    assert_eq!(ended.len(), 1, "ended once");
    assert_eq!(ended[0].kind, "group_activity");

    let missing = client
        .end_intervention(insatser::EndInterventionRequest {
            intervention_id: uuid::Uuid::now_v7().to_string(),
            ended_on: None,
        })
        .await
        .expect_err("unknown");
    assert_eq!(missing.code(), Code::NotFound);
    suite
}
backend_tests!(interventions_end_once_and_weeks_count_as_one_occasion);

/// The management report's list "active participants without a plan": ListParticipants with without_plan, for the
/// caller's municipality only, for the unit's roles only, each participant read audited.
async fn participants_without_a_plan_are_listed_for_the_unit_and_audited(suite: TestSuite) -> TestSuite {
    let planned = register(&suite, KOMMUN, 61, None).await;
    create_plan(&suite, &planned.participant_id).await;
    let waiting = register(&suite, KOMMUN, 62, None).await;
    register(&suite, OTHER_KOMMUN, 63, None).await;
    let request = insatser::ListParticipantsRequest {
        status: insatser::ParticipantStatus::Active as i32,
        without_plan: true,
        ..Default::default()
    };
    let listed = suite
        .insatser(Role::Enhetschef, KOMMUN)
        .list_participants(request.clone())
        .await
        .expect("the unit's manager lists them")
        .into_inner()
        .participants;
    let ids: Vec<&str> = listed.iter().map(|p| p.participant_id.as_str()).collect();
    assert_eq!(ids, [waiting.participant_id.as_str()], "only this municipality's participant without a plan");
    assert!(listed[0].responsible_coordinator.is_empty());
    let db = suite.database(ServiceKind::Insatser).await;
    let audited = format!(
        "audit_log WHERE rpc = '/trappan.insatser.v1.InsatserService/ListParticipants' AND subject_ref = '{}' \
         AND outcome = 'read' AND role = 'enhetschef'",
        waiting.participant_id
    );
    assert_eq!(count_rows(&db, &audited).await, 1, "the read is audited");

    let both = suite
        .insatser(Role::Arbetsmarknadskoordinator, KOMMUN)
        .list_participants(insatser::ListParticipantsRequest { only_mine: true, ..request.clone() })
        .await
        .expect_err("mine and without a plan exclude each other");
    assert_eq!(both.code(), Code::InvalidArgument);
    let other_unit = suite
        .insatser(Role::Socialsekreterare, KOMMUN)
        .list_participants(request)
        .await
        .expect_err("another unit's role");
    assert_eq!(other_unit.code(), Code::PermissionDenied);
    suite
}
backend_tests!(participants_without_a_plan_are_listed_for_the_unit_and_audited);
