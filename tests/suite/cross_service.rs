//! The units working together through their real gRPC paths, on SQLite and PostgreSQL: an exit at the
//! labour-market unit reaches the socialsekreterare's case when the person allowed reporting back, and
//! only then, and rapport counts it; a young person Ungsam handed over comes back exited with the outcome
//! of the path at the labour-market unit.

use crate::common;
use trappan_platform::testing::Backend;

use chrono::Datelike;
use common::{KOMMUN, TestSuite, calendar_date, eventually, new_request_id, today};
use trappan_api::bistand::v1 as bistand;
use trappan_api::common::v1::{ExitOutcome, YearMonth};
use trappan_api::insatser::v1 as insatser;
use trappan_api::rapport::v1 as rapport;
use trappan_api::ungsam::v1 as ungsam;
use trappan_platform::auth::Role;
use trappan_platform::config::ServiceKind;

async fn exit(suite: &TestSuite, participant_id: &str, outcome: ExitOutcome) {
    suite
        .insatser(Role::Arbetsmarknadskoordinator, KOMMUN)
        .exit_participant(insatser::ExitParticipantRequest {
            participant_id: participant_id.into(),
            outcome: outcome as i32,
            exited_on: Some(calendar_date(today())),
        })
        .await
        .expect("exit");
}

async fn case_reports(suite: &TestSuite, household_id: &str) -> bistand::ListCaseReportsResponse {
    suite
        .bistand(Role::Socialsekreterare, KOMMUN)
        .list_case_reports(bistand::ListCaseReportsRequest { household_id: household_id.into(), ..Default::default() })
        .await
        .expect("case reports")
        .into_inner()
}

async fn exits_counted_by_rapport(suite: &TestSuite) -> i64 {
    let month = YearMonth { year: today().year(), month: today().month() as i32 };
    suite
        .rapport(Role::Enhetschef, KOMMUN)
        .get_labour_market_report(rapport::GetLabourMarketReportRequest {
            period: Some(rapport::ReportPeriod { kind: Some(rapport::report_period::Kind::Month(month)) }),
        })
        .await
        .expect("labour-market report")
        .into_inner()
        .current
        .and_then(|figures| figures.exits)
        .map_or(0, |count| count.value)
}

async fn an_exit_to_work_reaches_the_case_only_with_consent_and_rapport_counts_it(backend: Backend) {
    // Two exits are below the default threshold; lower it so the count itself can be checked.
    let suite = TestSuite::spawn_with(backend, |settings| settings.rapport.suppression_threshold = 1).await;
    let with_report_back =
        suite.referred(301, &[bistand::ConsentScope::Referral, bistand::ConsentScope::ReportBack]).await;
    let referral_only = suite.referred(302, &[bistand::ConsentScope::Referral]).await;
    exit(&suite, &referral_only.insatser_participant_id, ExitOutcome::OrdinaryEmployment).await;
    exit(&suite, &with_report_back.insatser_participant_id, ExitOutcome::OrdinaryEmployment).await;

    eventually("the exit reaches the socialsekreterare's case", || async {
        case_reports(&suite, &with_report_back.household_id).await.reports.iter().any(|report| {
            report.kind == bistand::LabourMarketReportKind::Exited as i32
                && report.exit_outcome == ExitOutcome::OrdinaryEmployment as i32
        })
    })
    .await;
    let reported = case_reports(&suite, &with_report_back.household_id).await;
    assert_eq!(reported.reports.len(), 1);
    assert!(!reported.has_active_plan, "an exited person has no active plan");

    // Without consent to report back insatser sends nothing: no delivery to bistand was ever queued for it.
    let insatser_db = suite.database(ServiceKind::Insatser).await;
    assert_eq!(common::count_rows(&insatser_db, "outbound_delivery").await, 1, "only the consented exit");
    assert!(case_reports(&suite, &referral_only.household_id).await.reports.is_empty());

    eventually("rapport counts both exits", || async { exits_counted_by_rapport(&suite).await == 2 }).await;
    suite.shutdown().await;
}

async fn a_young_person_handed_over_by_ungsam_comes_back_exited_with_the_outcome_of_the_path(backend: Backend) {
    let suite = TestSuite::spawn(backend).await;
    let id = suite.young_person_in_dialogue(303, &[ungsam::ConsentScope::Handover]).await;
    let coach = suite.ungsam(Role::Ungdomscoach, KOMMUN);
    coach
        .clone()
        .hand_over(ungsam::HandOverRequest {
            request_id: new_request_id(),
            young_person_id: id.clone(),
            reason: "vill börja studera".into(),
        })
        .await
        .expect("handover");

    let get = || {
        let mut coach = coach.clone();
        let id = id.clone();
        async move {
            coach
                .get_young_person(ungsam::GetYoungPersonRequest { young_person_id: id })
                .await
                .expect("get")
                .into_inner()
                .young_person
                .expect("young person")
        }
    };
    eventually("insatser has the participant", || async {
        get().await.handover.is_some_and(|h| h.state == ungsam::HandoverState::Delivered as i32)
    })
    .await;
    let participant_id = get().await.handover.expect("handover").participant_id;
    exit(&suite, &participant_id, ExitOutcome::Studies).await;

    eventually("the outcome comes back to Ungsam", || async {
        get().await.status == ungsam::YoungPersonStatus::ExitedStudies as i32
    })
    .await;
    assert_eq!(get().await.exit_outcome, ExitOutcome::Studies as i32);
    suite.shutdown().await;
}

common::backend_tests!(on_backend multi_thread: an_exit_to_work_reaches_the_case_only_with_consent_and_rapport_counts_it, a_young_person_handed_over_by_ungsam_comes_back_exited_with_the_outcome_of_the_path);
