//! The access log: who did what to whose record, when, in which role and why.
//!
//! Entries are written on the same connection or transaction as the change they describe, so a change
//! without its entry (or an entry for a change that rolled back) cannot exist. Reads of personal data are
//! logged before the data leave the service. Subjects are internal identifiers, never identity numbers.

use sea_orm::entity::prelude::*;
use sea_orm::{ActiveValue::Set, ConnectionTrait};

use crate::auth::CallContext;

/// The audit_log table.
pub mod entity {
    use sea_orm::entity::prelude::*;

    /// One audit entry.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "audit_log")]
    pub struct Model {
        /// Time-ordered identifier.
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        /// When.
        pub occurred_at: DateTimeUtc,
        /// The caller's municipality.
        pub kommun: String,
        /// The token subject.
        pub actor: String,
        /// The caller's role.
        pub role: String,
        /// The caller's unit.
        pub unit: String,
        /// The RPC (`/package.Service/Method`) or job.
        pub rpc: String,
        /// What kind of record (household, participant, …).
        pub subject_kind: String,
        /// The record's internal identifier.
        pub subject_ref: String,
        /// Why: the purpose the caller gave, or the RPC's default purpose.
        pub purpose: String,
        /// What happened: read, created, updated, erased, refused.
        pub outcome: String,
    }

    /// No relations.
    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// What was done to the subject.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Personal data were read.
    Read,
    /// A record was created.
    Created,
    /// A record was changed.
    Updated,
    /// Personal data were erased (gallring, consent withdrawal).
    Erased,
    /// The request was refused by a rule after the record was looked at.
    Refused,
}

impl Outcome {
    fn as_str(self) -> &'static str {
        match self {
            Outcome::Read => "read",
            Outcome::Created => "created",
            Outcome::Updated => "updated",
            Outcome::Erased => "erased",
            Outcome::Refused => "refused",
        }
    }
}

/// Records one entry on `conn` (a transaction when the entry describes a change).
pub async fn record(
    conn: &impl ConnectionTrait,
    context: &CallContext,
    subject_kind: &str,
    subject_ref: &str,
    outcome: Outcome,
) -> Result<(), DbErr> {
    entity::ActiveModel {
        id: Set(Uuid::now_v7()),
        occurred_at: Set(chrono::Utc::now()),
        kommun: Set(context.caller.kommun.as_str().to_string()),
        actor: Set(context.caller.subject.clone()),
        role: Set(context.caller.role.name().to_string()),
        unit: Set(context.caller.unit.clone()),
        rpc: Set(context.method.clone()),
        subject_kind: Set(subject_kind.to_string()),
        subject_ref: Set(subject_ref.to_string()),
        purpose: Set(context.purpose.clone()),
        outcome: Set(outcome.as_str().to_string()),
    }
    .insert(conn)
    .await?;
    Ok(())
}

/// Records one entry per subject, in one statement (list views read many records at once).
pub async fn record_many(
    conn: &impl ConnectionTrait,
    context: &CallContext,
    subject_kind: &str,
    subject_refs: impl IntoIterator<Item = String>,
    outcome: Outcome,
) -> Result<(), DbErr> {
    let now = chrono::Utc::now();
    let rows: Vec<entity::ActiveModel> = subject_refs
        .into_iter()
        .map(|subject_ref| entity::ActiveModel {
            id: Set(Uuid::now_v7()),
            occurred_at: Set(now),
            kommun: Set(context.caller.kommun.as_str().to_string()),
            actor: Set(context.caller.subject.clone()),
            role: Set(context.caller.role.name().to_string()),
            unit: Set(context.caller.unit.clone()),
            rpc: Set(context.method.clone()),
            subject_kind: Set(subject_kind.to_string()),
            subject_ref: Set(subject_ref),
            purpose: Set(context.purpose.clone()),
            outcome: Set(outcome.as_str().to_string()),
        })
        .collect();
    if rows.is_empty() {
        return Ok(());
    }
    entity::Entity::insert_many(rows).exec(conn).await?;
    Ok(())
}
