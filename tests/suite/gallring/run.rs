//! RunGallring through the gRPC API on SQLite and PostgreSQL: a dry run lists what would go and removes
//! nothing; a real run removes each due case file whole (members, consents, referrals and their deliveries,
//! the household) and audits every erasure and the run itself; a file in which someone was born on the 5th,
//! 15th or 25th is kept whole, with its members born on other days; other
//! municipalities and recent households are left alone; the answer carries no personal data. And the
//! list of per-household tables gallring covers matches the schema.

use crate::common;
use trappan_platform::testing::Backend;

use chrono::{NaiveDate, TimeZone, Utc};
use common::{KOMMUN, OTHER_KOMMUN, Person, TestSuite, count_rows, count_rows_with, new_request_id, number};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, Statement};
use tonic::Code;
use tonic_types::StatusExt;
use trappan_api::bistand::v1 as bistand;
use trappan_api::common::v1::Date;
use trappan_bistand::store::gallring::{HOUSEHOLD_COLUMN, HOUSEHOLD_TABLES};
use trappan_bistand::store::{consent, household, referral};
use trappan_platform::auth::{Role, Workload};
use trappan_platform::config::ServiceKind;

const SPARED_5TH: Person = (1975, 3, 5, 211);
/// Born on the 18th, but in the same case file as persons born on the 5th and 25th: kept with them.
const KEPT_WITH_FILE_18TH: Person = (1977, 8, 18, 222);
const SPARED_25TH: Person = (2012, 1, 25, 233);
const DUE_12TH: Person = (1990, 11, 12, 244);
const SPARED_15TH: Person = (1968, 6, 15, 255);
const OTHER_KOMMUN_DUE: Person = (1982, 2, 3, 266);
const RECENT_DUE: Person = (1995, 4, 9, 277);

async fn create(suite: &TestSuite, kommun: &str, members: &[(Person, bistand::MemberRole)]) -> bistand::Household {
    let request = bistand::CreateHouseholdRequest {
        request_id: new_request_id(),
        household: Some(bistand::Household {
            members: members.iter().map(|(person, role)| common::member(&number(*person), *role)).collect(),
            ..Default::default()
        }),
    };
    suite
        .bistand(Role::Socialsekreterare, kommun)
        .create_household(request)
        .await
        .expect("household created")
        .into_inner()
        .household
        .expect("household")
}

/// Gives the applicant's consent and refers them to insatser, waiting until the referral is delivered.
async fn consent_and_refer(suite: &TestSuite, household: &bistand::Household) {
    let mut client = suite.bistand(Role::Socialsekreterare, KOMMUN);
    client
        .record_consent(bistand::RecordConsentRequest {
            request_id: new_request_id(),
            consent: Some(bistand::Consent {
                household_id: household.household_id.clone(),
                member_id: household.members[0].member_id.clone(),
                recipient_unit: bistand::RecipientUnit::Arbetsmarknadsenheten as i32,
                scopes: vec![bistand::ConsentScope::Referral as i32],
                given_on: Some(Date { year: 2015, month: 3, day: 2 }),
                ..Default::default()
            }),
        })
        .await
        .expect("consent");
    client
        .create_referral(bistand::CreateReferralRequest {
            request_id: new_request_id(),
            household_id: household.household_id.clone(),
            member_id: household.members[0].member_id.clone(),
            reason: "Needs a plan towards work".into(),
        })
        .await
        .expect("referral");
    suite.wait_for_referral(&household.household_id, bistand::ReferralState::Delivered).await;
}

/// Moves a household's registration and referrals back to 2015, as if its last entry were then.
async fn backdate(db: &DatabaseConnection, household_id: &str) {
    let id: uuid::Uuid = household_id.parse().expect("uuid");
    let long_ago = Utc.with_ymd_and_hms(2015, 3, 2, 10, 0, 0).single().expect("a time");
    household::Entity::update_many()
        .col_expr(household::Column::CreatedAt, Expr::value(long_ago))
        .filter(household::Column::Id.eq(id))
        .exec(db)
        .await
        .expect("backdate household");
    referral::Entity::update_many()
        .col_expr(referral::Column::CreatedAt, Expr::value(long_ago))
        .filter(referral::Column::HouseholdId.eq(id))
        .exec(db)
        .await
        .expect("backdate referrals");
    let consents = consent::Entity::find().filter(consent::Column::HouseholdId.eq(id)).all(db).await.expect("read");
    assert!(consents.iter().all(|c| c.given_on <= NaiveDate::from_ymd_opt(2015, 3, 2).expect("a date")));
}

async fn run(suite: &TestSuite, dry_run: bool) -> bistand::RunGallringResponse {
    suite
        .bistand_from(Workload::Gallring, KOMMUN)
        .run_gallring(bistand::RunGallringRequest { dry_run, as_of: None })
        .await
        .expect("gallring runs")
        .into_inner()
}

fn expected_households(mut households: Vec<bistand::GallringHousehold>) -> Vec<bistand::GallringHousehold> {
    households.sort_by(|a, b| a.household_id.cmp(&b.household_id));
    households
}

/// Counts rows of `table` whose identity number is `person`'s.
async fn people(db: &DatabaseConnection, person: Person) -> i64 {
    count_rows(db, &format!("household_member WHERE personnummer = '{}'", number(person))).await
}

async fn dry_run_lists_and_real_run_erases_sparing_research_births(backend: Backend) {
    use bistand::MemberRole::{Applicant, Child, CoApplicant};
    let suite = TestSuite::spawn(backend).await;
    let db = suite.database(ServiceKind::Bistand).await;
    let family =
        create(&suite, KOMMUN, &[(SPARED_5TH, Applicant), (KEPT_WITH_FILE_18TH, CoApplicant), (SPARED_25TH, Child)])
            .await;
    let single = create(&suite, KOMMUN, &[(DUE_12TH, Applicant)]).await;
    consent_and_refer(&suite, &single).await;
    let kept = create(&suite, KOMMUN, &[(SPARED_15TH, Applicant)]).await;
    let elsewhere = create(&suite, OTHER_KOMMUN, &[(OTHER_KOMMUN_DUE, Applicant)]).await;
    create(&suite, KOMMUN, &[(RECENT_DUE, Applicant)]).await;
    for household in [&family, &single, &kept, &elsewhere] {
        backdate(&db, &household.household_id).await;
    }
    let expected = expected_households(vec![bistand::GallringHousehold {
        household_id: single.household_id.clone(),
        members_due: 1,
        household_removed: true,
    }]);

    let dry = run(&suite, true).await;
    assert!(dry.dry_run);
    assert_eq!(dry.as_of, Some(trappan_platform::grpc::to_date(common::today())));
    assert_eq!(
        (dry.households_examined, dry.members_due, dry.members_kept_for_research, dry.households_removed),
        (4, 1, 4, 1),
        "{backend:?}: the other municipality is not examined; recent is examined but not due"
    );
    assert_eq!(dry.households, expected, "{backend:?}");
    assert_eq!(count_rows(&db, "household").await, 5, "a dry run removes nothing");
    assert_eq!(count_rows(&db, "household_member").await, 7);
    assert_eq!(count_rows(&db, "consent").await, 1);
    assert_eq!(count_rows(&db, "referral").await, 1);
    assert_eq!(count_rows(&db, "outbound_delivery").await, 1);
    assert_eq!(count_rows(&db, "audit_log WHERE outcome = 'erased'").await, 0, "nor audits an erasure");
    let run_entry = format!(
        "audit_log WHERE subject_kind = 'gallring_run' AND subject_ref = '{}' AND outcome = 'read' \
         AND rpc = '/trappan.bistand.v1.BistandService/RunGallring' AND role = 'system' AND kommun = '{KOMMUN}'",
        dry.run_id
    );
    assert_eq!(count_rows(&db, &run_entry).await, 1, "the dry run itself is audited");

    let real = run(&suite, false).await;
    assert!(!real.dry_run);
    assert_eq!(
        (real.households_examined, real.members_due, real.members_kept_for_research, real.households_removed),
        (4, 1, 4, 1),
        "{backend:?}"
    );
    assert_eq!(real.households, expected, "{backend:?}");
    assert_eq!(people(&db, DUE_12TH).await, 0, "{backend:?}: a due person is erased");
    for person in [SPARED_5TH, KEPT_WITH_FILE_18TH, SPARED_15TH, SPARED_25TH, OTHER_KOMMUN_DUE, RECENT_DUE] {
        assert_eq!(people(&db, person).await, 1, "{backend:?}: spared, elsewhere or not due");
    }
    let single_id = &single.household_id;
    assert_eq!(count_rows_with(&db, "household", "id", single_id).await, 0, "emptied household");
    assert_eq!(count_rows(&db, "household").await, 4);
    assert_eq!(count_rows(&db, "consent").await, 0, "the erased member's consent goes");
    assert_eq!(count_rows(&db, "referral").await, 0, "and the referral");
    assert_eq!(count_rows(&db, "outbound_delivery").await, 0, "and its delivery");
    let erased = |kind: &str| {
        format!(
            "audit_log WHERE outcome = 'erased' AND subject_kind = '{kind}' AND actor = '{}' \
             AND rpc = '/trappan.bistand.v1.BistandService/RunGallring'",
            Workload::Gallring.subject()
        )
    };
    assert_eq!(count_rows(&db, &erased("household_member")).await, 1, "each erasure is audited");
    assert_eq!(count_rows(&db, &erased("household")).await, 1);
    assert_eq!(count_rows(&db, "audit_log WHERE subject_kind = 'gallring_run'").await, 2);

    let again = run(&suite, false).await;
    assert_eq!((again.members_due, again.households_removed, again.households.len()), (0, 0, 0));
    assert_eq!(again.members_kept_for_research, 4);

    let answer = format!("{dry:?}{real:?}");
    for person in [SPARED_5TH, KEPT_WITH_FILE_18TH, SPARED_25TH, DUE_12TH, SPARED_15TH] {
        let digits = number(person);
        assert!(!answer.contains(&digits[2..]), "no identity number in the answer");
    }
    assert!(!answer.contains("Testsson"), "no names in the answer");
    suite.shutdown().await;
}

async fn only_the_system_runs_gallring_and_never_ahead_of_time(backend: Backend) {
    let suite = TestSuite::spawn(backend).await;
    let db = suite.database(ServiceKind::Bistand).await;
    let household = create(&suite, KOMMUN, &[(DUE_12TH, bistand::MemberRole::Applicant)]).await;
    for role in [Role::Socialsekreterare, Role::Enhetschef, Role::Analytiker] {
        let refused = suite
            .bistand(role, KOMMUN)
            .run_gallring(bistand::RunGallringRequest { dry_run: true, as_of: None })
            .await
            .expect_err("not for this role");
        assert_eq!(refused.code(), Code::PermissionDenied, "{role:?}");
    }

    let ahead = Date { year: 2099, month: 1, day: 1 };
    let mut system = suite.bistand_from(Workload::Gallring, KOMMUN);
    let refused = system
        .run_gallring(bistand::RunGallringRequest { dry_run: false, as_of: Some(ahead) })
        .await
        .expect_err("a real run in the future");
    assert_eq!(refused.code(), Code::InvalidArgument);
    let fields: Vec<String> = refused
        .get_error_details()
        .bad_request()
        .expect("field violations")
        .field_violations
        .iter()
        .map(|v| v.field.clone())
        .collect();
    assert_eq!(fields, vec!["as_of".to_string()]);
    let bad_date = Date { year: 2030, month: 2, day: 30 };
    let refused = system
        .run_gallring(bistand::RunGallringRequest { dry_run: true, as_of: Some(bad_date) })
        .await
        .expect_err("no such day");
    assert_eq!(refused.code(), Code::InvalidArgument);

    // A dry run may look ahead: in 2099 the household registered today is due.
    let ahead_run = system
        .run_gallring(bistand::RunGallringRequest { dry_run: true, as_of: Some(ahead) })
        .await
        .expect("dry run ahead")
        .into_inner();
    assert_eq!(ahead_run.members_due, 1);
    assert_eq!(ahead_run.households.len(), 1);
    assert_eq!(ahead_run.households[0].household_id, household.household_id);
    assert_eq!(count_rows(&db, "household_member").await, 1, "{backend:?}: nothing removed");
    assert_eq!(count_rows(&db, "audit_log WHERE outcome = 'erased'").await, 0);
    suite.shutdown().await;
}

/// Every table with a `household_id` column, read from the live schema.
async fn tables_with_household_column(db: &DatabaseConnection) -> Vec<String> {
    let backend = db.get_database_backend();
    let sql = match backend {
        sea_orm::DatabaseBackend::Sqlite => format!(
            "SELECT m.name AS name FROM sqlite_master m JOIN pragma_table_info(m.name) p \
             WHERE m.type = 'table' AND p.name = '{HOUSEHOLD_COLUMN}' ORDER BY m.name"
        ),
        _ => format!(
            "SELECT table_name::text AS name FROM information_schema.columns \
             WHERE table_schema = current_schema() AND column_name = '{HOUSEHOLD_COLUMN}' ORDER BY table_name"
        ),
    };
    db.query_all_raw(Statement::from_string(backend, sql))
        .await
        .expect("schema")
        .iter()
        .map(|row| row.try_get::<String>("", "name").expect("name"))
        .collect()
}

async fn gallring_covers_every_table_that_names_a_household(backend: Backend) {
    let suite = TestSuite::spawn(backend).await;
    let db = suite.database(ServiceKind::Bistand).await;
    let tables = tables_with_household_column(&db).await;
    assert!(tables.contains(&"household_member".to_string()), "{backend:?}: {tables:?}");
    for table in &tables {
        assert!(
            table == "household_member" || HOUSEHOLD_TABLES.iter().any(|t| t.table == table),
            "{backend:?}: table {table} holds household data but gallring does not know it: add it to \
             trappan_bistand::store::gallring::HOUSEHOLD_TABLES"
        );
    }
    for known in HOUSEHOLD_TABLES {
        assert!(tables.iter().any(|t| t == known.table), "{backend:?}: {} is not in the schema", known.table);
    }
    suite.shutdown().await;
}

common::backend_tests!(on_backend: dry_run_lists_and_real_run_erases_sparing_research_births, only_the_system_runs_gallring_and_never_ahead_of_time, gallring_covers_every_table_that_names_a_household);
