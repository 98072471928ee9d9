//! Gallring on SQLite and on PostgreSQL: a due household member is erased with an audit entry, a
//! member born on the 15th is kept for research, a dry run changes nothing, a second run erases
//! nothing more, and a household not yet due is left alone.

mod common;

use chrono::{Months, NaiveDate};
use common::{KOMMUN, TestSuite, count_rows, new_request_id};
use sea_orm::{DatabaseConnection, EntityTrait};
use trappan_api::bistand::v1 as bistand;
use trappan_bistand::store::gallring::{GallringReport, run_gallring};
use trappan_bistand::store::household;
use trappan_platform::auth::Role;
use trappan_platform::config::ServiceKind;

/// Creates one household (applicant born on the 15th, co-applicant on the 18th) and returns the
/// day it was registered, read from the store.
async fn household_created_on(suite: &TestSuite, db: &DatabaseConnection) -> NaiveDate {
    let request = bistand::CreateHouseholdRequest {
        request_id: new_request_id(),
        household: Some(bistand::Household {
            members: vec![
                common::member(&trappan::demo::demo_personnummer(1985, 4, 15, 123), bistand::MemberRole::Applicant),
                common::member(&trappan::demo::demo_personnummer(1986, 6, 18, 124), bistand::MemberRole::CoApplicant),
            ],
            ..Default::default()
        }),
    };
    suite.bistand(Role::Socialsekreterare, KOMMUN).create_household(request).await.expect("household created");
    let stored = household::Entity::find().one(db).await.expect("read").expect("a household");
    stored.created_at.date_naive()
}

#[tokio::test]
async fn due_members_are_erased_audited_and_research_births_kept() {
    for backend in common::backends() {
        let suite = TestSuite::spawn(backend).await;
        let db = suite.database(ServiceKind::Bistand).await;
        let created = household_created_on(&suite, &db).await;
        let today = created.checked_add_months(Months::new(7 * 12)).expect("date");
        let due = GallringReport {
            households_examined: 1,
            members_due: 1,
            members_kept_for_research: 1,
            households_removed: 0,
        };

        let dry = run_gallring(&db, today, true).await.expect("dry run");
        assert_eq!(dry, due, "{backend:?}");
        assert_eq!(count_rows(&db, "household_member").await, 2, "a dry run changes nothing");
        assert_eq!(count_rows(&db, "audit_log WHERE outcome = 'erased'").await, 0, "a dry run writes nothing");

        let real = run_gallring(&db, today, false).await.expect("run");
        assert_eq!(real, due, "{backend:?}");
        assert_eq!(count_rows(&db, "household_member").await, 1);
        assert_eq!(count_rows(&db, "household_member WHERE personnummer LIKE '______18%'").await, 0);
        assert_eq!(count_rows(&db, "household_member WHERE personnummer LIKE '______15%'").await, 1);
        assert_eq!(count_rows(&db, "household").await, 1, "the kept member keeps the household");
        assert_eq!(
            count_rows(
                &db,
                "audit_log WHERE outcome = 'erased' AND subject_kind = 'household_member' AND actor = 'trappan:gallring'"
            )
            .await,
            1
        );

        let again = run_gallring(&db, today, false).await.expect("second run");
        assert_eq!(again.members_due, 0, "nothing more to erase");
        assert_eq!(again.members_kept_for_research, 1);
        assert_eq!(count_rows(&db, "household_member").await, 1);
        assert_eq!(count_rows(&db, "audit_log WHERE outcome = 'erased'").await, 1);
        suite.shutdown().await;
    }
}

#[tokio::test]
async fn nothing_is_erased_before_it_is_due() {
    for backend in common::backends() {
        let suite = TestSuite::spawn(backend).await;
        let db = suite.database(ServiceKind::Bistand).await;
        let created = household_created_on(&suite, &db).await;
        let today = created.checked_add_months(Months::new(12)).expect("date");
        let report = run_gallring(&db, today, false).await.expect("run");
        assert_eq!(report.households_examined, 1);
        assert_eq!(report.members_due, 0);
        assert_eq!(report.households_removed, 0);
        assert_eq!(count_rows(&db, "household_member").await, 2);
        assert_eq!(count_rows(&db, "audit_log WHERE outcome = 'erased'").await, 0);
        suite.shutdown().await;
    }
}
