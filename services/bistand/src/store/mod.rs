//! bistand's store: entities, migrations, and the queries the transport layer calls.
//!
//! Every query takes the caller's [`CallContext`]: its municipality scopes the query and it is written
//! to the audit log in the same transaction as the read or change.

pub mod applications;
pub mod case_entities;
pub mod case_migrations;
pub mod claims;
pub mod decisions;
pub mod entities;
pub mod gallring;
pub mod history;
pub mod migration_claims;
pub mod migration_forsorjningshinder;
pub mod migrations;
pub mod payments;
pub mod reports;
pub mod socialstyrelsen;

use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, TransactionTrait,
};
use trappan_api::bistand::v1 as api;
use trappan_platform::audit::{self, Outcome};
use trappan_platform::auth::CallContext;
use trappan_platform::error::{ServiceError, ServiceResult};
use trappan_platform::personnummer::Personnummer;
use trappan_platform::store::{PageRequest, is_unique_violation};
use trappan_platform::{delivery, outbox};
use uuid::Uuid;

use crate::domain::socialstyrelsen::Forsorjningshinder;

pub use case_entities::{application, budget, case_report, claim, decision, payment};
pub use entities::{consent, household, member, referral};
pub use migrations::Migrator;

/// How a member relates to the applicant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MemberRole {
    /// Sökande.
    Applicant,
    /// Medsökande: sambo or spouse.
    CoApplicant,
    /// A child living at home.
    Child,
    /// An adult sharing the household without being sambo.
    OtherAdult,
}

impl MemberRole {
    /// The stored code.
    pub fn code(self) -> &'static str {
        match self {
            MemberRole::Applicant => "applicant",
            MemberRole::CoApplicant => "co_applicant",
            MemberRole::Child => "child",
            MemberRole::OtherAdult => "other_adult",
        }
    }

    /// Reads a stored code.
    pub fn from_code(code: &str) -> Option<MemberRole> {
        [MemberRole::Applicant, MemberRole::CoApplicant, MemberRole::Child, MemberRole::OtherAdult]
            .into_iter()
            .find(|role| role.code() == code)
    }
}

/// A month as stored: `year * 100 + month`.
pub fn month_key(year: i32, month: u32) -> i32 {
    year * 100 + month as i32
}

/// A member to register, already parsed.
#[derive(Debug, Clone)]
pub struct NewMember {
    /// The identity number.
    pub personnummer: Personnummer,
    /// Given name.
    pub given_name: String,
    /// Family name.
    pub family_name: String,
    /// Role in the household.
    pub role: MemberRole,
    /// Lunch at förskola/skola (under 7).
    pub lunch_at_school: bool,
    /// In upper-secondary school (19–20).
    pub in_upper_secondary_school: bool,
    /// Born abroad, when recorded.
    pub born_abroad: Option<bool>,
    /// First month as a member.
    pub member_from: i32,
    /// Last month as a member.
    pub member_until: Option<i32>,
    /// An adult's försörjningshinder, when recorded.
    pub forsorjningshinder: Option<Forsorjningshinder>,
}

/// A household to register, already parsed.
#[derive(Debug, Clone)]
pub struct NewHousehold {
    /// Idempotency key.
    pub request_id: Uuid,
    /// Members, applicant first.
    pub members: Vec<NewMember>,
    /// The responsible unit.
    pub responsible_unit: String,
}

/// A household with its members.
#[derive(Debug, Clone)]
pub struct HouseholdRecord {
    /// The household row.
    pub household: household::Model,
    /// Its members, applicant first.
    pub members: Vec<member::Model>,
}

async fn members_of(conn: &impl ConnectionTrait, household_ids: &[Uuid]) -> ServiceResult<Vec<member::Model>> {
    Ok(member::Entity::find()
        .filter(member::Column::HouseholdId.is_in(household_ids.iter().copied()))
        .order_by_asc(member::Column::HouseholdId)
        .order_by_asc(member::Column::Position)
        .all(conn)
        .await?)
}

/// Finds a household of the caller's municipality with its members (not audited: the caller audits).
pub(crate) async fn find_household(
    conn: &impl ConnectionTrait,
    context: &CallContext,
    id: Uuid,
) -> ServiceResult<HouseholdRecord> {
    let household = household::Entity::find_by_id(id)
        .filter(household::Column::Kommun.eq(context.kommun()))
        .one(conn)
        .await?
        .ok_or(ServiceError::NotFound("household"))?;
    let members = members_of(conn, &[id]).await?;
    Ok(HouseholdRecord { household, members })
}

/// Registers a household; a retried request (same request_id) returns the household already registered.
pub async fn create_household(
    db: &DatabaseConnection,
    context: &CallContext,
    new: NewHousehold,
) -> ServiceResult<HouseholdRecord> {
    if let Some(existing) = household_by_request(db, context, new.request_id).await? {
        return Ok(existing);
    }
    let txn = db.begin().await?;
    let id = Uuid::now_v7();
    let inserted = household::ActiveModel {
        id: Set(id),
        kommun: Set(context.kommun().to_string()),
        request_id: Set(new.request_id),
        responsible_unit: Set(new.responsible_unit.clone()),
        responsible_case_worker: Set(context.caller.subject.clone()),
        created_at: Set(chrono::Utc::now()),
    }
    .insert(&txn)
    .await;
    match inserted {
        Ok(_) => {}
        Err(error) if is_unique_violation(&error) => {
            // A concurrent retry won the race; answer with its household.
            txn.rollback().await?;
            return household_by_request(db, context, new.request_id).await?.ok_or(ServiceError::NotFound("household"));
        }
        Err(error) => return Err(error.into()),
    }
    for (position, new_member) in new.members.iter().enumerate() {
        member::ActiveModel {
            id: Set(Uuid::now_v7()),
            household_id: Set(id),
            kommun: Set(context.kommun().to_string()),
            personnummer: Set(new_member.personnummer.as_canonical().to_string()),
            given_name: Set(new_member.given_name.clone()),
            family_name: Set(new_member.family_name.clone()),
            role: Set(new_member.role.code().to_string()),
            lunch_at_school: Set(new_member.lunch_at_school),
            in_upper_secondary_school: Set(new_member.in_upper_secondary_school),
            born_abroad: Set(new_member.born_abroad),
            member_from: Set(new_member.member_from),
            member_until: Set(new_member.member_until),
            position: Set(position as i32),
            forsorjningshinder: Set(new_member.forsorjningshinder.map(|h| h.store_code().to_string())),
        }
        .insert(&txn)
        .await?;
    }
    audit::record(&txn, context, "household", &id.to_string(), Outcome::Created).await?;
    let adults = new.members.iter().filter(|m| m.role != MemberRole::Child).count() as i32;
    let persons = new.members.len() as i32;
    outbox::append(
        &txn,
        &context.caller.kommun,
        &api::HouseholdRegisteredEvent { household_id: id.to_string(), persons, adults, children: persons - adults },
    )
    .await?;
    txn.commit().await?;
    find_household(db, context, id).await
}

async fn household_by_request(
    db: &DatabaseConnection,
    context: &CallContext,
    request_id: Uuid,
) -> ServiceResult<Option<HouseholdRecord>> {
    let Some(found) = household::Entity::find()
        .filter(household::Column::Kommun.eq(context.kommun()))
        .filter(household::Column::RequestId.eq(request_id))
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    let members = members_of(db, &[found.id]).await?;
    Ok(Some(HouseholdRecord { household: found, members }))
}

/// Reads one household of the caller's municipality; the read is audited.
pub async fn get_household(db: &DatabaseConnection, context: &CallContext, id: Uuid) -> ServiceResult<HouseholdRecord> {
    let txn = db.begin().await?;
    let record = find_household(&txn, context, id).await?;
    audit::record(&txn, context, "household", &id.to_string(), Outcome::Read).await?;
    txn.commit().await?;
    Ok(record)
}

/// One page of the caller's municipality's households, newest first; every household read is audited.
pub async fn list_households(
    db: &DatabaseConnection,
    context: &CallContext,
    page: PageRequest,
    only_mine: bool,
) -> ServiceResult<(Vec<HouseholdRecord>, Option<Uuid>)> {
    let txn = db.begin().await?;
    let mut query = household::Entity::find().filter(household::Column::Kommun.eq(context.kommun()));
    if only_mine {
        query = query.filter(household::Column::ResponsibleCaseWorker.eq(context.caller.subject.as_str()));
    }
    if let Some(after) = page.after {
        query = query.filter(household::Column::Id.lt(after));
    }
    let (households, next) =
        page.split(query.order_by_desc(household::Column::Id).limit(page.fetch_limit()).all(&txn).await?, |h| h.id);
    let ids: Vec<Uuid> = households.iter().map(|h| h.id).collect();
    let mut members = members_of(&txn, &ids).await?;
    audit::record_many(&txn, context, "household", ids.iter().map(Uuid::to_string), Outcome::Read).await?;
    txn.commit().await?;
    let records = households
        .into_iter()
        .map(|household| {
            let (own, rest): (Vec<_>, Vec<_>) = members.drain(..).partition(|m| m.household_id == household.id);
            members = rest;
            HouseholdRecord { household, members: own }
        })
        .collect();
    Ok((records, next))
}

/// A consent to record, already parsed.
#[derive(Debug, Clone)]
pub struct NewConsent {
    /// Idempotency key.
    pub request_id: Uuid,
    /// The household.
    pub household_id: Uuid,
    /// The member who consents.
    pub member_id: Uuid,
    /// The recipient unit's code.
    pub recipient_unit: &'static str,
    /// Scope codes.
    pub scopes: Vec<&'static str>,
    /// Given on.
    pub given_on: chrono::NaiveDate,
}

/// Records a consent; the member must belong to the household.
pub async fn record_consent(
    db: &DatabaseConnection,
    context: &CallContext,
    new: NewConsent,
) -> ServiceResult<consent::Model> {
    if let Some(existing) = consent::Entity::find()
        .filter(consent::Column::Kommun.eq(context.kommun()))
        .filter(consent::Column::RequestId.eq(new.request_id))
        .one(db)
        .await?
    {
        return Ok(existing);
    }
    let txn = db.begin().await?;
    let record = find_household(&txn, context, new.household_id).await?;
    if !record.members.iter().any(|m| m.id == new.member_id) {
        return Err(ServiceError::invalid("consent.member_id", "is not a member of the household"));
    }
    let row = consent::ActiveModel {
        id: Set(Uuid::now_v7()),
        kommun: Set(context.kommun().to_string()),
        request_id: Set(new.request_id),
        household_id: Set(new.household_id),
        member_id: Set(new.member_id),
        recipient_unit: Set(new.recipient_unit.to_string()),
        scopes: Set(new.scopes.join(",")),
        given_on: Set(new.given_on),
        withdrawn_on: Set(None),
    }
    .insert(&txn)
    .await?;
    audit::record(&txn, context, "consent", &row.id.to_string(), Outcome::Created).await?;
    txn.commit().await?;
    Ok(row)
}

/// Withdraws a consent. Withdrawing twice keeps the first date.
pub async fn withdraw_consent(
    db: &DatabaseConnection,
    context: &CallContext,
    consent_id: Uuid,
    withdrawn_on: chrono::NaiveDate,
) -> ServiceResult<consent::Model> {
    let txn = db.begin().await?;
    let found = consent::Entity::find_by_id(consent_id)
        .filter(consent::Column::Kommun.eq(context.kommun()))
        .one(&txn)
        .await?
        .ok_or(ServiceError::NotFound("consent"))?;
    if found.withdrawn_on.is_some() {
        return Ok(found);
    }
    if withdrawn_on < found.given_on {
        return Err(ServiceError::invalid("withdrawn_on", "is before the consent was given"));
    }
    let mut row: consent::ActiveModel = found.into();
    row.withdrawn_on = Set(Some(withdrawn_on));
    let row = row.update(&txn).await?;
    audit::record(&txn, context, "consent", &consent_id.to_string(), Outcome::Updated).await?;
    txn.commit().await?;
    Ok(row)
}

/// The active consent of `member_id` for `recipient_unit` covering `scope`, if any.
pub async fn active_consent(
    conn: &impl ConnectionTrait,
    kommun_code: &str,
    member_id: Uuid,
    recipient_unit: &str,
    scope: &str,
) -> ServiceResult<Option<consent::Model>> {
    let candidates = consent::Entity::find()
        .filter(consent::Column::Kommun.eq(kommun_code))
        .filter(consent::Column::MemberId.eq(member_id))
        .filter(consent::Column::RecipientUnit.eq(recipient_unit))
        .filter(consent::Column::WithdrawnOn.is_null())
        .order_by_desc(consent::Column::Id)
        .all(conn)
        .await?;
    Ok(candidates.into_iter().find(|c| c.scopes.split(',').any(|s| s == scope)))
}

/// The delivery kind of a referral to insatser.
pub const REFERRAL_DELIVERY: &str = "referral";

/// Refers a member to the labour-market unit. Requires an active consent covering referral; records the
/// referral, its delivery and its feed event in one transaction.
pub async fn create_referral(
    db: &DatabaseConnection,
    context: &CallContext,
    request_id: Uuid,
    household_id: Uuid,
    member_id: Uuid,
    reason: String,
) -> ServiceResult<referral::Model> {
    if let Some(existing) = referral::Entity::find()
        .filter(referral::Column::Kommun.eq(context.kommun()))
        .filter(referral::Column::RequestId.eq(request_id))
        .one(db)
        .await?
    {
        return Ok(existing);
    }
    let txn = db.begin().await?;
    let record = find_household(&txn, context, household_id).await?;
    if !record.members.iter().any(|m| m.id == member_id) {
        return Err(ServiceError::invalid("member_id", "is not a member of the household"));
    }
    let Some(consent) = active_consent(&txn, context.kommun(), member_id, "arbetsmarknadsenheten", "referral").await?
    else {
        return Err(ServiceError::FailedPrecondition(
            "no active consent covers a referral of this member to the labour-market unit; record the person's consent first".into(),
        ));
    };
    let id = Uuid::now_v7();
    let row = referral::ActiveModel {
        id: Set(id),
        kommun: Set(context.kommun().to_string()),
        request_id: Set(request_id),
        household_id: Set(household_id),
        member_id: Set(member_id),
        consent_id: Set(consent.id),
        reason: Set(reason),
        state: Set("pending".into()),
        insatser_participant_id: Set(None),
        created_at: Set(chrono::Utc::now()),
    }
    .insert(&txn)
    .await?;
    delivery::enqueue(&txn, id, &context.caller.kommun, "insatser", REFERRAL_DELIVERY, id.as_bytes().to_vec()).await?;
    audit::record(&txn, context, "referral", &id.to_string(), Outcome::Created).await?;
    outbox::append(
        &txn,
        &context.caller.kommun,
        &api::ReferralCreatedEvent { referral_id: id.to_string(), household_id: household_id.to_string() },
    )
    .await?;
    txn.commit().await?;
    Ok(row)
}

/// One page of a household's referrals, newest first.
pub async fn list_referrals(
    db: &DatabaseConnection,
    context: &CallContext,
    household_id: Uuid,
    page: PageRequest,
) -> ServiceResult<(Vec<referral::Model>, Option<Uuid>)> {
    let txn = db.begin().await?;
    find_household(&txn, context, household_id).await?;
    let mut query = referral::Entity::find()
        .filter(referral::Column::Kommun.eq(context.kommun()))
        .filter(referral::Column::HouseholdId.eq(household_id));
    if let Some(after) = page.after {
        query = query.filter(referral::Column::Id.lt(after));
    }
    let (rows, next) =
        page.split(query.order_by_desc(referral::Column::Id).limit(page.fetch_limit()).all(&txn).await?, |r| r.id);
    audit::record(&txn, context, "household", &household_id.to_string(), Outcome::Read).await?;
    txn.commit().await?;
    Ok((rows, next))
}

/// What a referral delivery needs to send: the referral, the person and whether report-back is allowed.
pub struct ReferralToDeliver {
    /// The referral.
    pub referral: referral::Model,
    /// The member referred.
    pub member: member::Model,
    /// Whether the person also consented to reports back.
    pub report_back_allowed: bool,
    /// Whether the consent that allowed the referral is still active.
    pub consent_active: bool,
}

/// Loads what a referral delivery sends, at the moment of sending (so a withdrawn consent stops it).
pub async fn referral_to_deliver(db: &DatabaseConnection, referral_id: Uuid) -> ServiceResult<ReferralToDeliver> {
    let referral =
        referral::Entity::find_by_id(referral_id).one(db).await?.ok_or(ServiceError::NotFound("referral"))?;
    let member =
        member::Entity::find_by_id(referral.member_id).one(db).await?.ok_or(ServiceError::NotFound("member"))?;
    let consent =
        consent::Entity::find_by_id(referral.consent_id).one(db).await?.ok_or(ServiceError::NotFound("consent"))?;
    let report_back_allowed =
        active_consent(db, &referral.kommun, member.id, "arbetsmarknadsenheten", "report_back").await?.is_some();
    Ok(ReferralToDeliver { consent_active: consent.withdrawn_on.is_none(), referral, member, report_back_allowed })
}

/// Records insatser's acknowledgement (or the cancellation) of a referral.
pub async fn settle_referral(
    conn: &impl ConnectionTrait,
    referral_id: Uuid,
    state: &str,
    participant_id: Option<String>,
) -> Result<(), sea_orm::DbErr> {
    if let Some(found) = referral::Entity::find_by_id(referral_id).one(conn).await? {
        let mut row: referral::ActiveModel = found.into();
        row.state = Set(state.to_string());
        row.insatser_participant_id = Set(participant_id);
        row.update(conn).await?;
    }
    Ok(())
}
