//! Socialstyrelsen's monthly register file on SQLite and PostgreSQL, through ExportSocialstyrelsenMonth and
//! the `trappan export-socialstyrelsen` command: households with decisions and payments for the month give
//! the expected rows (the members of that month, the children's ages, born abroad, försörjningshinder, the
//! amount paid for the month after an omprövning, stopped payments and avslag left out, another month's
//! payments not counted); another municipality's households never appear; a month without payments gives a
//! header-only file; only an enhetschef may export; every household in the file is audited as read.

use crate::common;
use trappan_platform::testing::Backend;

use common::{Authed, KOMMUN, OTHER_KOMMUN, Person, TestSuite, count_rows, date, new_request_id, number};
use tonic::Code;
use tonic_types::StatusExt;
use trappan_api::bistand::v1::{self as bistand, bistand_service_client::BistandServiceClient};
use trappan_api::common::v1::{Date, Money, YearMonth};
use trappan_bistand::domain::socialstyrelsen::{COLUMNS, LINE_END, SEPARATOR};
use trappan_platform::auth::Role;
use trappan_platform::config::ServiceKind;

type Client = BistandServiceClient<Authed>;

const RPC: &str = "/trappan.bistand.v1.BistandService/ExportSocialstyrelsenMonth";

const A_MAN: Person = (1980, 9, 1, 123);
const A_WOMAN: Person = (1985, 8, 31, 244);
const A_CHILD_12: Person = (2008, 3, 10, 355);
const A_CHILD_17: Person = (2003, 5, 20, 466);
const B_WOMAN: Person = (1990, 2, 14, 578);
const B_MOVED_OUT: Person = (1988, 1, 1, 689);
const C_MAN: Person = (1975, 11, 30, 791);
const D_STOPPED: Person = (1979, 4, 4, 812);
const E_REFUSED: Person = (1981, 6, 6, 923);
const F_JULY: Person = (1982, 7, 7, 134);
const G_ELSEWHERE: Person = (1983, 8, 8, 245);
const H_NO_HINDER: Person = (1984, 9, 9, 356);

fn member(
    person: Person,
    role: bistand::MemberRole,
    born_abroad: Option<bool>,
    hinder: bistand::Forsorjningshinder,
) -> bistand::HouseholdMember {
    bistand::HouseholdMember { born_abroad, forsorjningshinder: hinder as i32, ..common::member(&number(person), role) }
}

fn adult(person: Person, hinder: bistand::Forsorjningshinder) -> bistand::HouseholdMember {
    member(person, bistand::MemberRole::Applicant, Some(false), hinder)
}

async fn household(client: &mut Client, members: Vec<bistand::HouseholdMember>) -> bistand::Household {
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

async fn apply(client: &mut Client, h: &bistand::Household, month: i32, housing_kr: i64, supersedes: &str) -> String {
    client
        .create_application(bistand::CreateApplicationRequest {
            request_id: new_request_id(),
            application: Some(bistand::Application {
                household_id: h.household_id.clone(),
                month: Some(YearMonth { year: 2020, month }),
                cost_lines: vec![bistand::CostLine {
                    kind: bistand::CostKind::Housing as i32,
                    claimed: Some(Money { ore: housing_kr * 100 }),
                    ..Default::default()
                }],
                income_verified: true,
                supersedes_application_id: supersedes.into(),
                ..Default::default()
            }),
        })
        .await
        .expect("application")
        .into_inner()
        .application
        .expect("application")
        .application_id
}

async fn decide(
    client: &mut Client,
    application_id: String,
    outcome: bistand::DecisionOutcome,
    supersedes: &str,
) -> bistand::Decision {
    let refused = outcome == bistand::DecisionOutcome::Refused;
    client
        .decide_application(bistand::DecideApplicationRequest {
            request_id: new_request_id(),
            application_id,
            outcome: outcome as i32,
            reason: if refused { "Inkomsterna täcker behovet".into() } else { String::new() },
            supersedes_decision_id: supersedes.into(),
            ..Default::default()
        })
        .await
        .expect("decision")
        .into_inner()
        .decision
        .expect("decision")
}

async fn pay(client: &mut Client, decision: &bistand::Decision, paid_on: Option<Date>) -> String {
    let payment = client
        .create_payment(bistand::CreatePaymentRequest {
            request_id: new_request_id(),
            decision_id: decision.decision_id.clone(),
            planned_on: date(2020, 8, 25),
        })
        .await
        .expect("payment")
        .into_inner()
        .payment
        .expect("payment");
    if paid_on.is_some() {
        client
            .mark_payment_paid(bistand::MarkPaymentPaidRequest { payment_id: payment.payment_id.clone(), paid_on })
            .await
            .expect("paid");
    }
    payment.payment_id
}

/// Applies for and grants a month with the given housing cost; returns the decision.
async fn granted(client: &mut Client, h: &bistand::Household, month: i32, housing_kr: i64) -> bistand::Decision {
    let application = apply(client, h, month, housing_kr, "").await;
    decide(client, application, bistand::DecisionOutcome::Granted, "").await
}

fn kronor(decision: &bistand::Decision) -> i64 {
    (decision.granted.expect("granted").ore + 50).div_euclid(100)
}

async fn export(
    client: &mut Client,
    year: i32,
    month: i32,
) -> Result<bistand::ExportSocialstyrelsenMonthResponse, tonic::Status> {
    client
        .export_socialstyrelsen_month(bistand::ExportSocialstyrelsenMonthRequest {
            month: Some(YearMonth { year, month }),
        })
        .await
        .map(tonic::Response::into_inner)
}

fn header() -> String {
    format!("{}{LINE_END}", COLUMNS.join(&SEPARATOR.to_string()))
}

/// The file of `rows` (each a list of fields), ordered by the applicant's identity number as the file is.
fn file_of(mut rows: Vec<Vec<String>>) -> String {
    rows.sort_by(|a, b| a[8].cmp(&b[8]));
    let mut text = header();
    for row in rows {
        text.push_str(&row.join(&SEPARATOR.to_string()));
        text.push_str(LINE_END);
    }
    text
}

fn fields(values: &[&str]) -> Vec<String> {
    values.iter().map(|v| v.to_string()).collect()
}

/// The row of a single adult without children in 2020 `month`; `sex_age_hinder` are the register's codes.
fn single_adult_row(
    (kommun, month): (&str, &str),
    kr: i64,
    abroad: &str,
    person: Person,
    sex_age_hinder: [&str; 3],
) -> Vec<String> {
    let household_type = if sex_age_hinder[0] == "1" { "3" } else { "5" };
    let abroad_count = if abroad == "1" { "1" } else { "0" };
    let mut row = fields(&["2020", month, kommun, household_type, "0", "0", &kr.to_string(), abroad_count]);
    row.extend(fields(&[&number(person), "1", abroad, sex_age_hinder[0], sex_age_hinder[1], sex_age_hinder[2]]));
    row.extend(std::iter::repeat_n(String::new(), 6));
    row
}

async fn the_register_file_holds_the_month_s_paid_households_of_the_municipality_only(backend: Backend) {
    use bistand::Forsorjningshinder as Hinder;
    use bistand::MemberRole::{Applicant, Child, CoApplicant};
    let suite = TestSuite::spawn(backend).await;
    let db = suite.database(ServiceKind::Bistand).await;
    let mut client = suite.bistand(Role::Socialsekreterare, KOMMUN);

    // A: a couple with two children, granted and paid.
    let a = household(
        &mut client,
        vec![
            member(A_MAN, Applicant, Some(true), Hinder::UnemployedNoBenefit),
            member(A_WOMAN, CoApplicant, Some(false), Hinder::SickLeaveInsufficientBenefit),
            member(A_CHILD_12, Child, None, Hinder::Unspecified),
            member(A_CHILD_17, Child, None, Hinder::Unspecified),
        ],
    )
    .await;
    let a_decision = granted(&mut client, &a, 8, 7_200).await;
    pay(&mut client, &a_decision, date(2020, 8, 25)).await;
    // B: the co-applicant moved out in June; granted, payment still planned (it counts).
    let mut moved_out = member(B_MOVED_OUT, CoApplicant, Some(true), Hinder::NoObstacle);
    moved_out.member_until = Some(YearMonth { year: 2020, month: 6 });
    let b = household(&mut client, vec![member(B_WOMAN, Applicant, None, Hinder::SocialReasons), moved_out]).await;
    let b_decision = granted(&mut client, &b, 8, 5_100).await;
    pay(&mut client, &b_decision, None).await;
    // C: granted and paid, then an omprövning with a higher cost pays the difference.
    let mut c_man = adult(C_MAN, Hinder::EstablishmentInsufficient);
    c_man.born_abroad = Some(true);
    let c = household(&mut client, vec![c_man]).await;
    let first_application = apply(&mut client, &c, 8, 4_000, "").await;
    let first = decide(&mut client, first_application.clone(), bistand::DecisionOutcome::Granted, "").await;
    pay(&mut client, &first, date(2020, 8, 25)).await;
    let higher = apply(&mut client, &c, 8, 4_900, &first_application).await;
    let omprovning = decide(&mut client, higher, bistand::DecisionOutcome::Granted, &first.decision_id).await;
    pay(&mut client, &omprovning, date(2020, 8, 28)).await;
    assert!(kronor(&omprovning) > kronor(&first), "{backend:?}: the omprövning grants more");
    // D: granted, but the payment was stopped; E: avslag; F: July's assistance, paid in August.
    let d = household(&mut client, vec![adult(D_STOPPED, Hinder::UnemployedNoBenefit)]).await;
    let d_decision = granted(&mut client, &d, 8, 5_000).await;
    let stopped = pay(&mut client, &d_decision, None).await;
    client
        .stop_payment(bistand::StopPaymentRequest {
            payment_id: stopped,
            stopped_on: date(2020, 8, 20),
            reason: "Flyttat från kommunen".into(),
        })
        .await
        .expect("stopped");
    let e = household(&mut client, vec![adult(E_REFUSED, Hinder::UnemployedNoBenefit)]).await;
    let e_application = apply(&mut client, &e, 8, 5_000, "").await;
    decide(&mut client, e_application, bistand::DecisionOutcome::Refused, "").await;
    let f = household(&mut client, vec![adult(F_JULY, Hinder::UnemployedNoBenefit)]).await;
    let f_decision = granted(&mut client, &f, 7, 5_000).await;
    pay(&mut client, &f_decision, date(2020, 8, 3)).await;
    // G: another municipality's household, granted and paid for August.
    let mut elsewhere = suite.bistand(Role::Socialsekreterare, OTHER_KOMMUN);
    let g = household(&mut elsewhere, vec![adult(G_ELSEWHERE, Hinder::UnemployedNoBenefit)]).await;
    let g_decision = granted(&mut elsewhere, &g, 8, 5_000).await;
    pay(&mut elsewhere, &g_decision, date(2020, 8, 25)).await;

    let mut chef = suite.bistand(Role::Enhetschef, KOMMUN);
    let august = export(&mut chef, 2020, 8).await.expect("export");
    let mut a_row = fields(&["2020", "08", KOMMUN, "8", "1", "2", &kronor(&a_decision).to_string(), "1"]);
    a_row.extend(fields(&[&number(A_MAN), "1", "1", "1", "39", "01"]));
    a_row.extend(fields(&[&number(A_WOMAN), "2", "0", "2", "35", "05"]));
    let expected = file_of(vec![
        a_row,
        single_adult_row((KOMMUN, "08"), kronor(&b_decision), "9", B_WOMAN, ["2", "30", "09"]),
        single_adult_row((KOMMUN, "08"), kronor(&omprovning), "1", C_MAN, ["1", "44", "18"]),
    ]);
    assert_eq!(august.content, expected, "{backend:?}");
    assert_eq!((august.households, august.adults), (3, 4), "{backend:?}");
    assert_eq!(august.total_kronor, kronor(&a_decision) + kronor(&b_decision) + kronor(&omprovning));
    for absent in [B_MOVED_OUT, D_STOPPED, E_REFUSED, F_JULY, G_ELSEWHERE, A_CHILD_12] {
        assert!(!august.content.contains(&number(absent)), "{backend:?}: {absent:?} is not in the file");
    }
    let audited = format!(
        "audit_log WHERE subject_kind = 'household' AND outcome = 'read' AND rpc = '{RPC}' AND kommun = '{KOMMUN}'"
    );
    assert_eq!(count_rows(&db, &audited).await, 3, "{backend:?}: each household in the file is audited");
    for h in [&a, &b, &c] {
        let entry = format!("{audited} AND subject_ref = '{}'", h.household_id);
        assert_eq!(count_rows(&db, &entry).await, 1, "{backend:?}");
    }
    let export_entry =
        format!("audit_log WHERE subject_kind = 'socialstyrelsen_export' AND subject_ref = '{KOMMUN}:2020-08'");
    assert_eq!(count_rows(&db, &export_entry).await, 1);

    // July holds F only; the other municipality's file holds G only.
    let july = export(&mut chef, 2020, 7).await.expect("july");
    assert_eq!(
        july.content,
        file_of(vec![single_adult_row((KOMMUN, "07"), kronor(&f_decision), "0", F_JULY, ["2", "38", "01"])]),
        "{backend:?}"
    );
    let other = export(&mut suite.bistand(Role::Enhetschef, OTHER_KOMMUN), 2020, 8).await.expect("other");
    assert_eq!(
        other.content,
        file_of(vec![single_adult_row((OTHER_KOMMUN, "08"), kronor(&g_decision), "0", G_ELSEWHERE, ["1", "37", "01"])]),
        "{backend:?}"
    );

    // A month without payments: the header row only, and nobody audited as read.
    let before = count_rows(&db, &audited).await;
    let september = export(&mut chef, 2020, 9).await.expect("september");
    assert_eq!(september.content, header());
    assert_eq!((september.households, september.adults, september.total_kronor), (0, 0, 0));
    assert_eq!(count_rows(&db, &audited).await, before);

    suite.shutdown().await;
}

async fn the_export_is_refused_to_others_and_on_bad_input_and_names_no_person(backend: Backend) {
    let suite = TestSuite::spawn(backend).await;
    let mut client = suite.bistand(Role::Socialsekreterare, KOMMUN);
    for role in [Role::Socialsekreterare, Role::Analytiker, Role::System] {
        let refused = export(&mut suite.bistand(role, KOMMUN), 2020, 8).await.expect_err("not this role");
        assert_eq!(refused.code(), Code::PermissionDenied, "{backend:?} {role:?}");
    }
    let mut chef = suite.bistand(Role::Enhetschef, KOMMUN);
    let bad = export(&mut chef, 2020, 13).await.expect_err("no such month");
    assert_eq!(bad.code(), Code::InvalidArgument);
    let violations = bad.get_error_details().bad_request().expect("violations").field_violations.clone();
    assert_eq!(violations.iter().map(|v| v.field.as_str()).collect::<Vec<_>>(), vec!["month"]);
    let missing = chef
        .export_socialstyrelsen_month(bistand::ExportSocialstyrelsenMonthRequest { month: None })
        .await
        .expect_err("no month");
    assert_eq!(missing.code(), Code::InvalidArgument);

    // An adult without försörjningshinder: the file cannot be made; the error names the household only.
    let h = household(&mut client, vec![adult(H_NO_HINDER, bistand::Forsorjningshinder::Unspecified)]).await;
    let decision = granted(&mut client, &h, 10, 5_000).await;
    pay(&mut client, &decision, None).await;
    let refused = export(&mut chef, 2020, 10).await.expect_err("missing försörjningshinder");
    assert_eq!(refused.code(), Code::FailedPrecondition, "{backend:?}");
    assert!(refused.message().contains(&h.household_id), "{backend:?}: {}", refused.message());
    assert!(refused.message().contains("försörjningshinder"));
    assert!(!refused.message().contains(&number(H_NO_HINDER)[2..8]), "no identity number in the error");
    suite.shutdown().await;
}

async fn the_command_writes_the_same_file_owner_only_audited_as_the_system_job(backend: Backend) {
    let suite = TestSuite::spawn(backend).await;
    let db = suite.database(ServiceKind::Bistand).await;
    let mut client = suite.bistand(Role::Socialsekreterare, KOMMUN);
    let h = household(&mut client, vec![adult(C_MAN, bistand::Forsorjningshinder::SocialReasons)]).await;
    let decision = granted(&mut client, &h, 8, 5_000).await;
    pay(&mut client, &decision, date(2020, 8, 25)).await;
    let rpc = export(&mut suite.bistand(Role::Enhetschef, KOMMUN), 2020, 8).await.expect("rpc");

    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("fb-0767-2020-08.txt");
    let run = tokio::process::Command::new(env!("CARGO_BIN_EXE_trappan"))
        .args(["export-socialstyrelsen", "--kommun", KOMMUN, "--month", "2020-08", "--out"])
        .arg(&out)
        .env("TRAPPAN__DATA_DIR", dir.path())
        .env("TRAPPAN__BISTAND__DATABASE_URL", &suite.databases[&ServiceKind::Bistand].url)
        .env("RUST_LOG", "warn")
        .output()
        .await
        .expect("the command runs");
    let stdout = String::from_utf8_lossy(&run.stdout).to_string();
    let stderr = String::from_utf8_lossy(&run.stderr).to_string();
    assert!(run.status.success(), "{backend:?}: {stderr}");
    assert_eq!(std::fs::read_to_string(&out).expect("the file"), rpc.content, "{backend:?}");
    assert!(stdout.contains("1 households"), "{stdout}");
    for printed in [&stdout, &stderr] {
        assert!(!printed.contains(&number(C_MAN)[2..8]), "{backend:?}: the content is never printed");
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&out).expect("metadata").permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "{backend:?}: readable by its owner only");
    }
    let job = format!(
        "audit_log WHERE subject_kind = 'household' AND outcome = 'read' AND actor = 'trappan:socialstyrelsen_export' \
         AND role = 'system' AND subject_ref = '{}'",
        h.household_id
    );
    assert_eq!(count_rows(&db, &job).await, 1, "{backend:?}: audited as the system job");

    let bad = tokio::process::Command::new(env!("CARGO_BIN_EXE_trappan"))
        .args(["export-socialstyrelsen", "--kommun", KOMMUN, "--month", "2020-13", "--out"])
        .arg(dir.path().join("never.txt"))
        .env("TRAPPAN__DATA_DIR", dir.path())
        .env("TRAPPAN__BISTAND__DATABASE_URL", &suite.databases[&ServiceKind::Bistand].url)
        .output()
        .await
        .expect("the command runs");
    assert!(!bad.status.success());
    assert!(!dir.path().join("never.txt").exists());
    suite.shutdown().await;
}

common::backend_tests!(on_backend: the_register_file_holds_the_month_s_paid_households_of_the_municipality_only, the_export_is_refused_to_others_and_on_bad_input_and_names_no_person, the_command_writes_the_same_file_owner_only_audited_as_the_system_job);
