//! The audit log's hash chain and its append-only rule (see [`crate::audit`]).

use sea_orm::{ConnectionTrait, DbBackend};
use sea_orm_migration::prelude::*;

/// Adds the chain columns to `audit_log` and triggers that refuse DELETE (and TRUNCATE) and every UPDATE
/// except sealing an unsealed entry once. Why in the database: the log must hold against whoever can
/// reach the store, not only against this code (GDPR art. 32(1)(b), OSL's journal duty). Entries already
/// in the log are sealed by the first sealer run, oldest first.
pub struct AuditChain;

impl MigrationName for AuditChain {
    fn name(&self) -> &str {
        "m0001_platform_audit_chain"
    }
}

/// The columns an entry is written with; none of them may change once written.
const ENTRY_COLUMNS: [&str; 11] = [
    "id",
    "occurred_at",
    "kommun",
    "actor",
    "role",
    "unit",
    "rpc",
    "subject_kind",
    "subject_ref",
    "purpose",
    "outcome",
];

const REFUSE_DELETE: &str = "audit_log is append-only: entries cannot be deleted";
const REFUSE_UPDATE: &str = "audit_log is append-only: only an unsealed entry may be sealed, once";

/// The condition under which an UPDATE is refused: it is not the sealing of an unsealed entry.
fn not_a_seal() -> String {
    let mut conditions = vec![
        "OLD.chain_seq IS NOT NULL".to_string(),
        "OLD.chain_hash IS NOT NULL".to_string(),
        "NEW.chain_seq IS NULL".to_string(),
        "NEW.chain_hash IS NULL".to_string(),
    ];
    conditions.extend(ENTRY_COLUMNS.iter().map(|column| format!("NEW.{column} IS DISTINCT FROM OLD.{column}")));
    conditions.join(" OR ")
}

#[async_trait::async_trait]
impl MigrationTrait for AuditChain {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        let hash_type = match db.get_database_backend() {
            DbBackend::Postgres => "CHAR(64)",
            _ => "TEXT",
        };
        db.execute_unprepared("ALTER TABLE audit_log ADD COLUMN chain_seq BIGINT NULL").await?;
        db.execute_unprepared(&format!("ALTER TABLE audit_log ADD COLUMN chain_hash {hash_type} NULL")).await?;
        db.execute_unprepared("CREATE UNIQUE INDEX audit_log_chain ON audit_log (kommun, chain_seq)").await?;
        // The sealer looks only at entries still waiting for their link.
        db.execute_unprepared("CREATE INDEX audit_log_unsealed ON audit_log (kommun, id) WHERE chain_seq IS NULL")
            .await?;
        match db.get_database_backend() {
            DbBackend::Postgres => {
                db.execute_unprepared(&format!(
                    "CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ \
                     BEGIN \
                       IF TG_OP = 'DELETE' OR TG_OP = 'TRUNCATE' THEN RAISE EXCEPTION '{REFUSE_DELETE}'; END IF; \
                       IF {} THEN RAISE EXCEPTION '{REFUSE_UPDATE}'; END IF; \
                       RETURN NEW; \
                     END $$",
                    not_a_seal()
                ))
                .await?;
                db.execute_unprepared(
                    "CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log \
                     FOR EACH ROW EXECUTE FUNCTION audit_log_append_only()",
                )
                .await?;
                db.execute_unprepared(
                    "CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log \
                     FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only()",
                )
                .await?;
            }
            _ => {
                db.execute_unprepared(&format!(
                    "CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log \
                     BEGIN SELECT RAISE(ABORT, '{REFUSE_DELETE}'); END"
                ))
                .await?;
                // SQLite spells IS DISTINCT FROM as IS NOT.
                db.execute_unprepared(&format!(
                    "CREATE TRIGGER audit_log_seal_once BEFORE UPDATE ON audit_log WHEN {} \
                     BEGIN SELECT RAISE(ABORT, '{REFUSE_UPDATE}'); END",
                    not_a_seal().replace("IS DISTINCT FROM", "IS NOT")
                ))
                .await?;
            }
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        match db.get_database_backend() {
            DbBackend::Postgres => {
                db.execute_unprepared("DROP TRIGGER audit_log_no_truncate ON audit_log").await?;
                db.execute_unprepared("DROP TRIGGER audit_log_append_only ON audit_log").await?;
                db.execute_unprepared("DROP FUNCTION audit_log_append_only()").await?;
            }
            _ => {
                db.execute_unprepared("DROP TRIGGER audit_log_seal_once").await?;
                db.execute_unprepared("DROP TRIGGER audit_log_no_delete").await?;
            }
        }
        db.execute_unprepared("DROP INDEX audit_log_unsealed").await?;
        db.execute_unprepared("DROP INDEX audit_log_chain").await?;
        db.execute_unprepared("ALTER TABLE audit_log DROP COLUMN chain_hash").await?;
        db.execute_unprepared("ALTER TABLE audit_log DROP COLUMN chain_seq").await?;
        Ok(())
    }
}
