//! Återkrav claims: what was paid for a household and month above the grant of the decision that now
//! stands, after an omprövning lowered it.
//!
//! A payment that was already made cannot be stopped, and the month's next payment cannot be negative, so
//! an omprövning that grants less than was paid records the difference as a claim. The legal ground is
//! återkrav under socialtjänstlagen (2025:400) 33 kap. 1 § (formerly 9 kap. 1 § SoL (2001:453)): the
//! socialnämnd may reclaim ekonomiskt bistånd under 12 kap. 1 § paid out wrongly or with too high an amount,
//! when the person caused it (incorrect information, a duty to inform not met, or otherwise) or should
//! reasonably have realised it. Recording a claim is therefore not a decision to reclaim: whether those
//! conditions hold, and whether to waive the claim (33 kap. 6 §) or go to the förvaltningsrätt within three
//! years (33 kap. 4–5 §§), is the nämnd's decision; that workflow is not here. Each month has at most one open claim, always equal to
//! what is paid for the month less its standing grant when that is positive: a later omprövning supersedes
//! the open claim and records its own (or none, when its grant covers what was paid).

use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, TransactionTrait,
};
use trappan_platform::audit::{self, Outcome};
use trappan_platform::auth::CallContext;
use trappan_platform::error::ServiceResult;
use trappan_platform::store::PageRequest;
use uuid::Uuid;

use super::case_entities::{claim, decision};
use super::find_household;

/// Claim statuses as stored.
pub mod status {
    /// Open: paid above the standing grant, for the nämnd to assess (reclaim or waive).
    pub const OPEN: &str = "open";
    /// Replaced by a later omprövning's claim (or by none).
    pub const SUPERSEDED: &str = "superseded";
}

/// Measures what is paid for the omprövning's month (`paid_ore`, after its planned payments were stopped)
/// against what the omprövning grants: the month's open claim is superseded, and an amount paid above the
/// grant is recorded as a new open claim. Runs in the omprövning's transaction; audited.
pub(super) async fn record_overpayment(
    conn: &impl ConnectionTrait,
    context: &CallContext,
    omprovning: &decision::Model,
    replaced_id: Uuid,
    paid_ore: i64,
) -> ServiceResult<()> {
    let open = claim::Entity::find()
        .filter(claim::Column::Kommun.eq(context.kommun()))
        .filter(claim::Column::HouseholdId.eq(omprovning.household_id))
        .filter(claim::Column::Month.eq(omprovning.month))
        .filter(claim::Column::Status.eq(status::OPEN))
        .all(conn)
        .await?;
    for row in open {
        claim::Entity::update_many()
            .col_expr(claim::Column::Status, Expr::value(status::SUPERSEDED))
            .filter(claim::Column::Id.eq(row.id))
            .exec(conn)
            .await?;
        audit::record(conn, context, "claim", &row.id.to_string(), Outcome::Updated).await?;
    }
    let over_ore = paid_ore.saturating_sub(omprovning.granted_ore);
    if over_ore > 0 {
        let row = claim::ActiveModel {
            id: Set(Uuid::now_v7()),
            kommun: Set(context.kommun().to_string()),
            household_id: Set(omprovning.household_id),
            month: Set(omprovning.month),
            decision_id: Set(omprovning.id),
            replaced_decision_id: Set(replaced_id),
            amount_ore: Set(over_ore),
            status: Set(status::OPEN.into()),
            created_at: Set(chrono::Utc::now()),
        }
        .insert(conn)
        .await?;
        audit::record(conn, context, "claim", &row.id.to_string(), Outcome::Created).await?;
    }
    Ok(())
}

/// One page of a household's claims, newest first; every claim read is audited.
pub async fn list_claims(
    db: &DatabaseConnection,
    context: &CallContext,
    household_id: Uuid,
    page: PageRequest,
) -> ServiceResult<(Vec<claim::Model>, Option<Uuid>)> {
    let txn = db.begin().await?;
    find_household(&txn, context, household_id).await?;
    let mut query = claim::Entity::find()
        .filter(claim::Column::Kommun.eq(context.kommun()))
        .filter(claim::Column::HouseholdId.eq(household_id));
    if let Some(after) = page.after {
        query = query.filter(claim::Column::Id.lt(after));
    }
    let rows = query.order_by_desc(claim::Column::Id).limit(page.fetch_limit()).all(&txn).await?;
    let (rows, next) = page.split(rows, |r| r.id);
    audit::record_many(&txn, context, "claim", rows.iter().map(|r| r.id.to_string()), Outcome::Read).await?;
    txn.commit().await?;
    Ok((rows, next))
}
