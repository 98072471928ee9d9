//! Partner organisations and the joint activities done with them. No personal data: names of
//! organisations, dates and counts.

use chrono::NaiveDate;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect,
};
use trappan_platform::auth::CallContext;
use trappan_platform::error::{ServiceError, ServiceResult};
use trappan_platform::store::{PageRequest, is_unique_violation};
use uuid::Uuid;

use super::{joint_activity, partner};

/// The kind of a partner organisation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PartnerKind {
    /// A school.
    School,
    /// A leisure centre.
    LeisureCentre,
    /// The Church of Sweden.
    ChurchOfSweden,
    /// Individual and family care.
    Ifo,
    /// A university or university college.
    University,
    /// Any other organisation.
    Other,
}

impl PartnerKind {
    /// Every kind.
    pub const ALL: [PartnerKind; 6] =
        [Self::School, Self::LeisureCentre, Self::ChurchOfSweden, Self::Ifo, Self::University, Self::Other];

    /// Stable storage code.
    pub fn code(self) -> &'static str {
        match self {
            Self::School => "school",
            Self::LeisureCentre => "leisure_centre",
            Self::ChurchOfSweden => "church_of_sweden",
            Self::Ifo => "ifo",
            Self::University => "university",
            Self::Other => "other",
        }
    }

    /// Parses a storage code.
    pub fn from_code(code: &str) -> Option<PartnerKind> {
        Self::ALL.into_iter().find(|kind| kind.code() == code)
    }
}

/// The kind of a joint activity.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ActivityKind {
    /// A meeting.
    Meeting,
    /// A dialogue.
    Dialogue,
    /// A webinar.
    Webinar,
}

impl ActivityKind {
    /// Every kind.
    pub const ALL: [ActivityKind; 3] = [Self::Meeting, Self::Dialogue, Self::Webinar];

    /// Stable storage code.
    pub fn code(self) -> &'static str {
        match self {
            Self::Meeting => "meeting",
            Self::Dialogue => "dialogue",
            Self::Webinar => "webinar",
        }
    }

    /// Parses a storage code.
    pub fn from_code(code: &str) -> Option<ActivityKind> {
        Self::ALL.into_iter().find(|kind| kind.code() == code)
    }
}

/// Registers a partner; a retried request returns the partner already registered.
pub async fn create_partner(
    db: &DatabaseConnection,
    context: &CallContext,
    request_id: Uuid,
    name: String,
    kind: PartnerKind,
) -> ServiceResult<partner::Model> {
    let by_request = || {
        partner::Entity::find()
            .filter(partner::Column::Kommun.eq(context.kommun()))
            .filter(partner::Column::RequestId.eq(request_id))
            .one(db)
    };
    if let Some(existing) = by_request().await? {
        return Ok(existing);
    }
    let inserted = partner::ActiveModel {
        id: Set(Uuid::now_v7()),
        kommun: Set(context.kommun().to_string()),
        request_id: Set(request_id),
        name: Set(name),
        kind: Set(kind.code().to_string()),
        created_at: Set(chrono::Utc::now()),
    }
    .insert(db)
    .await;
    match inserted {
        Ok(row) => Ok(row),
        Err(error) if is_unique_violation(&error) => by_request().await?.ok_or(ServiceError::NotFound("partner")),
        Err(error) => Err(error.into()),
    }
}

/// One page of the caller's municipality's partners, newest first.
pub async fn list_partners(
    db: &DatabaseConnection,
    context: &CallContext,
    page: PageRequest,
) -> ServiceResult<(Vec<partner::Model>, Option<Uuid>)> {
    let mut query = partner::Entity::find().filter(partner::Column::Kommun.eq(context.kommun()));
    if let Some(after) = page.after {
        query = query.filter(partner::Column::Id.lt(after));
    }
    let rows = query.order_by_desc(partner::Column::Id).limit(page.fetch_limit()).all(db).await?;
    Ok(page.split(rows, |row| row.id))
}

/// A joint activity to log, already parsed.
#[derive(Debug, Clone)]
pub struct NewJointActivity {
    /// Idempotency key.
    pub request_id: Uuid,
    /// The kind.
    pub kind: ActivityKind,
    /// Short title.
    pub title: String,
    /// The partners (at least one).
    pub partner_ids: Vec<Uuid>,
    /// The planned date.
    pub planned_on: NaiveDate,
    /// The date it took place.
    pub completed_on: Option<NaiveDate>,
    /// How many took part.
    pub participant_count: i32,
}

/// The partner identifiers stored with an activity.
pub fn partner_ids(row: &joint_activity::Model) -> Vec<String> {
    row.partner_ids.split(',').filter(|id| !id.is_empty()).map(str::to_string).collect()
}

async fn count_partners(conn: &impl ConnectionTrait, context: &CallContext, ids: &[Uuid]) -> ServiceResult<u64> {
    Ok(partner::Entity::find()
        .filter(partner::Column::Kommun.eq(context.kommun()))
        .filter(partner::Column::Id.is_in(ids.to_vec()))
        .count(conn)
        .await?)
}

/// Logs a joint activity; every partner must be one of the caller's municipality's. A retried request
/// returns the activity already logged.
pub async fn create_joint_activity(
    db: &DatabaseConnection,
    context: &CallContext,
    new: NewJointActivity,
) -> ServiceResult<joint_activity::Model> {
    let by_request = || {
        joint_activity::Entity::find()
            .filter(joint_activity::Column::Kommun.eq(context.kommun()))
            .filter(joint_activity::Column::RequestId.eq(new.request_id))
            .one(db)
    };
    if let Some(existing) = by_request().await? {
        return Ok(existing);
    }
    let mut ids = new.partner_ids.clone();
    ids.sort_unstable();
    ids.dedup();
    if count_partners(db, context, &ids).await? != ids.len() as u64 {
        return Err(ServiceError::NotFound("partner"));
    }
    let inserted = joint_activity::ActiveModel {
        id: Set(Uuid::now_v7()),
        kommun: Set(context.kommun().to_string()),
        request_id: Set(new.request_id),
        kind: Set(new.kind.code().to_string()),
        title: Set(new.title.clone()),
        partner_ids: Set(ids.iter().map(Uuid::to_string).collect::<Vec<_>>().join(",")),
        planned_on: Set(new.planned_on),
        completed_on: Set(new.completed_on),
        participant_count: Set(new.participant_count),
        created_at: Set(chrono::Utc::now()),
    }
    .insert(db)
    .await;
    match inserted {
        Ok(row) => Ok(row),
        Err(error) if is_unique_violation(&error) => {
            by_request().await?.ok_or(ServiceError::NotFound("joint activity"))
        }
        Err(error) => Err(error.into()),
    }
}

/// One page of the caller's municipality's joint activities, newest logged first.
pub async fn list_joint_activities(
    db: &DatabaseConnection,
    context: &CallContext,
    page: PageRequest,
) -> ServiceResult<(Vec<joint_activity::Model>, Option<Uuid>)> {
    let mut query = joint_activity::Entity::find().filter(joint_activity::Column::Kommun.eq(context.kommun()));
    if let Some(after) = page.after {
        query = query.filter(joint_activity::Column::Id.lt(after));
    }
    let rows = query.order_by_desc(joint_activity::Column::Id).limit(page.fetch_limit()).all(db).await?;
    Ok(page.split(rows, |row| row.id))
}
