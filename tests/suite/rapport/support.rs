//! Test support for rapport: feeding change events straight into rapport's ingestion (the same `apply` the
//! followers call), for events the producers do not emit yet on this branch, and small builders.
#![allow(missing_docs)]

use std::collections::BTreeMap;

use trappan_api::common::v1::{ChangeEvent, Date, ExitOutcome, Money, YearMonth};
use trappan_api::insatser::v1 as insatser;
use trappan_platform::auth::Kommun;
use trappan_platform::config::ServiceKind;
use trappan_rapport::follower::{self, Producer};
use trappan_rapport::pseudonym::Pseudonymiser;

use crate::common::TestSuite;
pub use crate::common::date;

/// A municipality no follower runs for in the test suite, so injected sequences never meet a real feed.
pub const FED_KOMMUN: &str = "0765";

/// Feeds events of the three producers for one municipality into rapport's store.
pub struct Feeder {
    pub db: sea_orm::DatabaseConnection,
    pseudonymiser: Pseudonymiser,
    kommun: Kommun,
    sequences: BTreeMap<Producer, u64>,
}

impl Feeder {
    /// A feeder for `kommun` on the suite's rapport store, with the suite's pseudonymisation key.
    pub async fn new(suite: &TestSuite, kommun: &str) -> Feeder {
        let key = suite.settings.data_dir.join("pseudonym.key");
        Feeder {
            db: suite.database(ServiceKind::Rapport).await,
            pseudonymiser: Pseudonymiser::load(&key, false).expect("rapport created its dev key"),
            kommun: Kommun::parse(kommun).expect("kommun"),
            sequences: BTreeMap::new(),
        }
    }

    /// The event `payload` as `producer`'s next event.
    pub fn event<M: prost::Name + prost::Message>(&mut self, producer: Producer, payload: &M) -> ChangeEvent {
        let sequence = self.sequences.entry(producer).or_default();
        *sequence += 1;
        ChangeEvent {
            sequence: *sequence,
            kommun: self.kommun.to_string(),
            occurred_at: Some(prost_types::Timestamp { seconds: chrono::Utc::now().timestamp(), nanos: 0 }),
            payload: Some(prost_types::Any::from_msg(payload).expect("encodes")),
        }
    }

    /// Applies `event` as the followers do; returns whether it was new.
    pub async fn apply(&self, producer: Producer, event: &ChangeEvent) -> bool {
        follower::apply(&self.db, &self.pseudonymiser, producer, &self.kommun, event).await.expect("applied")
    }

    /// A participant of the labour-market unit registered on `registered_on` who left on `exited_on` with
    /// `outcome` after `days_in_programme` days: insatser's two events.
    pub async fn exited_participant(
        &mut self,
        participant_id: &str,
        registered_on: Option<Date>,
        exited_on: Option<Date>,
        outcome: ExitOutcome,
        days_in_programme: i32,
    ) {
        let registered = insatser::ParticipantRegisteredEvent {
            participant_id: participant_id.into(),
            registered_on,
            ..Default::default()
        };
        self.send(Producer::Insatser, registered).await;
        let exited = insatser::ParticipantExitedEvent {
            participant_id: participant_id.into(),
            outcome: outcome as i32,
            exited_on,
            days_in_programme,
            ..Default::default()
        };
        self.send(Producer::Insatser, exited).await;
    }

    /// Sends `payload` as `producer`'s next event.
    pub async fn send<M: prost::Name + prost::Message>(&mut self, producer: Producer, payload: M) {
        let event = self.event(producer, &payload);
        assert!(self.apply(producer, &event).await, "a new event applies");
    }
}

pub fn month(year: i32, month: i32) -> Option<YearMonth> {
    Some(YearMonth { year, month })
}

pub fn money(ore: i64) -> Option<Money> {
    Some(Money { ore })
}

pub fn month_period(year: i32, m: i32) -> Option<trappan_api::rapport::v1::ReportPeriod> {
    Some(trappan_api::rapport::v1::ReportPeriod {
        kind: Some(trappan_api::rapport::v1::report_period::Kind::Month(YearMonth { year, month: m })),
    })
}

pub fn year_period(year: i32) -> Option<trappan_api::rapport::v1::ReportPeriod> {
    Some(trappan_api::rapport::v1::ReportPeriod {
        kind: Some(trappan_api::rapport::v1::report_period::Kind::Year(year)),
    })
}

/// A granted decision of `household` for a month.
pub fn granted(
    decision: &str,
    household: &str,
    (year, m): (i32, i32),
    adults: i32,
    children: i32,
    ore: i64,
) -> trappan_api::bistand::v1::DecisionMadeEvent {
    trappan_api::bistand::v1::DecisionMadeEvent {
        decision_id: decision.into(),
        household_id: household.into(),
        month: month(year, m),
        outcome: trappan_api::bistand::v1::DecisionOutcome::Granted as i32,
        granted: money(ore),
        persons: adults + children,
        adults,
        children,
        household_type_code: if children > 0 { "8".into() } else { "3".into() },
        decided_on: date(year, m, 1),
        ..Default::default()
    }
}

/// A value shown (not suppressed).
pub fn shown(count: &Option<trappan_api::rapport::v1::PeopleCount>) -> i64 {
    let count = count.as_ref().expect("a count");
    assert!(!count.suppressed, "expected a shown count");
    count.value
}

/// Whether a count is suppressed; a suppressed count never carries its value.
pub fn suppressed(count: &Option<trappan_api::rapport::v1::PeopleCount>) -> bool {
    let count = count.as_ref().expect("a count");
    if count.suppressed {
        assert_eq!(count.value, 0, "a suppressed count carries no value");
    }
    count.suppressed
}
