//! insatser's store: entities, migrations, and the queries the transport layer calls.
//!
//! Every query takes the caller's [`CallContext`]: its municipality scopes the query and it is written
//! to the audit log in the same transaction as the read or change.

pub mod entities;
pub mod follow_ups;
pub mod migrations;
pub mod plans;
pub mod reports;
pub mod rules;
pub mod work;

use chrono::NaiveDate;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, DatabaseTransaction,
    DbBackend, EntityTrait, QueryFilter, QueryOrder, QuerySelect, TransactionTrait,
};
use trappan_api::common::v1 as common;
use trappan_api::insatser::v1 as api;
use trappan_platform::audit::{self, Outcome};
use trappan_platform::auth::CallContext;
use trappan_platform::error::{ServiceError, ServiceResult};
use trappan_platform::outbox;
use trappan_platform::personnummer::Personnummer;
use trappan_platform::store::{PageRequest, is_unique_violation};
use uuid::Uuid;

use crate::domain::ExitOutcome;

pub use entities::{
    absence_report, attendance, catalogue_entry, employer, follow_up, intervention, participant, plan_revision,
    unit_rules,
};
pub use migrations::Migrator;

/// The audit log's name for a participant record.
const SUBJECT: &str = "participant";

/// Where a participant came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParticipantSource {
    /// Referred by ekonomiskt bistånd, with consent.
    EkonomisktBistand,
    /// Handed over by Ungsam, with consent.
    Ungsam,
    /// Came on their own.
    SelfReferral,
    /// Arbetsförmedlingen.
    Arbetsformedlingen,
    /// Any other source.
    Other,
}

impl ParticipantSource {
    /// Every source, in contract order.
    pub const ALL: [ParticipantSource; 5] = [
        ParticipantSource::EkonomisktBistand,
        ParticipantSource::Ungsam,
        ParticipantSource::SelfReferral,
        ParticipantSource::Arbetsformedlingen,
        ParticipantSource::Other,
    ];

    /// The stored code.
    pub fn code(self) -> &'static str {
        match self {
            ParticipantSource::EkonomisktBistand => "ekonomiskt_bistand",
            ParticipantSource::Ungsam => "ungsam",
            ParticipantSource::SelfReferral => "self",
            ParticipantSource::Arbetsformedlingen => "arbetsformedlingen",
            ParticipantSource::Other => "other",
        }
    }

    /// The source of a stored code.
    pub fn from_code(code: &str) -> Option<ParticipantSource> {
        ParticipantSource::ALL.into_iter().find(|source| source.code() == code)
    }

    /// Whether participants from this source arrive as referrals from another unit (with consent).
    pub fn is_referral(self) -> bool {
        matches!(self, ParticipantSource::EkonomisktBistand | ParticipantSource::Ungsam)
    }

    /// The contract's value.
    pub fn to_api(self) -> api::ReferralSource {
        match self {
            ParticipantSource::EkonomisktBistand => api::ReferralSource::EkonomisktBistand,
            ParticipantSource::Ungsam => api::ReferralSource::Ungsam,
            ParticipantSource::SelfReferral => api::ReferralSource::Self_,
            ParticipantSource::Arbetsformedlingen => api::ReferralSource::Arbetsformedlingen,
            ParticipantSource::Other => api::ReferralSource::Other,
        }
    }

    /// The source of a contract value; `None` for UNSPECIFIED and unknown values.
    pub fn from_api(value: i32) -> Option<ParticipantSource> {
        match api::ReferralSource::try_from(value) {
            Ok(api::ReferralSource::EkonomisktBistand) => Some(ParticipantSource::EkonomisktBistand),
            Ok(api::ReferralSource::Ungsam) => Some(ParticipantSource::Ungsam),
            Ok(api::ReferralSource::Self_) => Some(ParticipantSource::SelfReferral),
            Ok(api::ReferralSource::Arbetsformedlingen) => Some(ParticipantSource::Arbetsformedlingen),
            Ok(api::ReferralSource::Other) => Some(ParticipantSource::Other),
            _ => None,
        }
    }
}

/// How a participant is registered, which also decides its idempotency key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    /// Registered directly by an arbetsmarknadskoordinator; idempotent on `request_id`.
    Direct {
        /// The client-chosen idempotency key.
        request_id: Uuid,
    },
    /// Referred by another unit; idempotent on `referral_id`.
    Referral {
        /// The referring unit's referral identifier.
        referral_id: String,
        /// The referring unit's consent that allows the referral.
        consent_id: String,
        /// Why the person is referred.
        reason: String,
    },
}

/// A participant to register, already parsed.
#[derive(Debug, Clone)]
pub struct NewParticipant {
    /// How the participant is registered.
    pub origin: Origin,
    /// The person.
    pub personnummer: Personnummer,
    /// Given name.
    pub given_name: String,
    /// Family name.
    pub family_name: String,
    /// Where the participant came from (a referral source exactly when `origin` is a referral).
    pub source: ParticipantSource,
    /// Whether the person consented to reports back to the referring unit.
    pub report_back_allowed: bool,
    /// The registration date (today for referrals).
    pub registered_on: NaiveDate,
    /// Whether the person was born abroad, when known.
    pub born_abroad: Option<bool>,
}

/// The contract's age band of an age in whole years (the feed's bands, not the domain's reporting bands).
pub fn contract_age_band(age: u32) -> common::AgeBand {
    match age {
        0..=17 => common::AgeBand::Under18,
        18..=24 => common::AgeBand::AgeBand1824,
        25..=29 => common::AgeBand::AgeBand2529,
        30..=39 => common::AgeBand::AgeBand3039,
        40..=49 => common::AgeBand::AgeBand4049,
        50..=59 => common::AgeBand::AgeBand5059,
        60..=64 => common::AgeBand::AgeBand6064,
        _ => common::AgeBand::AgeBand65AndOver,
    }
}

/// The contract's value of an exit outcome.
pub fn exit_outcome_to_api(outcome: ExitOutcome) -> common::ExitOutcome {
    match outcome {
        ExitOutcome::OrdinaryEmployment => common::ExitOutcome::OrdinaryEmployment,
        ExitOutcome::SubsidisedEmployment => common::ExitOutcome::SubsidisedEmployment,
        ExitOutcome::Studies => common::ExitOutcome::Studies,
        ExitOutcome::OtherAuthorityOrProgramme => common::ExitOutcome::OtherAuthority,
        ExitOutcome::Moved => common::ExitOutcome::Moved,
        ExitOutcome::Interrupted => common::ExitOutcome::Interrupted,
        ExitOutcome::Unknown => common::ExitOutcome::Unknown,
    }
}

/// The exit outcome of a contract value; `None` for UNSPECIFIED and unknown values.
pub fn exit_outcome_from_api(value: i32) -> Option<ExitOutcome> {
    ExitOutcome::ALL.into_iter().find(|outcome| exit_outcome_to_api(*outcome) as i32 == value)
}

/// The day a participant was registered (rows from before the date was recorded: the creation day).
pub fn registered_on(row: &participant::Model) -> NaiveDate {
    row.registered_on.unwrap_or_else(|| row.created_at.date_naive())
}

/// Reads a participant of the caller's municipality inside `txn`, locking its row on PostgreSQL so that
/// changes to one participant's path (attendance, plan, exit) happen one at a time.
pub(crate) async fn participant_for_update(
    txn: &DatabaseTransaction,
    context: &CallContext,
    id: Uuid,
) -> ServiceResult<participant::Model> {
    let mut query = participant::Entity::find_by_id(id).filter(participant::Column::Kommun.eq(context.kommun()));
    if txn.get_database_backend() == DbBackend::Postgres {
        query = query.lock_exclusive();
    }
    query.one(txn).await?.ok_or(ServiceError::NotFound("participant"))
}

/// Refuses a change to the path of a participant who has exited.
pub(crate) fn require_active(participant: &participant::Model) -> ServiceResult<()> {
    if participant.exited_on.is_some() {
        return Err(ServiceError::FailedPrecondition("the participant has exited (avslut)".into()));
    }
    Ok(())
}

/// Which participants a list shows.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ParticipantFilter {
    /// Only active (`Some(false)`) or only exited (`Some(true)`) participants.
    pub exited: Option<bool>,
    /// Only the caller's participants (the caller is the responsible coordinator).
    pub only_mine: bool,
    /// Only participants without a plan: the coordinator is set with the first plan.
    pub without_plan: bool,
}

/// The participant already registered under `origin`'s idempotency key, if any.
async fn participant_by_origin(
    db: &DatabaseConnection,
    context: &CallContext,
    origin: &Origin,
) -> ServiceResult<Option<participant::Model>> {
    let query = participant::Entity::find().filter(participant::Column::Kommun.eq(context.kommun()));
    let query = match origin {
        Origin::Direct { request_id } => query.filter(participant::Column::RequestId.eq(*request_id)),
        Origin::Referral { referral_id, .. } => query.filter(participant::Column::ReferralId.eq(referral_id.as_str())),
    };
    Ok(query.one(db).await?)
}

/// Registers a participant. A retried request (same request_id) or a referral delivered again (same
/// referral_id), also concurrently, returns the participant already registered.
pub async fn register_participant(
    db: &DatabaseConnection,
    context: &CallContext,
    new: NewParticipant,
) -> ServiceResult<participant::Model> {
    if let Some(existing) = participant_by_origin(db, context, &new.origin).await? {
        return Ok(existing);
    }
    let (request_id, referral_id, consent_id, reason) = match &new.origin {
        Origin::Direct { request_id } => (Some(*request_id), None, None, String::new()),
        Origin::Referral { referral_id, consent_id, reason } => {
            (None, Some(referral_id.clone()), Some(consent_id.clone()), reason.clone())
        }
    };
    let txn = db.begin().await?;
    let id = Uuid::now_v7();
    let inserted = participant::ActiveModel {
        id: Set(id),
        kommun: Set(context.kommun().to_string()),
        request_id: Set(request_id),
        referral_id: Set(referral_id),
        personnummer: Set(new.personnummer.as_canonical().to_string()),
        given_name: Set(new.given_name),
        family_name: Set(new.family_name),
        source: Set(new.source.code().to_string()),
        report_back_allowed: Set(new.report_back_allowed),
        consent_id: Set(consent_id),
        reason: Set(reason),
        created_at: Set(chrono::Utc::now()),
        registered_on: Set(Some(new.registered_on)),
        born_abroad: Set(new.born_abroad),
        coordinator: Set(None),
        plan_start: Set(None),
        exited_on: Set(None),
        exit_outcome: Set(None),
    }
    .insert(&txn)
    .await;
    let row = match inserted {
        Ok(row) => row,
        Err(error) if is_unique_violation(&error) => {
            // A concurrent retry or redelivery won the race; answer with its participant.
            txn.rollback().await?;
            return participant_by_origin(db, context, &new.origin).await?.ok_or(ServiceError::NotFound("participant"));
        }
        Err(error) => return Err(error.into()),
    };
    audit::record(&txn, context, SUBJECT, &id.to_string(), Outcome::Created).await?;
    outbox::append(
        &txn,
        &context.caller.kommun,
        &api::ParticipantRegisteredEvent {
            participant_id: id.to_string(),
            source: new.source.to_api() as i32,
            age_band: contract_age_band(new.personnummer.age_on(new.registered_on)) as i32,
            born_abroad: new.born_abroad,
            registered_on: Some(trappan_platform::grpc::to_date(new.registered_on)),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(row)
}

/// Reads one participant of the caller's municipality; the read is audited.
pub async fn get_participant(
    db: &DatabaseConnection,
    context: &CallContext,
    id: Uuid,
) -> ServiceResult<participant::Model> {
    let txn = db.begin().await?;
    let found = participant::Entity::find_by_id(id)
        .filter(participant::Column::Kommun.eq(context.kommun()))
        .one(&txn)
        .await?
        .ok_or(ServiceError::NotFound("participant"))?;
    audit::record(&txn, context, SUBJECT, &id.to_string(), Outcome::Read).await?;
    txn.commit().await?;
    Ok(found)
}

/// One page of the caller's municipality's participants, newest first; every participant read is
/// audited.
pub async fn list_participants(
    db: &DatabaseConnection,
    context: &CallContext,
    filter: ParticipantFilter,
    page: PageRequest,
) -> ServiceResult<(Vec<participant::Model>, Option<Uuid>)> {
    let txn = db.begin().await?;
    let mut query = participant::Entity::find().filter(participant::Column::Kommun.eq(context.kommun()));
    match filter.exited {
        Some(true) => query = query.filter(participant::Column::ExitedOn.is_not_null()),
        Some(false) => query = query.filter(participant::Column::ExitedOn.is_null()),
        None => {}
    }
    if filter.only_mine {
        query = query.filter(participant::Column::Coordinator.eq(context.caller.subject.as_str()));
    }
    if filter.without_plan {
        query = query.filter(participant::Column::Coordinator.is_null());
    }
    if let Some(after) = page.after {
        query = query.filter(participant::Column::Id.lt(after));
    }
    let (rows, next) =
        page.split(query.order_by_desc(participant::Column::Id).limit(page.fetch_limit()).all(&txn).await?, |p| p.id);
    audit::record_many(&txn, context, SUBJECT, rows.iter().map(|p| p.id.to_string()), Outcome::Read).await?;
    txn.commit().await?;
    Ok((rows, next))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn source_codes_round_trip() {
        for source in ParticipantSource::ALL {
            assert_eq!(ParticipantSource::from_code(source.code()), Some(source));
            assert_eq!(ParticipantSource::from_api(source.to_api() as i32), Some(source));
        }
        assert_eq!(ParticipantSource::from_code("unknown"), None);
        assert_eq!(ParticipantSource::from_api(0), None);
        assert_eq!(ParticipantSource::from_api(99), None);
    }

    #[test]
    fn only_bistand_and_ungsam_are_referrals() {
        let referrals: Vec<_> = ParticipantSource::ALL.into_iter().filter(|s| s.is_referral()).collect();
        assert_eq!(referrals, [ParticipantSource::EkonomisktBistand, ParticipantSource::Ungsam]);
    }

    mod against_a_database {
        use sea_orm_migration::MigratorTrait;
        use trappan_platform::auth::{Caller, Kommun, Role};
        use trappan_platform::testing::{TestDatabase, backends};

        use super::super::*;

        fn caller_context(kommun: &str, role: Role) -> CallContext {
            CallContext {
                caller: Caller {
                    subject: "koordinator-1".into(),
                    role,
                    kommun: Kommun::parse(kommun).expect("valid kommun"),
                    unit: "ame".into(),
                },
                method: "/trappan.insatser.v1.InsatserService/Test".into(),
                purpose: "test".into(),
            }
        }

        fn referral(referral_id: &str) -> NewParticipant {
            NewParticipant {
                origin: Origin::Referral {
                    referral_id: referral_id.into(),
                    consent_id: "consent-1".into(),
                    reason: "stöd".into(),
                },
                personnummer: Personnummer::parse("198112189876").expect("valid"),
                given_name: "Anna".into(),
                family_name: "Andersson".into(),
                source: ParticipantSource::EkonomisktBistand,
                report_back_allowed: true,
                registered_on: NaiveDate::from_ymd_opt(2020, 3, 2).expect("a date"),
                born_abroad: None,
            }
        }

        fn direct(request_id: Uuid) -> NewParticipant {
            NewParticipant {
                origin: Origin::Direct { request_id },
                source: ParticipantSource::SelfReferral,
                report_back_allowed: false,
                ..referral("unused")
            }
        }

        async fn migrated(database: &TestDatabase) -> DatabaseConnection {
            let db = trappan_platform::store::connect(&database.url).await.expect("connect");
            Migrator::up(&db, None).await.expect("migrate");
            db
        }

        async fn count<E: EntityTrait>(db: &DatabaseConnection) -> u64 {
            E::find().all(db).await.expect("count").len() as u64
        }

        #[tokio::test]
        async fn registrations_are_idempotent_audited_and_fed() {
            for backend in backends() {
                let database = TestDatabase::create(backend).await;
                let db = migrated(&database).await;
                let system = caller_context("0767", Role::System);
                let koordinator = caller_context("0767", Role::Arbetsmarknadskoordinator);

                // A referral delivered twice, concurrently, then once more: one participant.
                let (a, b) = tokio::join!(
                    register_participant(&db, &system, referral("r-1")),
                    register_participant(&db, &system, referral("r-1")),
                );
                let (a, b) = (a.expect("first delivery"), b.expect("second delivery"));
                assert_eq!(a.id, b.id);
                let again = register_participant(&db, &system, referral("r-1")).await.expect("redelivery");
                assert_eq!(again.id, a.id);
                assert_eq!(a.referral_id.as_deref(), Some("r-1"));
                assert_eq!(a.request_id, None);

                // Direct creates: NULL referral ids do not collide; a retry returns the first.
                let request = Uuid::now_v7();
                let first = register_participant(&db, &koordinator, direct(request)).await.expect("create");
                let retry = register_participant(&db, &koordinator, direct(request)).await.expect("retry");
                assert_eq!(first.id, retry.id);
                let other = register_participant(&db, &koordinator, direct(Uuid::now_v7())).await.expect("another");
                assert_ne!(other.id, first.id);
                assert_eq!(first.referral_id, None);
                assert_eq!(first.consent_id, None);

                // The same referral id in another municipality is another participant.
                let elsewhere = register_participant(&db, &caller_context("0180", Role::System), referral("r-1"))
                    .await
                    .expect("other kommun");
                assert_ne!(elsewhere.id, a.id);

                assert_eq!(count::<participant::Entity>(&db).await, 4);
                assert_eq!(count::<trappan_platform::outbox::entity::Entity>(&db).await, 4);
                assert_eq!(count::<trappan_platform::audit::entity::Entity>(&db).await, 4);

                // Reads are scoped to the municipality and audited.
                assert_eq!(get_participant(&db, &koordinator, a.id).await.expect("read").id, a.id);
                assert!(matches!(
                    get_participant(&db, &koordinator, elsewhere.id).await,
                    Err(ServiceError::NotFound("participant"))
                ));
                let (page, next) = list_participants(
                    &db,
                    &koordinator,
                    ParticipantFilter::default(),
                    PageRequest { size: 2, after: None },
                )
                .await
                .expect("page 1");
                assert_eq!(page.iter().map(|p| p.id).collect::<Vec<_>>(), [other.id, first.id]);
                let (rest, end) = list_participants(
                    &db,
                    &koordinator,
                    ParticipantFilter::default(),
                    PageRequest { size: 2, after: next },
                )
                .await
                .expect("page 2");
                assert_eq!(rest.iter().map(|p| p.id).collect::<Vec<_>>(), [a.id]);
                assert_eq!(end, None);
                assert_eq!(count::<trappan_platform::audit::entity::Entity>(&db).await, 4 + 1 + 3);
            }
        }

        #[tokio::test]
        async fn reports_go_back_only_with_consent_and_stop_when_it_is_withdrawn() {
            use reports::{BistandReport, report_outcome_to_ungsam, report_to_bistand, stop_reporting_back};
            for backend in backends() {
                let database = TestDatabase::create(backend).await;
                let db = migrated(&database).await;
                let system = caller_context("0767", Role::System);
                let kommun = system.caller.kommun.clone();
                let day = NaiveDate::from_ymd_opt(2020, 6, 1).expect("a date");
                let allowed = register_participant(&db, &system, referral("r-allowed")).await.expect("allowed");
                let not_allowed = register_participant(
                    &db,
                    &system,
                    NewParticipant { report_back_allowed: false, ..referral("r-not-allowed") },
                )
                .await
                .expect("not allowed");
                let exited = BistandReport::Exited(ExitOutcome::Studies);
                assert!(report_to_bistand(&db, &kommun, &allowed, day, exited.clone()).await.expect("enqueue"));
                assert!(!report_to_bistand(&db, &kommun, &not_allowed, day, exited.clone()).await.expect("none"));
                // A bistand referral's outcome does not go to Ungsam.
                assert!(
                    !report_outcome_to_ungsam(&db, &kommun, &allowed, ExitOutcome::Studies, day).await.expect("none")
                );
                assert_eq!(count::<trappan_platform::delivery::entity::Entity>(&db).await, 1);

                // Another municipality's referral with the same id is not touched.
                assert_eq!(
                    stop_reporting_back(&db, "0180", ParticipantSource::EkonomisktBistand, "r-allowed")
                        .await
                        .expect("none"),
                    0
                );
                assert_eq!(
                    stop_reporting_back(&db, "0767", ParticipantSource::EkonomisktBistand, "r-allowed")
                        .await
                        .expect("one"),
                    1
                );
                let stopped = get_participant(&db, &system, allowed.id).await.expect("read");
                assert!(!stopped.report_back_allowed);
                assert!(!report_to_bistand(&db, &kommun, &stopped, day, exited).await.expect("none after withdrawal"));
                assert_eq!(count::<trappan_platform::delivery::entity::Entity>(&db).await, 1);
            }
        }
    }
}
