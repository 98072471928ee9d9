//! Registration of an imported list in one transaction.
//!
//! A re-import adds nothing twice: a person is registered once per municipality, identity number and
//! identification source (the unique index `young_person_natural_key`), so a row naming someone already
//! registered from that source is reported as such instead of being added.

use sea_orm::{DatabaseConnection, TransactionTrait};
use trappan_platform::auth::CallContext;
use trappan_platform::error::ServiceResult;
use uuid::Uuid;

use super::{NewYoungPerson, insert_young_person, young_person_by_natural_key};

/// What became of one accepted row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Registered {
    /// Registered now, with this identifier.
    New(Uuid),
    /// Already registered from this source, with this identifier.
    Existing(Uuid),
}

/// Registers the people of an import, in order, in one transaction: all rows or none are written.
pub async fn import_young_people(
    db: &DatabaseConnection,
    context: &CallContext,
    people: &[NewYoungPerson],
) -> ServiceResult<Vec<Registered>> {
    let txn = db.begin().await?;
    let mut out = Vec::with_capacity(people.len());
    for person in people {
        match young_person_by_natural_key(&txn, context, &person.personnummer, person.source).await? {
            Some(existing) => out.push(Registered::Existing(existing.id)),
            None => out.push(Registered::New(insert_young_person(&txn, context, person).await?.id)),
        }
    }
    txn.commit().await?;
    Ok(out)
}
