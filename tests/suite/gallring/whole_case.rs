//! Gallring over a whole case on SQLite and PostgreSQL: a household with applications, decisions (bifall,
//! avslag), payments, a referral and the labour-market unit's case reports, all older than five years, is
//! removed completely by a real RunGallring (no row of any per-household table is left behind); the same
//! case is kept when its members are born on the 5th, 15th and 25th; when only the applicant was born on
//! such a day, the case file is still kept whole (it is decided per file, so no erased person's data can stay
//! inside a kept one); and a payment made within the last five years counts as the household's last entry,
//! so that household is not due.

use crate::common;
use trappan_platform::testing::Backend;

use chrono::{TimeZone, Utc};
use common::{Authed, KOMMUN, TestSuite, count_rows, count_rows_with, date, new_request_id};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter};
use trappan::demo::demo_personnummer;
use trappan_api::bistand::v1::{self as bistand, bistand_service_client::BistandServiceClient};
use trappan_api::common::v1::{Date, Money, YearMonth};
use trappan_bistand::store::gallring::{HOUSEHOLD_COLUMN, HOUSEHOLD_TABLES};
use trappan_bistand::store::{application, case_report, decision, household, payment, referral};
use trappan_platform::auth::{Role, Workload};
use trappan_platform::config::ServiceKind;

type Client = BistandServiceClient<Authed>;

/// Birth dates (year, month, day, serial) of a household's applicant, co-applicant and child.
type Family = [(i32, u32, u32, u32); 3];

const DUE: Family = [(1977, 8, 18, 311), (1980, 2, 3, 322), (2010, 6, 9, 333)];
const RESEARCH: Family = [(1975, 3, 5, 344), (1968, 6, 15, 355), (2011, 1, 25, 366)];
const RECENT_PAYMENT: Family = [(1983, 9, 21, 377), (1984, 4, 2, 388), (2012, 7, 30, 399)];
/// Only the applicant was born on the 5th; the file, with the referred co-applicant and the child, is kept.
const MIXED: Family = [(1979, 12, 5, 411), (1981, 10, 19, 422), (2009, 2, 9, 433)];

fn member(person: (i32, u32, u32, u32), role: bistand::MemberRole) -> bistand::HouseholdMember {
    bistand::HouseholdMember {
        member_from: Some(YearMonth { year: 2014, month: 1 }),
        ..common::member(&demo_personnummer(person.0, person.1, person.2, person.3), role)
    }
}

async fn household(client: &mut Client, family: Family) -> bistand::Household {
    use bistand::MemberRole::{Applicant, Child, CoApplicant};
    let members = vec![member(family[0], Applicant), member(family[1], CoApplicant), member(family[2], Child)];
    client
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

/// Applies for a month of 2014 with housing costs and decides it on the 20th.
async fn month(client: &mut Client, h: &bistand::Household, month: i32, outcome: bistand::DecisionOutcome) -> String {
    let application = client
        .create_application(bistand::CreateApplicationRequest {
            request_id: new_request_id(),
            application: Some(bistand::Application {
                household_id: h.household_id.clone(),
                month: Some(YearMonth { year: 2014, month }),
                cost_lines: vec![bistand::CostLine {
                    kind: bistand::CostKind::Housing as i32,
                    claimed: Some(Money { ore: 6_500 * 100 }),
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
    let refused = outcome == bistand::DecisionOutcome::Refused;
    client
        .decide_application(bistand::DecideApplicationRequest {
            request_id: new_request_id(),
            application_id: application.application_id,
            outcome: outcome as i32,
            reason: if refused { "Ej stått till arbetsmarknadens förfogande".into() } else { String::new() },
            decided_on: date(2014, month, 20),
            ..Default::default()
        })
        .await
        .expect("decision")
        .into_inner()
        .decision
        .expect("decision")
        .decision_id
}

/// A whole case: the consent of the `referred` member (0 the applicant, 1 the co-applicant), a referral, a
/// granted month paid on `paid_on`, a refused month, and two reports from the labour-market unit.
async fn case(suite: &TestSuite, family: Family, referred: usize, paid_on: Option<Date>) -> bistand::Household {
    let mut client = suite.bistand(Role::Socialsekreterare, KOMMUN);
    let h = household(&mut client, family).await;
    let applicant = h.members[referred].member_id.clone();
    client
        .record_consent(bistand::RecordConsentRequest {
            request_id: new_request_id(),
            consent: Some(bistand::Consent {
                household_id: h.household_id.clone(),
                member_id: applicant.clone(),
                recipient_unit: bistand::RecipientUnit::Arbetsmarknadsenheten as i32,
                scopes: vec![bistand::ConsentScope::Referral as i32, bistand::ConsentScope::ReportBack as i32],
                given_on: date(2014, 10, 1),
                ..Default::default()
            }),
        })
        .await
        .expect("consent");
    let referral = client
        .create_referral(bistand::CreateReferralRequest {
            request_id: new_request_id(),
            household_id: h.household_id.clone(),
            member_id: applicant,
            reason: "arbetsträning".into(),
        })
        .await
        .expect("referral")
        .into_inner()
        .referral
        .expect("referral");
    let granted = month(&mut client, &h, 10, bistand::DecisionOutcome::Granted).await;
    month(&mut client, &h, 11, bistand::DecisionOutcome::Refused).await;
    let payment = client
        .create_payment(bistand::CreatePaymentRequest {
            request_id: new_request_id(),
            decision_id: granted,
            planned_on: date(2014, 10, 25),
        })
        .await
        .expect("payment")
        .into_inner()
        .payment
        .expect("payment");
    client
        .mark_payment_paid(bistand::MarkPaymentPaidRequest {
            payment_id: payment.payment_id,
            paid_on: paid_on.or(date(2014, 10, 25)),
        })
        .await
        .expect("paid");
    let mut insatser = suite.bistand_from(Workload::Insatser, KOMMUN);
    for (kind, day) in
        [(bistand::LabourMarketReportKind::PlanChanged, 3), (bistand::LabourMarketReportKind::Exited, 28)]
    {
        insatser
            .receive_labour_market_report(bistand::ReceiveLabourMarketReportRequest {
                report_id: new_request_id(),
                referral_id: referral.referral_id.clone(),
                kind: kind as i32,
                occurred_on: date(2014, 11, day),
                exit_outcome: if kind == bistand::LabourMarketReportKind::Exited {
                    trappan_api::common::v1::ExitOutcome::OrdinaryEmployment as i32
                } else {
                    0
                },
                summary: "Praktik på lager".into(),
                ..Default::default()
            })
            .await
            .expect("report");
    }
    h
}

/// Moves the times the store recorded for a household's case back to November 2014, as if the case had been
/// registered then; the dates the case itself carries are already from 2014.
async fn backdate(db: &DatabaseConnection, household_id: &str) {
    let id: uuid::Uuid = household_id.parse().expect("uuid");
    let then = Expr::value(Utc.with_ymd_and_hms(2014, 11, 30, 10, 0, 0).single().expect("a time"));
    household::Entity::update_many()
        .col_expr(household::Column::CreatedAt, then.clone())
        .filter(household::Column::Id.eq(id))
        .exec(db)
        .await
        .expect("household");
    application::Entity::update_many()
        .col_expr(application::Column::CreatedAt, then.clone())
        .filter(application::Column::HouseholdId.eq(id))
        .exec(db)
        .await
        .expect("applications");
    decision::Entity::update_many()
        .col_expr(decision::Column::CreatedAt, then.clone())
        .filter(decision::Column::HouseholdId.eq(id))
        .exec(db)
        .await
        .expect("decisions");
    payment::Entity::update_many()
        .col_expr(payment::Column::CreatedAt, then.clone())
        .filter(payment::Column::HouseholdId.eq(id))
        .exec(db)
        .await
        .expect("payments");
    case_report::Entity::update_many()
        .col_expr(case_report::Column::ReceivedAt, then.clone())
        .filter(case_report::Column::HouseholdId.eq(id))
        .exec(db)
        .await
        .expect("case reports");
    referral::Entity::update_many()
        .col_expr(referral::Column::CreatedAt, then)
        .filter(referral::Column::HouseholdId.eq(id))
        .exec(db)
        .await
        .expect("referrals");
}

/// The household's rows in every per-household table, by table.
async fn rows_of(db: &DatabaseConnection, household_id: &str) -> Vec<(&'static str, i64)> {
    let mut counts = Vec::new();
    for table in HOUSEHOLD_TABLES.iter().map(|t| t.table).chain(["household_member"]) {
        let n = count_rows_with(db, table, HOUSEHOLD_COLUMN, household_id).await;
        counts.push((table, n));
    }
    counts
}

async fn a_whole_case_is_removed_when_due_and_kept_for_research_births(backend: Backend) {
    let suite = TestSuite::spawn(backend).await;
    let db = suite.database(ServiceKind::Bistand).await;
    let due = case(&suite, DUE, 0, None).await;
    let research = case(&suite, RESEARCH, 0, None).await;
    let recent = case(&suite, RECENT_PAYMENT, 0, date(2022, 6, 1)).await;
    let mixed = case(&suite, MIXED, 1, None).await;
    for h in [&due, &research, &recent, &mixed] {
        backdate(&db, &h.household_id).await;
    }
    let before = rows_of(&db, &due.household_id).await;
    let expected: Vec<(&str, i64)> = vec![
        ("claim", 0),
        ("payment", 1),
        ("decision", 2),
        ("application", 2),
        ("case_report", 2),
        ("referral", 1),
        ("consent", 1),
        ("household_member", 3),
    ];
    assert_eq!(before, expected, "{backend:?}: the whole case is in the store");
    assert_eq!(count_rows(&db, "outbound_delivery").await, 4, "{backend:?}: one delivery per referral");

    let run = suite
        .bistand_from(Workload::Gallring, KOMMUN)
        .run_gallring(bistand::RunGallringRequest { dry_run: false, as_of: None })
        .await
        .expect("gallring")
        .into_inner();
    assert_eq!(
        (run.households_examined, run.members_due, run.members_kept_for_research, run.households_removed),
        (4, 3, 6, 1),
        "{backend:?}: only the due household goes; the recent payment keeps its household"
    );
    assert_eq!(
        run.households,
        vec![bistand::GallringHousehold {
            household_id: due.household_id.clone(),
            members_due: 3,
            household_removed: true
        }]
    );
    let after = rows_of(&db, &due.household_id).await;
    assert!(after.iter().all(|(_, n)| *n == 0), "{backend:?}: nothing of the case is left: {after:?}");
    assert_eq!(count_rows_with(&db, "household", "id", &due.household_id).await, 0);
    assert_eq!(count_rows_with(&db, "household", "id", &research.household_id).await, 1);
    let referral_ids = "SELECT id FROM referral";
    assert_eq!(
        count_rows(&db, &format!("outbound_delivery WHERE id NOT IN ({referral_ids})")).await,
        0,
        "{backend:?}: no delivery is orphaned"
    );
    let orphans = [
        "payment WHERE decision_id NOT IN (SELECT id FROM decision)",
        "decision WHERE application_id NOT IN (SELECT id FROM application)",
        "case_report WHERE referral_id NOT IN (SELECT id FROM referral)",
    ];
    for orphan in orphans {
        assert_eq!(count_rows(&db, orphan).await, 0, "{backend:?}: {orphan}");
    }
    // The mixed file is kept whole with the applicant born on the 5th: the co-applicant's consent,
    // referral and case reports, and every decision's calculation inputs, stay in a file that is kept.
    for kept in [&research, &recent, &mixed] {
        assert_eq!(rows_of(&db, &kept.household_id).await, expected, "{backend:?}: the case is kept whole");
    }
    assert_eq!(
        count_rows(&db, "audit_log WHERE outcome = 'erased' AND subject_kind = 'household_member'").await,
        3,
        "{backend:?}"
    );
    assert_eq!(count_rows(&db, "audit_log WHERE outcome = 'erased' AND subject_kind = 'household'").await, 1);
    suite.shutdown().await;
}

common::backend_tests!(on_backend: a_whole_case_is_removed_when_due_and_kept_for_research_births);
