//! rapport follows the real producers' feeds: a restart of rapport or of a producer in the middle of the
//! stream loses and doubles nothing, and a producer that is down does not hold the others up.

use crate::common;
use trappan_platform::testing::Backend;

use chrono::Datelike;
use common::{KOMMUN, TestSuite, count_rows, eventually, new_request_id};
use trappan_api::bistand::v1 as bistand;
use trappan_api::common::v1::YearMonth;
use trappan_api::rapport::v1 as rapport;
use trappan_platform::auth::Role;
use trappan_platform::config::ServiceKind;

async fn create_households(suite: &TestSuite, serials: std::ops::Range<u32>) {
    let mut client = suite.bistand(Role::Socialsekreterare, KOMMUN);
    for serial in serials {
        let request = bistand::CreateHouseholdRequest {
            request_id: new_request_id(),
            household: Some(bistand::Household {
                members: vec![common::member(
                    &trappan::demo::demo_personnummer(1975, 4, 9, 700 + serial),
                    bistand::MemberRole::Applicant,
                )],
                ..Default::default()
            }),
        };
        client.create_household(request).await.expect("household created");
    }
}

async fn registered(suite: &TestSuite) -> i64 {
    let today = chrono::Utc::now();
    let month = Some(YearMonth { year: today.year(), month: today.month() as i32 });
    suite
        .rapport(Role::Analytiker, KOMMUN)
        .get_bistand_report(rapport::GetBistandReportRequest { month, year: 0 })
        .await
        .map(|r| r.into_inner().registered_households.map_or(-1, |c| c.value))
        .unwrap_or(-1)
}

async fn bistand_feed(suite: &TestSuite) -> rapport::FeedStatus {
    suite.feed_status().await.into_iter().find(|f| f.producer == "bistand").expect("bistand's feed")
}

async fn settle(suite: &TestSuite, households: i64) {
    eventually(&format!("rapport counts {households} households"), || async { registered(suite).await == households })
        .await;
    let db = suite.database(ServiceKind::Rapport).await;
    assert_eq!(count_rows(&db, "bistand_household").await, households, "no household stored twice or lost");
}

async fn restarts_of_rapport_and_of_a_producer_lose_and_double_nothing(backend: Backend) {
    let mut suite = TestSuite::spawn_with(backend, |settings| settings.rapport.suppression_threshold = 1).await;
    // insatser is down throughout: bistand's figures must not wait for it.
    suite.stop(ServiceKind::Insatser).await;
    create_households(&suite, 0..3).await;
    settle(&suite, 3).await;
    let status = bistand_feed(&suite).await;
    assert!(status.connected && status.applied_sequence >= 3 && status.lag_seconds >= 0);

    // rapport stops while bistand keeps committing, and again right after a burst of events.
    create_households(&suite, 3..6).await;
    suite.stop(ServiceKind::Rapport).await;
    create_households(&suite, 6..10).await;
    suite.restart(ServiceKind::Rapport).await;
    settle(&suite, 10).await;

    // The producer restarts mid-stream.
    create_households(&suite, 10..12).await;
    suite.stop(ServiceKind::Bistand).await;
    suite.restart(ServiceKind::Bistand).await;
    create_households(&suite, 12..15).await;
    settle(&suite, 15).await;
    eventually("the follower reconnects", || async { bistand_feed(&suite).await.connected }).await;
    suite.restart(ServiceKind::Insatser).await;
    suite.shutdown().await;
}

common::backend_tests!(on_backend: restarts_of_rapport_and_of_a_producer_lose_and_double_nothing);
