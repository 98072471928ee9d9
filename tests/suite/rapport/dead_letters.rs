//! An event rapport cannot ingest (an undecodable payload, an invalid date) becomes a dead letter in rapport's
//! store, the cursor moves past it in the same transaction, the feed goes on, and GetFeedStatus counts it.

use super::support as rapport_support;
use crate::common;
use trappan_platform::testing::Backend;

use common::{TestSuite, count_rows};
use rapport_support::{FED_KOMMUN, Feeder, granted};
use trappan_api::bistand::v1 as bistand;
use trappan_api::insatser::v1 as insatser;
use trappan_api::rapport::v1 as rapport;
use trappan_platform::auth::Role;
use trappan_rapport::follower::Producer;
use trappan_rapport::store;

async fn feed_status(suite: &TestSuite) -> Vec<rapport::FeedStatus> {
    suite
        .rapport(Role::Analytiker, FED_KOMMUN)
        .get_feed_status(rapport::GetFeedStatusRequest {})
        .await
        .expect("feed status")
        .into_inner()
        .feeds
}

async fn a_poison_event_is_a_dead_letter_and_the_feed_goes_on(backend: Backend) {
    let suite = TestSuite::spawn(backend).await;
    let mut feeder = Feeder::new(&suite, FED_KOMMUN).await;
    feeder.send(Producer::Bistand, granted("d1", "h1", (2020, 8), 1, 2, 100)).await;
    let mut undecodable = feeder.event(Producer::Bistand, &granted("d2", "h2", (2020, 8), 1, 1, 100));
    // A length-delimited field that claims five bytes and has none: the payload does not decode.
    undecodable.payload.as_mut().expect("payload").value = vec![0x0a, 0x05];
    assert!(feeder.apply(Producer::Bistand, &undecodable).await, "recorded as a dead letter, not an error");
    feeder.send(Producer::Bistand, granted("d3", "h3", (2020, 8), 1, 0, 100)).await;
    let undated = feeder.event(
        Producer::Insatser,
        &insatser::ParticipantRegisteredEvent { participant_id: "p1".into(), ..Default::default() },
    );
    assert!(feeder.apply(Producer::Insatser, &undated).await, "recorded as a dead letter, not an error");

    let db = &feeder.db;
    assert_eq!(count_rows(db, "bistand_decision").await, 2, "the good events before and after it are applied");
    assert_eq!(store::cursor(db, "bistand", FED_KOMMUN).await.expect("cursor"), 3, "the cursor moved past it");
    assert_eq!(store::cursor(db, "insatser", FED_KOMMUN).await.expect("cursor"), 1, "the cursor moved past it");

    let dead = store::list_dead_letters(db).await.expect("dead letters");
    let of = |producer: &str| dead.iter().find(|d| d.producer == producer).expect("a dead letter").clone();
    let bistand_dead = of("bistand");
    assert_eq!(
        (bistand_dead.kommun.as_str(), bistand_dead.sequence, bistand_dead.type_url.as_str()),
        (FED_KOMMUN, 2, <bistand::DecisionMadeEvent as prost::Name>::type_url().as_str())
    );
    assert!(bistand_dead.reason.starts_with("undecodable"), "{}", bistand_dead.reason);
    let insatser_dead = of("insatser");
    assert_eq!((insatser_dead.kommun.as_str(), insatser_dead.sequence), (FED_KOMMUN, 1));
    assert!(insatser_dead.reason.starts_with("invalid date"), "{}", insatser_dead.reason);
    assert!(
        dead.iter().all(|d| !d.reason.contains("h2") && !d.reason.contains("p1")),
        "no identifier from the payload is stored"
    );

    let counted =
        |feeds: &[rapport::FeedStatus]| feeds.iter().map(|f| (f.producer.clone(), f.dead_letters)).collect::<Vec<_>>();
    let expected = vec![("bistand".to_string(), 1), ("insatser".to_string(), 1), ("ungsam".to_string(), 0)];
    assert_eq!(counted(&feed_status(&suite).await), expected);

    assert!(!feeder.apply(Producer::Bistand, &undecodable).await, "a replay records nothing");
    assert!(!feeder.apply(Producer::Insatser, &undated).await, "a replay records nothing");
    assert_eq!(count_rows(db, "feed_dead_letter").await, 2, "nothing is recorded twice");
    assert_eq!(count_rows(db, "bistand_decision").await, 2, "nothing is applied twice");
    assert_eq!(counted(&feed_status(&suite).await), expected, "nothing is counted twice");
    suite.shutdown().await;
}

common::backend_tests!(on_backend: a_poison_event_is_a_dead_letter_and_the_feed_goes_on);
