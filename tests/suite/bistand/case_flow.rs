//! bistand's case flow through the API on SQLite and PostgreSQL: monthly applications (validation, one
//! per household and month, reconsideration, the household as it was that month), decisions (the stored
//! calculation reproduces, immutability, omprövning, the feed event), jobbstimulans chains, payments that
//! pay once even when submitted twice or concurrently, budget and forecast, the labour-market unit's
//! reports with and without consent, decision support and the paged case views.

use crate::common;

use std::time::Duration;

use common::{Authed, KOMMUN, OTHER_KOMMUN, TestSuite, backend_tests, count_rows, date, new_request_id};
use futures::StreamExt;
use prost::Message;
use tonic::Code;
use tonic_types::StatusExt;
use trappan_api::bistand::v1::{self as bistand, bistand_service_client::BistandServiceClient};
use trappan_api::common::v1::{Date, ExitOutcome, Money, YearMonth};
use trappan_platform::auth::{Role, Workload};
use trappan_platform::config::ServiceKind;

type Client = BistandServiceClient<Authed>;

const KR: i64 = 100;

fn money(kr: i64) -> Option<Money> {
    Some(Money { ore: kr * KR })
}

fn adult(serial: u32, role: bistand::MemberRole) -> bistand::HouseholdMember {
    common::member(&trappan::demo::demo_personnummer(1985, 5, 10, serial), role)
}

async fn household(suite: &TestSuite, members: Vec<bistand::HouseholdMember>) -> bistand::Household {
    suite
        .bistand(Role::Socialsekreterare, KOMMUN)
        .create_household(bistand::CreateHouseholdRequest {
            request_id: new_request_id(),
            household: Some(bistand::Household { members, ..Default::default() }),
        })
        .await
        .expect("household")
        .into_inner()
        .household
        .expect("household")
}

async fn single(suite: &TestSuite, serial: u32) -> bistand::Household {
    household(suite, vec![adult(serial, bistand::MemberRole::Applicant)]).await
}

fn housing(kr: i64) -> bistand::CostLine {
    bistand::CostLine { kind: bistand::CostKind::Housing as i32, claimed: money(kr), ..Default::default() }
}

fn salary(kr: i64, member_id: &str) -> bistand::IncomeLine {
    bistand::IncomeLine { kind: bistand::IncomeKind::Salary as i32, amount: money(kr), member_id: member_id.into() }
}

fn application(
    household: &bistand::Household,
    (year, month): (i32, i32),
    cost_lines: Vec<bistand::CostLine>,
    income_lines: Vec<bistand::IncomeLine>,
) -> bistand::CreateApplicationRequest {
    bistand::CreateApplicationRequest {
        request_id: new_request_id(),
        application: Some(bistand::Application {
            household_id: household.household_id.clone(),
            month: Some(YearMonth { year, month }),
            cost_lines,
            income_lines,
            income_verified: true,
            ..Default::default()
        }),
    }
}

async fn apply(client: &mut Client, request: bistand::CreateApplicationRequest) -> bistand::Application {
    client.create_application(request).await.expect("application").into_inner().application.expect("application")
}

fn decide_request(
    application: &bistand::Application,
    outcome: bistand::DecisionOutcome,
) -> bistand::DecideApplicationRequest {
    bistand::DecideApplicationRequest {
        request_id: new_request_id(),
        application_id: application.application_id.clone(),
        outcome: outcome as i32,
        reason: if outcome == bistand::DecisionOutcome::Granted {
            String::new()
        } else {
            "Skäl enligt utredning".into()
        },
        ..Default::default()
    }
}

async fn decide(client: &mut Client, request: bistand::DecideApplicationRequest) -> bistand::Decision {
    client.decide_application(request).await.expect("decision").into_inner().decision.expect("decision")
}

/// Applies for and decides a month; housing 5 000 kr and the given salary of the applicant.
async fn month_decided(
    client: &mut Client,
    household: &bistand::Household,
    month: (i32, i32),
    salary_kr: i64,
    outcome: bistand::DecisionOutcome,
) -> bistand::Decision {
    let incomes = if salary_kr > 0 { vec![salary(salary_kr, &household.members[0].member_id)] } else { vec![] };
    let app = apply(client, application(household, month, vec![housing(5_000)], incomes)).await;
    decide(client, decide_request(&app, outcome)).await
}

fn granted(decision: &bistand::Decision) -> i64 {
    decision.granted.expect("granted").ore
}

fn jobbstimulans(decision: &bistand::Decision) -> bistand::JobbstimulansState {
    decision.calculation.as_ref().and_then(|c| c.jobbstimulans).expect("jobbstimulans")
}

/// The payloads of bistand's feed for the test municipality, until it is quiet.
async fn feed(suite: &TestSuite) -> Vec<prost_types::Any> {
    let mut stream = suite
        .bistand_from(Workload::Rapport, KOMMUN)
        .stream_changes(bistand::StreamChangesRequest { after_sequence: 0 })
        .await
        .expect("stream")
        .into_inner();
    let mut payloads = Vec::new();
    while let Ok(Some(Ok(item))) = tokio::time::timeout(Duration::from_millis(1500), stream.next()).await {
        payloads.extend(item.event.and_then(|e| e.payload));
    }
    payloads
}

async fn an_application_is_validated_once_per_month_and_reconsidered_explicitly(suite: TestSuite) -> TestSuite {
    let mut client = suite.bistand(Role::Socialsekreterare, KOMMUN);
    let h = single(&suite, 11).await;
    // invalid: other cost without motivation, salary without member, negative amount, bad month
    let mut bad = application(&h, (2021, 13), vec![housing(100)], vec![]);
    let body = bad.application.as_mut().expect("app");
    body.cost_lines.push(bistand::CostLine {
        kind: bistand::CostKind::Other as i32,
        claimed: money(300),
        ..Default::default()
    });
    body.cost_lines.push(bistand::CostLine {
        kind: bistand::CostKind::Glasses as i32,
        claimed: money(-1),
        ..Default::default()
    });
    body.income_lines.push(salary(1_000, ""));
    let error = client.create_application(bad).await.expect_err("invalid");
    assert_eq!(error.code(), Code::InvalidArgument);
    let fields: Vec<String> = error
        .get_error_details()
        .bad_request()
        .expect("violations")
        .field_violations
        .iter()
        .map(|v| v.field.clone())
        .collect();
    for expected in [
        "application.month",
        "application.cost_lines[1].motivation",
        "application.cost_lines[2].claimed",
        "application.income_lines[0].member_id",
    ] {
        assert!(fields.iter().any(|f| f == expected), "{expected} in {fields:?}");
    }
    let db = suite.database(ServiceKind::Bistand).await;
    assert_eq!(count_rows(&db, "application").await, 0);

    // a member of another household is refused
    let other = single(&suite, 12).await;
    let foreign = application(&h, (2021, 3), vec![], vec![salary(100, &other.members[0].member_id)]);
    assert_eq!(client.create_application(foreign).await.expect_err("foreign").code(), Code::InvalidArgument);

    // valid, with an other cost and its motivation; a retry returns the first
    let mut request = application(&h, (2021, 3), vec![housing(6_000)], vec![salary(1_000, &h.members[0].member_id)]);
    request.application.as_mut().expect("app").cost_lines.push(bistand::CostLine {
        kind: bistand::CostKind::Other as i32,
        claimed: money(400),
        motivation: "Flyttkostnad".into(),
        ..Default::default()
    });
    let first = apply(&mut client, request.clone()).await;
    assert_eq!(first.state, bistand::ApplicationState::WaitingForDecision as i32);
    assert_eq!(first.cost_lines.len(), 2);
    assert_eq!(apply(&mut client, request.clone()).await.application_id, first.application_id);
    assert_eq!(count_rows(&db, "application").await, 1);

    // a second for the month is ALREADY_EXISTS; a reconsideration supersedes
    let second = application(&h, (2021, 3), vec![housing(6_500)], vec![]);
    assert_eq!(client.create_application(second.clone()).await.expect_err("second").code(), Code::AlreadyExists);
    let mut reconsidered = second.clone();
    reconsidered.request_id = new_request_id();
    reconsidered.application.as_mut().expect("app").supersedes_application_id = first.application_id.clone();
    let newer = apply(&mut client, reconsidered.clone()).await;
    assert_eq!(newer.supersedes_application_id, first.application_id);
    let old = client
        .get_application(bistand::GetApplicationRequest { application_id: first.application_id.clone() })
        .await
        .expect("old")
        .into_inner()
        .application
        .expect("old");
    assert_eq!(old.state, bistand::ApplicationState::Superseded as i32);
    // superseding the superseded one again is refused
    let mut again = reconsidered.clone();
    again.request_id = new_request_id();
    assert_eq!(client.create_application(again).await.expect_err("twice").code(), Code::FailedPrecondition);
    // deciding the superseded one is refused
    let refused = client
        .decide_application(decide_request(&old, bistand::DecisionOutcome::Granted))
        .await
        .expect_err("superseded");
    assert_eq!(refused.code(), Code::FailedPrecondition);

    // lists: the household's two, the waiting one only
    let listed = client
        .list_applications(bistand::ListApplicationsRequest {
            household_id: h.household_id.clone(),
            ..Default::default()
        })
        .await
        .expect("list")
        .into_inner()
        .applications;
    assert_eq!(listed.len(), 2);
    let waiting = client
        .list_applications(bistand::ListApplicationsRequest::default())
        .await
        .expect("waiting")
        .into_inner()
        .applications;
    assert_eq!(
        waiting.iter().map(|a| a.application_id.clone()).collect::<Vec<_>>(),
        vec![newer.application_id.clone()]
    );

    // another municipality sees nothing
    let mut stranger = suite.bistand(Role::Socialsekreterare, OTHER_KOMMUN);
    let hidden = stranger
        .get_application(bistand::GetApplicationRequest { application_id: newer.application_id.clone() })
        .await
        .expect_err("hidden");
    assert_eq!(hidden.code(), Code::NotFound);
    assert!(
        stranger
            .list_applications(bistand::ListApplicationsRequest::default())
            .await
            .expect("list")
            .into_inner()
            .applications
            .is_empty()
    );

    // the household as it was in the month: a co-applicant who left in February is not in March's norm
    let mut co = adult(14, bistand::MemberRole::CoApplicant);
    co.member_until = Some(YearMonth { year: 2021, month: 2 });
    let couple = household(&suite, vec![adult(13, bistand::MemberRole::Applicant), co]).await;
    let february = month_decided(&mut client, &couple, (2021, 2), 0, bistand::DecisionOutcome::Granted).await;
    let march = month_decided(&mut client, &couple, (2021, 3), 0, bistand::DecisionOutcome::Granted).await;
    // couple 5 700 + 1 130; single 3 160 + 1 020
    assert_eq!(february.calculation.as_ref().and_then(|c| c.norm).expect("norm").ore, 6_830 * KR);
    assert_eq!(march.calculation.as_ref().and_then(|c| c.norm).expect("norm").ore, 4_180 * KR);
    suite
}
backend_tests!(an_application_is_validated_once_per_month_and_reconsidered_explicitly);

async fn a_decision_is_itemised_reproducible_immutable_and_reconsidered_by_a_new_one(suite: TestSuite) -> TestSuite {
    let mut client = suite.bistand(Role::Socialsekreterare, KOMMUN);
    let mut child = common::member(&trappan::demo::demo_personnummer(2014, 1, 1, 21), bistand::MemberRole::Child);
    child.born_abroad = Some(false);
    let mut applicant = adult(22, bistand::MemberRole::Applicant);
    applicant.born_abroad = Some(true);
    let h = household(&suite, vec![applicant, child]).await;
    let barnbidrag = bistand::IncomeLine {
        kind: bistand::IncomeKind::ChildAllowance as i32,
        amount: money(1_250),
        member_id: String::new(),
    };
    let app = apply(
        &mut client,
        application(&h, (2021, 6), vec![housing(7_000)], vec![barnbidrag, salary(2_000, &h.members[0].member_id)]),
    )
    .await;
    let approve_6500 = vec![bistand::CostApproval { line: 0, approved: money(6_500) }];

    // delvis bifall needs a reason; bifall needs every line as claimed; no future decision date
    let mut no_reason = decide_request(&app, bistand::DecisionOutcome::PartlyGranted);
    no_reason.reason.clear();
    assert_eq!(client.decide_application(no_reason).await.expect_err("reason").code(), Code::InvalidArgument);
    let mut below = decide_request(&app, bistand::DecisionOutcome::Granted);
    below.approvals = approve_6500.clone();
    assert_eq!(client.decide_application(below).await.expect_err("below").code(), Code::FailedPrecondition);
    let mut future = decide_request(&app, bistand::DecisionOutcome::Granted);
    future.decided_on = date(2999, 1, 1);
    assert_eq!(client.decide_application(future).await.expect_err("future").code(), Code::InvalidArgument);

    // norm 3 160 + child 7 3 060 + common(2) 1 130 = 7 350; + 6 500 − 1 250 − 2 000 = 10 600
    let mut request = decide_request(&app, bistand::DecisionOutcome::PartlyGranted);
    request.approvals = approve_6500;
    request.decided_on = date(2021, 6, 3);
    request.notified_on = date(2021, 6, 4);
    let first = decide(&mut client, request.clone()).await;
    assert_eq!(granted(&first), 10_600 * KR);
    assert_eq!(first.decided_by, "tester");
    // notified Friday 4 June 2021 + 3 weeks = Friday 25 June 2021, Midsummer Eve → Monday 28 June
    assert_eq!(first.appeal_deadline, date(2021, 6, 28));
    assert_eq!(first.cost_lines[0].approved, money(6_500));
    let calculation = first.calculation.clone().expect("calculation");
    assert_eq!(calculation.norm.expect("norm").ore, 7_350 * KR);
    let provenance = calculation.norm_provenance.clone().expect("provenance");
    assert_eq!((provenance.year, provenance.version.len()), (2021, 16));
    let rows_sum: i64 = calculation.rows.iter().map(|r| r.amount.expect("amount").ore).sum();
    assert_eq!(rows_sum, calculation.balance.expect("balance").ore);
    assert!(calculation.rows.iter().any(|r| r.member_id == h.members[1].member_id));
    // a retry returns the same decision
    assert_eq!(decide(&mut client, request).await.decision_id, first.decision_id);

    // the stored inputs recompute to exactly the stored calculation
    use sea_orm::EntityTrait;
    let db = suite.database(ServiceKind::Bistand).await;
    let row =
        trappan_bistand::store::decision::Entity::find_by_id(uuid::Uuid::parse_str(&first.decision_id).expect("id"))
            .one(&db)
            .await
            .expect("read")
            .expect("row");
    let record = trappan_bistand::store::decisions::DecisionRecord::decode(row).expect("decode");
    let tables = trappan_bistand::domain::NormTables::shipped().expect("tables");
    let recomputed = record.inputs().expect("inputs").recompute(&tables).expect("recompute");
    assert_eq!(recomputed.payment_ore(), record.calculation.payment_ore);
    assert_eq!(recomputed.balance_ore(), record.calculation.balance_ore);
    assert_eq!(
        recomputed.rows().iter().map(|r| r.amount_ore).collect::<Vec<_>>(),
        record.calculation.rows.iter().map(|r| r.amount_ore).collect::<Vec<_>>()
    );

    // a second decision must be an omprövning naming the standing one
    let plain = decide_request(&app, bistand::DecisionOutcome::Granted);
    assert_eq!(client.decide_application(plain).await.expect_err("decided").code(), Code::FailedPrecondition);
    let mut omprovning = decide_request(&app, bistand::DecisionOutcome::Granted);
    omprovning.supersedes_decision_id = first.decision_id.clone();
    let second = decide(&mut client, omprovning.clone()).await;
    assert_eq!(granted(&second), 11_100 * KR);
    assert_eq!(second.supersedes_decision_id, first.decision_id);
    // superseding the superseded one again is refused
    let mut stale = omprovning;
    stale.request_id = new_request_id();
    assert_eq!(client.decide_application(stale).await.expect_err("stale").code(), Code::FailedPrecondition);
    // the first decision is unchanged except for the link to its successor; the read is audited
    let reads = "audit_log WHERE subject_kind = 'decision' AND outcome = 'read'";
    let before = count_rows(&db, reads).await;
    let reread = client
        .get_decision(bistand::GetDecisionRequest { decision_id: first.decision_id.clone() })
        .await
        .expect("get")
        .into_inner()
        .decision
        .expect("decision");
    assert_eq!(count_rows(&db, reads).await, before + 1);
    assert_eq!(reread.superseded_by_decision_id, second.decision_id);
    assert_eq!(
        bistand::Decision { superseded_by_decision_id: String::new(), ..reread },
        first,
        "a decision is never edited"
    );

    // the feed carries both decisions, pseudonymous, with the household of the month
    let events: Vec<bistand::DecisionMadeEvent> = feed(&suite)
        .await
        .into_iter()
        .filter(|any| any.type_url.ends_with("DecisionMadeEvent"))
        .map(|any| bistand::DecisionMadeEvent::decode(any.value.as_slice()).expect("event"))
        .collect();
    assert_eq!(events.len(), 2);
    let event = &events[0];
    assert_eq!((event.persons, event.adults, event.children, event.adults_born_abroad), (2, 1, 1, 1));
    assert_eq!(event.adult_age_bands, vec![trappan_api::common::v1::AgeBand::AgeBand3039 as i32]);
    assert!(["4", "6"].contains(&event.household_type_code.as_str()));
    assert_eq!(event.granted, money(10_600));
    assert_eq!(events[1].supersedes_decision_id, first.decision_id);
    suite
}
backend_tests!(a_decision_is_itemised_reproducible_immutable_and_reconsidered_by_a_new_one);

async fn jobbstimulans_starts_after_six_granted_months_runs_24_and_breaks_on_avslag(suite: TestSuite) -> TestSuite {
    use bistand::DecisionOutcome::{Granted, Refused};
    let mut client = suite.bistand(Role::Socialsekreterare, KOMMUN);
    // household A: granted January–June 2020, salary 4 000, housing 5 000, single norm 2020 4 160
    let a = single(&suite, 31).await;
    for month in 1..=5 {
        month_decided(&mut client, &a, (2020, month), 4_000, Granted).await;
    }
    let sixth = month_decided(&mut client, &a, (2020, 6), 4_000, Granted).await;
    assert!(!jobbstimulans(&sixth).active);
    assert_eq!(jobbstimulans(&sixth).consecutive_granted_months, 5);
    assert_eq!(granted(&sixth), (4_160 + 5_000 - 4_000) * KR);
    let seventh = month_decided(&mut client, &a, (2020, 7), 4_000, Granted).await;
    let state = jobbstimulans(&seventh);
    assert!(state.active);
    assert_eq!((state.period_start, state.months_remaining), (Some(YearMonth { year: 2020, month: 7 }), 24));
    // 25 % of 4 000 disregarded
    assert_eq!(seventh.calculation.as_ref().and_then(|c| c.disregarded_income), money(1_000));
    assert_eq!(granted(&seventh), (4_160 + 5_000 - 3_000) * KR);
    // it runs on through months without assistance: June 2022 is the 24th month, July 2022 is past it
    let last = month_decided(&mut client, &a, (2022, 6), 4_000, Granted).await;
    assert_eq!((jobbstimulans(&last).active, jobbstimulans(&last).months_remaining), (true, 1));
    assert_eq!(granted(&last), (4_250 + 5_000 - 3_000) * KR);
    let after = month_decided(&mut client, &a, (2022, 7), 4_000, Granted).await;
    assert!(!jobbstimulans(&after).active);
    assert_eq!(granted(&after), (4_250 + 5_000 - 4_000) * KR);

    // household B: five granted months, avslag in June 2021 breaks the chain
    let b = single(&suite, 32).await;
    for month in 1..=5 {
        month_decided(&mut client, &b, (2021, month), 4_000, Granted).await;
    }
    let refused = month_decided(&mut client, &b, (2021, 6), 4_000, Refused).await;
    assert_eq!(granted(&refused), 0);
    let july = month_decided(&mut client, &b, (2021, 7), 4_000, Granted).await;
    assert_eq!(jobbstimulans(&july).consecutive_granted_months, 0);
    for month in 8..=11 {
        month_decided(&mut client, &b, (2021, month), 4_000, Granted).await;
    }
    let december = month_decided(&mut client, &b, (2021, 12), 4_000, Granted).await;
    assert!(!jobbstimulans(&december).active);
    assert_eq!(jobbstimulans(&december).consecutive_granted_months, 5);
    let january = month_decided(&mut client, &b, (2022, 1), 4_000, Granted).await;
    assert!(jobbstimulans(&january).active);
    assert_eq!(jobbstimulans(&january).period_start, Some(YearMonth { year: 2022, month: 1 }));
    suite
}
backend_tests!(jobbstimulans_starts_after_six_granted_months_runs_24_and_breaks_on_avslag);

fn payment_request(decision: &bistand::Decision, request_id: &str) -> bistand::CreatePaymentRequest {
    bistand::CreatePaymentRequest {
        request_id: request_id.into(),
        decision_id: decision.decision_id.clone(),
        planned_on: date(2021, 3, 25),
    }
}

async fn a_granted_decision_is_paid_once_even_when_submitted_twice_or_concurrently(suite: TestSuite) -> TestSuite {
    use bistand::DecisionOutcome::{Granted, Refused};
    let mut client = suite.bistand(Role::Socialsekreterare, KOMMUN);
    let h = single(&suite, 41).await;
    let march = month_decided(&mut client, &h, (2021, 3), 0, Granted).await;
    let request_id = new_request_id();
    let first = client
        .create_payment(payment_request(&march, &request_id))
        .await
        .expect("pay")
        .into_inner()
        .payment
        .expect("p");
    assert_eq!(first.amount, money(4_180 + 5_000));
    assert_eq!(first.status, bistand::PaymentStatus::Planned as i32);
    let retried =
        client.create_payment(payment_request(&march, &request_id)).await.expect("retry").into_inner().payment;
    assert_eq!(retried.map(|p| p.payment_id), Some(first.payment_id.clone()));
    let other_id = client.create_payment(payment_request(&march, &new_request_id())).await.expect_err("second");
    assert_eq!(other_id.code(), Code::AlreadyExists);

    // concurrently: the same request twice and two different requests at once
    let april = month_decided(&mut client, &h, (2021, 4), 0, Granted).await;
    let shared = new_request_id();
    let calls = [shared.clone(), shared, new_request_id(), new_request_id()].map(|id| {
        let mut c = client.clone();
        let request = payment_request(&april, &id);
        async move { c.create_payment(request).await }
    });
    let results = futures::future::join_all(calls).await;
    let ids: std::collections::BTreeSet<String> = results
        .iter()
        .filter_map(|r| r.as_ref().ok())
        .filter_map(|r| r.get_ref().payment.as_ref().map(|p| p.payment_id.clone()))
        .collect();
    assert_eq!(ids.len(), 1, "one payment: {results:?}");
    for result in &results {
        if let Err(status) = result {
            assert_eq!(status.code(), Code::AlreadyExists, "{status:?}");
        }
    }
    let db = suite.database(ServiceKind::Bistand).await;
    assert_eq!(count_rows(&db, "payment").await, 2);

    // avslag pays nothing
    let may = month_decided(&mut client, &h, (2021, 5), 0, Refused).await;
    let refused = client.create_payment(payment_request(&may, &new_request_id())).await.expect_err("avslag");
    assert_eq!(refused.code(), Code::FailedPrecondition);

    // planned → paid (idempotent), a paid payment cannot be stopped
    let paid = |id: &str| bistand::MarkPaymentPaidRequest { payment_id: id.into(), paid_on: date(2021, 3, 25) };
    let done = client.mark_payment_paid(paid(&first.payment_id)).await.expect("paid").into_inner().payment.expect("p");
    assert_eq!((done.status, done.paid_on), (bistand::PaymentStatus::Paid as i32, date(2021, 3, 25)));
    let again = client.mark_payment_paid(paid(&first.payment_id)).await.expect("again").into_inner().payment;
    assert_eq!(again, Some(done));
    // paying a planned payment twice at once records it once (one PAID event below)
    let june_decision = month_decided(&mut client, &h, (2021, 6), 0, Granted).await;
    let june = client.create_payment(payment_request(&june_decision, &new_request_id())).await.expect("plan");
    let june_id = june.into_inner().payment.expect("payment").payment_id;
    let both = [paid(&june_id), paid(&june_id)].map(|request| {
        let mut c = client.clone();
        async move { c.mark_payment_paid(request).await }
    });
    for result in futures::future::join_all(both).await {
        assert_eq!(
            result.expect("paid").into_inner().payment.map(|p| p.status),
            Some(bistand::PaymentStatus::Paid as i32)
        );
    }
    let stop = |id: &str| bistand::StopPaymentRequest {
        payment_id: id.into(),
        stopped_on: date(2021, 4, 20),
        reason: "Ny uppgift om inkomst".into(),
    };
    assert_eq!(client.stop_payment(stop(&first.payment_id)).await.expect_err("paid").code(), Code::FailedPrecondition);
    // planned → stopped, a stopped payment cannot be paid
    let april_payment = ids.into_iter().next().expect("april payment");
    let stopped = client.stop_payment(stop(&april_payment)).await.expect("stop").into_inner().payment.expect("p");
    assert_eq!(stopped.status, bistand::PaymentStatus::Stopped as i32);
    assert_eq!(
        client.mark_payment_paid(paid(&april_payment)).await.expect_err("stopped").code(),
        Code::FailedPrecondition
    );
    let listed = client
        .list_payments(bistand::ListPaymentsRequest { household_id: h.household_id.clone(), ..Default::default() })
        .await
        .expect("list")
        .into_inner()
        .payments;
    assert_eq!(listed.len(), 3);
    let paid_only = client
        .list_payments(bistand::ListPaymentsRequest {
            status: bistand::PaymentStatus::Paid as i32,
            ..Default::default()
        })
        .await
        .expect("list")
        .into_inner()
        .payments;
    assert_eq!(
        paid_only.iter().map(|p| p.payment_id.clone()).collect::<Vec<_>>(),
        vec![june_id.clone(), first.payment_id.clone()]
    );

    // an omprövning of the paid March decision pays only the difference, and nothing when there is none
    let same = bistand::DecideApplicationRequest {
        request_id: new_request_id(),
        application_id: march.application_id.clone(),
        outcome: Granted as i32,
        supersedes_decision_id: march.decision_id.clone(),
        ..Default::default()
    };
    let same = decide(&mut client, same).await;
    let nothing = client.create_payment(payment_request(&same, &new_request_id())).await.expect_err("paid already");
    assert_eq!(nothing.code(), Code::FailedPrecondition);
    let mut higher = application(&h, (2021, 3), vec![housing(6_000)], vec![]);
    higher.application.as_mut().expect("app").supersedes_application_id = march.application_id.clone();
    let higher = apply(&mut client, higher).await;
    let mut omprovning = decide_request(&higher, Granted);
    omprovning.supersedes_decision_id = same.decision_id.clone();
    let omprovning = decide(&mut client, omprovning).await;
    assert_eq!(granted(&omprovning), 10_180 * KR);
    let difference =
        client.create_payment(payment_request(&omprovning, &new_request_id())).await.expect("difference").into_inner();
    assert_eq!(difference.payment.expect("payment").amount, money(1_000));

    // the feed: planned, paid and stopped status events, and the budget position after the payment
    let payloads = feed(&suite).await;
    let statuses: Vec<i32> = payloads
        .iter()
        .filter(|any| any.type_url.ends_with("PaymentStatusChangedEvent"))
        .map(|any| bistand::PaymentStatusChangedEvent::decode(any.value.as_slice()).expect("event").status)
        .collect();
    assert_eq!(statuses.iter().filter(|s| **s == bistand::PaymentStatus::Planned as i32).count(), 4);
    assert_eq!(statuses.iter().filter(|s| **s == bistand::PaymentStatus::Paid as i32).count(), 2);
    assert_eq!(statuses.iter().filter(|s| **s == bistand::PaymentStatus::Stopped as i32).count(), 1);
    let budget: Vec<bistand::BudgetStatusEvent> = payloads
        .iter()
        .filter(|any| any.type_url.ends_with("BudgetStatusEvent"))
        .map(|any| bistand::BudgetStatusEvent::decode(any.value.as_slice()).expect("event"))
        .collect();
    assert_eq!(budget.len(), 2);
    assert_eq!((budget[1].year, budget[1].paid_to_date), (2021, money(2 * 9_180)));
    suite
}
backend_tests!(a_granted_decision_is_paid_once_even_when_submitted_twice_or_concurrently);

async fn the_budget_position_shows_paid_to_date_and_the_forecast_against_the_budget(suite: TestSuite) -> TestSuite {
    use bistand::DecisionOutcome::Granted;
    let mut client = suite.bistand(Role::Socialsekreterare, KOMMUN);
    let mut chef = suite.bistand(Role::Enhetschef, KOMMUN);
    let set = bistand::SetBudgetRequest { year: 2021, allocated: money(120_000) };
    assert_eq!(client.set_budget(set).await.expect_err("role").code(), Code::PermissionDenied);
    let position = chef.set_budget(set).await.expect("set").into_inner().status.expect("status");
    assert_eq!((position.allocated, position.paid_to_date), (money(120_000), money(0)));

    let h = single(&suite, 51).await;
    let mut pay = async |month: (i32, i32), paid_on: Option<Date>| {
        let decision = month_decided(&mut client, &h, month, 0, Granted).await;
        let payment = client
            .create_payment(bistand::CreatePaymentRequest {
                request_id: new_request_id(),
                decision_id: decision.decision_id.clone(),
                planned_on: paid_on,
            })
            .await
            .expect("plan")
            .into_inner()
            .payment
            .expect("payment");
        client
            .mark_payment_paid(bistand::MarkPaymentPaidRequest { payment_id: payment.payment_id, paid_on })
            .await
            .expect("paid");
    };
    // 9 180 kr paid in January and in February 2021
    pay((2021, 1), date(2021, 1, 15)).await;
    pay((2021, 2), date(2021, 2, 15)).await;
    let status = |as_of| bistand::GetBudgetStatusRequest { year: 2021, as_of };
    let linear = chef
        .get_budget_status(status(Some(YearMonth { year: 2021, month: 2 })))
        .await
        .expect("status")
        .into_inner()
        .status
        .expect("s");
    // run rate 18 360 / 2 × 12 = 110 160; variance −9 840 = −8.20 % of 120 000
    assert_eq!(linear.paid_to_date, money(18_360));
    assert_eq!(linear.forecast, money(110_160));
    assert_eq!(linear.variance, money(-9_840));
    assert_eq!(linear.variance_basis_points, Some(-820));
    assert_eq!(linear.method, bistand::ForecastMethod::LinearRunRate as i32);
    // as of January only the January payment counts
    let january = chef
        .get_budget_status(status(Some(YearMonth { year: 2021, month: 1 })))
        .await
        .expect("status")
        .into_inner()
        .status
        .expect("s");
    assert_eq!((january.paid_to_date, january.forecast), (money(9_180), money(110_160)));
    // with last year's pattern: 9 160 kr paid in January 2020 and nothing else that year
    pay((2020, 1), date(2020, 1, 20)).await;
    let seasonal = chef
        .get_budget_status(status(Some(YearMonth { year: 2021, month: 2 })))
        .await
        .expect("status")
        .into_inner()
        .status
        .expect("s");
    // 18 360 × 9 160 / 9 160
    assert_eq!(seasonal.method, bistand::ForecastMethod::SeasonalRatio as i32);
    assert_eq!(seasonal.forecast, money(18_360));
    assert_eq!(seasonal.variance_basis_points, Some(-8_470));
    // the socialsekreterare does not read the budget; another municipality has its own
    let denied =
        suite.bistand(Role::Socialsekreterare, KOMMUN).get_budget_status(status(None)).await.expect_err("role");
    assert_eq!(denied.code(), Code::PermissionDenied);
    let other = suite
        .bistand(Role::Enhetschef, OTHER_KOMMUN)
        .get_budget_status(status(None))
        .await
        .expect("other")
        .into_inner()
        .status
        .expect("s");
    assert_eq!((other.allocated, other.paid_to_date, other.variance_basis_points), (money(0), money(0), None));
    suite
}
backend_tests!(the_budget_position_shows_paid_to_date_and_the_forecast_against_the_budget);

async fn consent_and_referral(suite: &TestSuite, h: &bistand::Household) -> (bistand::Consent, bistand::Referral) {
    let mut client = suite.bistand(Role::Socialsekreterare, KOMMUN);
    let consent = client
        .record_consent(bistand::RecordConsentRequest {
            request_id: new_request_id(),
            consent: Some(bistand::Consent {
                household_id: h.household_id.clone(),
                member_id: h.members[0].member_id.clone(),
                recipient_unit: bistand::RecipientUnit::Arbetsmarknadsenheten as i32,
                scopes: vec![bistand::ConsentScope::Referral as i32, bistand::ConsentScope::ReportBack as i32],
                given_on: date(2021, 1, 4),
                ..Default::default()
            }),
        })
        .await
        .expect("consent")
        .into_inner()
        .consent
        .expect("consent");
    let referral = client
        .create_referral(bistand::CreateReferralRequest {
            request_id: new_request_id(),
            household_id: h.household_id.clone(),
            member_id: h.members[0].member_id.clone(),
            reason: "arbetsträning".into(),
        })
        .await
        .expect("referral")
        .into_inner()
        .referral
        .expect("referral");
    (consent, referral)
}

fn report(
    referral: &bistand::Referral,
    kind: bistand::LabourMarketReportKind,
    occurred_on: Option<Date>,
) -> bistand::ReceiveLabourMarketReportRequest {
    bistand::ReceiveLabourMarketReportRequest {
        report_id: new_request_id(),
        referral_id: referral.referral_id.clone(),
        kind: kind as i32,
        occurred_on,
        exit_outcome: if kind == bistand::LabourMarketReportKind::Exited {
            ExitOutcome::OrdinaryEmployment as i32
        } else {
            0
        },
        summary: "Ny planering: praktik".into(),
        ..Default::default()
    }
}

async fn case_reports(
    suite: &TestSuite,
    kommun: &str,
    h: &bistand::Household,
) -> Result<bistand::ListCaseReportsResponse, tonic::Status> {
    suite
        .bistand(Role::Socialsekreterare, kommun)
        .list_case_reports(bistand::ListCaseReportsRequest {
            household_id: h.household_id.clone(),
            ..Default::default()
        })
        .await
        .map(|r| r.into_inner())
}

async fn labour_market_reports_need_active_consent_and_are_stored_once(suite: TestSuite) -> TestSuite {
    use bistand::LabourMarketReportKind::{Exited, PlanChanged, UnexcusedAbsence};
    let h = single(&suite, 61).await;
    let (consent, referral) = consent_and_referral(&suite, &h).await;
    let mut insatser = suite.bistand_from(Workload::Insatser, KOMMUN);
    let plan = report(&referral, PlanChanged, date(2021, 2, 1));
    let first = insatser.receive_labour_market_report(plan.clone()).await.expect("report").into_inner();
    let retried = insatser.receive_labour_market_report(plan).await.expect("retry").into_inner();
    assert_eq!(first.case_report_id, retried.case_report_id);
    let listed = case_reports(&suite, KOMMUN, &h).await.expect("list");
    assert_eq!(listed.reports.len(), 1);
    assert!(listed.has_active_plan);
    assert_eq!(listed.reports[0].kind, PlanChanged as i32);
    // invalid: an absence report without a count
    let no_count = report(&referral, UnexcusedAbsence, date(2021, 2, 10));
    assert_eq!(insatser.receive_labour_market_report(no_count).await.expect_err("count").code(), Code::InvalidArgument);
    // only the system role may post; another municipality can neither post nor read
    let mut case_worker = suite.bistand(Role::Socialsekreterare, KOMMUN);
    let posted = case_worker.receive_labour_market_report(report(&referral, Exited, date(2021, 3, 1))).await;
    assert_eq!(posted.expect_err("role").code(), Code::PermissionDenied);
    let mut stranger = suite.bistand_from(Workload::Insatser, OTHER_KOMMUN);
    let foreign = stranger.receive_labour_market_report(report(&referral, Exited, date(2021, 3, 1))).await;
    assert_eq!(foreign.expect_err("other municipality").code(), Code::NotFound);
    assert_eq!(case_reports(&suite, OTHER_KOMMUN, &h).await.expect_err("hidden").code(), Code::NotFound);
    // an exit ends the active plan
    insatser.receive_labour_market_report(report(&referral, Exited, date(2021, 3, 1))).await.expect("exit");
    let listed = case_reports(&suite, KOMMUN, &h).await.expect("list");
    assert_eq!(listed.reports.len(), 2);
    assert_eq!(listed.reports[0].kind, Exited as i32, "newest first");
    assert!(!listed.has_active_plan);
    // after withdrawal, sharing stops: refused and nothing stored
    suite
        .bistand(Role::Socialsekreterare, KOMMUN)
        .withdraw_consent(bistand::WithdrawConsentRequest {
            consent_id: consent.consent_id.clone(),
            withdrawn_on: date(2021, 3, 5),
        })
        .await
        .expect("withdraw");
    let refused = insatser.receive_labour_market_report(report(&referral, PlanChanged, date(2021, 3, 10))).await;
    assert_eq!(refused.expect_err("withdrawn").code(), Code::FailedPrecondition);
    let db = suite.database(ServiceKind::Bistand).await;
    assert_eq!(count_rows(&db, "case_report").await, 2);
    assert_eq!(count_rows(&db, "audit_log WHERE subject_kind = 'case_report' AND outcome = 'created'").await, 2);
    assert!(count_rows(&db, "audit_log WHERE subject_kind = 'case_report' AND outcome = 'read'").await >= 3);
    suite
}
backend_tests!(labour_market_reports_need_active_consent_and_are_stored_once);

async fn decision_support_proposes_bifall_for_a_standard_case_and_routes_the_rest_to_manual_handling(
    suite: TestSuite,
) -> TestSuite {
    use bistand::LabourMarketReportKind::{Exited, PlanChanged};
    let mut client = suite.bistand(Role::Socialsekreterare, KOMMUN);
    let mut insatser = suite.bistand_from(Workload::Insatser, KOMMUN);
    let h = single(&suite, 71).await;
    let (_, referral) = consent_and_referral(&suite, &h).await;
    insatser.receive_labour_market_report(report(&referral, PlanChanged, date(2021, 4, 1))).await.expect("plan");
    month_decided(&mut client, &h, (2021, 5), 0, bistand::DecisionOutcome::Granted).await;
    let june = apply(&mut client, application(&h, (2021, 6), vec![housing(5_000)], vec![])).await;
    let propose = |id: &str| bistand::ProposeDecisionRequest { application_id: id.into() };
    let proposal = client.propose_decision(propose(&june.application_id)).await.expect("propose").into_inner();
    assert!(proposal.standard_case, "{:?}", proposal.reason_texts);
    assert!(proposal.reasons.is_empty());
    assert_eq!(proposal.calculation.as_ref().and_then(|c| c.payment), money(9_180));
    let confirm = |token: &str| bistand::ConfirmProposedDecisionRequest {
        request_id: new_request_id(),
        application_id: june.application_id.clone(),
        proposal_token: token.into(),
        notified_on: None,
    };
    assert_eq!(
        client.confirm_proposed_decision(confirm("0000000000000000")).await.expect_err("token").code(),
        Code::FailedPrecondition
    );
    // the plan ends after the proposal: the confirmation is refused
    insatser.receive_labour_market_report(report(&referral, Exited, date(2021, 6, 10))).await.expect("exit");
    let changed = client.confirm_proposed_decision(confirm(&proposal.proposal_token)).await.expect_err("changed");
    assert_eq!(changed.code(), Code::FailedPrecondition);
    let manual = client.propose_decision(propose(&june.application_id)).await.expect("propose").into_inner();
    assert!(!manual.standard_case);
    assert_eq!(manual.reasons, vec![bistand::ManualHandlingReason::NoActivePlan as i32]);
    // a new plan: standard again, confirmed in one call (a retry returns the decision)
    insatser.receive_labour_market_report(report(&referral, PlanChanged, date(2021, 6, 20))).await.expect("plan");
    let proposal = client.propose_decision(propose(&june.application_id)).await.expect("propose").into_inner();
    assert!(proposal.standard_case);
    let request = confirm(&proposal.proposal_token);
    let decision =
        client.confirm_proposed_decision(request.clone()).await.expect("confirm").into_inner().decision.expect("d");
    assert_eq!(decision.outcome, bistand::DecisionOutcome::Granted as i32);
    assert_eq!(granted(&decision), 9_180 * KR);
    let again = client.confirm_proposed_decision(request).await.expect("retry").into_inner().decision.expect("d");
    assert_eq!(again.decision_id, decision.decision_id);

    // manual handling: changed costs and unverified income; confirmation refused
    let mut july = application(&h, (2021, 7), vec![housing(5_500)], vec![]);
    july.application.as_mut().expect("app").income_verified = false;
    let july = apply(&mut client, july).await;
    let manual = client.propose_decision(propose(&july.application_id)).await.expect("propose").into_inner();
    assert!(!manual.standard_case);
    assert_eq!(
        manual.reasons,
        vec![
            bistand::ManualHandlingReason::CostsChanged as i32,
            bistand::ManualHandlingReason::IncomeNotVerified as i32
        ]
    );
    assert_eq!(manual.reason_texts.len(), 2);
    let refused = client
        .confirm_proposed_decision(bistand::ConfirmProposedDecisionRequest {
            request_id: new_request_id(),
            application_id: july.application_id.clone(),
            proposal_token: manual.proposal_token.clone(),
            notified_on: None,
        })
        .await
        .expect_err("manual");
    assert_eq!(refused.code(), Code::FailedPrecondition);
    // a first application has no previous month
    let other = single(&suite, 72).await;
    let first = apply(&mut client, application(&other, (2021, 6), vec![housing(5_000)], vec![])).await;
    let manual = client.propose_decision(propose(&first.application_id)).await.expect("propose").into_inner();
    assert!(manual.reasons.contains(&(bistand::ManualHandlingReason::NoPreviousMonth as i32)));
    suite
}
backend_tests!(decision_support_proposes_bifall_for_a_standard_case_and_routes_the_rest_to_manual_handling);

async fn case_views_page_without_gaps_and_show_only_mine_when_asked(suite: TestSuite) -> TestSuite {
    let mut client = suite.bistand(Role::Socialsekreterare, KOMMUN);
    let h = single(&suite, 81).await;
    let mut applications = Vec::new();
    for month in 1..=5 {
        applications.push(apply(&mut client, application(&h, (2021, month), vec![housing(5_000)], vec![])).await);
    }
    // the household's applications in pages of 2, newest first
    let mut seen = Vec::new();
    let mut token = String::new();
    loop {
        let page = client
            .list_applications(bistand::ListApplicationsRequest {
                household_id: h.household_id.clone(),
                page_size: 2,
                page_token: token.clone(),
                ..Default::default()
            })
            .await
            .expect("page")
            .into_inner();
        assert!(page.applications.len() <= 2);
        seen.extend(page.applications.into_iter().map(|a| a.application_id));
        if page.next_page_token.is_empty() {
            break;
        }
        token = page.next_page_token;
    }
    let expected: Vec<String> = applications.iter().rev().map(|a| a.application_id.clone()).collect();
    assert_eq!(seen, expected);
    // waiting for decision: mine and someone else's view
    let waiting = |only_mine| bistand::ListApplicationsRequest { only_mine, ..Default::default() };
    let mut colleague = suite.bistand_as(Role::Socialsekreterare, KOMMUN, "kollega");
    assert_eq!(client.list_applications(waiting(true)).await.expect("mine").into_inner().applications.len(), 5);
    assert!(colleague.list_applications(waiting(true)).await.expect("theirs").into_inner().applications.is_empty());
    assert_eq!(colleague.list_applications(waiting(false)).await.expect("all").into_inner().applications.len(), 5);
    // decide two: three wait; this month's decisions, mine and not the colleague's
    for app in &applications[..2] {
        decide(&mut client, decide_request(app, bistand::DecisionOutcome::Granted)).await;
    }
    assert_eq!(client.list_applications(waiting(false)).await.expect("waiting").into_inner().applications.len(), 3);
    let decisions = |only_mine| bistand::ListDecisionsRequest { only_mine, ..Default::default() };
    assert_eq!(client.list_decisions(decisions(true)).await.expect("mine").into_inner().decisions.len(), 2);
    assert!(colleague.list_decisions(decisions(true)).await.expect("theirs").into_inner().decisions.is_empty());
    let earlier =
        bistand::ListDecisionsRequest { decided_in: Some(YearMonth { year: 2020, month: 1 }), ..Default::default() };
    assert!(client.list_decisions(earlier).await.expect("earlier").into_inner().decisions.is_empty());
    // the household's history: 5 applications and 2 decisions in pages of 3, newest first
    let mut entries = Vec::new();
    let mut token = String::new();
    loop {
        let page = client
            .get_household_history(bistand::GetHouseholdHistoryRequest {
                household_id: h.household_id.clone(),
                page_size: 3,
                page_token: token.clone(),
            })
            .await
            .expect("history")
            .into_inner();
        assert!(page.entries.len() <= 3);
        entries.extend(page.entries);
        if page.next_page_token.is_empty() {
            break;
        }
        token = page.next_page_token;
    }
    use bistand::history_entry::Entry;
    let kinds: Vec<&str> = entries
        .iter()
        .map(|e| match e.entry.as_ref().expect("entry") {
            Entry::Application(_) => "application",
            Entry::Decision(_) => "decision",
            Entry::Payment(_) => "payment",
            Entry::Referral(_) => "referral",
        })
        .collect();
    assert_eq!(
        kinds,
        vec!["decision", "decision", "application", "application", "application", "application", "application"]
    );
    let hidden = suite
        .bistand(Role::Socialsekreterare, OTHER_KOMMUN)
        .get_household_history(bistand::GetHouseholdHistoryRequest {
            household_id: h.household_id.clone(),
            ..Default::default()
        })
        .await
        .expect_err("hidden");
    assert_eq!(hidden.code(), Code::NotFound);
    suite
}
backend_tests!(case_views_page_without_gaps_and_show_only_mine_when_asked);

async fn gallring_erases_the_case_flow_and_counts_it_as_entries(suite: TestSuite) -> TestSuite {
    use chrono::{Datelike, Months};
    use trappan_bistand::store::gallring::run_gallring;
    let mut client = suite.bistand(Role::Socialsekreterare, KOMMUN);
    let db = suite.database(ServiceKind::Bistand).await;
    let today = chrono::Local::now().date_naive();
    let on = |d: chrono::NaiveDate| date(d.year(), d.month() as i32, d.day() as i32);
    // a household with the whole case flow, last touched now
    let old = single(&suite, 91).await;
    let (_, referral) = consent_and_referral(&suite, &old).await;
    suite
        .bistand_from(Workload::Insatser, KOMMUN)
        .receive_labour_market_report(report(&referral, bistand::LabourMarketReportKind::PlanChanged, on(today)))
        .await
        .expect("report");
    let decision = month_decided(&mut client, &old, (2021, 3), 0, bistand::DecisionOutcome::Granted).await;
    client.create_payment(payment_request(&decision, &new_request_id())).await.expect("payment");
    // a household whose payment is booked three years ahead: its last entry is then
    let later = single(&suite, 92).await;
    let decision = month_decided(&mut client, &later, (2021, 3), 0, bistand::DecisionOutcome::Granted).await;
    let ahead = today.checked_add_months(Months::new(36)).expect("date");
    let payment = client
        .create_payment(bistand::CreatePaymentRequest {
            request_id: new_request_id(),
            decision_id: decision.decision_id.clone(),
            planned_on: on(ahead),
        })
        .await
        .expect("payment")
        .into_inner()
        .payment
        .expect("payment");
    client
        .mark_payment_paid(bistand::MarkPaymentPaidRequest { payment_id: payment.payment_id, paid_on: on(ahead) })
        .await
        .expect("paid");

    let far = today.checked_add_months(Months::new(7 * 12)).expect("date");
    let dry = run_gallring(&db, far, true).await.expect("dry run");
    assert_eq!(dry.households_removed, 1);
    assert_eq!(count_rows(&db, "application").await, 2, "a dry run erases nothing");
    let real = run_gallring(&db, far, false).await.expect("run");
    assert_eq!(real.households_removed, 1);
    for table in ["application", "decision", "payment"] {
        assert_eq!(count_rows(&db, table).await, 1, "{table}: only the later household's remains");
    }
    assert_eq!(count_rows(&db, "case_report").await, 0);
    let kept = client
        .list_applications(bistand::ListApplicationsRequest {
            household_id: later.household_id.clone(),
            ..Default::default()
        })
        .await
        .expect("kept")
        .into_inner()
        .applications;
    assert_eq!(kept.len(), 1);
    suite
}
backend_tests!(gallring_erases_the_case_flow_and_counts_it_as_entries);

/// The decision's calculation rows of a category.
fn rows_of(decision: &bistand::Decision, category: bistand::CalculationRowCategory) -> Vec<(String, i64)> {
    let calculation = decision.calculation.as_ref().expect("calculation");
    calculation
        .rows
        .iter()
        .filter(|row| row.category == category as i32)
        .map(|row| (row.member_id.clone(), row.amount.expect("amount").ore))
        .collect()
}

/// Applies for `month` with housing 5 000 kr and `incomes`, and grants it.
async fn granted_month(
    client: &mut Client,
    household: &bistand::Household,
    month: (i32, i32),
    incomes: Vec<bistand::IncomeLine>,
) -> bistand::Decision {
    let app = apply(client, application(household, month, vec![housing(5_000)], incomes)).await;
    decide(client, decide_request(&app, bistand::DecisionOutcome::Granted)).await
}

async fn a_childs_earned_income_is_disregarded_up_to_one_prisbasbelopp_per_calendar_year(
    suite: TestSuite,
) -> TestSuite {
    let mut client = suite.bistand(Role::Socialsekreterare, KOMMUN);
    let mut child = common::member(&trappan::demo::demo_personnummer(2005, 1, 1, 31), bistand::MemberRole::Child);
    let mut applicant = adult(32, bistand::MemberRole::Applicant);
    for member in [&mut child, &mut applicant] {
        member.member_from = Some(YearMonth { year: 2014, month: 1 });
    }
    let h = household(&suite, vec![applicant, child]).await;
    let (applicant, child) = (h.members[0].member_id.clone(), h.members[1].member_id.clone());
    use bistand::CalculationRowCategory::ChildIncome;

    // May 2019, the child is 14: norm 3 090 + 3 440 (11-14) + common(2) 1 100 = 7 630; + housing 5 000.
    // The child earns 40 000 kr: all within the 2019 prisbasbelopp (46 500), none counted → 12 630.
    let may = granted_month(&mut client, &h, (2019, 5), vec![salary(40_000, &child)]).await;
    assert_eq!(granted(&may), 12_630 * KR);
    assert_eq!(rows_of(&may, ChildIncome), vec![(child.clone(), 40_000 * KR)]);

    // June 2019: the child earns 10 000 kr; 46 500 − 40 000 = 6 500 is left, so 3 500 counts. The
    // applicant's own 1 000 kr salary counts in full (no jobbstimulans yet).
    // 12 630 − 3 500 − 1 000 = 8 130.
    let june = granted_month(&mut client, &h, (2019, 6), vec![salary(10_000, &child), salary(1_000, &applicant)]).await;
    assert_eq!(granted(&june), 8_130 * KR);
    assert_eq!(rows_of(&june, ChildIncome), vec![(child.clone(), 6_500 * KR)]);
    let calculation = june.calculation.clone().expect("calculation");
    assert_eq!(calculation.gross_income.expect("gross").ore, 11_000 * KR);
    assert_eq!(calculation.disregarded_income.expect("disregarded").ore, 6_500 * KR);

    // July 2019: the ceiling is used up; the child's 2 000 kr counts. 12 630 − 2 000 = 10 630.
    let july = granted_month(&mut client, &h, (2019, 7), vec![salary(2_000, &child)]).await;
    assert_eq!(granted(&july), 10_630 * KR);
    assert!(rows_of(&july, ChildIncome).is_empty());

    // January 2020, a new calendar year (prisbasbelopp 47 300): the child, now 15, earns 3 000 kr, all
    // disregarded. Norm 3 150 + 3 950 (15-18) + common(2) 1 120 = 8 220; + 5 000 = 13 220.
    let january = granted_month(&mut client, &h, (2020, 1), vec![salary(3_000, &child)]).await;
    assert_eq!(granted(&january), 13_220 * KR);
    assert_eq!(rows_of(&january, ChildIncome), vec![(child.clone(), 3_000 * KR)]);

    // A year without a loaded prisbasbelopp refuses a child's earned income clearly (2014 has a norm).
    let app = apply(&mut client, application(&h, (2014, 6), vec![housing(5_000)], vec![salary(500, &child)])).await;
    let refused = client
        .decide_application(decide_request(&app, bistand::DecisionOutcome::Granted))
        .await
        .expect_err("no prisbasbelopp for 2014");
    assert_eq!(refused.code(), Code::FailedPrecondition);
    assert!(refused.message().contains("prisbasbelopp") && refused.message().contains("2014"));
    suite
}
backend_tests!(a_childs_earned_income_is_disregarded_up_to_one_prisbasbelopp_per_calendar_year);

async fn the_appeal_deadline_follows_the_notification_and_skips_holidays_and_eves(suite: TestSuite) -> TestSuite {
    let mut client = suite.bistand(Role::Socialsekreterare, KOMMUN);
    let h = single(&suite, 41).await;
    let app = apply(&mut client, application(&h, (2021, 5), vec![housing(5_000)], vec![])).await;
    let mut request = decide_request(&app, bistand::DecisionOutcome::Granted);
    request.decided_on = date(2021, 6, 3);
    let decision = decide(&mut client, request).await;
    // notification unset: the decision day, Thursday 3 June 2021; + 3 weeks = Thursday 24 June 2021
    assert_eq!((decision.notified_on, decision.appeal_deadline), (date(2021, 6, 3), date(2021, 6, 24)));
    assert!(decision.appeal_instruction.contains("senast den 2021-06-24"));
    assert!(decision.appeal_instruction.contains("förvaltningsrätten"));

    // notified a day later, Friday 4 June: + 3 weeks = Friday 25 June 2021, Midsummer Eve → Monday 28 June
    let recorded = client
        .record_notification(bistand::RecordNotificationRequest {
            decision_id: decision.decision_id.clone(),
            notified_on: date(2021, 6, 4),
        })
        .await
        .expect("recorded")
        .into_inner()
        .decision
        .expect("decision");
    assert_eq!((recorded.notified_on, recorded.appeal_deadline), (date(2021, 6, 4), date(2021, 6, 28)));
    assert!(recorded.appeal_instruction.contains("senast den 2021-06-28"));
    assert_eq!((recorded.granted, recorded.decided_on), (decision.granted, decision.decided_on), "not edited");
    let read = client
        .get_decision(bistand::GetDecisionRequest { decision_id: decision.decision_id.clone() })
        .await
        .expect("read")
        .into_inner()
        .decision
        .expect("decision");
    assert_eq!(read.appeal_deadline, date(2021, 6, 28));
    let updated = format!(
        "audit_log WHERE subject_kind = 'decision' AND subject_ref = '{}' AND outcome = 'updated'",
        decision.decision_id
    );
    let db = suite.database(ServiceKind::Bistand).await;
    assert_eq!(count_rows(&db, &updated).await, 1);

    // notified Friday 10 December 2021: + 3 weeks = Friday 31 December, New Year's Eve → (1 January
    // Saturday and New Year's Day, 2 January Sunday) → Monday 3 January 2022.
    let record =
        |day| bistand::RecordNotificationRequest { decision_id: decision.decision_id.clone(), notified_on: day };
    let at_new_year = client.record_notification(record(date(2021, 12, 10))).await.expect("recorded").into_inner();
    assert_eq!(at_new_year.decision.expect("decision").appeal_deadline, date(2022, 1, 3));

    // before the decision day; in the future; missing; unknown; another municipality; another role
    let before = client.record_notification(record(date(2021, 6, 2))).await.expect_err("before");
    assert_eq!(before.code(), Code::FailedPrecondition);
    let future = client.record_notification(record(date(2999, 1, 1))).await.expect_err("future");
    assert_eq!(future.code(), Code::InvalidArgument);
    let fields: Vec<String> = future
        .get_error_details()
        .bad_request()
        .expect("violations")
        .field_violations
        .iter()
        .map(|v| v.field.clone())
        .collect();
    assert_eq!(fields, vec!["notified_on".to_string()]);
    let missing = client.record_notification(record(None)).await.expect_err("missing");
    assert_eq!(missing.code(), Code::InvalidArgument);
    let unknown = client
        .record_notification(bistand::RecordNotificationRequest {
            decision_id: uuid::Uuid::now_v7().to_string(),
            notified_on: date(2021, 6, 4),
        })
        .await
        .expect_err("unknown");
    assert_eq!(unknown.code(), Code::NotFound);
    let elsewhere =
        suite.bistand(Role::Socialsekreterare, OTHER_KOMMUN).record_notification(record(date(2021, 6, 4))).await;
    assert_eq!(elsewhere.expect_err("other municipality").code(), Code::NotFound);
    let chef = suite.bistand(Role::Enhetschef, KOMMUN).record_notification(record(date(2021, 6, 4))).await;
    assert_eq!(chef.expect_err("not the unit head's").code(), Code::PermissionDenied);
    suite
}
backend_tests!(the_appeal_deadline_follows_the_notification_and_skips_holidays_and_eves);
