//! Imports of public figures and what is computed from them: Arbetsförmedlingen's unemployment file (rejects
//! reported by row), the comparison with county and nation and the county ranking; population figures and the
//! Kolada CSV.

use super::support as rapport_support;
use crate::common;
use trappan_platform::testing::Backend;

use common::{KOMMUN, OTHER_KOMMUN, TestSuite};
use rapport_support::{FED_KOMMUN, Feeder, date, granted, money, month};
use tonic::Code;
use tonic_types::StatusExt;
use trappan_api::bistand::v1 as bistand;
use trappan_api::common::v1::ExitOutcome;
use trappan_api::rapport::v1 as rapport;
use trappan_platform::auth::Role;
use trappan_rapport::follower::Producer;

const FILE: &str = "region,month,group,registered_unemployed,share_percent,series
00,2020-08,all,450000,8.9,16-64 registerbaserad
00,2019-08,all,350000,7.0,16-64 registerbaserad
07,2020-08,all,9000,8.0,16-64 registerbaserad
07,2019-08,all,7000,6.5,16-64 registerbaserad
0767,2020-08,all,300,\"5,8\",16-64 registerbaserad
0767,2019-08,all,400,7.6,16-64 registerbaserad
0780,2020-08,all,4000,8.5,16-64 registerbaserad
0780,2019-08,all,3500,7.5,16-64 registerbaserad
0760,2020-08,all,<5,,16-64 registerbaserad
0767,2020-13,all,5,1.0,16-64 registerbaserad
9999,2020-08,all,5,1.0,16-64 registerbaserad
0767,2020-08,everyone,5,1.0,16-64 registerbaserad
0767,2020-08,all,-3,1.0,16-64 registerbaserad
";

async fn unemployment_import_rejects_bad_rows_and_compares_with_county_and_nation(backend: Backend) {
    let suite = TestSuite::spawn(backend).await;
    let mut client = suite.rapport(Role::Analytiker, KOMMUN);
    let import = client
        .import_unemployment_statistics(rapport::ImportUnemploymentStatisticsRequest { csv: FILE.into() })
        .await
        .expect("import")
        .into_inner();
    assert_eq!(import.accepted_rows, 9);
    let rejects: Vec<(i32, &str)> = import.rejects.iter().map(|r| (r.row, r.field.as_str())).collect();
    assert_eq!(rejects, vec![(11, "month"), (12, "region"), (13, "group"), (14, "registered_unemployed")]);
    assert!(import.rejects.iter().all(|r| !r.reason.is_empty()));
    // Importing again replaces rather than doubles.
    client
        .import_unemployment_statistics(rapport::ImportUnemploymentStatisticsRequest { csv: FILE.into() })
        .await
        .expect("second import");

    let comparison = client
        .get_unemployment_comparison(rapport::GetUnemploymentComparisonRequest {
            month: month(2020, 8),
            group: rapport::UnemploymentGroup::All as i32,
            series: String::new(),
        })
        .await
        .expect("comparison")
        .into_inner();
    assert_eq!(comparison.series, "16-64 registerbaserad");
    let municipality = comparison.municipality.expect("municipality");
    assert_eq!(municipality.region, "0767");
    assert_eq!(municipality.registered_unemployed.map(|c| c.value), Some(300));
    assert_eq!(municipality.share.map(|s| s.basis_points), Some(580));
    assert_eq!(municipality.share_change.map(|s| (s.available, s.basis_points)), Some((true, -180)));
    assert_eq!(municipality.count_change.map(|c| c.basis_points), Some(-2500));
    let county = comparison.county.expect("county");
    assert_eq!((county.region.as_str(), county.share_change.map(|s| s.basis_points)), ("07", Some(150)));
    let nation = comparison.nation.expect("nation");
    assert_eq!((nation.region.as_str(), nation.share_change.map(|s| s.basis_points)), ("00", Some(190)));
    let ranked: Vec<(&str, i32)> = comparison.ranking.iter().map(|r| (r.kommun.as_str(), r.rank)).collect();
    assert_eq!(&ranked[..2], &[("0767", 1), ("0780", 2)], "the largest decrease first");
    assert_eq!(comparison.ranking.len(), 8, "every municipality of Kronoberg is listed");
    assert!(comparison.ranking[2..].iter().all(|r| r.rank == 0 && !r.share_change.expect("change").available));
    assert_eq!(comparison.ranking[0].name, "Markaryd");

    let status = client
        .import_unemployment_statistics(rapport::ImportUnemploymentStatisticsRequest { csv: "a,b\n1,2\n".into() })
        .await
        .expect_err("wrong header");
    assert_eq!(status.code(), Code::InvalidArgument);
    let status = suite
        .rapport(Role::Enhetschef, KOMMUN)
        .import_unemployment_statistics(rapport::ImportUnemploymentStatisticsRequest { csv: FILE.into() })
        .await
        .expect_err("only analysts import");
    assert_eq!(status.code(), Code::PermissionDenied);
    suite.shutdown().await;
}

/// What kommun B's analytiker imports: other figures for the same regions and months as [`FILE`].
const OTHER_FILE: &str = "region,month,group,registered_unemployed,share_percent,series
00,2020-08,all,460000,9.1,16-64 registerbaserad
07,2020-08,all,9100,8.1,16-64 registerbaserad
0767,2020-08,all,3100,6.1,16-64 registerbaserad
0780,2020-08,all,6100,8.6,16-64 registerbaserad
";

async fn comparison(suite: &TestSuite, kommun: &str) -> rapport::GetUnemploymentComparisonResponse {
    suite
        .rapport(Role::Analytiker, kommun)
        .get_unemployment_comparison(rapport::GetUnemploymentComparisonRequest {
            month: month(2020, 8),
            group: rapport::UnemploymentGroup::All as i32,
            series: String::new(),
        })
        .await
        .expect("comparison")
        .into_inner()
}

async fn one_municipalitys_unemployment_import_does_not_change_another_municipalitys_figures(backend: Backend) {
    let suite = TestSuite::spawn(backend).await;
    suite
        .rapport(Role::Analytiker, KOMMUN)
        .import_unemployment_statistics(rapport::ImportUnemploymentStatisticsRequest { csv: FILE.into() })
        .await
        .expect("kommun A imports");
    let before = comparison(&suite, KOMMUN).await;
    assert_eq!(before.municipality.as_ref().and_then(|m| m.registered_unemployed).map(|c| c.value), Some(300));
    // Kommun B has imported nothing: it sees none of A's figures.
    let nothing = comparison(&suite, OTHER_KOMMUN).await;
    assert_eq!(nothing.series, "", "no imported row is found for kommun B");
    assert_ne!(nothing.nation.and_then(|n| n.registered_unemployed).map(|c| c.value), Some(450_000));

    suite
        .rapport(Role::Analytiker, OTHER_KOMMUN)
        .import_unemployment_statistics(rapport::ImportUnemploymentStatisticsRequest { csv: OTHER_FILE.into() })
        .await
        .expect("kommun B imports the same regions and months");
    let after = comparison(&suite, KOMMUN).await;
    assert_eq!(after, before, "kommun B's import left kommun A's figures as they were");
    let theirs = comparison(&suite, OTHER_KOMMUN).await;
    assert_eq!(theirs.municipality.and_then(|m| m.registered_unemployed).map(|c| c.value), Some(6100));
    assert_eq!(theirs.nation.and_then(|n| n.share).map(|s| s.basis_points), Some(910), "9.1 % = 910 bp");
    suite.shutdown().await;
}

async fn kolada_csv_from_the_year_and_imported_population(backend: Backend) {
    let suite = TestSuite::spawn(backend).await;
    let mut feeder = Feeder::new(&suite, FED_KOMMUN).await;
    for m in 1..=12 {
        feeder.send(Producer::Bistand, granted(&format!("a{m}"), "a", (2020, m), 2, 1, 100)).await;
    }
    feeder.send(Producer::Bistand, granted("b1", "b", (2020, 3), 1, 2, 100)).await;
    for (payment, ore) in [("pa", 1_000_000), ("pb", 500_000)] {
        feeder
            .send(
                Producer::Bistand,
                bistand::PaymentStatusChangedEvent {
                    payment_id: payment.into(),
                    decision_id: "a1".into(),
                    household_id: "a".into(),
                    month: month(2020, 3),
                    amount: money(ore),
                    status: bistand::PaymentStatus::Paid as i32,
                    effective_on: date(2020, 3, 25),
                },
            )
            .await;
    }
    for (p, outcome) in [
        ("p1", ExitOutcome::OrdinaryEmployment),
        ("p2", ExitOutcome::Studies),
        ("p3", ExitOutcome::SubsidisedEmployment),
        ("p4", ExitOutcome::Interrupted),
    ] {
        feeder.exited_participant(p, date(2019, 6, 1), date(2020, 5, 1), outcome, 300).await;
    }
    let mut client = suite.rapport(Role::Analytiker, FED_KOMMUN);
    let before = client
        .export_kolada_kpis(rapport::ExportKoladaKpisRequest { year: 2020 })
        .await
        .expect("export")
        .into_inner()
        .csv;
    assert!(before.contains("N31807,0765,2020,,%\n"), "no population imported: an empty value, never 0");
    assert!(before.contains("U40455,0765,2020,75.0,%\n"), "U40455 needs no population");

    let status = client
        .import_population_figures(rapport::ImportPopulationFiguresRequest {
            figures: vec![rapport::PopulationFigures { year: 2020, residents: -1, ..Default::default() }],
        })
        .await
        .expect_err("negative residents");
    assert_eq!(status.code(), Code::InvalidArgument);
    assert_eq!(status.get_details_bad_request().expect("violations").field_violations[0].field, "figures[0].residents");
    client
        .import_population_figures(rapport::ImportPopulationFiguresRequest {
            figures: vec![rapport::PopulationFigures {
                year: 2020,
                residents: 1000,
                children: 200,
                n31816_population: 600,
            }],
        })
        .await
        .expect("population imported");
    let csv = client
        .export_kolada_kpis(rapport::ExportKoladaKpisRequest { year: 2020 })
        .await
        .expect("export")
        .into_inner()
        .csv;
    assert_eq!(
        csv,
        "kpi,kommun,year,value,unit\n\
         N31807,0765,2020,0.6,%\n\
         N31816,0765,2020,0.3,%\n\
         N31001,0765,2020,15,kr/inv\n\
         U31803,0765,2020,1.5,%\n\
         U40455,0765,2020,75.0,%\n"
    );
    let other = suite
        .rapport(Role::Analytiker, KOMMUN)
        .export_kolada_kpis(rapport::ExportKoladaKpisRequest { year: 2020 })
        .await
        .expect("export")
        .into_inner()
        .csv;
    assert!(other.contains("N31807,0767,2020,,%\n"), "0765's population and facts are not 0767's");
    suite.shutdown().await;
}

/// The demo's series (`src/demo/unemployment.rs`), imported as the demo imports it: every row is accepted, it
/// is labelled illustrative, and for August 2020 Markaryd has the lowest increase in Kronoberg overall, while
/// unemployment among its foreign-born residents fell.
async fn the_demos_unemployment_series_rank_markaryd_with_the_lowest_increase_in_kronoberg(backend: Backend) {
    let suite = TestSuite::spawn(backend).await;
    let mut client = suite.rapport(Role::Analytiker, KOMMUN);
    let import = client
        .import_unemployment_statistics(rapport::ImportUnemploymentStatisticsRequest {
            csv: trappan::demo::unemployment::FILE.into(),
        })
        .await
        .expect("import")
        .into_inner();
    assert!(import.rejects.is_empty(), "{:?}", import.rejects);
    // 24 months × 3 groups × (8 municipalities, the county, the nation).
    assert_eq!(import.accepted_rows, 24 * 3 * 10);
    let compare = |group: rapport::UnemploymentGroup| {
        let mut client = suite.rapport(Role::Enhetschef, KOMMUN);
        async move {
            client
                .get_unemployment_comparison(rapport::GetUnemploymentComparisonRequest {
                    month: month(2020, 8),
                    group: group as i32,
                    series: String::new(),
                })
                .await
                .expect("comparison")
                .into_inner()
        }
    };
    let all = compare(rapport::UnemploymentGroup::All).await;
    assert!(all.series.contains("illustrativa"), "the series says the figures are illustrative: {}", all.series);
    let change = |r: &Option<rapport::RegionUnemployment>| {
        let change = r.as_ref().and_then(|r| r.share_change).expect("a change");
        assert!(change.available);
        change.basis_points
    };
    assert_eq!(change(&all.municipality), 10, "Markaryd held flat: 8,9 % → 9,0 %");
    assert!(change(&all.county) > 100 && change(&all.nation) > 100, "county and nation rose");
    assert_eq!(all.ranking.len(), 8);
    assert_eq!((all.ranking[0].kommun.as_str(), all.ranking[0].rank), ("0767", 1), "the lowest increase");
    assert!(all.ranking[1..].iter().all(|r| r.share_change.is_some_and(|c| c.available && c.basis_points > 10)));
    let young = compare(rapport::UnemploymentGroup::UnemploymentGroup1824).await;
    assert_eq!(young.ranking[0].kommun, "0767");
    let foreign_born = compare(rapport::UnemploymentGroup::ForeignBorn).await;
    assert!(change(&foreign_born.municipality) < 0, "foreign-born unemployment fell in Markaryd");
    assert!(change(&foreign_born.county) > 0);
    suite.shutdown().await;
}

common::backend_tests!(on_backend: the_demos_unemployment_series_rank_markaryd_with_the_lowest_increase_in_kronoberg, unemployment_import_rejects_bad_rows_and_compares_with_county_and_nation, one_municipalitys_unemployment_import_does_not_change_another_municipalitys_figures, kolada_csv_from_the_year_and_imported_population);
