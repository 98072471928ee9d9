//! The riksnorm through the API: the what-if calculation for more than 20 household compositions across
//! the official (and the derived) years, checked against figures computed by hand from
//! `services/bistand/riksnorm/riksnorm.toml`; missing years and items; the list of tables with provenance;
//! operator-loaded tables that add a year, and a broken one that refuses start-up.

use crate::common;
use trappan_platform::testing::Backend;

use common::{KOMMUN, TestSuite};
use tonic::Code;
use trappan_api::bistand::v1 as bistand;
use trappan_api::common::v1::{Date, YearMonth};
use trappan_platform::auth::Role;

const KR: i64 = 100;

/// A person by role and age in whole years at the end of June of the year asked about.
#[derive(Clone, Copy)]
enum P {
    /// The applicant.
    Applicant,
    /// The co-applicant.
    Co,
    /// A child of this age eating lunch at home.
    Kid(i32),
    /// A child under 7 of this age eating lunch at förskola.
    KidAway(i32),
    /// A 19–20-year-old in upper-secondary school.
    School(i32),
    /// An adult sharing the household without being sambo.
    Other,
}

fn person(p: P, year: i32) -> bistand::NormPerson {
    let born = |age: i32| Some(Date { year: year - age, month: 1, day: 1 });
    let (role, birth_date, lunch, school) = match p {
        P::Applicant => (bistand::MemberRole::Applicant, born(40), false, false),
        P::Co => (bistand::MemberRole::CoApplicant, born(38), false, false),
        P::Kid(age) => (bistand::MemberRole::Child, born(age), false, false),
        P::KidAway(age) => (bistand::MemberRole::Child, born(age), true, false),
        P::School(age) => (bistand::MemberRole::Child, born(age), false, true),
        P::Other => (bistand::MemberRole::OtherAdult, born(45), false, false),
    };
    bistand::NormPerson { role: role as i32, birth_date, lunch_at_school: lunch, in_upper_secondary_school: school }
}

fn request(year: i32, people: &[P]) -> bistand::CalculateNormRequest {
    bistand::CalculateNormRequest {
        month: Some(YearMonth { year, month: 6 }),
        persons: people.iter().map(|p| person(*p, year)).collect(),
    }
}

/// (year, composition, hand-computed norm in kronor, with the working).
fn cases() -> Vec<(i32, Vec<P>, i64)> {
    use P::*;
    vec![
        // 2014: single 2 950 + common(1) 930
        (2014, vec![Applicant], 3_880),
        // couple 5 320 + common(2) 1 040
        (2014, vec![Applicant, Co], 6_360),
        // single + child 5: 2 950 + 1 980 + 1 040
        (2014, vec![Applicant, Kid(5)], 5_970),
        // couple + child 2 at förskola + child 12: 5 320 + 1 800 + 2 840 + common(4) 1 490
        (2014, vec![Applicant, Co, KidAway(2), Kid(12)], 11_450),
        // single + sharing adult: 2 950 + 2 950 + common(2) 1 040 (shared)
        (2014, vec![Applicant, Other], 6_940),
        // single + children 0 and 4 at förskola: 2 950 + 1 610 + 1 730 + common(3) 1 310
        (2014, vec![Applicant, KidAway(0), KidAway(4)], 7_600),
        // 2019: single 3 090 + 990
        (2019, vec![Applicant], 4_080),
        // couple + baby at home: 5 570 + 2 130 + 1 380
        (2019, vec![Applicant, Co, Kid(0)], 9_080),
        // single + children 7 and 15: 3 090 + 2 990 + 3 880 + 1 380
        (2019, vec![Applicant, Kid(7), Kid(15)], 11_340),
        // couple + 3 at förskola, 5, 11, 17: 5 570 + 1 940 + 2 380 + 3 440 + 3 880 + common(6) 2 050
        (2019, vec![Applicant, Co, KidAway(3), Kid(5), Kid(11), Kid(17)], 19_260),
        // 2020 (derived): single 3 150 + 1 010
        (2020, vec![Applicant], 4_160),
        // couple + 19-year-old in gymnasium: 5 680 + 3 980 + common(3) 1 410
        (2020, vec![Applicant, Co, School(19)], 11_070),
        // single + 19-year-old not in school (normed as a sharing adult): 3 150 + 3 150 + common(2) 1 120
        (2020, vec![Applicant, Kid(19)], 7_420),
        // 2021: single 3 160 + 1 020
        (2021, vec![Applicant], 4_180),
        // couple + 1 and 6 at förskola: 5 700 + 2 240 + 2 170 + common(4) 1 610
        (2021, vec![Applicant, Co, KidAway(1), KidAway(6)], 11_720),
        // single + 8, 13, 16: 3 160 + 3 060 + 3 520 + 3 970 + common(4) 1 610
        (2021, vec![Applicant, Kid(8), Kid(13), Kid(16)], 15_320),
        // couple + sharing adult: 5 700 + 3 160 + common(3) 1 420
        (2021, vec![Applicant, Co, Other], 10_280),
        // 2022: single 3 210 + 1 040
        (2022, vec![Applicant], 4_250),
        // couple + 3 at home: 5 800 + 2 210 + common(3) 1 450
        (2022, vec![Applicant, Co, Kid(3)], 9_460),
        // single + 10 and 14: 3 210 + 3 110 + 3 580 + 1 450
        (2022, vec![Applicant, Kid(10), Kid(14)], 11_350),
        // 2023: single 3 490 + 1 130
        (2023, vec![Applicant], 4_620),
        // couple 6 300 + 1 250
        (2023, vec![Applicant, Co], 7_550),
        // couple + 1, 4, 9, 11, 15 (7 persons): 6 300 + 2 700 + 2 700 + 3 380 + 3 890 + 4 390 + common(7) 2 510
        (2023, vec![Applicant, Co, Kid(1), Kid(4), Kid(9), Kid(11), Kid(15)], 25_870),
        // couple + 0, 3, 5, 7, 12, 18 (8 persons): 6 300 + 19 190 + common(8) 2 510 + (2 510 − 2 330)
        (2023, vec![Applicant, Co, Kid(0), Kid(3), Kid(5), Kid(7), Kid(12), Kid(18)], 28_180),
    ]
}

async fn the_what_if_norm_matches_hand_computed_figures_and_names_missing_years(backend: Backend) {
    let suite = TestSuite::spawn(backend).await;
    let mut client = suite.bistand(Role::Socialsekreterare, KOMMUN);
    let all = cases();
    assert!(all.len() >= 20);
    for (year, people, kronor) in &all {
        let breakdown = client
            .calculate_norm(request(*year, people))
            .await
            .unwrap_or_else(|e| panic!("{year} {}: {e}", people.len()))
            .into_inner()
            .breakdown
            .expect("breakdown");
        assert_eq!(breakdown.total.expect("total").ore, kronor * KR, "{year}, {} persons", people.len());
        // one row per person plus the common row; rows add up to the total
        assert_eq!(breakdown.rows.len(), people.len() + 1);
        assert_eq!(breakdown.household_size as usize, people.len());
        let common_row = breakdown.rows.last().expect("common row");
        assert!(common_row.person_index.is_none() && common_row.item.contains("common cost"));
        let mut indexes: Vec<i32> = breakdown.rows.iter().filter_map(|r| r.person_index).collect();
        indexes.sort_unstable();
        assert_eq!(indexes, (0..people.len() as i32).collect::<Vec<_>>());
        let sum: i64 = breakdown.rows.iter().map(|r| r.amount.expect("amount").ore).sum();
        assert_eq!(sum, kronor * KR);
        let provenance = breakdown.provenance.expect("provenance");
        assert_eq!(provenance.year, *year);
        let expected = if *year == 2020 { bistand::NormStatus::Derived } else { bistand::NormStatus::Official };
        assert_eq!(provenance.status, expected as i32);
        assert!(!provenance.source.is_empty() && provenance.version.len() == 16 && !provenance.operator_loaded);
    }
    // a year without a table, and a year without the without-lunch amounts
    let missing = client.calculate_norm(request(2031, &[P::Applicant])).await.expect_err("no 2031 table");
    assert_eq!(missing.code(), Code::FailedPrecondition);
    assert!(missing.message().contains("2031"), "{}", missing.message());
    let no_item = client.calculate_norm(request(2022, &[P::Applicant, P::KidAway(2)])).await.expect_err("2022 lunch");
    assert_eq!(no_item.code(), Code::FailedPrecondition);
    assert!(no_item.message().contains("2022"), "{}", no_item.message());
    // invalid compositions
    let bad = client
        .calculate_norm(bistand::CalculateNormRequest {
            month: Some(YearMonth { year: 2021, month: 13 }),
            persons: vec![],
        })
        .await
        .expect_err("invalid");
    assert_eq!(bad.code(), Code::InvalidArgument);
    let child_first = client.calculate_norm(request(2021, &[P::Kid(3)])).await.expect_err("child first");
    assert_eq!(child_first.code(), Code::InvalidArgument);
    // the tables with provenance
    let tables = client.list_norm_tables(bistand::ListNormTablesRequest {}).await.expect("tables").into_inner().tables;
    assert_eq!(tables.iter().map(|t| t.year).collect::<Vec<_>>(), vec![2014, 2019, 2020, 2021, 2022, 2023]);
    assert!(tables.iter().all(|t| !t.source.is_empty() && !t.version.is_empty()));
    suite.shutdown().await;
}

const TABLE_2031: &str = r#"
[years.2031]
status = "derived"
source = "Test table for 2031"
children_with_lunch_at_home = { age0 = 2500, age1_2 = 2800, age3 = 2500, age4_6 = 2800, age7_10 = 3500, age11_14 = 4000, age15_18 = 4500, age19_20 = 4550 }
adults = { ensamstaende = 3600, sambor = 6500 }
common = [1200, 1300, 1650, 1850, 2150, 2400, 2600]
"#;

#[tokio::test]
async fn an_operator_directory_adds_years_and_a_broken_file_refuses_start_up() {
    let dir = tempfile::tempdir().expect("dir");
    std::fs::write(dir.path().join("2031.toml"), TABLE_2031).expect("write");
    let path = dir.path().to_path_buf();
    let suite =
        TestSuite::spawn_with(trappan_platform::testing::Backend::Sqlite, |s| s.riksnorm.dir = Some(path)).await;
    let mut client = suite.bistand(Role::Socialsekreterare, KOMMUN);
    let breakdown = client
        .calculate_norm(request(2031, &[P::Applicant, P::Kid(8)]))
        .await
        .expect("2031")
        .into_inner()
        .breakdown
        .expect("b");
    // 3 600 + 3 500 + common(2) 1 300
    assert_eq!(breakdown.total.expect("total").ore, 8_400 * KR);
    let provenance = breakdown.provenance.expect("provenance");
    assert!(provenance.operator_loaded && provenance.source == "Test table for 2031");
    let tables = client.list_norm_tables(bistand::ListNormTablesRequest {}).await.expect("tables").into_inner().tables;
    assert_eq!(tables.last().map(|t| (t.year, t.operator_loaded)), Some((2031, true)));
    suite.shutdown().await;

    // a broken file: bistand refuses to start and names the file
    let broken = tempfile::tempdir().expect("dir");
    std::fs::write(broken.path().join("bad.toml"), TABLE_2031.replace("age0 = 2500", "age0 = -5")).expect("write");
    let settings = trappan_platform::config::Settings {
        data_dir: broken.path().to_path_buf(),
        riksnorm: trappan_platform::config::RiksnormSettings { dir: Some(broken.path().to_path_buf()) },
        ..Default::default()
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let (_stop, receiver) = tokio::sync::watch::channel(false);
    let result = trappan::suite::serve_service(
        trappan_platform::config::ServiceKind::Bistand,
        std::sync::Arc::new(settings),
        listener,
        receiver,
    )
    .await;
    let error = result.expect_err("refuses to start").to_string();
    assert!(error.contains("bad.toml") && error.contains("2031"), "{error}");
}

common::backend_tests!(on_backend: the_what_if_norm_matches_hand_computed_figures_and_names_missing_years);
