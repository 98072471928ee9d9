//! The access log: who did what to whose record, when, in which role and why.
//!
//! Entries are written on the same connection or transaction as the change they describe, so a change
//! without its entry (or an entry for a change that rolled back) cannot exist. Reads of personal data are
//! logged before the data leave the service. Subjects are internal identifiers, never identity numbers.
//!
//! # Tamper evidence (GDPR art. 32(1)(b) and (d); OSL 26 kap. and the journal duty of the municipality)
//!
//! The log must show later that it was not edited: a person who can change the database could otherwise
//! hide an unlawful read of sekretess-protected data. Each municipality's entries form a hash chain: entry
//! `n` carries `chain_hash = SHA-256(hash of entry n-1 || canonical encoding of entry n)`, so changing,
//! removing or reordering one entry breaks every link from it on, and [`verify`] finds the first break.
//! Triggers ([`crate::store::AuditChain`]) refuse DELETE and every UPDATE except sealing an unsealed entry once.
//!
//! Writers do not link their own entries: that would need the chain's head under a lock held until
//! commit, which serialises every writer of a municipality (the feed lost exactly such a lock for that
//! reason, see [`crate::outbox::assign_positions`]). Entries are inserted unsealed, and after commit the
//! sealer ([`seal`]) links the committed unsealed entries in a short transaction of its own.

use sea_orm::entity::prelude::*;
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveValue::NotSet, ActiveValue::Set, ConnectionTrait, QueryOrder, QuerySelect, TransactionTrait};
use tokio::sync::watch;

use crate::auth::{CallContext, Kommun};
use crate::store::Store;

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
        /// The entry's place in its municipality's chain (1, 2, …); unset until sealed.
        pub chain_seq: Option<i64>,
        /// SHA-256 of the previous entry's hash and this entry, lowercase hex; unset until sealed.
        pub chain_hash: Option<String>,
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
    /// The request was refused: by the method's role policy before anything was read
    /// ([`record_refused`]), or by a rule after the record was looked at.
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

fn entry(context: &CallContext, subject_kind: &str, subject_ref: String, outcome: Outcome) -> entity::ActiveModel {
    entity::ActiveModel {
        id: Set(Uuid::now_v7()),
        occurred_at: Set(chrono::Utc::now()),
        kommun: Set(context.caller.kommun.as_str().to_string()),
        actor: Set(context.caller.subject.clone()),
        role: Set(context.caller.role.name().to_string()),
        unit: Set(context.caller.unit.clone()),
        rpc: Set(context.method.clone()),
        subject_kind: Set(subject_kind.to_string()),
        subject_ref: Set(subject_ref),
        purpose: Set(context.purpose.clone()),
        outcome: Set(outcome.as_str().to_string()),
        chain_seq: NotSet,
        chain_hash: NotSet,
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
    entry(context, subject_kind, subject_ref.to_string(), outcome).insert(conn).await?;
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
            occurred_at: Set(now),
            ..entry(context, subject_kind, subject_ref, outcome)
        })
        .collect();
    if rows.is_empty() {
        return Ok(());
    }
    entity::Entity::insert_many(rows).exec(conn).await?;
    Ok(())
}

/// The subject kind of a call the role policy refused: the subject is the method itself.
pub const REFUSED_CALL: &str = "rpc";

/// Records that the role policy refused `context`'s call, in a statement (and so a transaction) of its
/// own: the call touches nothing else. The entry names the caller and the method only; the token and
/// the request stay out of the log. Repeated refusals are how probing for data shows up in a review.
pub async fn record_refused(conn: &impl ConnectionTrait, context: &CallContext) -> Result<(), DbErr> {
    record(conn, context, REFUSED_CALL, "", Outcome::Refused).await
}

/// Which entries a review asks for: every field set must match; `None` matches everything.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReviewFilter {
    /// The kind of record, as stored.
    pub subject_kind: Option<String>,
    /// The record's internal identifier, as stored.
    pub subject_ref: Option<String>,
    /// The token subject of the audited caller.
    pub actor: Option<String>,
    /// The method path or job name.
    pub rpc: Option<String>,
    /// Entries at or after this instant.
    pub from: Option<chrono::DateTime<chrono::Utc>>,
    /// Entries before this instant.
    pub until: Option<chrono::DateTime<chrono::Utc>>,
}

/// The subject kind of a review or verification of the log itself.
pub const AUDIT_LOG: &str = "audit_log";

/// One page of `context`'s municipality's entries matching `filter`, newest first, and records the
/// review as an entry of its own (the dataskyddsombud's reading is access like any other). The entries
/// hold internal identifiers only, so the review is one entry, not one per entry read.
pub async fn review(
    db: &DatabaseConnection,
    context: &CallContext,
    filter: &ReviewFilter,
    page: crate::store::PageRequest,
) -> Result<(Vec<entity::Model>, Option<Uuid>), DbErr> {
    let mut query = entity::Entity::find().filter(entity::Column::Kommun.eq(context.kommun()));
    for (column, value) in [
        (entity::Column::SubjectKind, &filter.subject_kind),
        (entity::Column::SubjectRef, &filter.subject_ref),
        (entity::Column::Actor, &filter.actor),
        (entity::Column::Rpc, &filter.rpc),
    ] {
        if let Some(value) = value {
            query = query.filter(column.eq(value.as_str()));
        }
    }
    if let Some(from) = filter.from {
        query = query.filter(entity::Column::OccurredAt.gte(from));
    }
    if let Some(until) = filter.until {
        query = query.filter(entity::Column::OccurredAt.lt(until));
    }
    if let Some(after) = page.after {
        query = query.filter(entity::Column::Id.lt(after));
    }
    let rows = query.order_by_desc(entity::Column::Id).limit(page.fetch_limit()).all(db).await?;
    record(db, context, AUDIT_LOG, "", Outcome::Read).await?;
    Ok(page.split(rows, |row| row.id))
}

/// Verifies `context`'s municipality's chain ([`verify`]) and records that it was checked.
pub async fn verify_for(db: &DatabaseConnection, context: &CallContext) -> Result<ChainReport, DbErr> {
    let verified = verify(db, Some(&context.caller.kommun)).await?;
    record(db, context, AUDIT_LOG, "", Outcome::Read).await?;
    let kommun = context.kommun().to_string();
    Ok(verified.chains.into_iter().next().unwrap_or(ChainReport { kommun, entries: 0, broken: None }))
}

/// The hash before a chain's first entry.
const GENESIS: [u8; 32] = [0; 32];

/// The most entries one sealer transaction links; a larger backlog is sealed over several.
const SEALS_PER_COMMIT: u64 = 5_000;

/// The advisory lock sealers take turns on (the feed's sequencer uses 727001).
const SEAL_LOCK: i64 = 727_002;

/// How often a service's sealer looks for committed unsealed entries.
pub const SEAL_INTERVAL: std::time::Duration = std::time::Duration::from_secs(1);

/// The canonical encoding of an entry: every field length-prefixed, so no two different entries encode
/// alike, and the time in microseconds, which both backends store exactly.
fn canonical(row: &entity::Model, seq: i64) -> Vec<u8> {
    let mut out = Vec::with_capacity(256);
    out.extend_from_slice(&seq.to_be_bytes());
    out.extend_from_slice(&row.occurred_at.timestamp_micros().to_be_bytes());
    for field in [
        row.id.to_string().as_str(),
        &row.kommun,
        &row.actor,
        &row.role,
        &row.unit,
        &row.rpc,
        &row.subject_kind,
        &row.subject_ref,
        &row.purpose,
        &row.outcome,
    ] {
        out.extend_from_slice(&u32::try_from(field.len()).unwrap_or(u32::MAX).to_be_bytes());
        out.extend_from_slice(field.as_bytes());
    }
    out
}

fn link(previous: &[u8; 32], row: &entity::Model, seq: i64) -> [u8; 32] {
    let mut context = ring::digest::Context::new(&ring::digest::SHA256);
    context.update(previous);
    context.update(&canonical(row, seq));
    let mut hash = [0; 32];
    hash.copy_from_slice(context.finish().as_ref());
    hash
}

fn hex(hash: &[u8; 32]) -> String {
    hash.iter().map(|byte| format!("{byte:02x}")).collect()
}

fn unhex(text: &str) -> Option<[u8; 32]> {
    let mut hash = [0; 32];
    if text.len() != 64 {
        return None;
    }
    for (i, byte) in hash.iter_mut().enumerate() {
        *byte = u8::from_str_radix(text.get(2 * i..2 * i + 2)?, 16).ok()?;
    }
    Some(hash)
}

/// Links the committed unsealed entries to their municipality's chain, oldest identifier first, and
/// returns how many it sealed. Sealers (every replica's, and `trappan audit verify`) take turns on a
/// transaction-scoped advisory lock on PostgreSQL held only for this batch, so each chain's head is read
/// and extended by one sealer at a time; SQLite has one writer at a time anyway. Writers never take it.
pub async fn seal(db: &DatabaseConnection) -> Result<u64, DbErr> {
    let mut sealed = 0;
    loop {
        let batch = seal_batch(db).await?;
        sealed += batch;
        if batch < SEALS_PER_COMMIT {
            return Ok(sealed);
        }
    }
}

async fn seal_batch(db: &DatabaseConnection) -> Result<u64, DbErr> {
    let unsealed = entity::Entity::find().filter(entity::Column::ChainSeq.is_null()).limit(1).count(db).await?;
    if unsealed == 0 {
        return Ok(0);
    }
    let txn = db.begin().await?;
    if txn.get_database_backend() == sea_orm::DbBackend::Postgres {
        txn.execute_unprepared(&format!("SELECT pg_advisory_xact_lock({SEAL_LOCK})")).await?;
    }
    let rows = entity::Entity::find()
        .filter(entity::Column::ChainSeq.is_null())
        .order_by_asc(entity::Column::Kommun)
        .order_by_asc(entity::Column::Id)
        .limit(SEALS_PER_COMMIT)
        .all(&txn)
        .await?;
    let mut head: Option<(String, i64, [u8; 32])> = None;
    for row in &rows {
        let (seq, previous) = match &head {
            Some((kommun, seq, hash)) if *kommun == row.kommun => (*seq, *hash),
            _ => chain_head(&txn, &row.kommun).await?,
        };
        let seq = seq + 1;
        let hash = link(&previous, row, seq);
        let updated = entity::Entity::update_many()
            .col_expr(entity::Column::ChainSeq, Expr::value(seq))
            .col_expr(entity::Column::ChainHash, Expr::value(hex(&hash)))
            .filter(entity::Column::Id.eq(row.id))
            .filter(entity::Column::ChainSeq.is_null())
            .exec(&txn)
            .await?;
        if updated.rows_affected != 1 {
            return Err(DbErr::Custom(format!("audit entry {} was sealed by another sealer", row.id)));
        }
        head = Some((row.kommun.clone(), seq, hash));
    }
    txn.commit().await?;
    Ok(rows.len() as u64)
}

/// The last sealed entry's place and hash in `kommun`'s chain, or (0, genesis) for an empty chain.
async fn chain_head(conn: &impl ConnectionTrait, kommun: &str) -> Result<(i64, [u8; 32]), DbErr> {
    let last = entity::Entity::find()
        .filter(entity::Column::Kommun.eq(kommun))
        .filter(entity::Column::ChainSeq.is_not_null())
        .order_by_desc(entity::Column::ChainSeq)
        .one(conn)
        .await?;
    match last {
        None => Ok((0, GENESIS)),
        Some(row) => {
            let hash =
                row.chain_hash.as_deref().and_then(unhex).ok_or_else(|| {
                    DbErr::Custom(format!("the head of kommun {kommun}'s audit chain has no valid hash"))
                })?;
            Ok((row.chain_seq.unwrap_or_default(), hash))
        }
    }
}

/// Seals committed entries every [`SEAL_INTERVAL`] until `shutdown` turns true, so entries are linked
/// within about a second of their commit: an entry is only tamper-evident once sealed.
pub async fn run_sealer(store: Store, mut shutdown: watch::Receiver<bool>) {
    let mut streak = crate::error::FailureStreak::default();
    loop {
        if *shutdown.borrow() {
            return;
        }
        if let Ok(db) = store.db() {
            match seal(db).await {
                Ok(_) => streak.succeeded(),
                Err(error) if streak.failed() => tracing::warn!(%error, "sealing the audit log failed; retrying"),
                Err(error) => tracing::debug!(%error, "sealing the audit log failed; retrying"),
            }
        }
        tokio::select! {
            _ = tokio::time::sleep(SEAL_INTERVAL) => {}
            _ = shutdown.changed() => {}
        }
    }
}

/// Why a chain is broken at an entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Break {
    /// The entry's stored hash is not the hash of its content and the previous entry's hash: the entry,
    /// or the one before it, was changed.
    HashMismatch,
    /// The chain skips this place: an entry was removed (or its place changed).
    Missing,
}

impl std::fmt::Display for Break {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Break::HashMismatch => "the stored hash does not match the entry",
            Break::Missing => "no entry holds this place: the chain skips it",
        })
    }
}

/// The first broken link of a chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BrokenLink {
    /// The municipality whose chain is broken.
    pub kommun: String,
    /// The first place in the chain that does not verify.
    pub seq: i64,
    /// Why.
    pub reason: Break,
}

/// One municipality's chain, verified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainReport {
    /// The municipality.
    pub kommun: String,
    /// How many sealed entries were checked.
    pub entries: u64,
    /// The first broken link, or `None` when the whole chain verifies.
    pub broken: Option<BrokenLink>,
}

/// What [`verify`] found, one report per municipality.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verification {
    /// The chains, by municipality code.
    pub chains: Vec<ChainReport>,
}

impl Verification {
    /// The first broken link of any chain.
    pub fn first_broken(&self) -> Option<&BrokenLink> {
        self.chains.iter().find_map(|chain| chain.broken.as_ref())
    }
}

/// Seals what is committed, then recomputes the chain of `kommun` (or of every municipality) from its
/// first entry and reports the first link that does not verify. Read-only apart from the sealing.
pub async fn verify(db: &DatabaseConnection, kommun: Option<&Kommun>) -> Result<Verification, DbErr> {
    seal(db).await?;
    let kommuns: Vec<String> = match kommun {
        Some(kommun) => vec![kommun.as_str().to_string()],
        None => {
            entity::Entity::find()
                .select_only()
                .column(entity::Column::Kommun)
                .distinct()
                .order_by_asc(entity::Column::Kommun)
                .into_tuple()
                .all(db)
                .await?
        }
    };
    let mut chains = Vec::with_capacity(kommuns.len());
    for kommun in kommuns {
        chains.push(verify_chain(db, kommun).await?);
    }
    Ok(Verification { chains })
}

async fn verify_chain(db: &DatabaseConnection, kommun: String) -> Result<ChainReport, DbErr> {
    let mut previous = GENESIS;
    let mut expected = 1;
    let mut entries = 0;
    loop {
        let page = entity::Entity::find()
            .filter(entity::Column::Kommun.eq(kommun.as_str()))
            .filter(entity::Column::ChainSeq.gte(expected))
            .order_by_asc(entity::Column::ChainSeq)
            .limit(SEALS_PER_COMMIT)
            .all(db)
            .await?;
        let Some(last) = page.last().and_then(|row| row.chain_seq) else {
            return Ok(ChainReport { kommun, entries, broken: None });
        };
        for row in &page {
            let seq = row.chain_seq.unwrap_or_default();
            let broken = |reason| BrokenLink { kommun: kommun.clone(), seq: expected, reason };
            if seq != expected {
                return Ok(ChainReport { broken: Some(broken(Break::Missing)), kommun, entries });
            }
            let hash = link(&previous, row, seq);
            if row.chain_hash.as_deref().and_then(unhex) != Some(hash) {
                return Ok(ChainReport { broken: Some(broken(Break::HashMismatch)), kommun, entries });
            }
            previous = hash;
            entries += 1;
            expected += 1;
        }
        expected = last + 1;
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use sea_orm_migration::prelude::{MigrationTrait, MigratorTrait};

    use super::*;
    use crate::auth::{Caller, Role};
    use crate::testing::{Backend, TestDatabase, backends};

    struct AuditMigrator;

    impl MigratorTrait for AuditMigrator {
        fn migrations() -> Vec<Box<dyn MigrationTrait>> {
            vec![
                Box::new(crate::store::PlatformTables),
                Box::new(crate::store::FeedPositions),
                Box::new(crate::store::AuditChain),
            ]
        }
    }

    async fn audit_db(database: &TestDatabase) -> DatabaseConnection {
        let db = crate::store::connect(&database.url).await.expect("connect");
        AuditMigrator::up(&db, None).await.expect("migrate");
        db
    }

    fn context(kommun: &str, subject: &str) -> CallContext {
        CallContext {
            caller: Caller {
                subject: subject.into(),
                role: Role::Socialsekreterare,
                kommun: Kommun::parse(kommun).expect("a kommun"),
                unit: "enhet-1".into(),
            },
            method: "/trappan.bistand.v1.BistandService/GetHousehold".into(),
            purpose: "case handling".into(),
        }
    }

    async fn execute(db: &DatabaseConnection, sql: &str) -> Result<u64, DbErr> {
        db.execute_unprepared(sql).await.map(|result| result.rows_affected())
    }

    /// Changes a sealed entry behind the triggers' back, as someone with the database's owner rights could.
    async fn tamper(db: &DatabaseConnection, kommun: &str, seq: i64) {
        let change =
            format!("UPDATE audit_log SET purpose = 'nothing to see' WHERE kommun = '{kommun}' AND chain_seq = {seq}");
        match db.get_database_backend() {
            sea_orm::DbBackend::Postgres => {
                execute(db, "ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only").await.expect("disable");
                assert_eq!(execute(db, &change).await.expect("tamper"), 1);
                execute(db, "ALTER TABLE audit_log ENABLE TRIGGER audit_log_append_only").await.expect("enable");
            }
            _ => {
                execute(db, "DROP TRIGGER audit_log_seal_once").await.expect("drop the trigger");
                assert_eq!(execute(db, &change).await.expect("tamper"), 1);
            }
        }
    }

    async fn chains_verify_and_a_tampered_entry_is_found(backend: Backend) {
        let database = TestDatabase::create(backend).await;
        let db = audit_db(&database).await;
        for n in 0..5 {
            record(&db, &context("0767", "a"), "household", &format!("h{n}"), Outcome::Read).await.expect("record");
        }
        record_many(&db, &context("1480", "b"), "household", ["x".to_string(), "y".to_string()], Outcome::Read)
            .await
            .expect("record many");

        let verified = verify(&db, None).await.expect("verify");
        assert_eq!(verified.first_broken(), None, "{verified:?}");
        let counts: Vec<(String, u64)> = verified.chains.iter().map(|c| (c.kommun.clone(), c.entries)).collect();
        assert_eq!(counts, [("0767".to_string(), 5), ("1480".to_string(), 2)]);

        tamper(&db, "0767", 3).await;
        let verified = verify(&db, None).await.expect("verify");
        assert_eq!(
            verified.first_broken(),
            Some(&BrokenLink { kommun: "0767".into(), seq: 3, reason: Break::HashMismatch }),
            "{verified:?}"
        );
        let other = verify(&db, Some(&Kommun::parse("1480").expect("kommun"))).await.expect("verify");
        assert_eq!(other.first_broken(), None, "another municipality's chain is untouched");
    }

    #[tokio::test]
    async fn chains_verify_and_a_tampered_entry_is_found_on_sqlite() {
        chains_verify_and_a_tampered_entry_is_found(Backend::Sqlite).await;
    }

    #[tokio::test]
    async fn chains_verify_and_a_tampered_entry_is_found_on_postgres() {
        if backends().contains(&Backend::Postgres) {
            chains_verify_and_a_tampered_entry_is_found(Backend::Postgres).await;
        }
    }

    async fn the_database_refuses_deletes_and_changes(backend: Backend) {
        let database = TestDatabase::create(backend).await;
        let db = audit_db(&database).await;
        record(&db, &context("0767", "a"), "household", "h1", Outcome::Read).await.expect("record");
        record(&db, &context("0767", "a"), "household", "h2", Outcome::Read).await.expect("record");
        assert!(
            execute(&db, "UPDATE audit_log SET purpose = 'other' WHERE subject_ref = 'h1'").await.is_err(),
            "an unsealed entry's content cannot change"
        );
        assert_eq!(seal(&db).await.expect("seal"), 2);
        assert!(execute(&db, "DELETE FROM audit_log WHERE subject_ref = 'h1'").await.is_err(), "no delete");
        assert!(
            execute(&db, "UPDATE audit_log SET chain_hash = chain_hash WHERE subject_ref = 'h1'").await.is_err(),
            "a seal is set once"
        );
        assert!(
            execute(&db, "UPDATE audit_log SET chain_seq = NULL, chain_hash = NULL").await.is_err(),
            "a seal cannot be lifted"
        );
        if backend == Backend::Postgres {
            assert!(execute(&db, "TRUNCATE audit_log").await.is_err(), "no truncate");
        }
        assert_eq!(verify(&db, None).await.expect("verify").first_broken(), None);
    }

    #[tokio::test]
    async fn the_database_refuses_deletes_and_changes_on_sqlite() {
        the_database_refuses_deletes_and_changes(Backend::Sqlite).await;
    }

    #[tokio::test]
    async fn the_database_refuses_deletes_and_changes_on_postgres() {
        if backends().contains(&Backend::Postgres) {
            the_database_refuses_deletes_and_changes(Backend::Postgres).await;
        }
    }

    /// The migration reverts (triggers, indexes, columns) and applies again on both backends.
    #[tokio::test]
    async fn the_chain_migration_reverts_and_reapplies() {
        for backend in backends() {
            let database = TestDatabase::create(backend).await;
            let db = audit_db(&database).await;
            AuditMigrator::down(&db, Some(1)).await.expect("revert");
            AuditMigrator::up(&db, None).await.expect("reapply");
            record(&db, &context("0767", "a"), "household", "h1", Outcome::Read).await.expect("record");
            assert_eq!(seal(&db).await.expect("seal"), 1, "{backend:?}");
        }
    }

    /// Writers in transactions of their own, with sealers running among them: every entry ends up sealed,
    /// each municipality's places run 1, 2, … without gaps, and the chains verify.
    async fn concurrent_writers_are_all_sealed_without_gaps(backend: Backend) {
        const WRITERS: usize = 8;
        const RECORDS: usize = 20;
        let database = TestDatabase::create(backend).await;
        let db = audit_db(&database).await;
        let mut tasks = Vec::new();
        for writer in 0..WRITERS {
            let db = db.clone();
            tasks.push(tokio::spawn(async move {
                let kommun = if writer % 2 == 0 { "0767" } else { "1480" };
                for n in 0..RECORDS {
                    let txn = db.begin().await.expect("begin");
                    record(&txn, &context(kommun, &format!("w{writer}")), "household", &n.to_string(), Outcome::Read)
                        .await
                        .expect("record");
                    tokio::task::yield_now().await;
                    txn.commit().await.expect("commit");
                    if n % 5 == 0 {
                        seal(&db).await.expect("a sealer among the writers");
                    }
                }
            }));
        }
        for task in tasks {
            task.await.expect("a writer");
        }
        seal(&db).await.expect("seal");

        let rows = entity::Entity::find().all(&db).await.expect("rows");
        assert_eq!(rows.len(), WRITERS * RECORDS);
        let mut places: BTreeMap<String, Vec<i64>> = BTreeMap::new();
        for row in rows {
            places.entry(row.kommun).or_default().push(row.chain_seq.expect("every entry is sealed"));
        }
        for (kommun, mut seqs) in places {
            seqs.sort_unstable();
            let expected: Vec<i64> = (1..=i64::try_from(WRITERS * RECORDS / 2).expect("small")).collect();
            assert_eq!(seqs, expected, "kommun {kommun}: gapless places");
        }
        assert_eq!(verify(&db, None).await.expect("verify").first_broken(), None);
    }

    #[tokio::test]
    async fn concurrent_writers_are_all_sealed_without_gaps_on_sqlite() {
        concurrent_writers_are_all_sealed_without_gaps(Backend::Sqlite).await;
    }

    #[tokio::test]
    async fn concurrent_writers_are_all_sealed_without_gaps_on_postgres() {
        if backends().contains(&Backend::Postgres) {
            concurrent_writers_are_all_sealed_without_gaps(Backend::Postgres).await;
        }
    }

    /// A writer's open transaction does not hold the sealer up, and its entry is sealed once committed.
    #[tokio::test]
    async fn an_open_writer_does_not_block_the_sealer() {
        if !backends().contains(&Backend::Postgres) {
            return;
        }
        let database = TestDatabase::create(Backend::Postgres).await;
        let db = audit_db(&database).await;
        let open = db.begin().await.expect("begin");
        record(&open, &context("0767", "slow"), "household", "late", Outcome::Read).await.expect("record");
        record(&db, &context("0767", "quick"), "household", "early", Outcome::Read).await.expect("record");
        let sealed = tokio::time::timeout(std::time::Duration::from_secs(10), seal(&db))
            .await
            .expect("the sealer does not wait for an open writer")
            .expect("seal");
        assert_eq!(sealed, 1, "only the committed entry");
        open.commit().await.expect("commit");
        assert_eq!(seal(&db).await.expect("seal"), 1);
        assert_eq!(verify(&db, None).await.expect("verify").chains[0].entries, 2);
    }
}
