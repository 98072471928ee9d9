//! ungsam's store: entities, migrations, and the queries the transport layer calls.
//!
//! Every query takes the caller's [`CallContext`]: its municipality scopes the query and it is written
//! to the audit log in the same transaction as the read or change.

pub mod consents;
pub mod entities;
pub mod handovers;
pub mod import;
pub mod migrations;
pub mod outreach;
pub mod partners;

use std::collections::HashMap;

use chrono::NaiveDate;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, TransactionTrait,
};
use trappan_api::common::v1 as common;
use trappan_api::ungsam::v1 as api;
use trappan_platform::audit::{self, Outcome};
use trappan_platform::auth::{CallContext, Kommun};
use trappan_platform::error::{ServiceError, ServiceResult};
use trappan_platform::grpc::to_date;
use trappan_platform::outbox;
use trappan_platform::personnummer::Personnummer;
use trappan_platform::store::{PageRequest, is_unique_violation};
use uuid::Uuid;

use crate::domain::{ConsentScope, ContactChannel, ExitReason, IdentificationSource, Status, transition};

pub use entities::{consent, handover, joint_activity, outreach_contact, partner, status_change, young_person};
pub use migrations::Migrator;

/// The contract's value of an identification source.
pub fn api_source(source: IdentificationSource) -> api::IdentificationSource {
    match source {
        IdentificationSource::Kaa => api::IdentificationSource::ActivityResponsibility,
        IdentificationSource::Arbetsformedlingen => api::IdentificationSource::Arbetsformedlingen,
        IdentificationSource::School => api::IdentificationSource::School,
        IdentificationSource::SocialServices => api::IdentificationSource::SocialServices,
        IdentificationSource::LeisureCentre => api::IdentificationSource::LeisureCentre,
        IdentificationSource::SelfRegistration => api::IdentificationSource::SelfRegistration,
        IdentificationSource::PartnerOrganisation => api::IdentificationSource::PartnerOrganisation,
        IdentificationSource::Other => api::IdentificationSource::Other,
    }
}

/// The identification source a contract value names; `None` for unspecified or unknown values.
pub fn source_from_api(value: i32) -> Option<IdentificationSource> {
    IdentificationSource::ALL.into_iter().find(|source| api_source(*source) as i32 == value)
}

/// The contract's value of a status.
pub fn api_status(status: Status) -> api::YoungPersonStatus {
    use api::YoungPersonStatus as S;
    match status {
        Status::Identified => S::Identified,
        Status::Contacted => S::Contacted,
        Status::InDialogue => S::InDialogue,
        Status::InActivity => S::InActivity,
        Status::NotReachable => S::NotReachable,
        Status::Declined => S::Declined,
        Status::Exited(ExitReason::Work) => S::ExitedWork,
        Status::Exited(ExitReason::Studies) => S::ExitedStudies,
        Status::Exited(ExitReason::Other) => S::ExitedOther,
        Status::Exited(ExitReason::AgedOut) => S::ExitedAgedOut,
    }
}

/// The status a contract value names; `None` for unspecified or unknown values.
pub fn status_from_api(value: i32) -> Option<Status> {
    Status::ALL.into_iter().find(|status| api_status(*status) as i32 == value)
}

/// The contract's value of a contact channel.
pub fn api_channel(channel: ContactChannel) -> api::ContactChannel {
    match channel {
        ContactChannel::Phone => api::ContactChannel::Phone,
        ContactChannel::TextMessage => api::ContactChannel::TextMessage,
        ContactChannel::Letter => api::ContactChannel::Letter,
        ContactChannel::HomeVisit => api::ContactChannel::HomeVisit,
        ContactChannel::Outreach => api::ContactChannel::OutreachOnSite,
        ContactChannel::ThroughPartner => api::ContactChannel::ThroughPartner,
    }
}

/// The contact channel a contract value names; `None` for unspecified or unknown values.
pub fn channel_from_api(value: i32) -> Option<ContactChannel> {
    ContactChannel::ALL.into_iter().find(|channel| api_channel(*channel) as i32 == value)
}

/// The contract's value of a consent scope.
pub fn api_scope(scope: ConsentScope) -> api::ConsentScope {
    match scope {
        ConsentScope::Needs => api::ConsentScope::Needs,
        ConsentScope::Plans => api::ConsentScope::Plans,
        ConsentScope::Handover => api::ConsentScope::Handover,
    }
}

/// The consent scope a contract value names; `None` for unspecified or unknown values.
pub fn scope_from_api(value: i32) -> Option<ConsentScope> {
    ConsentScope::ALL.into_iter().find(|scope| api_scope(*scope) as i32 == value)
}

/// The status name the feed carries: the storage code, or `exited` for every exit (the outcome and the
/// aged-out flag say which).
pub fn feed_status(status: Status) -> &'static str {
    if status.is_active() { status.code() } else { "exited" }
}

/// The outcome an exit records when the caller names none: work counts as ordinary employment, aged out
/// and other reasons as unknown.
pub fn default_exit_outcome(reason: ExitReason) -> common::ExitOutcome {
    match reason {
        ExitReason::Work => common::ExitOutcome::OrdinaryEmployment,
        ExitReason::Studies => common::ExitOutcome::Studies,
        ExitReason::Other | ExitReason::AgedOut => common::ExitOutcome::Unknown,
    }
}

/// The exit reason an outcome reported by the labour-market unit means here.
pub fn exit_reason_for(outcome: common::ExitOutcome) -> ExitReason {
    match outcome {
        common::ExitOutcome::OrdinaryEmployment | common::ExitOutcome::SubsidisedEmployment => ExitReason::Work,
        common::ExitOutcome::Studies => ExitReason::Studies,
        _ => ExitReason::Other,
    }
}

/// The stored status of a row; a row with an unknown code is a store fault.
pub fn status_of(row: &young_person::Model) -> ServiceResult<Status> {
    Status::from_code(&row.status)
        .ok_or_else(|| ServiceError::Internal(anyhow::anyhow!("young person with an unknown status code")))
}

/// The date a person was identified (rows from before the column existed count their registration day).
pub fn identified_on(row: &young_person::Model) -> NaiveDate {
    row.identified_on.unwrap_or_else(|| row.created_at.date_naive())
}

/// A young person to register, already parsed and checked against the target group.
#[derive(Debug, Clone)]
pub struct NewYoungPerson {
    /// Idempotency key.
    pub request_id: Uuid,
    /// The identity number.
    pub personnummer: Personnummer,
    /// Given name.
    pub given_name: String,
    /// Family name.
    pub family_name: String,
    /// Who identified the person.
    pub source: IdentificationSource,
    /// Age in years in the month of identification, as the target-group rule counts it (18–24).
    pub age: u32,
    /// The date of identification.
    pub identified_on: NaiveDate,
    /// Preferred contact channel.
    pub contact_channel: Option<ContactChannel>,
    /// Contact detail for that channel.
    pub contact_detail: Option<String>,
}

/// A young person with what the API shows beside the row: status history, consents in force and the
/// newest handover.
#[derive(Debug, Clone)]
pub struct YoungPersonView {
    /// The row.
    pub person: young_person::Model,
    /// Status changes, oldest first.
    pub history: Vec<status_change::Model>,
    /// The scopes consented to now.
    pub consents: Vec<ConsentScope>,
    /// Every consent recorded, in force or withdrawn, oldest first.
    pub consent_records: Vec<consent::Model>,
    /// The newest handover.
    pub handover: Option<handover::Model>,
}

/// Loads the history, consents and handovers of `rows` in three queries.
pub async fn views(conn: &impl ConnectionTrait, rows: Vec<young_person::Model>) -> ServiceResult<Vec<YoungPersonView>> {
    let ids: Vec<Uuid> = rows.iter().map(|row| row.id).collect();
    let mut history: HashMap<Uuid, Vec<status_change::Model>> = HashMap::new();
    for change in status_change::Entity::find()
        .filter(status_change::Column::YoungPersonId.is_in(ids.clone()))
        .order_by_asc(status_change::Column::Id)
        .all(conn)
        .await?
    {
        history.entry(change.young_person_id).or_default().push(change);
    }
    let mut consents: HashMap<Uuid, Vec<ConsentScope>> = HashMap::new();
    let mut records: HashMap<Uuid, Vec<consent::Model>> = HashMap::new();
    for row in consent::Entity::find()
        .filter(consent::Column::YoungPersonId.is_in(ids.clone()))
        .order_by_asc(consent::Column::Id)
        .all(conn)
        .await?
    {
        if row.withdrawn_at.is_none()
            && let Some(scope) = ConsentScope::from_code(&row.scope)
        {
            let scopes = consents.entry(row.young_person_id).or_default();
            if !scopes.contains(&scope) {
                scopes.push(scope);
            }
        }
        records.entry(row.young_person_id).or_default().push(row);
    }
    let mut handovers: HashMap<Uuid, handover::Model> = HashMap::new();
    for row in handover::Entity::find()
        .filter(handover::Column::YoungPersonId.is_in(ids))
        .order_by_asc(handover::Column::CreatedAt)
        .all(conn)
        .await?
    {
        handovers.insert(row.young_person_id, row);
    }
    Ok(rows
        .into_iter()
        .map(|person| {
            let mut scopes = consents.remove(&person.id).unwrap_or_default();
            scopes.sort_by_key(|scope| api_scope(*scope) as i32);
            YoungPersonView {
                history: history.remove(&person.id).unwrap_or_default(),
                consents: scopes,
                consent_records: records.remove(&person.id).unwrap_or_default(),
                handover: handovers.remove(&person.id),
                person,
            }
        })
        .collect())
}

/// One person's view.
pub async fn view(conn: &impl ConnectionTrait, row: young_person::Model) -> ServiceResult<YoungPersonView> {
    views(conn, vec![row]).await?.pop().ok_or(ServiceError::NotFound("young person"))
}

/// Reads a young person of the caller's municipality (no audit: callers audit what they do with it).
pub async fn find_young_person(
    conn: &impl ConnectionTrait,
    context: &CallContext,
    id: Uuid,
) -> ServiceResult<young_person::Model> {
    young_person::Entity::find_by_id(id)
        .filter(young_person::Column::Kommun.eq(context.kommun()))
        .one(conn)
        .await?
        .ok_or(ServiceError::NotFound("young person"))
}

/// Reads a young person of the caller's municipality for a change, locking the row until the transaction
/// ends (PostgreSQL; SQLite serialises writers anyway), so two concurrent changes cannot both start from
/// the same status.
pub async fn lock_young_person(
    conn: &impl ConnectionTrait,
    context: &CallContext,
    id: Uuid,
) -> ServiceResult<young_person::Model> {
    young_person::Entity::find_by_id(id)
        .filter(young_person::Column::Kommun.eq(context.kommun()))
        .lock_exclusive()
        .one(conn)
        .await?
        .ok_or(ServiceError::NotFound("young person"))
}

async fn young_person_by_request(
    conn: &impl ConnectionTrait,
    context: &CallContext,
    request_id: Uuid,
) -> ServiceResult<Option<young_person::Model>> {
    Ok(young_person::Entity::find()
        .filter(young_person::Column::Kommun.eq(context.kommun()))
        .filter(young_person::Column::RequestId.eq(request_id))
        .one(conn)
        .await?)
}

/// The person already registered in the caller's municipality with this identity number and source
/// (the natural key of a registration).
pub async fn young_person_by_natural_key(
    conn: &impl ConnectionTrait,
    context: &CallContext,
    personnummer: &Personnummer,
    source: IdentificationSource,
) -> ServiceResult<Option<young_person::Model>> {
    Ok(young_person::Entity::find()
        .filter(young_person::Column::Kommun.eq(context.kommun()))
        .filter(young_person::Column::Personnummer.eq(personnummer.as_canonical()))
        .filter(young_person::Column::Source.eq(source.code()))
        .one(conn)
        .await?)
}

/// Inserts a registration with its first history entry, audit and feed event, inside `txn`.
pub(crate) async fn insert_young_person(
    txn: &impl ConnectionTrait,
    context: &CallContext,
    new: &NewYoungPerson,
) -> Result<young_person::Model, sea_orm::DbErr> {
    let id = Uuid::now_v7();
    let row = young_person::ActiveModel {
        id: Set(id),
        kommun: Set(context.kommun().to_string()),
        request_id: Set(new.request_id),
        personnummer: Set(new.personnummer.as_canonical().to_string()),
        given_name: Set(new.given_name.clone()),
        family_name: Set(new.family_name.clone()),
        source: Set(new.source.code().to_string()),
        status: Set(Status::Identified.code().to_string()),
        created_at: Set(chrono::Utc::now()),
        identified_on: Set(Some(new.identified_on)),
        contact_channel: Set(new.contact_channel.map(|channel| channel.code().to_string())),
        contact_detail: Set(new.contact_detail.clone()),
        coach: Set(Some(context.caller.subject.clone())),
        needs: Set(None),
        plan: Set(None),
        exit_outcome: Set(None),
        first_reached_on: Set(None),
        last_contact_on: Set(None),
    }
    .insert(txn)
    .await?;
    insert_history(txn, context, id, None, Status::Identified, new.identified_on, "registered").await?;
    audit::record(txn, context, "young_person", &id.to_string(), Outcome::Created).await?;
    outbox::append(
        txn,
        &context.caller.kommun,
        &api::YoungPersonIdentifiedEvent {
            young_person_id: id.to_string(),
            source: api_source(new.source) as i32,
            age: i32::try_from(new.age).unwrap_or(i32::MAX),
            age_band: common::AgeBand::AgeBand1824 as i32,
            identified_on: Some(to_date(new.identified_on)),
        },
    )
    .await?;
    Ok(row)
}

async fn insert_history(
    txn: &impl ConnectionTrait,
    context: &CallContext,
    young_person_id: Uuid,
    from: Option<Status>,
    to: Status,
    on: NaiveDate,
    cause: &str,
) -> Result<(), sea_orm::DbErr> {
    status_change::ActiveModel {
        id: Set(Uuid::now_v7()),
        kommun: Set(context.kommun().to_string()),
        young_person_id: Set(young_person_id),
        from_status: Set(from.map(|status| status.code().to_string())),
        to_status: Set(to.code().to_string()),
        changed_on: Set(on),
        cause: Set(cause.to_string()),
        created_at: Set(chrono::Utc::now()),
    }
    .insert(txn)
    .await?;
    Ok(())
}

/// Moves `person` to `to` inside `txn`, only along an allowed transition: updates the row, appends the
/// history, audits the change and publishes a [`api::StatusChangedEvent`]. An exit records
/// `exit_outcome` (or the reason's default). A forbidden transition is a failed precondition naming both
/// statuses.
pub(crate) async fn apply_status(
    txn: &impl ConnectionTrait,
    context: &CallContext,
    person: young_person::Model,
    to: Status,
    on: NaiveDate,
    cause: &str,
    exit_outcome: Option<common::ExitOutcome>,
) -> ServiceResult<young_person::Model> {
    let from = status_of(&person)?;
    transition(from, to).map_err(|forbidden| {
        ServiceError::FailedPrecondition(format!(
            "the status cannot change from {} to {}",
            forbidden.from.code(),
            forbidden.to.code()
        ))
    })?;
    let outcome = match to {
        Status::Exited(reason) => Some(exit_outcome.unwrap_or_else(|| default_exit_outcome(reason))),
        _ => None,
    };
    let id = person.id;
    let mut row: young_person::ActiveModel = person.into();
    row.status = Set(to.code().to_string());
    if let Some(outcome) = outcome {
        row.exit_outcome = Set(Some(outcome as i32));
    }
    let row = row.update(txn).await?;
    insert_history(txn, context, id, Some(from), to, on, cause).await?;
    audit::record(txn, context, "young_person", &id.to_string(), Outcome::Updated).await?;
    outbox::append(
        txn,
        &context.caller.kommun,
        &api::StatusChangedEvent {
            young_person_id: id.to_string(),
            from_status: feed_status(from).to_string(),
            to_status: feed_status(to).to_string(),
            changed_on: Some(to_date(on)),
            exit_outcome: outcome.map_or(common::ExitOutcome::Unspecified, |o| o) as i32,
            aged_out: to == Status::Exited(ExitReason::AgedOut),
        },
    )
    .await?;
    Ok(row)
}

/// Registers a young person; a retried request (same request_id) returns the person already registered.
/// The same person from the same source a second time is ALREADY_EXISTS.
pub async fn create_young_person(
    db: &DatabaseConnection,
    context: &CallContext,
    new: NewYoungPerson,
) -> ServiceResult<YoungPersonView> {
    if let Some(existing) = young_person_by_request(db, context, new.request_id).await? {
        return view(db, existing).await;
    }
    let already = || ServiceError::AlreadyExists("the young person is already registered from this source".into());
    if young_person_by_natural_key(db, context, &new.personnummer, new.source).await?.is_some() {
        return Err(already());
    }
    let txn = db.begin().await?;
    let row = match insert_young_person(&txn, context, &new).await {
        Ok(row) => row,
        Err(error) if is_unique_violation(&error) => {
            // A concurrent retry won the race, or the same person was registered meanwhile.
            txn.rollback().await?;
            return match young_person_by_request(db, context, new.request_id).await? {
                Some(existing) => view(db, existing).await,
                None => Err(already()),
            };
        }
        Err(error) => return Err(error.into()),
    };
    let view = view(&txn, row).await?;
    txn.commit().await?;
    Ok(view)
}

/// Reads one young person of the caller's municipality; the read is audited.
pub async fn get_young_person(
    db: &DatabaseConnection,
    context: &CallContext,
    id: Uuid,
) -> ServiceResult<YoungPersonView> {
    let txn = db.begin().await?;
    let row = find_young_person(&txn, context, id).await?;
    audit::record(&txn, context, "young_person", &id.to_string(), Outcome::Read).await?;
    let view = view(&txn, row).await?;
    txn.commit().await?;
    Ok(view)
}

/// Which young people a list shows.
#[derive(Debug, Clone, Default)]
pub struct YoungPersonFilter {
    /// Only this status.
    pub status: Option<Status>,
    /// Only this coach's.
    pub coach: Option<String>,
    /// Only people never reached.
    pub not_yet_contacted: bool,
    /// Only active people whose last attempt (or identification) is on or before this day.
    pub contact_due_by: Option<NaiveDate>,
}

/// The statuses of people still in outreach.
fn active_codes() -> Vec<&'static str> {
    Status::ALL.into_iter().filter(|status| status.is_active()).map(Status::code).collect()
}

fn filtered(context: &CallContext, filter: &YoungPersonFilter) -> sea_orm::Select<young_person::Entity> {
    let mut query = young_person::Entity::find().filter(young_person::Column::Kommun.eq(context.kommun()));
    if let Some(status) = filter.status {
        query = query.filter(young_person::Column::Status.eq(status.code()));
    }
    if let Some(coach) = &filter.coach {
        query = query.filter(young_person::Column::Coach.eq(coach.as_str()));
    }
    if filter.not_yet_contacted {
        query = query
            .filter(young_person::Column::FirstReachedOn.is_null())
            .filter(young_person::Column::Status.is_in(active_codes()));
    }
    if let Some(due) = filter.contact_due_by {
        use sea_orm::Condition;
        query = query.filter(young_person::Column::Status.is_in(active_codes())).filter(
            Condition::any().add(young_person::Column::LastContactOn.lte(due)).add(
                Condition::all()
                    .add(young_person::Column::LastContactOn.is_null())
                    .add(young_person::Column::IdentifiedOn.lte(due)),
            ),
        );
    }
    query
}

/// One page of the caller's municipality's young people, newest first, filtered; every person read is
/// audited. Returns the page and, when more follow, the key to continue after.
pub async fn list_young_people(
    db: &DatabaseConnection,
    context: &CallContext,
    filter: &YoungPersonFilter,
    page: PageRequest,
) -> ServiceResult<(Vec<YoungPersonView>, Option<Uuid>)> {
    let txn = db.begin().await?;
    let mut query = filtered(context, filter);
    if let Some(after) = page.after {
        query = query.filter(young_person::Column::Id.lt(after));
    }
    let (rows, next) = page
        .split(query.order_by_desc(young_person::Column::Id).limit(page.fetch_limit()).all(&txn).await?, |row| row.id);
    audit::record_many(&txn, context, "young_person", rows.iter().map(|row| row.id.to_string()), Outcome::Read).await?;
    let views = views(&txn, rows).await?;
    txn.commit().await?;
    Ok((views, next))
}

/// The municipalities that have people still in outreach (for the daily aged-out run).
pub async fn kommuner_with_active_people(db: &DatabaseConnection) -> ServiceResult<Vec<Kommun>> {
    let codes: Vec<String> = young_person::Entity::find()
        .select_only()
        .column(young_person::Column::Kommun)
        .distinct()
        .filter(young_person::Column::Status.is_in(active_codes()))
        .into_tuple()
        .all(db)
        .await?;
    Ok(codes.iter().filter_map(|code| Kommun::parse(code)).collect())
}

/// The filter for the people a summary counts.
pub(crate) fn summary_query(context: &CallContext, coach: Option<String>) -> sea_orm::Select<young_person::Entity> {
    filtered(context, &YoungPersonFilter { coach, ..Default::default() })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_source_maps_to_the_contract_and_back() {
        for source in IdentificationSource::ALL {
            assert_ne!(api_source(source), api::IdentificationSource::Unspecified);
            assert_eq!(source_from_api(api_source(source) as i32), Some(source));
        }
        assert_eq!(source_from_api(api::IdentificationSource::Unspecified as i32), None);
        assert_eq!(source_from_api(99), None);
    }

    fn new_person(request_id: Uuid) -> NewYoungPerson {
        NewYoungPerson {
            request_id,
            personnummer: Personnummer::parse("200302141239").expect("a valid number"),
            given_name: "Alva".into(),
            family_name: "Lind".into(),
            source: IdentificationSource::School,
            age: 22,
            identified_on: NaiveDate::from_ymd_opt(2025, 3, 1).expect("a date"),
            contact_channel: None,
            contact_detail: None,
        }
    }

    #[tokio::test]
    async fn creates_are_idempotent_audited_and_published_and_lists_page_newest_first() {
        use sea_orm_migration::MigratorTrait;
        use trappan_platform::auth::Kommun;
        use trappan_platform::testing::{TestDatabase, backends};

        for backend in backends() {
            let database = TestDatabase::create(backend).await;
            let db = trappan_platform::store::connect(&database.url).await.expect("connect");
            Migrator::up(&db, None).await.expect("migrate");
            let context = CallContext::system(Kommun::parse("0180").expect("a kommun"), "test");
            let other = CallContext::system(Kommun::parse("1480").expect("a kommun"), "test");

            let request_id = Uuid::now_v7();
            let first = create_young_person(&db, &context, new_person(request_id)).await.expect("create");
            let again = create_young_person(&db, &context, new_person(request_id)).await.expect("retry");
            assert_eq!(first.person, again.person);
            assert_eq!(first.person.status, "identified");
            assert_eq!(first.person.source, "school");
            assert_eq!(first.history.len(), 1);
            let duplicate = create_young_person(&db, &context, new_person(Uuid::now_v7())).await;
            assert!(matches!(duplicate, Err(ServiceError::AlreadyExists(_))), "{duplicate:?}");
            let events = outbox::entity::Entity::find().all(&db).await.expect("outbox");
            assert_eq!(events.len(), 1);

            let mut other_source = new_person(Uuid::now_v7());
            other_source.source = IdentificationSource::Arbetsformedlingen;
            let second = create_young_person(&db, &context, other_source).await.expect("create");
            let (page, next) =
                list_young_people(&db, &context, &YoungPersonFilter::default(), PageRequest { size: 1, after: None })
                    .await
                    .expect("list");
            assert_eq!(page.iter().map(|r| r.person.id).collect::<Vec<_>>(), [second.person.id]);
            let (page, next) =
                list_young_people(&db, &context, &YoungPersonFilter::default(), PageRequest { size: 1, after: next })
                    .await
                    .expect("list");
            assert_eq!(page.iter().map(|r| r.person.id).collect::<Vec<_>>(), [first.person.id]);
            assert_eq!(next, None);

            assert_eq!(get_young_person(&db, &context, first.person.id).await.expect("get").person.id, first.person.id);
            assert!(matches!(get_young_person(&db, &other, first.person.id).await, Err(ServiceError::NotFound(_))));
            assert!(
                list_young_people(&db, &other, &YoungPersonFilter::default(), PageRequest { size: 10, after: None })
                    .await
                    .expect("list")
                    .0
                    .is_empty()
            );

            let audited = audit::entity::Entity::find().all(&db).await.expect("audit");
            let outcomes = |outcome: &str| audited.iter().filter(|e| e.outcome == outcome).count();
            assert_eq!(outcomes("created"), 2);
            assert_eq!(outcomes("read"), 3);
            assert!(audited.iter().all(|e| e.subject_kind == "young_person"));
        }
    }
}
