//! Followers of the producers' change feeds: one per producer and municipality, each resuming from its
//! durable cursor, reconnecting with backoff when the producer is down, and reporting its lag.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, OnceLock};

use chrono::NaiveDate;
use opentelemetry::KeyValue;
use std::time::{Duration, Instant};

use futures::StreamExt;
use trappan_api::bistand::v1 as bistand;
use trappan_api::common::v1::ChangeEvent;
use trappan_platform::auth::Kommun;
use trappan_platform::server::ServiceContext;

use crate::pseudonym::Pseudonymiser;
use crate::store;

/// A producer whose feed rapport follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Producer {
    /// Ekonomiskt bistånd.
    Bistand,
    /// Arbetsmarknadsinsatser.
    Insatser,
    /// Youth outreach.
    Ungsam,
}

impl Producer {
    /// Every producer.
    pub const ALL: [Producer; 3] = [Producer::Bistand, Producer::Insatser, Producer::Ungsam];

    /// The producer's name, as stored in cursors and reported by GetFeedStatus.
    pub fn name(self) -> &'static str {
        match self {
            Producer::Bistand => "bistand",
            Producer::Insatser => "insatser",
            Producer::Ungsam => "ungsam",
        }
    }
}

/// What a follower last reported.
#[derive(Debug, Clone, Default)]
pub struct FollowerState {
    /// The last sequence applied.
    pub applied_sequence: u64,
    /// Whether the stream is open now.
    pub connected: bool,
    /// When an event was last applied.
    pub last_event: Option<Instant>,
    /// Seconds from the last applied event's commit at the producer to its application here.
    pub lag_seconds: i64,
}

fn lag_gauge() -> &'static opentelemetry::metrics::Gauge<u64> {
    static GAUGE: OnceLock<opentelemetry::metrics::Gauge<u64>> = OnceLock::new();
    GAUGE.get_or_init(|| {
        opentelemetry::global::meter("trappan")
            .u64_gauge("rapport.feed.lag")
            .with_unit("s")
            .with_description("Seconds from an event's commit at the producer to its application in rapport")
            .build()
    })
}

/// `rapport.feed.dead_letters`, by producer and kommun: events rapport could not ingest. A rise is what
/// operators alert on.
fn dead_letter_counter() -> &'static opentelemetry::metrics::Counter<u64> {
    static COUNTER: OnceLock<opentelemetry::metrics::Counter<u64>> = OnceLock::new();
    COUNTER.get_or_init(|| {
        opentelemetry::global::meter("trappan")
            .u64_counter("rapport.feed.dead_letters")
            .with_description("Feed events rapport could not ingest, recorded as dead letters and skipped")
            .build()
    })
}

/// The state of every follower, shared with the RPC that reports it.
pub type FeedStates = Arc<Mutex<BTreeMap<(Producer, String), FollowerState>>>;

fn update(states: &FeedStates, producer: Producer, kommun: &Kommun, change: impl FnOnce(&mut FollowerState)) {
    if let Ok(mut states) = states.lock() {
        change(states.entry((producer, kommun.to_string())).or_default());
    }
}

/// Follows one producer's feed for one municipality until shutdown.
pub async fn follow(
    context: ServiceContext,
    pseudonymiser: Pseudonymiser,
    states: FeedStates,
    producer: Producer,
    kommun: Kommun,
) {
    let mut backoff = Duration::from_millis(200);
    let mut streak = trappan_platform::error::FailureStreak::default();
    let mut shutdown = context.shutdown.clone();
    loop {
        if *shutdown.borrow() {
            return;
        }
        let outcome = follow_once(&context, &pseudonymiser, &states, producer, &kommun).await;
        let mut was_connected = false;
        update(&states, producer, &kommun, |s| was_connected = std::mem::replace(&mut s.connected, false));
        if was_connected {
            // A feed that was followed and then dropped starts a new count of failed attempts.
            streak.succeeded();
        }
        match outcome {
            Ok(()) => {
                backoff = Duration::from_millis(200);
                streak.succeeded();
            }
            Err(reason) if streak.failed() => {
                tracing::warn!(producer = producer.name(), %kommun, %reason, "feed follower cannot reach its feed");
                backoff = (backoff * 2).min(Duration::from_secs(10));
            }
            Err(reason) => {
                tracing::debug!(producer = producer.name(), %kommun, %reason, "feed follower will reconnect");
                backoff = (backoff * 2).min(Duration::from_secs(10));
            }
        }
        tokio::select! {
            _ = tokio::time::sleep(backoff) => {}
            _ = shutdown.changed() => {}
        }
    }
}

async fn follow_once(
    context: &ServiceContext,
    pseudonymiser: &Pseudonymiser,
    states: &FeedStates,
    producer: Producer,
    kommun: &Kommun,
) -> Result<(), String> {
    let db = context.store.db().map_err(|e| e.to_string())?;
    let after = store::cursor(db, producer.name(), kommun.as_str()).await.map_err(|e| e.to_string())?;
    update(states, producer, kommun, |s| s.applied_sequence = after);
    let mut events: futures::stream::BoxStream<'static, Result<ChangeEvent, tonic::Status>> = match producer {
        Producer::Bistand => {
            let request = bistand::StreamChangesRequest { after_sequence: after };
            let stream =
                context.peers.bistand(kommun).stream_changes(request).await.map_err(|s| s.code().to_string())?;
            stream.into_inner().filter_map(|r| async move { r.map(|m| m.event).transpose() }).boxed()
        }
        Producer::Insatser => {
            let request = trappan_api::insatser::v1::StreamChangesRequest { after_sequence: after };
            let stream =
                context.peers.insatser(kommun).stream_changes(request).await.map_err(|s| s.code().to_string())?;
            stream.into_inner().filter_map(|r| async move { r.map(|m| m.event).transpose() }).boxed()
        }
        Producer::Ungsam => {
            let request = trappan_api::ungsam::v1::StreamChangesRequest { after_sequence: after };
            let stream =
                context.peers.ungsam(kommun).stream_changes(request).await.map_err(|s| s.code().to_string())?;
            stream.into_inner().filter_map(|r| async move { r.map(|m| m.event).transpose() }).boxed()
        }
    };
    update(states, producer, kommun, |s| s.connected = true);
    let mut last = after;
    while let Some(event) = events.next().await {
        let event = event.map_err(|s| s.code().to_string())?;
        if event.sequence <= last {
            // A producer never repeats a sequence; ignoring one keeps a replay from double counting.
            continue;
        }
        apply(db, pseudonymiser, producer, kommun, &event).await.map_err(|e| e.to_string())?;
        last = event.sequence;
        let lag = event.occurred_at.as_ref().map_or(0, |t| (chrono::Utc::now().timestamp() - t.seconds).max(0));
        lag_gauge().record(
            u64::try_from(lag).unwrap_or_default(),
            &[KeyValue::new("producer", producer.name()), KeyValue::new("kommun", kommun.to_string())],
        );
        update(states, producer, kommun, |s| {
            s.applied_sequence = last;
            s.last_event = Some(Instant::now());
            s.lag_seconds = lag;
        });
    }
    Ok(())
}

/// Why an event could not be turned into a fact.
#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    /// The payload does not decode as the message its type URL names.
    #[error("undecodable {type_url} at sequence {sequence}")]
    Undecodable {
        /// The payload's type URL.
        type_url: String,
        /// The event's sequence.
        sequence: u64,
    },
    /// A date in the payload is missing or does not exist.
    #[error("invalid date in {type_url} at sequence {sequence}")]
    InvalidDate {
        /// The payload's type URL.
        type_url: String,
        /// The event's sequence.
        sequence: u64,
    },
}

fn decode<M: prost::Message + prost::Name + Default>(
    payload: &prost_types::Any,
    sequence: u64,
) -> Result<M, IngestError> {
    M::decode(payload.value.as_slice())
        .map_err(|_| IngestError::Undecodable { type_url: payload.type_url.clone(), sequence })
}

fn is<M: prost::Name>(payload: &prost_types::Any) -> bool {
    payload.type_url == M::type_url()
}

fn date_of(
    date: Option<&trappan_api::common::v1::Date>,
    payload: &prost_types::Any,
    sequence: u64,
) -> Result<NaiveDate, IngestError> {
    date.and_then(|d| NaiveDate::from_ymd_opt(d.year, u32::try_from(d.month).ok()?, u32::try_from(d.day).ok()?))
        .ok_or_else(|| IngestError::InvalidDate { type_url: payload.type_url.clone(), sequence })
}

fn month_key_of(month: Option<&trappan_api::common::v1::YearMonth>, event: &ChangeEvent) -> i32 {
    month.map_or_else(|| occurred_month_key(event), |m| m.year * 100 + m.month)
}

fn occurred_month_key(event: &ChangeEvent) -> i32 {
    use chrono::Datelike;
    let seconds = event.occurred_at.as_ref().map_or(0, |t| t.seconds);
    let time = chrono::DateTime::from_timestamp(seconds, 0).unwrap_or_default();
    time.year() * 100 + time.month() as i32
}

/// The fact an event of `producer`'s feed for `kommun` adds, with every producer identifier replaced by its
/// pseudonym. Events rapport has no figure for give `None` (they still move the cursor).
pub fn fact_of(
    pseudonymiser: &Pseudonymiser,
    kommun: &Kommun,
    event: &ChangeEvent,
) -> Result<(Option<store::facts::Fact>, Option<store::bistand_household::Model>), IngestError> {
    use store::facts::{self, Fact};
    use trappan_api::insatser::v1 as insatser;
    use trappan_api::ungsam::v1 as ungsam;
    let k = kommun.as_str();
    let p = |kind: &str, id: &str| pseudonymiser.pseudonym(k, kind, id);
    let sequence = event.sequence;
    let Some(payload) = event.payload.as_ref() else { return Ok((None, None)) };
    let fact = if is::<bistand::HouseholdRegisteredEvent>(payload) {
        let registered: bistand::HouseholdRegisteredEvent = decode(payload, sequence)?;
        return Ok((
            None,
            Some(store::bistand_household::Model {
                pseudonym: p("household", &registered.household_id),
                kommun: kommun.to_string(),
                registered_month: occurred_month_key(event),
                persons: registered.persons,
                adults: registered.adults,
                children: registered.children,
            }),
        ));
    } else if is::<bistand::DecisionMadeEvent>(payload) {
        let decision: bistand::DecisionMadeEvent = decode(payload, sequence)?;
        let granted = matches!(
            bistand::DecisionOutcome::try_from(decision.outcome),
            Ok(bistand::DecisionOutcome::Granted | bistand::DecisionOutcome::PartlyGranted)
        );
        Some(Fact::Decision {
            supersedes: (!decision.supersedes_decision_id.is_empty())
                .then(|| p("decision", &decision.supersedes_decision_id)),
            row: facts::bistand_decision::Model {
                pseudonym: p("decision", &decision.decision_id),
                kommun: kommun.to_string(),
                household: p("household", &decision.household_id),
                month_key: month_key_of(decision.month.as_ref(), event),
                granted,
                granted_ore: decision.granted.map_or(0, |m| m.ore),
                persons: decision.persons,
                adults: decision.adults,
                children: decision.children,
                adults_born_abroad: decision.adults_born_abroad,
                household_type_code: decision.household_type_code,
                superseded: false,
            },
        })
    } else if is::<bistand::PaymentStatusChangedEvent>(payload) {
        let payment: bistand::PaymentStatusChangedEvent = decode(payload, sequence)?;
        let paid = payment.status == bistand::PaymentStatus::Paid as i32;
        Some(Fact::Payment(facts::bistand_payment::Model {
            pseudonym: p("payment", &payment.payment_id),
            kommun: kommun.to_string(),
            household: p("household", &payment.household_id),
            month_key: month_key_of(payment.month.as_ref(), event),
            amount_ore: payment.amount.map_or(0, |m| m.ore),
            paid,
            paid_on: if paid { Some(date_of(payment.effective_on.as_ref(), payload, sequence)?) } else { None },
        }))
    } else if is::<bistand::BudgetStatusEvent>(payload) {
        let budget: bistand::BudgetStatusEvent = decode(payload, sequence)?;
        Some(Fact::Budget(facts::bistand_budget::Model {
            kommun: kommun.to_string(),
            as_of_key: month_key_of(budget.as_of.as_ref(), event),
            year: budget.year,
            allocated_ore: budget.allocated.map_or(0, |m| m.ore),
            paid_to_date_ore: budget.paid_to_date.map_or(0, |m| m.ore),
            forecast_ore: budget.forecast.map_or(0, |m| m.ore),
        }))
    } else if is::<insatser::ParticipantRegisteredEvent>(payload) {
        let registered: insatser::ParticipantRegisteredEvent = decode(payload, sequence)?;
        Some(Fact::Participant(facts::insatser_participant::Model {
            pseudonym: p("participant", &registered.participant_id),
            kommun: kommun.to_string(),
            registered_on: date_of(registered.registered_on.as_ref(), payload, sequence)?,
            exited_on: None,
            exit_outcome: None,
            days_to_exit: None,
        }))
    } else if is::<insatser::InterventionStartedEvent>(payload) {
        let started: insatser::InterventionStartedEvent = decode(payload, sequence)?;
        Some(Fact::InterventionStarted(facts::insatser_intervention::Model {
            pseudonym: p("intervention", &started.intervention_id),
            kommun: kommun.to_string(),
            participant: p("participant", &started.participant_id),
            kind: started.kind,
            started_on: date_of(started.started_on.as_ref(), payload, sequence)?,
            ended_on: None,
        }))
    } else if is::<insatser::InterventionEndedEvent>(payload) {
        let ended: insatser::InterventionEndedEvent = decode(payload, sequence)?;
        Some(Fact::InterventionEnded {
            kommun: kommun.to_string(),
            pseudonym: p("intervention", &ended.intervention_id),
            ended_on: date_of(ended.ended_on.as_ref(), payload, sequence)?,
        })
    } else if is::<insatser::FollowUpRecordedEvent>(payload) {
        let follow_up: insatser::FollowUpRecordedEvent = decode(payload, sequence)?;
        Some(Fact::FollowUp(facts::insatser_follow_up::Model {
            pseudonym: p("follow_up", &follow_up.follow_up_id),
            kommun: kommun.to_string(),
            due_on: date_of(follow_up.due_on.as_ref(), payload, sequence)?,
            on_time: follow_up.on_time,
        }))
    } else if is::<insatser::ParticipantExitedEvent>(payload) {
        let exited: insatser::ParticipantExitedEvent = decode(payload, sequence)?;
        Some(Fact::ParticipantExited {
            kommun: kommun.to_string(),
            pseudonym: p("participant", &exited.participant_id),
            exited_on: date_of(exited.exited_on.as_ref(), payload, sequence)?,
            outcome: exited.outcome,
            days: exited.days_in_programme,
        })
    } else if is::<ungsam::YoungPersonIdentifiedEvent>(payload) {
        let identified: ungsam::YoungPersonIdentifiedEvent = decode(payload, sequence)?;
        Some(Fact::YoungPerson(facts::ungsam_person::Model {
            pseudonym: p("young_person", &identified.young_person_id),
            kommun: kommun.to_string(),
            identified_on: date_of(identified.identified_on.as_ref(), payload, sequence)?,
            first_reached_on: None,
            days_to_first_contact: None,
        }))
    } else if is::<ungsam::ContactRecordedEvent>(payload) {
        let contact: ungsam::ContactRecordedEvent = decode(payload, sequence)?;
        if contact.reached {
            Some(Fact::FirstReached {
                kommun: kommun.to_string(),
                pseudonym: p("young_person", &contact.young_person_id),
                reached_on: date_of(contact.contacted_on.as_ref(), payload, sequence)?,
                days: contact.days_since_identified,
            })
        } else {
            None
        }
    } else if is::<ungsam::StatusChangedEvent>(payload) {
        let changed: ungsam::StatusChangedEvent = decode(payload, sequence)?;
        Some(Fact::UngsamEvent(facts::ungsam_event::Model {
            kommun: kommun.to_string(),
            sequence: i64::try_from(sequence).unwrap_or(i64::MAX),
            person: p("young_person", &changed.young_person_id),
            changed_on: date_of(changed.changed_on.as_ref(), payload, sequence)?,
            to_status: changed.to_status,
            exit_outcome: changed.exit_outcome,
        }))
    } else if is::<ungsam::HandedOverEvent>(payload) {
        let handed: ungsam::HandedOverEvent = decode(payload, sequence)?;
        Some(Fact::UngsamEvent(facts::ungsam_event::Model {
            kommun: kommun.to_string(),
            sequence: i64::try_from(sequence).unwrap_or(i64::MAX),
            person: p("young_person", &handed.young_person_id),
            changed_on: date_of(handed.handed_over_on.as_ref(), payload, sequence)?,
            to_status: crate::figures::HANDED_OVER.to_string(),
            exit_outcome: 0,
        }))
    } else {
        None
    };
    Ok((fact, None))
}

/// Applies one event of `producer`'s feed for `kommun`: its fact and the cursor in one transaction. An event
/// rapport cannot ingest becomes a dead letter instead, with the cursor past it, so the feed goes on (a
/// database error is returned, and the follower retries). An event at or below the cursor is skipped, so a
/// replay never counts twice. Returns whether it applied or was recorded as a dead letter.
pub async fn apply(
    db: &sea_orm::DatabaseConnection,
    pseudonymiser: &Pseudonymiser,
    producer: Producer,
    kommun: &Kommun,
    event: &ChangeEvent,
) -> trappan_platform::error::ServiceResult<bool> {
    let (fact, household) = match fact_of(pseudonymiser, kommun, event) {
        Ok(found) => found,
        Err(refused) => return dead_letter(db, producer, kommun, event, &refused).await,
    };
    store::apply_event(db, producer.name(), kommun.as_str(), event.sequence, move |txn| {
        Box::pin(async move {
            if let Some(household) = household {
                store::upsert_household(txn, household).await?;
            }
            if let Some(fact) = fact {
                store::facts::write(txn, fact).await?;
            }
            Ok(())
        })
    })
    .await
}

/// Records `event`, which rapport cannot ingest, as a dead letter and moves the cursor past it in one
/// transaction; logs and counts it once (a replay records nothing). The reason names the type URL and the
/// sequence, never the payload.
async fn dead_letter(
    db: &sea_orm::DatabaseConnection,
    producer: Producer,
    kommun: &Kommun,
    event: &ChangeEvent,
    refused: &IngestError,
) -> trappan_platform::error::ServiceResult<bool> {
    let type_url = event.payload.as_ref().map_or("", |p| p.type_url.as_str());
    let reason = refused.to_string();
    let recorded =
        store::record_dead_letter(db, producer.name(), kommun.as_str(), event.sequence, type_url, &reason).await?;
    if recorded {
        tracing::error!(
            producer = producer.name(),
            %kommun,
            sequence = event.sequence,
            type_url,
            %reason,
            "feed event cannot be ingested: recorded as a dead letter, the feed goes on"
        );
        dead_letter_counter()
            .add(1, &[KeyValue::new("producer", producer.name()), KeyValue::new("kommun", kommun.to_string())]);
    }
    Ok(recorded)
}
