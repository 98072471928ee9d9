//! A household's history for the case view: applications, decisions, payments and referrals in one
//! newest-first sequence. Every identifier is a UUIDv7, so ordering by identifier is ordering by time.

use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, QuerySelect, TransactionTrait};
use trappan_platform::audit::{self, Outcome};
use trappan_platform::auth::CallContext;
use trappan_platform::error::ServiceResult;
use trappan_platform::store::PageRequest;
use uuid::Uuid;

use super::applications::ApplicationRecord;
use super::case_entities::{application, decision, payment};
use super::decisions::DecisionRecord;
use super::{find_household, referral};

/// One entry of the history.
#[derive(Debug, Clone)]
pub enum HistoryEntry {
    /// An application.
    Application(ApplicationRecord),
    /// A decision.
    Decision(Box<DecisionRecord>),
    /// A payment.
    Payment(payment::Model),
    /// A referral.
    Referral(referral::Model),
}

impl HistoryEntry {
    /// The entry's time-ordered identifier.
    pub fn id(&self) -> Uuid {
        match self {
            HistoryEntry::Application(a) => a.row.id,
            HistoryEntry::Decision(d) => d.row.id,
            HistoryEntry::Payment(p) => p.id,
            HistoryEntry::Referral(r) => r.id,
        }
    }
}

/// One page of a household's history, newest first; audited as a read of the household.
pub async fn household_history(
    db: &DatabaseConnection,
    context: &CallContext,
    household_id: Uuid,
    page: PageRequest,
) -> ServiceResult<(Vec<HistoryEntry>, Option<Uuid>)> {
    let txn = db.begin().await?;
    find_household(&txn, context, household_id).await?;
    let limit = page.fetch_limit();
    let before = page.after.unwrap_or(Uuid::max());
    let kommun = context.kommun();
    let mut entries = Vec::new();
    for row in application::Entity::find()
        .filter(application::Column::Kommun.eq(kommun))
        .filter(application::Column::HouseholdId.eq(household_id))
        .filter(application::Column::Id.lt(before))
        .order_by_desc(application::Column::Id)
        .limit(limit)
        .all(&txn)
        .await?
    {
        entries.push(HistoryEntry::Application(ApplicationRecord::decode(row)?));
    }
    for row in decision::Entity::find()
        .filter(decision::Column::Kommun.eq(kommun))
        .filter(decision::Column::HouseholdId.eq(household_id))
        .filter(decision::Column::Id.lt(before))
        .order_by_desc(decision::Column::Id)
        .limit(limit)
        .all(&txn)
        .await?
    {
        entries.push(HistoryEntry::Decision(Box::new(DecisionRecord::decode(row)?)));
    }
    entries.extend(
        payment::Entity::find()
            .filter(payment::Column::Kommun.eq(kommun))
            .filter(payment::Column::HouseholdId.eq(household_id))
            .filter(payment::Column::Id.lt(before))
            .order_by_desc(payment::Column::Id)
            .limit(limit)
            .all(&txn)
            .await?
            .into_iter()
            .map(HistoryEntry::Payment),
    );
    entries.extend(
        referral::Entity::find()
            .filter(referral::Column::Kommun.eq(kommun))
            .filter(referral::Column::HouseholdId.eq(household_id))
            .filter(referral::Column::Id.lt(before))
            .order_by_desc(referral::Column::Id)
            .limit(limit)
            .all(&txn)
            .await?
            .into_iter()
            .map(HistoryEntry::Referral),
    );
    entries.sort_by_key(|e| std::cmp::Reverse(e.id()));
    entries.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
    let (entries, next) = page.split(entries, HistoryEntry::id);
    audit::record(&txn, context, "household", &household_id.to_string(), Outcome::Read).await?;
    txn.commit().await?;
    Ok((entries, next))
}
