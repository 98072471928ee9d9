//! What is paid for a household and month never exceeds its standing grant, through the API, on SQLite and
//! on PostgreSQL (one test case per backend): an omprövning stops the planned payment of the decision it
//! replaces in its own transaction, MarkPaymentPaid refuses a superseded decision's payment, a month paid
//! before a lowering omprövning gets an återkrav claim instead of a negative payment, and a hammer races
//! CreatePayment, omprövning, MarkPaymentPaid and StopPayment for hundreds of rounds and checks the sums.
//!
//! The amounts: a single adult in March 2021 (riksnorm 4 180 kr) with housing 5 000 kr and no income is
//! granted 4 180 + 5 000 = 9 180 kr (D1); the omprövning with housing 4 000 kr grants 4 180 + 4 000 =
//! 8 180 kr (D2).

use crate::common;

use common::{Authed, KOMMUN, TestSuite, new_request_id};
use futures::StreamExt;
use tonic::Code;
use trappan_api::bistand::v1::{self as bistand, bistand_service_client::BistandServiceClient};
use trappan_api::common::v1::{Date, Money, YearMonth};
use trappan_platform::auth::Role;
use trappan_platform::testing::Backend;

type Client = BistandServiceClient<Authed>;

const KR: i64 = 100;
const MONTH: (i32, i32) = (2021, 3);
/// D1: 4 180 kr riksnorm + 5 000 kr housing.
const D1_GRANT_ORE: i64 = 9_180 * KR;
/// D2: 4 180 kr riksnorm + 4 000 kr housing.
const D2_GRANT_ORE: i64 = 8_180 * KR;

fn date(year: i32, month: i32, day: i32) -> Option<Date> {
    Some(Date { year, month, day })
}

/// The month's grant chain before the race: the household, D1 and the reconsidered application D2 decides.
struct Month {
    household_id: String,
    d1: bistand::Decision,
    reconsidered: bistand::Application,
}

async fn decided_month(client: &mut Client, serial: u32) -> Month {
    let number = trappan::demo::demo_personnummer(1985, 5, 10, serial % 1000);
    let household = common::applicant_household(client, &number).await;
    let apply = |housing_kr: i64, supersedes: String| bistand::CreateApplicationRequest {
        request_id: new_request_id(),
        application: Some(bistand::Application {
            household_id: household.household_id.clone(),
            month: Some(YearMonth { year: MONTH.0, month: MONTH.1 }),
            cost_lines: vec![bistand::CostLine {
                kind: bistand::CostKind::Housing as i32,
                claimed: Some(Money { ore: housing_kr * KR }),
                ..Default::default()
            }],
            income_verified: true,
            supersedes_application_id: supersedes,
            ..Default::default()
        }),
    };
    let first = client.create_application(apply(5_000, String::new())).await.expect("application");
    let first = first.into_inner().application.expect("application");
    let d1 = client
        .decide_application(bistand::DecideApplicationRequest {
            request_id: new_request_id(),
            application_id: first.application_id.clone(),
            outcome: bistand::DecisionOutcome::Granted as i32,
            ..Default::default()
        })
        .await
        .expect("D1")
        .into_inner()
        .decision
        .expect("D1");
    assert_eq!(d1.granted.map(|m| m.ore), Some(D1_GRANT_ORE));
    let reconsidered = client.create_application(apply(4_000, first.application_id)).await.expect("reconsidered");
    Month { household_id: household.household_id, d1, reconsidered: reconsidered.into_inner().application.expect("a") }
}

/// The omprövning D2 of the month: the reconsidered application, lowering the grant to 8 180 kr.
fn omprovning_request(month: &Month) -> bistand::DecideApplicationRequest {
    bistand::DecideApplicationRequest {
        request_id: new_request_id(),
        application_id: month.reconsidered.application_id.clone(),
        outcome: bistand::DecisionOutcome::Granted as i32,
        supersedes_decision_id: month.d1.decision_id.clone(),
        ..Default::default()
    }
}

fn pay_request(decision_id: &str) -> bistand::CreatePaymentRequest {
    bistand::CreatePaymentRequest {
        request_id: new_request_id(),
        decision_id: decision_id.into(),
        planned_on: date(2021, 3, 25),
    }
}

fn paid_request(payment_id: &str) -> bistand::MarkPaymentPaidRequest {
    bistand::MarkPaymentPaidRequest { payment_id: payment_id.into(), paid_on: date(2021, 3, 25) }
}

fn stop_request(payment_id: &str) -> bistand::StopPaymentRequest {
    bistand::StopPaymentRequest {
        payment_id: payment_id.into(),
        stopped_on: date(2021, 3, 20),
        reason: "Ny uppgift om boendekostnad".into(),
    }
}

async fn payments_of(client: &mut Client, household_id: &str) -> Vec<bistand::Payment> {
    let request = bistand::ListPaymentsRequest { household_id: household_id.into(), ..Default::default() };
    client.list_payments(request).await.expect("payments").into_inner().payments
}

async fn claims_of(client: &mut Client, household_id: &str) -> Vec<bistand::Claim> {
    let request = bistand::ListClaimsRequest { household_id: household_id.into(), ..Default::default() };
    client.list_claims(request).await.expect("claims").into_inner().claims
}

fn ore(money: Option<Money>) -> i64 {
    money.expect("an amount").ore
}

/// Sums of a month: (paid, planned, open claims), öre.
fn sums(payments: &[bistand::Payment], claims: &[bistand::Claim]) -> (i64, i64, i64) {
    let of = |status: bistand::PaymentStatus| {
        payments.iter().filter(|p| p.status == status as i32).map(|p| ore(p.amount)).sum::<i64>()
    };
    let open = claims.iter().filter(|c| c.status == bistand::ClaimStatus::Open as i32).map(|c| ore(c.amount)).sum();
    (of(bistand::PaymentStatus::Paid), of(bistand::PaymentStatus::Planned), open)
}

/// (a) D1 grants 9 180 kr and its payment is planned; the omprövning D2 lowers the grant to 8 180 kr: D1's
/// planned payment is stopped by the omprövning, paying it is refused, and D2's payment is 8 180 kr.
async fn an_omprovning_stops_the_planned_payment_it_replaces(suite: TestSuite) -> TestSuite {
    let mut client = suite.bistand(Role::Socialsekreterare, KOMMUN);
    let month = decided_month(&mut client, 101).await;
    let p1 = client.create_payment(pay_request(&month.d1.decision_id)).await.expect("P1").into_inner();
    let p1 = p1.payment.expect("P1");
    assert_eq!((ore(p1.amount), p1.status), (D1_GRANT_ORE, bistand::PaymentStatus::Planned as i32));

    let d2 = client.decide_application(omprovning_request(&month)).await.expect("D2").into_inner();
    let d2 = d2.decision.expect("D2");
    assert_eq!(ore(d2.granted), D2_GRANT_ORE);
    let payments = payments_of(&mut client, &month.household_id).await;
    let stopped = payments.iter().find(|p| p.payment_id == p1.payment_id).expect("P1 listed");
    assert_eq!(stopped.status, bistand::PaymentStatus::Stopped as i32);
    assert!(stopped.stopped_on.is_some());
    assert!(stopped.stop_reason.contains(&d2.decision_id), "{}", stopped.stop_reason);

    let refused = client.mark_payment_paid(paid_request(&p1.payment_id)).await.expect_err("P1 is stopped");
    assert_eq!(refused.code(), Code::FailedPrecondition);
    assert!(!refused.message().contains("Testsson"), "no personal data: {}", refused.message());
    let again = client.create_payment(pay_request(&month.d1.decision_id)).await.expect_err("D1 superseded");
    assert_eq!(again.code(), Code::FailedPrecondition);

    let p2 = client.create_payment(pay_request(&d2.decision_id)).await.expect("P2").into_inner();
    let p2 = p2.payment.expect("P2");
    // nothing was paid on D1, so D2's payment is its whole grant: 8 180 kr
    assert_eq!((ore(p2.amount), p2.status), (D2_GRANT_ORE, bistand::PaymentStatus::Planned as i32));
    client.mark_payment_paid(paid_request(&p2.payment_id)).await.expect("P2 paid");
    let (paid, planned, open) =
        sums(&payments_of(&mut client, &month.household_id).await, &claims_of(&mut client, &month.household_id).await);
    assert_eq!((paid, planned, open), (D2_GRANT_ORE, 0, 0));
    suite
}

/// (b) D1's 9 180 kr is paid, then D2 lowers the grant to 8 180 kr: no negative payment, an open claim of
/// 9 180 − 8 180 = 1 000 kr instead; a further omprövning back to 9 180 kr supersedes the claim.
async fn a_paid_month_lowered_by_omprovning_gets_a_claim(suite: TestSuite) -> TestSuite {
    let mut client = suite.bistand(Role::Socialsekreterare, KOMMUN);
    let month = decided_month(&mut client, 102).await;
    let p1 = client.create_payment(pay_request(&month.d1.decision_id)).await.expect("P1").into_inner();
    let p1 = p1.payment.expect("P1");
    client.mark_payment_paid(paid_request(&p1.payment_id)).await.expect("P1 paid");

    let d2 = client.decide_application(omprovning_request(&month)).await.expect("D2").into_inner();
    let d2 = d2.decision.expect("D2");
    let refused = client.create_payment(pay_request(&d2.decision_id)).await.expect_err("nothing more to pay");
    assert_eq!(refused.code(), Code::FailedPrecondition);
    let payments = payments_of(&mut client, &month.household_id).await;
    assert_eq!(payments.len(), 1, "no negative payment: {payments:?}");
    let claims = claims_of(&mut client, &month.household_id).await;
    assert_eq!(claims.len(), 1, "{claims:?}");
    let claim = &claims[0];
    assert_eq!(ore(claim.amount), 1_000 * KR);
    assert_eq!(claim.status, bistand::ClaimStatus::Open as i32);
    assert_eq!(
        (claim.decision_id.as_str(), claim.replaced_decision_id.as_str()),
        (d2.decision_id.as_str(), month.d1.decision_id.as_str())
    );
    assert_eq!(
        (claim.household_id.as_str(), claim.month),
        (month.household_id.as_str(), Some(YearMonth { year: 2021, month: 3 }))
    );
    assert!(claim.create_time.is_some());

    // an omprövning of D2 granting 9 180 kr again: 9 180 paid − 9 180 granted = 0, the claim is superseded
    let back = client
        .create_application(bistand::CreateApplicationRequest {
            request_id: new_request_id(),
            application: Some(bistand::Application {
                household_id: month.household_id.clone(),
                month: Some(YearMonth { year: MONTH.0, month: MONTH.1 }),
                cost_lines: vec![bistand::CostLine {
                    kind: bistand::CostKind::Housing as i32,
                    claimed: Some(Money { ore: 5_000 * KR }),
                    ..Default::default()
                }],
                income_verified: true,
                supersedes_application_id: month.reconsidered.application_id.clone(),
                ..Default::default()
            }),
        })
        .await
        .expect("application")
        .into_inner()
        .application
        .expect("application");
    let d3 = client
        .decide_application(bistand::DecideApplicationRequest {
            request_id: new_request_id(),
            application_id: back.application_id,
            outcome: bistand::DecisionOutcome::Granted as i32,
            supersedes_decision_id: d2.decision_id.clone(),
            ..Default::default()
        })
        .await
        .expect("D3")
        .into_inner()
        .decision
        .expect("D3");
    assert_eq!(ore(d3.granted), D1_GRANT_ORE);
    let claims = claims_of(&mut client, &month.household_id).await;
    assert_eq!(claims.iter().map(|c| c.status).collect::<Vec<_>>(), vec![bistand::ClaimStatus::Superseded as i32]);

    // the claims of a household nobody may see are not listed to another municipality
    let other = suite.bistand(Role::Socialsekreterare, common::OTHER_KOMMUN);
    let hidden = other
        .clone()
        .list_claims(bistand::ListClaimsRequest { household_id: month.household_id.clone(), ..Default::default() })
        .await
        .expect_err("another municipality");
    assert_eq!(hidden.code(), Code::NotFound);
    suite
}

/// A tiny deterministic generator: the jitter of a round (how often each racer yields before it starts).
fn jitter(round: u32, racer: u32) -> u32 {
    let mut x =
        u64::from(round).wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ u64::from(racer).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x ^= x >> 31;
    x = x.wrapping_mul(0x94D0_49BB_1331_11EB);
    (x >> 40) as u32 % 8
}

async fn yield_times(times: u32) {
    for _ in 0..times {
        tokio::task::yield_now().await;
    }
}

/// An error a racer may meet: the request lost the race (FAILED_PRECONDITION, ALREADY_EXISTS). Anything
/// else (INTERNAL, UNKNOWN, ABORTED after a deadlock) fails the test.
fn lost_the_race(status: &tonic::Status) {
    assert!(matches!(status.code(), Code::FailedPrecondition | Code::AlreadyExists), "unexpected: {status:?}");
}

/// One round: D1 decided, then concurrently CreatePayment(D1) → MarkPaymentPaid, omprövning D2 →
/// CreatePayment(D2) → MarkPaymentPaid, a second MarkPaymentPaid of D1's payment and (every other round)
/// StopPayment of it. Then the month's sums must hold. Answers how the round ended.
async fn race_round(client: Client, round: u32) -> String {
    let mut setup = client.clone();
    let month = decided_month(&mut setup, round).await;
    let (p1_sender, p1) = tokio::sync::watch::channel(None::<String>);
    let pay_d1 = {
        let mut c = client.clone();
        let request = pay_request(&month.d1.decision_id);
        async move {
            yield_times(jitter(round, 1)).await;
            let payment = match c.create_payment(request).await {
                Ok(response) => response.into_inner().payment.expect("P1"),
                Err(status) => return lost_the_race(&status),
            };
            p1_sender.send_replace(Some(payment.payment_id.clone()));
            yield_times(jitter(round, 2)).await;
            if let Err(status) = c.mark_payment_paid(paid_request(&payment.payment_id)).await {
                lost_the_race(&status);
            }
        }
    };
    let omprovning = {
        let mut c = client.clone();
        let request = omprovning_request(&month);
        let mut p1 = p1.clone();
        async move {
            // In a third of the rounds the omprövning races the payment of a planned P1, not its planning.
            if round % 3 == 2 {
                let _planned_or_refused = p1.wait_for(Option::is_some).await;
            }
            yield_times(jitter(round, 3)).await;
            let d2 = c.decide_application(request).await.expect("the omprövning is always possible").into_inner();
            let d2 = d2.decision.expect("D2");
            yield_times(jitter(round, 4)).await;
            let payment = match c.create_payment(pay_request(&d2.decision_id)).await {
                Ok(response) => response.into_inner().payment.expect("P2"),
                Err(status) => return lost_the_race(&status),
            };
            if let Err(status) = c.mark_payment_paid(paid_request(&payment.payment_id)).await {
                lost_the_race(&status);
            }
        }
    };
    let pay_p1_again = {
        let mut c = client.clone();
        let mut p1 = p1.clone();
        async move {
            let Ok(id) = p1.wait_for(Option::is_some).await.map(|id| id.clone().expect("an id")) else { return };
            yield_times(jitter(round, 5)).await;
            if let Err(status) = c.mark_payment_paid(paid_request(&id)).await {
                lost_the_race(&status);
            }
        }
    };
    let stop_p1 = {
        let mut c = client.clone();
        let mut p1 = p1.clone();
        async move {
            if round % 2 == 1 {
                return;
            }
            let Ok(id) = p1.wait_for(Option::is_some).await.map(|id| id.clone().expect("an id")) else { return };
            yield_times(jitter(round, 6)).await;
            if let Err(status) = c.stop_payment(stop_request(&id)).await {
                lost_the_race(&status);
            }
        }
    };
    tokio::join!(pay_d1, omprovning, pay_p1_again, stop_p1);

    let mut c = client.clone();
    let payments = payments_of(&mut c, &month.household_id).await;
    let claims = claims_of(&mut c, &month.household_id).await;
    let (paid, planned, open) = sums(&payments, &claims);
    let standing = D2_GRANT_ORE;
    let context =
        format!("round {round}: paid {paid}, planned {planned}, open claims {open}: {payments:#?} {claims:#?}");
    assert!(payments.iter().all(|p| ore(p.amount) > 0), "no negative or empty payment; {context}");
    assert!(paid + planned - open <= standing, "never more than the standing grant; {context}");
    assert_eq!(open, (paid - standing).max(0), "what is paid above the standing grant is claimed; {context}");
    let p1 =
        payments.iter().find(|p| p.decision_id == month.d1.decision_id).map(
            |p| match bistand::PaymentStatus::try_from(p.status) {
                Ok(bistand::PaymentStatus::Stopped) if p.stop_reason.contains("omprövning") => {
                    "stopped by the omprövning"
                }
                Ok(bistand::PaymentStatus::Stopped) => "stopped by StopPayment",
                Ok(bistand::PaymentStatus::Paid) => "paid",
                _ => "planned",
            },
        );
    format!("D1's payment {}; paid {} kr, claimed {} kr", p1.unwrap_or("refused"), paid / KR, open / KR)
}

/// (c) The hammer: `rounds` rounds, 8 at a time, each on a household of its own. Prints how the rounds ended.
async fn racing_payments_and_omprovning_never_pay_above_the_standing_grant(backend: Backend, rounds: u32) {
    if !common::configured(backend) {
        return;
    }
    let suite = TestSuite::spawn(backend).await;
    let client = suite.bistand(Role::Socialsekreterare, KOMMUN);
    let started = std::time::Instant::now();
    let outcomes = futures::stream::iter(0..rounds)
        .map(|round| tokio::spawn(race_round(client.clone(), round)))
        .buffer_unordered(8)
        .fold(std::collections::BTreeMap::<String, u32>::new(), |mut outcomes, joined| async move {
            *outcomes.entry(joined.expect("a round runs to its end")).or_default() += 1;
            outcomes
        })
        .await;
    eprintln!("{rounds} racing rounds on {backend:?} in {:.1} s: {outcomes:#?}", started.elapsed().as_secs_f64());
    suite.shutdown().await;
}

/// Rounds of the hammer in `make test` (see docs/reliability.md for the time it takes).
const ROUNDS: u32 = 200;
/// Rounds of the long hammer, run with `--ignored`.
const LONG_ROUNDS: u32 = 2_000;

common::backend_tests!(
    an_omprovning_stops_the_planned_payment_it_replaces,
    a_paid_month_lowered_by_omprovning_gets_a_claim
);

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sqlite_racing_payments_and_omprovning_never_pay_above_the_standing_grant() {
    racing_payments_and_omprovning_never_pay_above_the_standing_grant(Backend::Sqlite, ROUNDS).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn postgres_racing_payments_and_omprovning_never_pay_above_the_standing_grant() {
    racing_payments_and_omprovning_never_pay_above_the_standing_grant(Backend::Postgres, ROUNDS).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
#[ignore = "long: 2 000 racing rounds on PostgreSQL (several minutes); run with --ignored"]
async fn postgres_racing_payments_and_omprovning_never_pay_above_the_standing_grant_long() {
    racing_payments_and_omprovning_never_pay_above_the_standing_grant(Backend::Postgres, LONG_ROUNDS).await;
}
