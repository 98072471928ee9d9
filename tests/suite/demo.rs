//! The demo municipality on SQLite and PostgreSQL: after `trappan seed`, the figures Markaryd's method became
//! known for (the domain brief, issue 17) read back through bistand's and rapport's reports: 98 → 57 granted
//! households in August (−41.8 %), 53 fewer children in them, the 2020 budget and an October forecast about
//! 45 % under it (also in the management report), exits to work or studies shown, Ungsam reaching most of
//! those it identifies, about 8 800 kr paid per household and month, a year's households about 1.8 times a
//! month's, and some delvis bifall and avslag. Each granted month is paid once on its historical date, and a
//! second seed adds nothing. The demo is seeded once per backend, as it takes a while.

use crate::common;
use trappan_platform::testing::Backend;

use std::collections::HashSet;
use std::time::Duration;

use common::{Authed, KOMMUN, TestSuite, count_rows, eventually_within};
use trappan_api::bistand::v1 as bistand;
use trappan_api::common::v1::YearMonth;
use trappan_api::rapport::v1::{self as rapport, rapport_service_client::RapportServiceClient};
use trappan_platform::auth::Role;
use trappan_platform::config::ServiceKind;

/// The standing decisions for `month`, read through ListDecisions (the demo decides each month early in the
/// month applied for).
async fn decisions(suite: &TestSuite, year: i32, month: i32) -> Vec<bistand::Decision> {
    let mut client = suite.bistand(Role::Enhetschef, KOMMUN);
    let mut decisions = Vec::new();
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
        decisions.extend(
            page.decisions
                .into_iter()
                .filter(|d| d.month == Some(YearMonth { year, month }) && d.superseded_by_decision_id.is_empty()),
        );
        if page.next_page_token.is_empty() {
            break;
        }
        page_token = page.next_page_token;
    }
    decisions
}

fn granted(decision: &bistand::Decision) -> bool {
    decision.outcome == bistand::DecisionOutcome::Granted as i32
        || decision.outcome == bistand::DecisionOutcome::PartlyGranted as i32
}

/// The households granted assistance (in full or in part) for `month`.
async fn granted_households(suite: &TestSuite, year: i32, month: i32) -> usize {
    let decisions = decisions(suite, year, month).await;
    decisions.iter().filter(|d| granted(d)).map(|d| d.household_id.clone()).collect::<HashSet<_>>().len()
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

fn month(year: i32, month: i32) -> Option<YearMonth> {
    Some(YearMonth { year, month })
}

fn shown(count: Option<rapport::PeopleCount>) -> Option<i64> {
    count.filter(|c| !c.suppressed).map(|c| c.value)
}

async fn bistand_report(
    client: &mut RapportServiceClient<Authed>,
    m: Option<YearMonth>,
    year: i32,
) -> rapport::GetBistandReportResponse {
    client
        .get_bistand_report(rapport::GetBistandReportRequest { month: m, year })
        .await
        .expect("bistand report")
        .into_inner()
}

/// Whole kronor as the management report writes them, e.g. `14 270 000 kr` with no-break spaces.
fn kr(ore: i64) -> String {
    let digits = ((ore + 50) / 100).to_string();
    let mut grouped = String::new();
    for (i, digit) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            grouped.push('\u{a0}');
        }
        grouped.push(digit);
    }
    format!("{grouped}\u{a0}kr")
}

/// rapport has applied everything the three feeds had: no event for three seconds from any of them (the
/// demo is seeded, so nothing new is coming).
async fn feeds_quiet(client: &mut RapportServiceClient<Authed>) -> bool {
    let feeds = client.get_feed_status(rapport::GetFeedStatusRequest {}).await.expect("feed status").into_inner().feeds;
    feeds.len() == 3 && feeds.iter().all(|f| f.connected && f.applied_sequence > 0 && f.seconds_since_last_event >= 3)
}

async fn the_seeded_demo_shows_markaryd_s_figures_and_seeding_twice_adds_nothing(backend: Backend) {
    let suite = TestSuite::spawn(backend).await;
    trappan::demo::seed(&suite.settings).await.expect("the demo seeds");

    assert_eq!(granted_households(&suite, 2019, 8).await, 98, "{backend:?}: August 2019");
    assert_eq!(granted_households(&suite, 2020, 8).await, 57, "{backend:?}: August 2020");
    let (mut partly, mut refused) = (0, 0);
    for year in [2019, 2020, 2021] {
        for m in 1..=12 {
            for decision in decisions(&suite, year, m).await {
                partly += usize::from(decision.outcome == bistand::DecisionOutcome::PartlyGranted as i32);
                refused += usize::from(decision.outcome == bistand::DecisionOutcome::Refused as i32);
            }
        }
    }

    let db = suite.database(ServiceKind::Bistand).await;
    let granted_months = count_rows(&db, "decision WHERE outcome IN ('granted', 'partly_granted')").await;
    assert!(granted_months > 2_000, "{backend:?}: {granted_months} granted months");
    assert_eq!(count_rows(&db, "payment WHERE status = 'paid'").await, granted_months, "{backend:?}: each paid once");
    assert_eq!(count_rows(&db, "payment WHERE paid_on > '2021-12-31'").await, 0, "paid on historical dates");
    assert!(count_rows(&db, "referral").await >= 50, "{backend:?}: referrals follow the consents");

    // bistand's own reports: the register file to Socialstyrelsen (households and kronor per month) and the
    // budget position.
    let mut chef = suite.bistand(Role::Enhetschef, KOMMUN);
    let (mut household_months, mut kronor) = (0i64, 0i64);
    for year in [2019, 2020] {
        for m in 1..=12 {
            let file = chef
                .export_socialstyrelsen_month(bistand::ExportSocialstyrelsenMonthRequest { month: month(year, m) })
                .await
                .expect("register file")
                .into_inner();
            if (year, m) == (2019, 8) {
                assert_eq!(file.households, 98, "{backend:?}: the register file agrees");
            }
            household_months += i64::from(file.households);
            kronor += file.total_kronor;
        }
    }
    let per_household_month = kronor / household_months;
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
    let october = chef
        .get_budget_status(bistand::GetBudgetStatusRequest { year: 2020, as_of: month(2020, 10) })
        .await
        .expect("budget")
        .into_inner()
        .status
        .expect("status");
    let allocated_2020 = october.allocated.expect("allocated").ore;
    let bistand_variance = october.variance_basis_points.expect("a variance against the budget");

    // rapport, once it has applied the three feeds.
    let mut reports = suite.rapport(Role::Enhetschef, KOMMUN);
    eventually_within("rapport has applied the demo's feeds", Duration::from_secs(300), || {
        let mut client = reports.clone();
        async move { feeds_quiet(&mut client).await }
    })
    .await;
    let august = bistand_report(&mut reports, month(2020, 8), 0).await;
    let households = |r: &rapport::GetBistandReportResponse| {
        (
            shown(r.year_earlier.as_ref().and_then(|f| f.granted_households)),
            shown(r.current.as_ref().and_then(|f| f.granted_households)),
        )
    };
    let change = august.change.as_ref().and_then(|c| c.granted_households).expect("change");

    let children = reports
        .get_children_report(rapport::GetChildrenReportRequest {
            period: Some(rapport::ReportPeriod {
                kind: Some(rapport::report_period::Kind::Month(YearMonth { year: 2020, month: 8 })),
            }),
        })
        .await
        .expect("children report")
        .into_inner();
    let children_figures = (
        shown(children.year_earlier.as_ref().and_then(|f| f.children)),
        shown(children.current.as_ref().and_then(|f| f.children)),
    );

    let budget = reports
        .get_budget_report(rapport::GetBudgetReportRequest {
            period: Some(rapport::ReportPeriod {
                kind: Some(rapport::report_period::Kind::Month(YearMonth { year: 2020, month: 10 })),
            }),
        })
        .await
        .expect("budget report")
        .into_inner();
    let html = reports
        .get_management_report(rapport::GetManagementReportRequest { month: month(2020, 10) })
        .await
        .expect("management report")
        .into_inner()
        .html;

    let year_2020 = rapport::ReportPeriod { kind: Some(rapport::report_period::Kind::Year(2020)) };
    let labour = reports
        .get_labour_market_report(rapport::GetLabourMarketReportRequest { period: Some(year_2020) })
        .await
        .expect("labour-market report")
        .into_inner()
        .current
        .expect("figures");
    let ungsam = reports
        .get_ungsam_report(rapport::GetUngsamReportRequest { period: Some(year_2020) })
        .await
        .expect("ungsam report")
        .into_inner()
        .current
        .expect("figures");

    let mut turnover = Vec::new();
    for year in [2019, 2020] {
        let in_year = shown(bistand_report(&mut reports, None, year).await.current.and_then(|f| f.granted_households));
        let mut monthly = 0;
        for m in 1..=12 {
            let report = bistand_report(&mut reports, month(year, m), 0).await;
            monthly +=
                shown(report.current.and_then(|f| f.granted_households)).expect("a month's households are shown");
        }
        let in_year = in_year.expect("a year's households are shown");
        turnover.push((year, in_year, monthly as f64 / 12.0));
    }

    let exits = shown(labour.exits);
    let by_outcome: Vec<(i32, Option<i64>)> =
        labour.exits_by_outcome.iter().map(|e| (e.outcome, shown(e.exits))).collect();
    let work_or_studies = labour.exits_to_work_or_studies.filter(|s| s.available).map(|s| s.basis_points);
    let coverage = ungsam.coverage.filter(|s| s.available).map(|s| s.basis_points);
    eprintln!(
        "{backend:?}: households August {:?}, change {} bp; children August {children_figures:?}; budget 2020 {} kr, \
         October forecast {} kr ({} bp in bistand, {:?} bp in rapport); paid per household and month {} kr; \
         turnover {turnover:?}; delvis bifall {partly}, avslag {refused}; labour market 2020: active {:?}, exits \
         {exits:?} ({by_outcome:?}), to work or studies {work_or_studies:?} bp; Ungsam 2020: identified {:?}, reached {:?}",
        households(&august),
        change.basis_points,
        allocated_2020 / 100,
        october.forecast.as_ref().map_or(0, |f| f.ore) / 100,
        bistand_variance,
        budget.forecast_vs_budget.as_ref().map(|c| c.basis_points),
        per_household_month,
        shown(labour.active_participants),
        shown(ungsam.identified),
        shown(ungsam.reached),
    );

    assert_eq!(households(&august), (Some(98), Some(57)), "{backend:?}: rapport's Augusts");
    assert!(change.available);
    assert_eq!(change.basis_points, -4184, "{backend:?}: −41.8 %");
    assert_eq!(
        children.children_difference_available.then_some(children.children_difference),
        Some(-53),
        "{backend:?}: 53 fewer children"
    );
    assert_eq!(
        children_figures.0.zip(children_figures.1).map(|(then, now)| now - then),
        Some(-53),
        "{backend:?}: the children of both Augusts are shown"
    );

    assert!(budget.budget_known, "{backend:?}: rapport knows the 2020 budget");
    assert_eq!(budget.allocated.as_ref().map(|m| m.ore), Some(allocated_2020), "{backend:?}: the budget bistand set");
    let against = budget.forecast_vs_budget.as_ref().map(|c| c.basis_points).expect("forecast vs budget");
    assert_eq!(against, bistand_variance, "{backend:?}: rapport shows bistand's October forecast");
    assert!(
        (-4800..=-4200).contains(&against),
        "{backend:?}: the October forecast about 45 % under budget: {against} bp"
    );
    assert!(
        html.contains(&format!("<td>Budget för året</td><td>{}</td>", kr(allocated_2020))),
        "{backend:?}: the management report shows the budget {}",
        kr(allocated_2020)
    );

    assert!(
        (8_300..=9_300).contains(&per_household_month),
        "{backend:?}: {per_household_month} kr a household and month"
    );
    for (year, in_year, monthly) in &turnover {
        let ratio = *in_year as f64 / monthly;
        assert!((1.6..=2.0).contains(&ratio), "{backend:?}: {year}: {in_year} households, {monthly:.1} a month");
    }
    assert!(partly >= 20 && refused >= 20, "{backend:?}: {partly} delvis bifall, {refused} avslag");

    assert!(
        shown(labour.active_participants).is_some_and(|n| n >= 50),
        "{backend:?}: the unit's participants are shown"
    );
    assert!(exits.is_some_and(|n| n >= 30), "{backend:?}: the year's exits are shown");
    assert!(work_or_studies.is_some_and(|bp| bp >= 4_000), "{backend:?}: exits to work or studies are shown");
    assert!(coverage.is_some_and(|bp| bp >= 8_000), "{backend:?}: Ungsam reaches most of those it identifies");

    let before = counts(&suite).await;
    trappan::demo::seed(&suite.settings).await.expect("the demo seeds again");
    assert_eq!(counts(&suite).await, before, "{backend:?}: a second seed adds nothing ({TABLES:?})");
    suite.shutdown().await;
}

common::backend_tests!(on_backend multi_thread: the_seeded_demo_shows_markaryd_s_figures_and_seeding_twice_adds_nothing);
