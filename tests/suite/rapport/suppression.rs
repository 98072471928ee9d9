//! Small-number protection through the API with the default threshold (fewer than 5 suppressed): a count below
//! it is never shown, and in every line of a report (cells with their total) the number of suppressed entries is
//! never exactly one, so no subtraction of shown figures gives a suppressed one back.

use super::support as rapport_support;
use crate::common;
use trappan_platform::testing::Backend;

use common::TestSuite;
use rapport_support::{FED_KOMMUN, Feeder, date, granted, month, month_period, shown, suppressed};
use trappan_api::common::v1::ExitOutcome;
use trappan_api::insatser::v1 as insatser;
use trappan_api::rapport::v1::{self as rapport, PeopleCount};
use trappan_api::ungsam::v1 as ungsam;
use trappan_platform::auth::Role;
use trappan_rapport::follower::Producer;

/// Fails when a line's shown figures give away a suppressed one: exactly one suppressed entry among the cells and
/// their total, or shown cells that do not add up to a shown total.
fn assert_line_safe(what: &str, cells: &[&Option<PeopleCount>], total: &Option<PeopleCount>) {
    let entries: Vec<&PeopleCount> = cells.iter().map(|c| c.as_ref().expect("cell")).chain(total.as_ref()).collect();
    let hidden = entries.iter().filter(|c| c.suppressed).count();
    assert_ne!(hidden, 1, "{what}: one suppressed entry is recoverable by subtraction");
    assert!(entries.iter().all(|c| !c.suppressed || c.value == 0), "{what}: a suppressed entry carries its value");
    if hidden == 0 {
        let sum: i64 = cells.iter().map(|c| c.as_ref().map_or(0, |c| c.value)).sum();
        assert_eq!(sum, total.as_ref().map_or(0, |t| t.value), "{what}: shown cells add up to the total");
    }
}

async fn suppression_cannot_be_undone_by_subtraction(backend: Backend) {
    let suite = TestSuite::spawn(backend).await;
    let mut feeder = Feeder::new(&suite, FED_KOMMUN).await;
    for h in 0..15 {
        let children = i32::from(h < 3);
        feeder.send(Producer::Bistand, granted(&format!("d{h}"), &format!("h{h}"), (2020, 8), 1, children, 100)).await;
    }
    for p in 0..15 {
        feeder
            .send(
                Producer::Insatser,
                insatser::ParticipantRegisteredEvent {
                    participant_id: format!("p{p}"),
                    registered_on: date(2020, 1, 2),
                    ..Default::default()
                },
            )
            .await;
        let outcome = match p {
            0..7 => ExitOutcome::OrdinaryEmployment,
            7..9 => ExitOutcome::Studies,
            _ => ExitOutcome::Interrupted,
        };
        feeder
            .send(
                Producer::Insatser,
                insatser::ParticipantExitedEvent {
                    participant_id: format!("p{p}"),
                    outcome: outcome as i32,
                    exited_on: date(2020, 8, 14),
                    days_in_programme: 100,
                    ..Default::default()
                },
            )
            .await;
    }
    for y in 0..6 {
        feeder
            .send(
                Producer::Ungsam,
                ungsam::YoungPersonIdentifiedEvent {
                    young_person_id: format!("y{y}"),
                    age: 20,
                    identified_on: date(2020, 8, 1),
                    ..Default::default()
                },
            )
            .await;
        if y < 2 {
            feeder
                .send(
                    Producer::Ungsam,
                    ungsam::ContactRecordedEvent {
                        young_person_id: format!("y{y}"),
                        contacted_on: date(2020, 8, 3),
                        reached: true,
                        first_reached: true,
                        days_since_identified: 2,
                        channel: "phone".into(),
                    },
                )
                .await;
        }
    }
    let mut client = suite.rapport(Role::Analytiker, FED_KOMMUN);

    let bistand = client
        .get_bistand_report(rapport::GetBistandReportRequest { month: month(2020, 8), year: 0 })
        .await
        .expect("report")
        .into_inner()
        .current
        .expect("current");
    assert!(suppressed(&bistand.children), "3 children are fewer than 5");
    assert!(suppressed(&bistand.households_with_children), "3 households with children");
    assert!(suppressed(&bistand.adults), "15 adults shown beside 18 persons would reveal the 3 children");
    assert_eq!(shown(&bistand.persons), 18);
    assert_eq!(shown(&bistand.granted_households), 15);
    assert_line_safe("persons", &[&bistand.adults, &bistand.children], &bistand.persons);
    assert_line_safe(
        "households by children",
        &[&bistand.households_with_children, &bistand.households_without_children],
        &bistand.granted_households,
    );
    assert_line_safe(
        "households by duration",
        &[&bistand.short_term_households, &bistand.long_term_households],
        &bistand.granted_households,
    );

    let children = client
        .get_children_report(rapport::GetChildrenReportRequest { period: month_period(2020, 8) })
        .await
        .expect("children")
        .into_inner();
    assert!(!children.children_difference_available && children.children_difference == 0);
    assert!(!children.children_change.expect("change").available);

    let labour = client
        .get_labour_market_report(rapport::GetLabourMarketReportRequest { period: month_period(2020, 8) })
        .await
        .expect("labour")
        .into_inner()
        .current
        .expect("current");
    let cells: Vec<&Option<PeopleCount>> = labour.exits_by_outcome.iter().map(|e| &e.exits).collect();
    assert_line_safe("exits by outcome", &cells, &labour.exits);
    assert_eq!(shown(&labour.exits), 15);
    let studies = labour.exits_by_outcome.iter().find(|e| e.outcome == ExitOutcome::Studies as i32).expect("studies");
    assert!(suppressed(&studies.exits), "2 exits to studies");
    let work =
        labour.exits_by_outcome.iter().find(|e| e.outcome == ExitOutcome::OrdinaryEmployment as i32).expect("work");
    assert_eq!(shown(&work.exits), 7);

    let young = client
        .get_ungsam_report(rapport::GetUngsamReportRequest { period: month_period(2020, 8) })
        .await
        .expect("ungsam")
        .into_inner()
        .current
        .expect("current");
    assert!(suppressed(&young.reached), "2 reached");
    assert_eq!(shown(&young.identified), 6);
    assert!(!young.coverage.expect("coverage").available, "coverage with 6 identified would reveal 2 reached");
    suite.shutdown().await;
}

#[tokio::test]
async fn the_threshold_is_configurable() {
    let suite =
        TestSuite::spawn_with(trappan_platform::testing::Backend::Sqlite, |s| s.rapport.suppression_threshold = 3)
            .await;
    let mut feeder = Feeder::new(&suite, FED_KOMMUN).await;
    for h in 0..3 {
        feeder.send(Producer::Bistand, granted(&format!("d{h}"), &format!("h{h}"), (2020, 8), 1, 0, 100)).await;
    }
    let report = suite
        .rapport(Role::Analytiker, FED_KOMMUN)
        .get_bistand_report(rapport::GetBistandReportRequest { month: month(2020, 8), year: 0 })
        .await
        .expect("report")
        .into_inner()
        .current
        .expect("current");
    assert_eq!(shown(&report.granted_households), 3, "3 is not below a threshold of 3");
    suite.shutdown().await;
}

common::backend_tests!(on_backend: suppression_cannot_be_undone_by_subtraction);
