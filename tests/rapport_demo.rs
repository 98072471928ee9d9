//! The demo municipality reproduces Markaryd's reported effect in rapport: 98 granted households in August 2019
//! and 57 in August 2020 (−41.8 %). It needs bistand's demo decisions, which are built on another branch.

mod common;

use common::{KOMMUN, TestSuite, eventually};
use trappan_api::common::v1::YearMonth;
use trappan_api::rapport::v1 as rapport;
use trappan_platform::auth::Role;

#[tokio::test]
#[ignore = "needs bistand's demo decisions"]
async fn the_seeded_demo_shows_98_then_57_granted_households_in_august() {
    for backend in common::backends() {
        let suite = TestSuite::spawn(backend).await;
        trappan::demo::seed(&suite.settings).await.expect("the demo seeds");
        let report = || {
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
        eventually("rapport has applied the demo's decisions", || async {
            report().await.current.and_then(|c| c.granted_households).is_some_and(|c| c.value == 57)
        })
        .await;
        let answer = report().await;
        let earlier = answer.year_earlier.and_then(|f| f.granted_households).expect("a year earlier");
        assert_eq!((earlier.value, earlier.suppressed), (98, false));
        let change = answer.change.and_then(|c| c.granted_households).expect("change");
        assert!(change.available);
        assert_eq!(change.basis_points, -4184, "−41.8 %");
        suite.shutdown().await;
    }
}
