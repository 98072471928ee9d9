//! Followers of the producers' change feeds: one per producer and municipality, each resuming from its
//! durable cursor, reconnecting with backoff when the producer is down, and reporting its lag.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures::StreamExt;
use prost::Message;
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
    let mut shutdown = context.shutdown.clone();
    loop {
        if *shutdown.borrow() {
            return;
        }
        let outcome = follow_once(&context, &pseudonymiser, &states, producer, &kommun).await;
        update(&states, producer, &kommun, |s| s.connected = false);
        match outcome {
            Ok(()) => backoff = Duration::from_millis(200),
            Err(reason) => {
                tracing::info!(producer = producer.name(), %kommun, %reason, "feed follower will reconnect");
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
        update(states, producer, kommun, |s| {
            s.applied_sequence = last;
            s.last_event = Some(Instant::now());
        });
    }
    Ok(())
}

fn month_key(event: &ChangeEvent) -> i32 {
    use chrono::Datelike;
    let seconds = event.occurred_at.as_ref().map_or(0, |t| t.seconds);
    let time = chrono::DateTime::from_timestamp(seconds, 0).unwrap_or_default();
    time.year() * 100 + time.month() as i32
}

async fn apply(
    db: &sea_orm::DatabaseConnection,
    pseudonymiser: &Pseudonymiser,
    producer: Producer,
    kommun: &Kommun,
    event: &ChangeEvent,
) -> trappan_platform::error::ServiceResult<()> {
    let payload = event.payload.clone().unwrap_or_default();
    let fact = if payload.type_url == <bistand::HouseholdRegisteredEvent as prost::Name>::type_url() {
        let registered = bistand::HouseholdRegisteredEvent::decode(payload.value.as_slice())
            .map_err(|e| trappan_platform::error::ServiceError::Internal(e.into()))?;
        Some(store::bistand_household::Model {
            pseudonym: pseudonymiser.pseudonym(kommun.as_str(), "household", &registered.household_id),
            kommun: kommun.to_string(),
            registered_month: month_key(event),
            persons: registered.persons,
            adults: registered.adults,
            children: registered.children,
        })
    } else {
        // Events rapport has no figure for yet still move the cursor.
        None
    };
    store::apply_event(db, producer.name(), kommun.as_str(), event.sequence, move |txn| {
        Box::pin(async move {
            if let Some(fact) = fact {
                store::upsert_household(txn, fact).await?;
            }
            Ok(())
        })
    })
    .await
}
