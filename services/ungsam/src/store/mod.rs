//! ungsam's store: entities, migrations, and the queries the transport layer calls.
//!
//! Every query takes the caller's [`CallContext`]: its municipality scopes the query and it is written
//! to the audit log in the same transaction as the read or change.

pub mod entities;
pub mod migrations;

use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, TransactionTrait,
};
use trappan_api::ungsam::v1 as api;
use trappan_platform::audit::{self, Outcome};
use trappan_platform::auth::CallContext;
use trappan_platform::error::{ServiceError, ServiceResult};
use trappan_platform::outbox;
use trappan_platform::personnummer::Personnummer;
use trappan_platform::store::{PageRequest, is_unique_violation};
use uuid::Uuid;

use crate::domain::{IdentificationSource, Status};

pub use entities::young_person;
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
    /// Age in years in the month of registration, as the target-group rule counts it (18–24).
    pub age: u32,
}

async fn find_young_person(
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

/// Registers a young person; a retried request (same request_id) returns the person already registered.
pub async fn create_young_person(
    db: &DatabaseConnection,
    context: &CallContext,
    new: NewYoungPerson,
) -> ServiceResult<young_person::Model> {
    if let Some(existing) = young_person_by_request(db, context, new.request_id).await? {
        return Ok(existing);
    }
    let txn = db.begin().await?;
    let id = Uuid::now_v7();
    let inserted = young_person::ActiveModel {
        id: Set(id),
        kommun: Set(context.kommun().to_string()),
        request_id: Set(new.request_id),
        personnummer: Set(new.personnummer.as_canonical().to_string()),
        given_name: Set(new.given_name.clone()),
        family_name: Set(new.family_name.clone()),
        source: Set(new.source.code().to_string()),
        status: Set(Status::Identified.code().to_string()),
        created_at: Set(chrono::Utc::now()),
    }
    .insert(&txn)
    .await;
    let row = match inserted {
        Ok(row) => row,
        Err(error) if is_unique_violation(&error) => {
            // A concurrent retry won the race; answer with its young person.
            txn.rollback().await?;
            return young_person_by_request(db, context, new.request_id)
                .await?
                .ok_or(ServiceError::NotFound("young person"));
        }
        Err(error) => return Err(error.into()),
    };
    audit::record(&txn, context, "young_person", &id.to_string(), Outcome::Created).await?;
    outbox::append(
        &txn,
        &context.caller.kommun,
        &api::YoungPersonIdentifiedEvent {
            young_person_id: id.to_string(),
            source: api_source(new.source) as i32,
            age: i32::try_from(new.age).unwrap_or(i32::MAX),
            ..Default::default()
        },
    )
    .await?;
    txn.commit().await?;
    Ok(row)
}

/// Reads one young person of the caller's municipality; the read is audited.
pub async fn get_young_person(
    db: &DatabaseConnection,
    context: &CallContext,
    id: Uuid,
) -> ServiceResult<young_person::Model> {
    let txn = db.begin().await?;
    let row = find_young_person(&txn, context, id).await?;
    audit::record(&txn, context, "young_person", &id.to_string(), Outcome::Read).await?;
    txn.commit().await?;
    Ok(row)
}

/// One page of the caller's municipality's young people, newest first; every person read is audited.
/// Returns the page and, when more follow, the key to continue after.
pub async fn list_young_people(
    db: &DatabaseConnection,
    context: &CallContext,
    page: PageRequest,
) -> ServiceResult<(Vec<young_person::Model>, Option<Uuid>)> {
    let txn = db.begin().await?;
    let mut query = young_person::Entity::find().filter(young_person::Column::Kommun.eq(context.kommun()));
    if let Some(after) = page.after {
        query = query.filter(young_person::Column::Id.lt(after));
    }
    let (rows, next) = page
        .split(query.order_by_desc(young_person::Column::Id).limit(page.fetch_limit()).all(&txn).await?, |row| row.id);
    audit::record_many(&txn, context, "young_person", rows.iter().map(|row| row.id.to_string()), Outcome::Read).await?;
    txn.commit().await?;
    Ok((rows, next))
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
            assert_eq!(first, again);
            assert_eq!(first.status, "identified");
            assert_eq!(first.source, "school");
            let events = outbox::entity::Entity::find().all(&db).await.expect("outbox");
            assert_eq!(events.len(), 1);

            let second = create_young_person(&db, &context, new_person(Uuid::now_v7())).await.expect("create");
            let (page, next) =
                list_young_people(&db, &context, PageRequest { size: 1, after: None }).await.expect("list");
            assert_eq!(page.iter().map(|r| r.id).collect::<Vec<_>>(), [second.id]);
            let (page, next) =
                list_young_people(&db, &context, PageRequest { size: 1, after: next }).await.expect("list");
            assert_eq!(page.iter().map(|r| r.id).collect::<Vec<_>>(), [first.id]);
            assert_eq!(next, None);

            assert_eq!(get_young_person(&db, &context, first.id).await.expect("get").id, first.id);
            assert!(matches!(get_young_person(&db, &other, first.id).await, Err(ServiceError::NotFound(_))));
            assert!(
                list_young_people(&db, &other, PageRequest { size: 10, after: None }).await.expect("list").0.is_empty()
            );

            let audited = audit::entity::Entity::find().all(&db).await.expect("audit");
            let outcomes = |outcome: &str| audited.iter().filter(|e| e.outcome == outcome).count();
            assert_eq!(outcomes("created"), 2);
            assert_eq!(outcomes("read"), 3);
            assert!(audited.iter().all(|e| e.subject_kind == "young_person"));
        }
    }
}
