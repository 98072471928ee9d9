//! Gallring on SQLite and on PostgreSQL, deciding each household's case file (akt) as a whole: a due file
//! is erased with every member (each erasure audited), a file in which someone was born on the 15th is kept
//! whole, a file in a research municipality (Östergötland, Gotland, Västernorrland, Göteborg) is kept
//! whatever the birth days, a dry run changes nothing, a second run erases nothing more, and a file not yet
//! due is left alone.

use crate::common;
use trappan_platform::testing::Backend;

use chrono::{Months, NaiveDate};
use common::{KOMMUN, TestSuite, count_rows, new_request_id};
use sea_orm::{DatabaseConnection, EntityTrait};
use trappan_api::bistand::v1 as bistand;
use trappan_bistand::store::gallring::{GallringReport, run_gallring};
use trappan_bistand::store::household;
use trappan_platform::auth::Role;
use trappan_platform::config::ServiceKind;

/// Creates a household of an applicant and a co-applicant born on the given days of month in `kommun`.
async fn couple(suite: &TestSuite, kommun: &str, applicant_day: u32, co_applicant_day: u32, serial: u32) {
    let request = bistand::CreateHouseholdRequest {
        request_id: new_request_id(),
        household: Some(bistand::Household {
            members: vec![
                common::member(
                    &trappan::demo::demo_personnummer(1985, 4, applicant_day, serial),
                    bistand::MemberRole::Applicant,
                ),
                common::member(
                    &trappan::demo::demo_personnummer(1986, 6, co_applicant_day, serial + 1),
                    bistand::MemberRole::CoApplicant,
                ),
            ],
            ..Default::default()
        }),
    };
    suite.bistand(Role::Socialsekreterare, kommun).create_household(request).await.expect("household created");
}

/// The day the (first) household was registered, read from the store.
async fn registered_on(db: &DatabaseConnection) -> NaiveDate {
    let stored = household::Entity::find().one(db).await.expect("read").expect("a household");
    stored.created_at.date_naive()
}

async fn a_due_file_goes_whole_and_a_research_birth_keeps_the_whole_file(backend: Backend) {
    let suite = TestSuite::spawn(backend).await;
    let db = suite.database(ServiceKind::Bistand).await;
    // Markaryd (0767): the 5/15/25 rule applies.
    couple(&suite, KOMMUN, 15, 18, 123).await; // kept: the applicant was born on the 15th
    couple(&suite, KOMMUN, 12, 18, 125).await; // due: nobody born on the 5th, 15th or 25th
    let today = registered_on(&db).await.checked_add_months(Months::new(7 * 12)).expect("date");
    let expected =
        GallringReport { households_examined: 2, members_due: 2, members_kept_for_research: 2, households_removed: 1 };

    let dry = run_gallring(&db, today, true).await.expect("dry run");
    assert_eq!(dry, expected, "{backend:?}");
    assert_eq!(count_rows(&db, "household_member").await, 4, "a dry run changes nothing");
    assert_eq!(count_rows(&db, "audit_log WHERE outcome = 'erased'").await, 0, "a dry run writes nothing");

    let real = run_gallring(&db, today, false).await.expect("run");
    assert_eq!(real, expected, "{backend:?}");
    assert_eq!(count_rows(&db, "household").await, 1);
    assert_eq!(count_rows(&db, "household_member").await, 2, "the kept file keeps both its members");
    assert_eq!(count_rows(&db, "household_member WHERE personnummer LIKE '______15%'").await, 1);
    assert_eq!(count_rows(&db, "household_member WHERE personnummer LIKE '______18%'").await, 1);
    assert_eq!(count_rows(&db, "household_member WHERE personnummer LIKE '______12%'").await, 0);
    let erased = |kind: &str| {
        format!("audit_log WHERE outcome = 'erased' AND subject_kind = '{kind}' AND actor = 'trappan:gallring'")
    };
    assert_eq!(count_rows(&db, &erased("household_member")).await, 2, "each erased member is audited");
    assert_eq!(count_rows(&db, &erased("household")).await, 1);

    let again = run_gallring(&db, today, false).await.expect("second run");
    assert_eq!(
        again,
        GallringReport { households_examined: 1, members_due: 0, members_kept_for_research: 2, households_removed: 0 }
    );
    assert_eq!(count_rows(&db, "audit_log WHERE outcome = 'erased'").await, 3);
    suite.shutdown().await;
}

async fn research_municipalities_keep_every_file(backend: Backend) {
    let suite = TestSuite::spawn(backend).await;
    let db = suite.database(ServiceKind::Bistand).await;
    // Nobody born on the 5th, 15th or 25th; Linköping (0580, Östergötland), Gotland (0980), Sundsvall
    // (2281, Västernorrland) and Göteborg (1480) keep everything; Mölndal (1481) does not.
    for (serial, kommun) in [(311, "0580"), (313, "0980"), (315, "2281"), (317, "1480"), (319, "1481")] {
        couple(&suite, kommun, 12, 18, serial).await;
    }
    let today = registered_on(&db).await.checked_add_months(Months::new(7 * 12)).expect("date");
    let report = run_gallring(&db, today, false).await.expect("run");
    assert_eq!(
        report,
        GallringReport { households_examined: 5, members_due: 2, members_kept_for_research: 8, households_removed: 1 },
        "{backend:?}"
    );
    assert_eq!(count_rows(&db, "household WHERE kommun = '1481'").await, 0);
    assert_eq!(count_rows(&db, "household WHERE kommun IN ('0580', '0980', '2281', '1480')").await, 4);
    assert_eq!(count_rows(&db, "household_member").await, 8);
    suite.shutdown().await;
}

async fn nothing_is_erased_before_it_is_due(backend: Backend) {
    let suite = TestSuite::spawn(backend).await;
    let db = suite.database(ServiceKind::Bistand).await;
    couple(&suite, KOMMUN, 12, 18, 123).await;
    let today = registered_on(&db).await.checked_add_months(Months::new(12)).expect("date");
    let report = run_gallring(&db, today, false).await.expect("run");
    assert_eq!(report.households_examined, 1);
    assert_eq!(report.members_due, 0);
    assert_eq!(report.households_removed, 0);
    assert_eq!(count_rows(&db, "household_member").await, 2);
    assert_eq!(count_rows(&db, "audit_log WHERE outcome = 'erased'").await, 0);
    suite.shutdown().await;
}

common::backend_tests!(on_backend: a_due_file_goes_whole_and_a_research_birth_keeps_the_whole_file, research_municipalities_keep_every_file, nothing_is_erased_before_it_is_due);
