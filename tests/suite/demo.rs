//! The demo municipality on SQLite and PostgreSQL: after `trappan seed`, bistand's decisions show 98
//! households granted assistance for August 2019 and 57 for August 2020 (the figures of the domain brief),
//! each granted month is paid on its historical date, every year has its budget, the Socialstyrelsen file
//! of August 2019 has 98 rows, rapport's report shows the same 98 → 57 (−41.8 %) from bistand's change feed,
//! and a second seed adds nothing. The demo is seeded once per backend, as it takes a while.

use crate::common;
use trappan_platform::testing::Backend;

use std::collections::HashSet;

use common::{KOMMUN, TestSuite, count_rows, eventually_within};
use trappan_api::bistand::v1 as bistand;
use trappan_api::common::v1::YearMonth;
use trappan_api::rapport::v1 as rapport;
use trappan_platform::auth::Role;
use trappan_platform::config::ServiceKind;

/// The households granted assistance for `month`, read through ListDecisions (the demo decides each month
/// early in the month applied for). Only standing decisions count.
async fn granted_households(suite: &TestSuite, year: i32, month: i32) -> usize {
    let mut client = suite.bistand(Role::Enhetschef, KOMMUN);
    let mut granted = HashSet::new();
    let mut page_token = String::new();
    loop {
        let page = client
            .list_decisions(bistand::ListDecisionsRequest {
                decided_in: Some(YearMonth { year, month }),
                page_size: 500,
                page_token,
                ..Default::default()
            })
            .await
            .expect("decisions")
            .into_inner();
        for decision in page.decisions {
            let for_month = decision.month == Some(YearMonth { year, month });
            let granted_outcome = decision.outcome == bistand::DecisionOutcome::Granted as i32
                || decision.outcome == bistand::DecisionOutcome::PartlyGranted as i32;
            if for_month && granted_outcome && decision.superseded_by_decision_id.is_empty() {
                granted.insert(decision.household_id);
            }
        }
        if page.next_page_token.is_empty() {
            break;
        }
        page_token = page.next_page_token;
    }
    granted.len()
}

const TABLES: [&str; 9] = [
    "household",
    "household_member",
    "consent",
    "referral",
    "application",
    "decision",
    "payment",
    "budget",
    "outbox_event",
];

async fn counts(suite: &TestSuite) -> Vec<i64> {
    let db = suite.database(ServiceKind::Bistand).await;
    let mut counts = Vec::new();
    for table in TABLES {
        counts.push(count_rows(&db, table).await);
    }
    counts
}

async fn the_seeded_history_shows_98_then_57_granted_households_and_seeding_twice_adds_nothing(backend: Backend) {
    let suite = TestSuite::spawn(backend).await;
    trappan::demo::seed(&suite.settings).await.expect("the demo seeds");

    assert_eq!(granted_households(&suite, 2019, 8).await, 98, "{backend:?}: August 2019");
    assert_eq!(granted_households(&suite, 2020, 8).await, 57, "{backend:?}: August 2020");

    let db = suite.database(ServiceKind::Bistand).await;
    assert_eq!(count_rows(&db, "household").await, 160, "{backend:?}");
    let granted = count_rows(&db, "decision WHERE outcome = 'granted'").await;
    assert!(granted > 2_000, "{backend:?}: {granted} granted months");
    assert_eq!(count_rows(&db, "payment WHERE status = 'paid'").await, granted, "{backend:?}: each paid once");
    assert_eq!(count_rows(&db, "payment WHERE paid_on > '2021-12-31'").await, 0, "paid on historical dates");
    assert!(count_rows(&db, "decision WHERE outcome = 'refused' AND reason <> ''").await >= 10, "avslag");
    assert!(count_rows(&db, "referral").await >= 10, "{backend:?}: referrals follow the consents");

    let mut chef = suite.bistand(Role::Enhetschef, KOMMUN);
    for year in [2019, 2020, 2021] {
        let status = chef
            .get_budget_status(bistand::GetBudgetStatusRequest { year, as_of: None })
            .await
            .expect("budget")
            .into_inner()
            .status
            .expect("status");
        let (allocated, paid) = (status.allocated.expect("allocated").ore, status.paid_to_date.expect("paid").ore);
        assert!(allocated > 0 && paid > 0, "{backend:?}: {year} has a budget and payments");
        assert!(paid <= allocated, "{backend:?}: {year} stays within its budget");
    }
    let file = chef
        .export_socialstyrelsen_month(bistand::ExportSocialstyrelsenMonthRequest {
            month: Some(YearMonth { year: 2019, month: 8 }),
        })
        .await
        .expect("register file")
        .into_inner();
    assert_eq!(file.households, 98, "{backend:?}: the register file agrees");

    let august_2020 = || {
        let mut client = suite.rapport(Role::Enhetschef, KOMMUN);
        async move {
            client
                .get_bistand_report(rapport::GetBistandReportRequest {
                    month: Some(YearMonth { year: 2020, month: 8 }),
                    year: 0,
                })
                .await
                .expect("report")
                .into_inner()
        }
    };
    eventually_within("rapport has applied the demo's decisions", std::time::Duration::from_secs(180), || async {
        august_2020().await.current.and_then(|c| c.granted_households).is_some_and(|c| c.value == 57)
    })
    .await;
    let answer = august_2020().await;
    let earlier = answer.year_earlier.and_then(|f| f.granted_households).expect("a year earlier");
    assert_eq!((earlier.value, earlier.suppressed), (98, false), "{backend:?}: rapport's August 2019");
    let change = answer.change.and_then(|c| c.granted_households).expect("change");
    assert!(change.available);
    assert_eq!(change.basis_points, -4184, "{backend:?}: −41.8 %");

    let before = counts(&suite).await;
    trappan::demo::seed(&suite.settings).await.expect("the demo seeds again");
    assert_eq!(counts(&suite).await, before, "{backend:?}: a second seed adds nothing ({TABLES:?})");
    suite.shutdown().await;
}

common::backend_tests!(on_backend: the_seeded_history_shows_98_then_57_granted_households_and_seeding_twice_adds_nothing);
