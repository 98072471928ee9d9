//! Outreach: status changes, contact attempts, the automatic exit at 25 and the coaches' figures.

use chrono::NaiveDate;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, TransactionTrait,
};
use trappan_api::common::v1 as common;
use trappan_api::ungsam::v1 as api;
use trappan_platform::audit::{self, Outcome};
use trappan_platform::auth::CallContext;
use trappan_platform::error::{ServiceError, ServiceResult};
use trappan_platform::grpc::to_date;
use trappan_platform::outbox;
use trappan_platform::personnummer::Personnummer;
use trappan_platform::store::{PageRequest, is_unique_violation};
use uuid::Uuid;

use super::{
    YoungPersonView, apply_status, find_young_person, identified_on, lock_young_person, outreach_contact, status_of,
    view, young_person,
};
use crate::domain::{ContactChannel, ContactOutcome, ExitReason, Status, TargetGroupRule, implied_transitions};

/// The storage code of a contact outcome.
pub fn outcome_code(outcome: ContactOutcome) -> &'static str {
    match outcome {
        ContactOutcome::Reached => "reached",
        ContactOutcome::NotReached => "not_reached",
        ContactOutcome::Declined => "declined",
    }
}

/// Parses a contact outcome's storage code.
pub fn outcome_from_code(code: &str) -> Option<ContactOutcome> {
    [ContactOutcome::Reached, ContactOutcome::NotReached, ContactOutcome::Declined]
        .into_iter()
        .find(|outcome| outcome_code(*outcome) == code)
}

/// Rejects a date before the person's identification (the future was rejected by the caller).
fn not_before_identification(person: &young_person::Model, on: NaiveDate, field: &str) -> ServiceResult<()> {
    if on < identified_on(person) {
        return Err(ServiceError::invalid(field, "must not be before the young person was identified"));
    }
    Ok(())
}

/// Changes a young person's status by hand, along the allowed transitions only.
pub async fn change_status(
    db: &DatabaseConnection,
    context: &CallContext,
    id: Uuid,
    to: Status,
    on: NaiveDate,
    exit_outcome: Option<common::ExitOutcome>,
) -> ServiceResult<YoungPersonView> {
    let txn = db.begin().await?;
    let person = lock_young_person(&txn, context, id).await?;
    not_before_identification(&person, on, "changed_on")?;
    let row = apply_status(&txn, context, person, to, on, "manual", exit_outcome).await?;
    let view = view(&txn, row).await?;
    txn.commit().await?;
    Ok(view)
}

/// A contact attempt to record, already parsed.
#[derive(Debug, Clone)]
pub struct NewContact {
    /// Idempotency key.
    pub request_id: Uuid,
    /// The young person.
    pub young_person_id: Uuid,
    /// The date of the attempt.
    pub contacted_on: NaiveDate,
    /// The channel.
    pub channel: ContactChannel,
    /// Who made it.
    pub made_by: String,
    /// What came of it.
    pub outcome: ContactOutcome,
    /// Free-text note.
    pub note: Option<String>,
}

async fn contact_by_request(
    conn: &impl ConnectionTrait,
    context: &CallContext,
    request_id: Uuid,
) -> ServiceResult<Option<outreach_contact::Model>> {
    Ok(outreach_contact::Entity::find()
        .filter(outreach_contact::Column::Kommun.eq(context.kommun()))
        .filter(outreach_contact::Column::RequestId.eq(request_id))
        .one(conn)
        .await?)
}

/// Records a contact attempt and the status changes its outcome implies, with a
/// [`api::ContactRecordedEvent`]; a retried request returns the contact already recorded.
pub async fn record_contact(
    db: &DatabaseConnection,
    context: &CallContext,
    new: NewContact,
) -> ServiceResult<(outreach_contact::Model, YoungPersonView)> {
    if let Some(existing) = contact_by_request(db, context, new.request_id).await? {
        let person = find_young_person(db, context, existing.young_person_id).await?;
        return Ok((existing, view(db, person).await?));
    }
    let txn = db.begin().await?;
    let person = lock_young_person(&txn, context, new.young_person_id).await?;
    not_before_identification(&person, new.contacted_on, "contact.contacted_on")?;
    let current = status_of(&person)?;
    if !current.is_active() {
        return Err(ServiceError::FailedPrecondition(format!(
            "contacts cannot be recorded for a young person with status {}",
            current.code()
        )));
    }
    let inserted = outreach_contact::ActiveModel {
        id: Set(Uuid::now_v7()),
        kommun: Set(context.kommun().to_string()),
        young_person_id: Set(person.id),
        request_id: Set(new.request_id),
        contacted_on: Set(new.contacted_on),
        channel: Set(new.channel.code().to_string()),
        made_by: Set(new.made_by.clone()),
        outcome: Set(outcome_code(new.outcome).to_string()),
        note: Set(new.note.clone()),
        created_at: Set(chrono::Utc::now()),
    }
    .insert(&txn)
    .await;
    let contact = match inserted {
        Ok(contact) => contact,
        Err(error) if is_unique_violation(&error) => {
            txn.rollback().await?;
            let existing =
                contact_by_request(db, context, new.request_id).await?.ok_or(ServiceError::NotFound("contact"))?;
            let person = find_young_person(db, context, existing.young_person_id).await?;
            return Ok((existing, view(db, person).await?));
        }
        Err(error) => return Err(error.into()),
    };
    audit::record(&txn, context, "outreach_contact", &contact.id.to_string(), Outcome::Created).await?;
    let reached = new.outcome != ContactOutcome::NotReached;
    let first_reached = reached && person.first_reached_on.is_none();
    let days = (new.contacted_on - identified_on(&person)).num_days();
    let mut row: young_person::ActiveModel = person.clone().into();
    if first_reached {
        row.first_reached_on = Set(Some(new.contacted_on));
    }
    if person.last_contact_on.is_none_or(|last| last < new.contacted_on) {
        row.last_contact_on = Set(Some(new.contacted_on));
    }
    let mut person = row.update(&txn).await?;
    outbox::append(
        &txn,
        &context.caller.kommun,
        &api::ContactRecordedEvent {
            young_person_id: person.id.to_string(),
            contacted_on: Some(to_date(new.contacted_on)),
            reached,
            first_reached,
            days_since_identified: i32::try_from(days).unwrap_or(i32::MAX),
            channel: new.channel.code().to_string(),
        },
    )
    .await?;
    for to in implied_transitions(current, new.outcome) {
        person = apply_status(&txn, context, person, to, new.contacted_on, "contact", None).await?;
    }
    let view = view(&txn, person).await?;
    txn.commit().await?;
    Ok((contact, view))
}

/// One page of a young person's contacts, newest first; the read is audited.
pub async fn list_contacts(
    db: &DatabaseConnection,
    context: &CallContext,
    young_person_id: Uuid,
    page: PageRequest,
) -> ServiceResult<(Vec<outreach_contact::Model>, Option<Uuid>)> {
    let txn = db.begin().await?;
    find_young_person(&txn, context, young_person_id).await?;
    let mut query = outreach_contact::Entity::find()
        .filter(outreach_contact::Column::Kommun.eq(context.kommun()))
        .filter(outreach_contact::Column::YoungPersonId.eq(young_person_id));
    if let Some(after) = page.after {
        query = query.filter(outreach_contact::Column::Id.lt(after));
    }
    let (rows, next) = page
        .split(query.order_by_desc(outreach_contact::Column::Id).limit(page.fetch_limit()).all(&txn).await?, |row| {
            row.id
        });
    audit::record(&txn, context, "young_person_contacts", &young_person_id.to_string(), Outcome::Read).await?;
    txn.commit().await?;
    Ok((rows, next))
}

/// Exits, as "aged out", everyone of the context's municipality still in outreach who has turned 25 by
/// `today`; each exit is recorded in the history and published with `aged_out: true`. Returns how many
/// were exited. The background task and the ExitAgedOut RPC both call this.
pub async fn exit_aged_out(db: &DatabaseConnection, context: &CallContext, today: NaiveDate) -> ServiceResult<u32> {
    let rule = TargetGroupRule::default();
    let active: Vec<&str> = Status::ALL.into_iter().filter(|s| s.is_active()).map(Status::code).collect();
    let candidates: Vec<(Uuid, String)> = young_person::Entity::find()
        .select_only()
        .column(young_person::Column::Id)
        .column(young_person::Column::Personnummer)
        .filter(young_person::Column::Kommun.eq(context.kommun()))
        .filter(young_person::Column::Status.is_in(active))
        .order_by_asc(young_person::Column::Id)
        .into_tuple()
        .all(db)
        .await?;
    let mut exited = 0;
    for (id, number) in candidates {
        let Ok(personnummer) = Personnummer::parse(&number) else {
            tracing::warn!(young_person_id = %id, "stored identity number does not parse");
            continue;
        };
        let birth = personnummer.birth_date();
        let Some(birthday) = rule.aged_out_on(birth).filter(|_| rule.has_aged_out(birth, today)) else {
            continue;
        };
        // One transaction per person: a short hold of the feed lock, and one failure stops no one else.
        let txn = db.begin().await?;
        let person = lock_young_person(&txn, context, id).await?;
        if !status_of(&person)?.is_active() {
            continue;
        }
        // The exit counts from the birthday, but never before the person was identified.
        let on = birthday.max(identified_on(&person));
        apply_status(&txn, context, person, Status::Exited(ExitReason::AgedOut), on, "aged_out", None).await?;
        txn.commit().await?;
        exited += 1;
    }
    Ok(exited)
}

/// Outreach figures over the people a summary counts.
#[derive(Debug, Clone, PartialEq)]
pub struct Summary {
    /// People per status, in [`Status::ALL`] order, statuses with none left out.
    pub by_status: Vec<(Status, u32)>,
    /// Active people never reached.
    pub not_yet_contacted: u32,
    /// Active people whose last attempt (or identification) is on or before the due day.
    pub contacts_due: u32,
    /// Median whole days from identification to first reach, over everyone reached.
    pub median_days_to_first_contact: Option<f64>,
}

/// What a summary reads of one person: status, identified, first reached, last contact, registered.
type SummaryRow = (String, Option<NaiveDate>, Option<NaiveDate>, Option<NaiveDate>, chrono::DateTime<chrono::Utc>);

/// The median of `values` (sorted here); `None` when empty.
pub fn median(mut values: Vec<i64>) -> Option<f64> {
    values.sort_unstable();
    let n = values.len();
    if n == 0 {
        return None;
    }
    let middle = values[n / 2] as f64;
    Some(if n % 2 == 1 { middle } else { (values[n / 2 - 1] as f64 + middle) / 2.0 })
}

/// Counts the caller's municipality's people (or one coach's) for the coach view. Reads no personal data
/// beyond dates and statuses, and returns only counts.
pub async fn summary(
    db: &DatabaseConnection,
    context: &CallContext,
    coach: Option<String>,
    due_by: NaiveDate,
) -> ServiceResult<Summary> {
    let rows: Vec<SummaryRow> = super::summary_query(context, coach)
        .select_only()
        .column(young_person::Column::Status)
        .column(young_person::Column::IdentifiedOn)
        .column(young_person::Column::FirstReachedOn)
        .column(young_person::Column::LastContactOn)
        .column(young_person::Column::CreatedAt)
        .into_tuple()
        .all(db)
        .await?;
    let mut counts = [0u32; Status::ALL.len()];
    let mut not_yet_contacted = 0;
    let mut contacts_due = 0;
    let mut days = Vec::new();
    for (code, identified, first_reached, last_contact, created) in rows {
        let Some(index) = Status::ALL.iter().position(|status| status.code() == code) else {
            continue;
        };
        counts[index] += 1;
        let identified = identified.unwrap_or_else(|| created.date_naive());
        if let Some(first) = first_reached {
            days.push((first - identified).num_days());
        }
        if Status::ALL[index].is_active() {
            if first_reached.is_none() {
                not_yet_contacted += 1;
            }
            if last_contact.unwrap_or(identified) <= due_by {
                contacts_due += 1;
            }
        }
    }
    Ok(Summary {
        by_status: Status::ALL.into_iter().zip(counts).filter(|(_, count)| *count > 0).collect(),
        not_yet_contacted,
        contacts_due,
        median_days_to_first_contact: median(days),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn medians() {
        assert_eq!(median(vec![]), None);
        assert_eq!(median(vec![5]), Some(5.0));
        assert_eq!(median(vec![9, 1, 4]), Some(4.0));
        assert_eq!(median(vec![10, 1, 3, 4]), Some(3.5));
    }

    #[tokio::test]
    async fn the_exit_at_25_happens_on_the_birthday_and_only_once() {
        use sea_orm_migration::MigratorTrait;
        use trappan_platform::auth::Kommun;
        use trappan_platform::testing::{TestDatabase, backends};

        use crate::domain::IdentificationSource;
        use crate::store::{Migrator, NewYoungPerson, create_young_person, get_young_person};

        let day = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).expect("a date");
        for backend in backends() {
            let database = TestDatabase::create(backend).await;
            let db = trappan_platform::store::connect(&database.url).await.expect("connect");
            Migrator::up(&db, None).await.expect("migrate");
            let context = CallContext::system(Kommun::parse("0767").expect("a kommun"), "test");
            let person = |birth: NaiveDate, serial: u16| NewYoungPerson {
                request_id: Uuid::now_v7(),
                personnummer: Personnummer::for_birth(birth, serial).expect("a number"),
                given_name: "Alva".into(),
                family_name: "Lind".into(),
                source: IdentificationSource::School,
                age: 20,
                identified_on: day(2020, 9, 1),
                contact_channel: None,
                contact_detail: None,
            };
            let turning = create_young_person(&db, &context, person(day(2000, 6, 10), 123)).await.expect("create");
            let younger = create_young_person(&db, &context, person(day(2000, 6, 11), 124)).await.expect("create");

            assert_eq!(exit_aged_out(&db, &context, day(2025, 6, 9)).await.expect("run"), 0);
            assert_eq!(exit_aged_out(&db, &context, day(2025, 6, 10)).await.expect("run"), 1);
            assert_eq!(exit_aged_out(&db, &context, day(2025, 6, 10)).await.expect("run"), 0);
            let exited = get_young_person(&db, &context, turning.person.id).await.expect("get");
            assert_eq!(exited.person.status, "exited_aged_out");
            let last = exited.history.last().expect("history");
            assert_eq!((last.changed_on, last.cause.as_str()), (day(2025, 6, 10), "aged_out"));
            let other = get_young_person(&db, &context, younger.person.id).await.expect("get");
            assert_eq!(other.person.status, "identified");
            assert_eq!(exit_aged_out(&db, &context, day(2025, 6, 11)).await.expect("run"), 1);

            let events: Vec<api::StatusChangedEvent> = outbox::entity::Entity::find()
                .all(&db)
                .await
                .expect("outbox")
                .into_iter()
                .filter(|row| row.event_type.ends_with("StatusChangedEvent"))
                .map(|row| prost::Message::decode(row.payload.as_slice()).expect("an event"))
                .collect();
            assert_eq!(events.len(), 2);
            assert!(events.iter().all(|e| e.aged_out && e.to_status == "exited" && e.from_status == "identified"));
            assert!(events.iter().all(|e| e.exit_outcome == common::ExitOutcome::Unknown as i32));
        }
    }

    #[test]
    fn outcome_codes_round_trip() {
        for outcome in [ContactOutcome::Reached, ContactOutcome::NotReached, ContactOutcome::Declined] {
            assert_eq!(outcome_from_code(outcome_code(outcome)), Some(outcome));
        }
        assert_eq!(outcome_from_code("maybe"), None);
    }
}
