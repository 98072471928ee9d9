//! rapport's reports from events of all three feeds: each event ends up in the right figure, an omprövning
//! replaces the figures of the decision it supersedes, a replayed event counts once, and municipalities never
//! see each other's figures. Events are applied through the followers' ingestion path (the producers emit
//! most of them on other branches).

use super::support as rapport_support;
use crate::common;
use trappan_platform::testing::Backend;

use common::{KOMMUN, TestSuite, eventually, new_request_id};
use rapport_support::{FED_KOMMUN, Feeder, date, granted, money, month, month_period, shown, suppressed, year_period};
use tonic::Code;
use tonic_types::StatusExt;
use trappan_api::bistand::v1 as bistand;
use trappan_api::common::v1::{ExitOutcome, YearMonth};
use trappan_api::insatser::v1 as insatser;
use trappan_api::rapport::v1 as rapport;
use trappan_api::ungsam::v1 as ungsam;
use trappan_platform::auth::{Role, Workload};
use trappan_rapport::follower::Producer;

async fn feed_bistand(feeder: &mut Feeder) {
    // August 2019: 8 granted households (4 with two adults and a child, 4 single adults), one refusal.
    for h in 0..8 {
        let children = i32::from(h < 4);
        let adults = if h < 4 { 2 } else { 1 };
        feeder
            .send(
                Producer::Bistand,
                bistand::HouseholdRegisteredEvent {
                    household_id: format!("h{h}"),
                    persons: adults + children,
                    adults,
                    children,
                },
            )
            .await;
        feeder
            .send(Producer::Bistand, granted(&format!("dh{h}"), &format!("h{h}"), (2019, 8), adults, children, 800_000))
            .await;
    }
    feeder
        .send(
            Producer::Bistand,
            bistand::DecisionMadeEvent {
                decision_id: "refused".into(),
                household_id: "h8".into(),
                month: month(2019, 8),
                outcome: bistand::DecisionOutcome::Refused as i32,
                persons: 1,
                adults: 1,
                ..Default::default()
            },
        )
        .await;
    feeder
        .send(
            Producer::Bistand,
            bistand::PaymentStatusChangedEvent {
                payment_id: "p2019".into(),
                decision_id: "dh0".into(),
                household_id: "h0".into(),
                month: month(2019, 8),
                amount: money(70_000),
                status: bistand::PaymentStatus::Paid as i32,
                effective_on: date(2019, 8, 25),
            },
        )
        .await;
    // g0 has assistance every month November 2019 – August 2020 (10 months: long-term), two adults, two children.
    for (i, (y, m)) in
        [(2019, 11), (2019, 12), (2020, 1), (2020, 2), (2020, 3), (2020, 4), (2020, 5), (2020, 6), (2020, 7), (2020, 8)]
            .into_iter()
            .enumerate()
    {
        feeder.send(Producer::Bistand, granted(&format!("dg0-{i}"), "g0", (y, m), 2, 2, 900_000)).await;
    }
    // g1–g5 only in August 2020; g1's decision is replaced on omprövning by one with three children.
    for g in 1..6 {
        feeder.send(Producer::Bistand, granted(&format!("dg{g}"), &format!("g{g}"), (2020, 8), 1, 0, 500_000)).await;
    }
    let mut omprovning = granted("dg1-omprovning", "g1", (2020, 8), 2, 3, 1_200_000);
    omprovning.supersedes_decision_id = "dg1".into();
    feeder.send(Producer::Bistand, omprovning).await;
    for (payment, household, ore, status, day) in [
        ("pg0", "g0", 100_000, bistand::PaymentStatus::Paid, 25),
        ("pg1", "g1", 50_000, bistand::PaymentStatus::Planned, 20),
        ("pg1", "g1", 50_000, bistand::PaymentStatus::Paid, 26),
        ("pg2", "g2", 30_000, bistand::PaymentStatus::Stopped, 27),
    ] {
        feeder
            .send(
                Producer::Bistand,
                bistand::PaymentStatusChangedEvent {
                    payment_id: payment.into(),
                    decision_id: format!("d{household}"),
                    household_id: household.into(),
                    month: month(2020, 8),
                    amount: money(ore),
                    status: status as i32,
                    effective_on: date(2020, 8, day),
                },
            )
            .await;
    }
    for (as_of, forecast) in [(7, 600_000_000), (8, 550_000_000)] {
        feeder
            .send(
                Producer::Bistand,
                bistand::BudgetStatusEvent {
                    year: 2020,
                    as_of: month(2020, as_of),
                    allocated: money(1_000_000_000),
                    paid_to_date: money(150_000),
                    forecast: money(forecast),
                },
            )
            .await;
    }
}

async fn feed_insatser(feeder: &mut Feeder) {
    for p in 1..=6 {
        feeder
            .send(
                Producer::Insatser,
                insatser::ParticipantRegisteredEvent {
                    participant_id: format!("p{p}"),
                    source: insatser::ReferralSource::EkonomisktBistand as i32,
                    registered_on: date(2020, 1, 10),
                    ..Default::default()
                },
            )
            .await;
    }
    for (participant, intervention, kind, start) in [
        ("p1", "i1", "work_training", (2020, 2, 1)),
        ("p2", "i2", "work_training", (2020, 2, 1)),
        ("p3", "i3", "work_training", (2020, 2, 1)),
        ("p4", "i4", "course", (2020, 8, 3)),
    ] {
        feeder
            .send(
                Producer::Insatser,
                insatser::InterventionStartedEvent {
                    participant_id: participant.into(),
                    intervention_id: intervention.into(),
                    kind: kind.into(),
                    started_on: date(start.0, start.1, start.2),
                    weekly_hours: 20,
                },
            )
            .await;
    }
    feeder
        .send(
            Producer::Insatser,
            insatser::InterventionEndedEvent {
                participant_id: "p3".into(),
                intervention_id: "i3".into(),
                kind: "work_training".into(),
                ended_on: date(2020, 6, 30),
            },
        )
        .await;
    for (participant, outcome, days) in [
        ("p1", ExitOutcome::OrdinaryEmployment, 200),
        ("p2", ExitOutcome::Studies, 210),
        ("p5", ExitOutcome::Interrupted, 220),
        ("p6", ExitOutcome::SubsidisedEmployment, 205),
    ] {
        feeder
            .send(
                Producer::Insatser,
                insatser::ParticipantExitedEvent {
                    participant_id: participant.into(),
                    outcome: outcome as i32,
                    exited_on: date(2020, 8, 20),
                    days_in_programme: days,
                    source: insatser::ReferralSource::EkonomisktBistand as i32,
                },
            )
            .await;
    }
    for (id, on_time) in [("f1", true), ("f2", false)] {
        feeder
            .send(
                Producer::Insatser,
                insatser::FollowUpRecordedEvent {
                    participant_id: "p6".into(),
                    follow_up_id: id.into(),
                    due_on: date(2020, 8, 10),
                    done_on: date(2020, 8, 12),
                    on_time,
                    after_exit: false,
                },
            )
            .await;
    }
}

async fn feed_ungsam(feeder: &mut Feeder) {
    for y in 1..=4 {
        feeder
            .send(
                Producer::Ungsam,
                ungsam::YoungPersonIdentifiedEvent {
                    young_person_id: format!("y{y}"),
                    source: ungsam::IdentificationSource::School as i32,
                    age: 19,
                    age_band: trappan_api::common::v1::AgeBand::AgeBand1824 as i32,
                    identified_on: date(2020, 8, 3),
                },
            )
            .await;
    }
    for (person, day, month_of, reached, days) in
        [("y1", 5, 8, true, 2), ("y2", 6, 8, false, 3), ("y2", 10, 8, true, 7), ("y3", 2, 9, true, 30)]
    {
        feeder
            .send(
                Producer::Ungsam,
                ungsam::ContactRecordedEvent {
                    young_person_id: person.into(),
                    contacted_on: date(2020, month_of, day),
                    reached,
                    first_reached: reached,
                    days_since_identified: days,
                    channel: "phone".into(),
                },
            )
            .await;
    }
    for (person, to, day, outcome) in [
        ("y1", "in_activity", 12, ExitOutcome::Unspecified),
        ("y2", "in_activity", 11, ExitOutcome::Unspecified),
        ("y2", "exited", 20, ExitOutcome::Studies),
    ] {
        feeder
            .send(
                Producer::Ungsam,
                ungsam::StatusChangedEvent {
                    young_person_id: person.into(),
                    from_status: "identified".into(),
                    to_status: to.into(),
                    changed_on: date(2020, 8, day),
                    exit_outcome: outcome as i32,
                    aged_out: false,
                },
            )
            .await;
    }
    feeder
        .send(
            Producer::Ungsam,
            ungsam::HandedOverEvent {
                young_person_id: "y4".into(),
                handover_id: "ho1".into(),
                handed_over_on: date(2020, 8, 15),
            },
        )
        .await;
}

async fn exact_suite(backend: trappan_platform::testing::Backend) -> TestSuite {
    TestSuite::spawn_with(backend, |settings| settings.rapport.suppression_threshold = 1).await
}

async fn events_from_the_three_feeds_end_up_in_the_right_figures(backend: Backend) {
    let suite = exact_suite(backend).await;
    let mut feeder = Feeder::new(&suite, FED_KOMMUN).await;
    feed_bistand(&mut feeder).await;
    feed_insatser(&mut feeder).await;
    feed_ungsam(&mut feeder).await;
    let mut client = suite.rapport(Role::Enhetschef, FED_KOMMUN);

    let report = client
        .get_bistand_report(rapport::GetBistandReportRequest { month: month(2020, 8), year: 0 })
        .await
        .expect("bistand report")
        .into_inner();
    let now = report.current.expect("current");
    let then = report.year_earlier.expect("year earlier");
    assert_eq!(shown(&now.granted_households), 6);
    assert_eq!(shown(&now.adults), 2 + 2 + 4, "the omprövning's two adults replace g1's one");
    assert_eq!(shown(&now.children), 2 + 3, "the omprövning's children replace the superseded decision's");
    assert_eq!(shown(&now.persons), 13);
    assert_eq!(now.paid.expect("paid").ore, 150_000, "planned then paid counts once; stopped not at all");
    assert_eq!(shown(&now.long_term_households), 1, "10 of the last 12 months is long-term");
    assert_eq!(shown(&now.short_term_households), 5);
    assert_eq!(now.median_months_on_assistance, 1);
    assert_eq!(shown(&now.households_with_children), 2);
    assert_eq!(shown(&now.households_without_children), 4);
    assert_eq!(shown(&then.granted_households), 8, "the refusal is not a granted household");
    assert_eq!(shown(&then.children), 4);
    assert_eq!(then.paid.expect("paid").ore, 70_000);
    let change = report.change.expect("change");
    assert_eq!(change.granted_households.map(|c| (c.available, c.basis_points)), Some((true, -2500)));
    assert_eq!(change.children.map(|c| (c.available, c.basis_points)), Some((true, 2500)));
    assert!(
        suppressed(&report.registered_households),
        "the households were registered (the events committed) today, after August 2020"
    );

    let year = client
        .get_bistand_report(rapport::GetBistandReportRequest { month: None, year: 2020 })
        .await
        .expect("year report")
        .into_inner()
        .current
        .expect("current");
    assert_eq!(shown(&year.granted_households), 6);
    assert!(suppressed(&year.long_term_households), "g0 has 8 months in calendar year 2020: none (0 is suppressed)");
    assert!(
        suppressed(&year.short_term_households),
        "shown beside the 6 granted households it would reveal the long-term count by subtraction"
    );

    let budget = client
        .get_budget_report(rapport::GetBudgetReportRequest { period: month_period(2020, 8) })
        .await
        .expect("budget")
        .into_inner();
    assert!(budget.budget_known);
    assert_eq!(budget.allocated.expect("allocated").ore, 1_000_000_000);
    assert_eq!(budget.forecast.expect("forecast").ore, 550_000_000, "the latest status up to the month");
    assert_eq!(budget.forecast_minus_budget.expect("diff").ore, -450_000_000);
    assert_eq!(budget.forecast_vs_budget.map(|c| c.basis_points), Some(-4500));
    assert_eq!(budget.paid_to_date.expect("paid").ore, 150_000);
    assert_eq!(budget.paid_by_month[7].ore, 150_000);
    let july = client
        .get_budget_report(rapport::GetBudgetReportRequest { period: month_period(2020, 7) })
        .await
        .expect("budget")
        .into_inner();
    assert_eq!(july.forecast.expect("forecast").ore, 600_000_000);
    assert_eq!(july.paid_to_date.expect("paid").ore, 0);

    let children = client
        .get_children_report(rapport::GetChildrenReportRequest { period: month_period(2020, 8) })
        .await
        .expect("children")
        .into_inner();
    assert!(children.children_difference_available);
    assert_eq!(children.children_difference, 1);
    assert_eq!(shown(&children.current.expect("current").households_with_children), 2);

    let labour = client
        .get_labour_market_report(rapport::GetLabourMarketReportRequest { period: month_period(2020, 8) })
        .await
        .expect("labour market")
        .into_inner()
        .current
        .expect("current");
    assert_eq!(shown(&labour.active_participants), 6);
    let kinds: Vec<(String, i64)> =
        labour.active_by_intervention.iter().map(|k| (k.kind.clone(), shown(&k.participants))).collect();
    assert_eq!(kinds, vec![("course".to_string(), 1), ("work_training".to_string(), 2)]);
    assert_eq!(shown(&labour.exits), 4);
    let by_outcome: Vec<(i32, i64)> = labour
        .exits_by_outcome
        .iter()
        .filter(|e| !suppressed(&e.exits))
        .map(|e| (e.outcome, shown(&e.exits)))
        .collect();
    assert_eq!(
        by_outcome,
        vec![
            (ExitOutcome::OrdinaryEmployment as i32, 1),
            (ExitOutcome::SubsidisedEmployment as i32, 1),
            (ExitOutcome::Studies as i32, 1),
            (ExitOutcome::Interrupted as i32, 1)
        ]
    );
    assert_eq!(labour.exits_to_work_or_studies.map(|s| (s.available, s.basis_points)), Some((true, 7500)));
    assert_eq!(labour.median_days_to_exit, 208, "207.5 days rounded half up");
    assert_eq!(shown(&labour.follow_ups), 2);
    assert_eq!(shown(&labour.follow_ups_on_time), 1);
    assert_eq!(labour.follow_ups_on_time_share.map(|s| s.basis_points), Some(5000));

    let young = client
        .get_ungsam_report(rapport::GetUngsamReportRequest { period: month_period(2020, 8) })
        .await
        .expect("ungsam")
        .into_inner()
        .current
        .expect("current");
    assert_eq!(shown(&young.identified), 4);
    assert_eq!(shown(&young.reached), 2, "y3 was reached only in September");
    assert_eq!(young.coverage.map(|s| s.basis_points), Some(5000));
    assert_eq!(young.median_days_to_first_contact, 5, "median of 2 and 7 days, rounded half up");
    assert_eq!(shown(&young.in_activity), 1, "y2 exited after being in activity");
    assert_eq!(shown(&young.exits), 1);
    assert_eq!(shown(&young.handed_over), 1);
    let september = client
        .get_ungsam_report(rapport::GetUngsamReportRequest { period: year_period(2020) })
        .await
        .expect("ungsam year")
        .into_inner()
        .current
        .expect("current");
    assert_eq!(shown(&september.reached), 3);
    suite.shutdown().await;
}

async fn a_replayed_event_counts_once_and_municipalities_see_only_their_own_figures(backend: Backend) {
    let suite = exact_suite(backend).await;
    let mut feeder = Feeder::new(&suite, FED_KOMMUN).await;
    let first = feeder.event(Producer::Bistand, &granted("d1", "h1", (2020, 8), 1, 2, 100));
    assert!(feeder.apply(Producer::Bistand, &first).await);
    assert!(!feeder.apply(Producer::Bistand, &first).await, "the cursor has passed it");
    let second = feeder.event(Producer::Bistand, &granted("d2", "h2", (2020, 8), 1, 1, 100));
    assert!(feeder.apply(Producer::Bistand, &second).await);
    assert!(!feeder.apply(Producer::Bistand, &first).await, "an older sequence is never applied again");
    let report = |kommun: &'static str| {
        let mut client = suite.rapport(Role::Analytiker, kommun);
        async move {
            client
                .get_bistand_report(rapport::GetBistandReportRequest { month: month(2020, 8), year: 0 })
                .await
                .expect("report")
                .into_inner()
                .current
                .expect("current")
        }
    };
    let own = report(FED_KOMMUN).await;
    assert_eq!(shown(&own.granted_households), 2);
    assert_eq!(shown(&own.children), 3);
    let db = suite.database(trappan_platform::config::ServiceKind::Rapport).await;
    assert_eq!(common::count_rows(&db, "bistand_decision").await, 2);
    assert_eq!(
        common::count_rows(&db, "bistand_decision WHERE household IN ('h1', 'h2') OR pseudonym IN ('d1', 'd2')").await,
        0,
        "only keyed hashes of the producer's identifiers are stored"
    );
    let other = report(common::KOMMUN).await;
    assert!(suppressed(&other.granted_households), "0 households elsewhere: nothing of 0765's leaks");
    suite.shutdown().await;
}

#[tokio::test]
async fn reports_reject_bad_periods_and_unauthorised_callers() {
    let suite = TestSuite::spawn(trappan_platform::testing::Backend::Sqlite).await;
    let mut client = suite.rapport(Role::Analytiker, FED_KOMMUN);
    let status = client
        .get_labour_market_report(rapport::GetLabourMarketReportRequest { period: None })
        .await
        .expect_err("no period");
    assert_eq!(status.code(), Code::InvalidArgument);
    assert_eq!(status.get_details_bad_request().expect("field violations").field_violations[0].field, "period");
    let status = client
        .get_ungsam_report(rapport::GetUngsamReportRequest {
            period: Some(rapport::ReportPeriod {
                kind: Some(rapport::report_period::Kind::Month(YearMonth { year: 2020, month: 13 })),
            }),
        })
        .await
        .expect_err("month 13");
    assert_eq!(status.code(), Code::InvalidArgument);
    let status = suite
        .rapport(Role::Socialsekreterare, FED_KOMMUN)
        .get_children_report(rapport::GetChildrenReportRequest { period: year_period(2020) })
        .await
        .expect_err("a socialsekreterare does not read management reports");
    assert_eq!(status.code(), Code::PermissionDenied);
    suite.shutdown().await;
}

/// Plans and pays through bistand a granted month of `household`: 2021's riksnorm for a single adult
/// (3 160 kr personal costs + 1 020 kr common household costs for one person) plus 5 000 kr housing = 9 180 kr.
async fn pay_month(suite: &TestSuite, household: &bistand::Household, (year, m): (i32, i32), paid_day: i32) -> i64 {
    let mut client = suite.bistand(Role::Socialsekreterare, KOMMUN);
    let application = client
        .create_application(bistand::CreateApplicationRequest {
            request_id: new_request_id(),
            application: Some(bistand::Application {
                household_id: household.household_id.clone(),
                month: month(year, m),
                cost_lines: vec![bistand::CostLine {
                    kind: bistand::CostKind::Housing as i32,
                    claimed: money(500_000),
                    ..Default::default()
                }],
                income_verified: true,
                ..Default::default()
            }),
        })
        .await
        .expect("application")
        .into_inner()
        .application
        .expect("application");
    let decision = client
        .decide_application(bistand::DecideApplicationRequest {
            request_id: new_request_id(),
            application_id: application.application_id,
            outcome: bistand::DecisionOutcome::Granted as i32,
            ..Default::default()
        })
        .await
        .expect("decision")
        .into_inner()
        .decision
        .expect("decision");
    let paid_on = date(year, m, paid_day);
    let payment = client
        .create_payment(bistand::CreatePaymentRequest {
            request_id: new_request_id(),
            decision_id: decision.decision_id,
            planned_on: paid_on,
        })
        .await
        .expect("plan")
        .into_inner()
        .payment
        .expect("payment");
    let paid = client
        .mark_payment_paid(bistand::MarkPaymentPaidRequest { payment_id: payment.payment_id, paid_on })
        .await
        .expect("paid")
        .into_inner()
        .payment
        .expect("payment");
    paid.amount.expect("amount").ore
}

/// The sequence of bistand's budget event announcing `allocated` for `year` as of December (the last event
/// SetBudget appends for a past year).
async fn budget_event_sequence(suite: &TestSuite, year: i32, allocated: i64) -> u64 {
    use futures::StreamExt;
    use prost::Message;
    let mut stream = suite
        .bistand_from(Workload::Rapport, KOMMUN)
        .stream_changes(bistand::StreamChangesRequest { after_sequence: 0 })
        .await
        .expect("stream")
        .into_inner();
    let find = async {
        while let Some(item) = stream.next().await {
            let event = item.expect("event").event.expect("event");
            let Some(payload) = event.payload.as_ref().filter(|p| p.type_url.ends_with("BudgetStatusEvent")) else {
                continue;
            };
            let budget = bistand::BudgetStatusEvent::decode(payload.value.as_slice()).expect("budget event");
            if budget.year == year && budget.as_of == month(year, 12) && budget.allocated == money(allocated) {
                return event.sequence;
            }
        }
        panic!("the feed ended without the budget event");
    };
    tokio::time::timeout(std::time::Duration::from_secs(30), find).await.expect("the budget event is on the feed")
}

/// The budget is set after the year's payments, as the demo does and as a committee that decides a year's
/// budget late would: the management report of every month of that year shows the allocated budget, paid to
/// date and bistand's forecast as it stood at that month, against the budget.
async fn the_management_report_shows_the_budget_set_in_bistand_and_the_forecast_against_it(backend: Backend) {
    let suite = TestSuite::spawn(backend).await;
    let household = suite
        .bistand(Role::Socialsekreterare, KOMMUN)
        .create_household(bistand::CreateHouseholdRequest {
            request_id: new_request_id(),
            household: Some(bistand::Household {
                members: vec![common::member(
                    &trappan::demo::demo_personnummer(1985, 5, 10, 71),
                    bistand::MemberRole::Applicant,
                )],
                ..Default::default()
            }),
        })
        .await
        .expect("household")
        .into_inner()
        .household
        .expect("household");
    // 9 180 kr paid for March 2021 and for August 2021; nothing in 2020, so the forecast is the linear
    // run rate: paid to date / months counted × 12.
    assert_eq!(pay_month(&suite, &household, (2021, 3), 20).await, 918_000);
    assert_eq!(pay_month(&suite, &household, (2021, 8), 20).await, 918_000);
    // The committee's budget for 2021, set afterwards: 36 720 kr.
    let allocated = 3_672_000;
    suite
        .bistand(Role::Enhetschef, KOMMUN)
        .set_budget(bistand::SetBudgetRequest { year: 2021, allocated: money(allocated) })
        .await
        .expect("budget set");
    let sequence = budget_event_sequence(&suite, 2021, allocated).await;
    let mut rapport_client = suite.rapport(Role::Enhetschef, KOMMUN);
    eventually("rapport has applied bistand's budget event", || {
        let mut client = rapport_client.clone();
        async move {
            let feeds = client.get_feed_status(rapport::GetFeedStatusRequest {}).await.expect("status");
            feeds.into_inner().feeds.iter().any(|f| f.producer == "bistand" && f.applied_sequence >= sequence)
        }
    })
    .await;

    // (month, paid to date, forecast, forecast vs budget), by hand:
    // March:  9 180 kr; 9 180 / 3 × 12 = 36 720 kr;  (36 720 − 36 720) / 36 720 =   0,0 %
    // May:    9 180 kr; 9 180 / 5 × 12 = 22 032 kr;  (22 032 − 36 720) / 36 720 = −40,0 %
    // August: 18 360 kr; 18 360 / 8 × 12 = 27 540 kr; (27 540 − 36 720) / 36 720 = −25,0 %
    for (m, paid_to_date, forecast, against_budget) in [
        (3, "9\u{a0}180\u{a0}kr", "36\u{a0}720\u{a0}kr", "0,0\u{a0}%"),
        (5, "9\u{a0}180\u{a0}kr", "22\u{a0}032\u{a0}kr", "\u{2212}40,0\u{a0}%"),
        (8, "18\u{a0}360\u{a0}kr", "27\u{a0}540\u{a0}kr", "\u{2212}25,0\u{a0}%"),
    ] {
        let html = rapport_client
            .get_management_report(rapport::GetManagementReportRequest { month: month(2021, m) })
            .await
            .expect("management report")
            .into_inner()
            .html;
        for (label, value) in [
            ("Budget för året", "36\u{a0}720\u{a0}kr"),
            ("Utbetalt hittills i år", paid_to_date),
            ("Prognos för året", forecast),
            ("Prognos mot budget", against_budget),
        ] {
            assert!(html.contains(&format!("<td>{label}</td><td>{value}</td>")), "2021-{m:02}: {label} {value}");
        }
    }
    suite.shutdown().await;
}

common::backend_tests!(on_backend: events_from_the_three_feeds_end_up_in_the_right_figures, a_replayed_event_counts_once_and_municipalities_see_only_their_own_figures);

common::backend_tests!(on_backend multi_thread: the_management_report_shows_the_budget_set_in_bistand_and_the_forecast_against_it);

/// The lists the management report names are RPCs the services serve, admitting exactly the roles the report
/// names: the report never sends a manager to a call they would be refused, or hides who else may call it.
#[test]
fn the_lists_the_management_report_names_admit_the_roles_it_names() {
    use trappan_platform::server::ServiceDefinition;
    let policy = trappan_insatser::Insatser::policy().merge(&trappan_ungsam::Ungsam::policy());
    for list in &trappan_rapport::domain::ACTION_LISTS {
        let method = format!("/{}", list.rpc);
        assert!(policy.methods().any(|m| m == method), "{method} is served");
        for role in Role::ALL {
            assert_eq!(policy.permits(&method, role), list.roles.contains(&role), "{method}, {role:?}");
        }
    }
}
