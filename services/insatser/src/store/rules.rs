//! The unit's rules per municipality: the work ladder, the absence threshold and the follow-up rhythm,
//! and the intervention catalogue (the default entries plus those the unit added). A municipality that
//! has set nothing works with the domain's documented defaults.

use sea_orm::sea_query::OnConflict;
use sea_orm::{ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};
use trappan_platform::audit::{self, Outcome};
use trappan_platform::auth::CallContext;
use trappan_platform::error::{FieldViolation, ServiceError, ServiceResult};
use trappan_platform::store::is_unique_violation;
use uuid::Uuid;

use super::{catalogue_entry, unit_rules};
use crate::domain::{
    Catalogue, CatalogueEntry, CatalogueError, FollowUpSchedule, KoladaActivityType, LadderError, LadderStepConfig,
    UnexcusedThreshold, WorkLadder,
};

/// The largest window or interval in days the unit may set.
const MAX_DAYS: u32 = 366;
/// The largest grace period in days.
const MAX_GRACE_DAYS: u32 = 60;

/// The rules a municipality's unit works by.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UnitRules {
    /// The work ladder.
    pub ladder: WorkLadder,
    /// When unexcused absence is reported.
    pub absence: UnexcusedThreshold,
    /// When follow-ups fall due.
    pub follow_up: FollowUpSchedule,
}

/// Rules as a caller proposes them, before validation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProposedRules {
    /// The ladder's steps.
    pub ladder: Vec<LadderStepConfig>,
    /// The absence threshold.
    pub unexcused_threshold: i32,
    /// The absence window in days.
    pub unexcused_window_days: i32,
    /// Days between follow-ups while active.
    pub follow_up_interval_days: i32,
    /// Grace days.
    pub follow_up_grace_days: i32,
}

/// Checks one bounded whole number, naming `field` on failure.
fn bounded(value: i32, field: &str, min: u32, max: u32, violations: &mut Vec<FieldViolation>) -> u32 {
    match u32::try_from(value) {
        Ok(v) if (min..=max).contains(&v) => v,
        _ => {
            violations.push(FieldViolation::new(field, format!("must be between {min} and {max}")));
            min
        }
    }
}

/// The field a ladder error points at.
fn ladder_violation(error: &LadderError) -> FieldViolation {
    let (field, what) = match error {
        LadderError::Empty => ("rules.ladder".to_string(), "must have at least one step"),
        LadderError::InvalidCode { index } => {
            (format!("rules.ladder[{index}].code"), "must be lowercase letters, digits and underscores")
        }
        LadderError::EmptyLabel { index } => (format!("rules.ladder[{index}].label"), "is required"),
        LadderError::ZeroLevel { index } => (format!("rules.ladder[{index}].level"), "must be 1–255"),
        LadderError::DuplicateCode { index, .. } => (format!("rules.ladder[{index}].code"), "is used twice"),
        LadderError::BadLine { .. } => ("rules.ladder".to_string(), "is malformed"),
    };
    FieldViolation::new(field, what)
}

impl ProposedRules {
    /// Validates the proposal, collecting every violation.
    pub fn validate(&self) -> ServiceResult<UnitRules> {
        let mut violations = Vec::new();
        let threshold = bounded(self.unexcused_threshold, "rules.unexcused_absence_threshold", 1, 100, &mut violations);
        let window =
            bounded(self.unexcused_window_days, "rules.unexcused_absence_window_days", 1, MAX_DAYS, &mut violations);
        let interval =
            bounded(self.follow_up_interval_days, "rules.follow_up_interval_days", 1, MAX_DAYS, &mut violations);
        let grace =
            bounded(self.follow_up_grace_days, "rules.follow_up_grace_days", 0, MAX_GRACE_DAYS, &mut violations);
        let ladder = match WorkLadder::from_config(&self.ladder) {
            Ok(ladder) => Some(ladder),
            Err(error) => {
                violations.push(ladder_violation(&error));
                None
            }
        };
        match ladder {
            Some(ladder) if violations.is_empty() => Ok(UnitRules {
                ladder,
                absence: UnexcusedThreshold { occasions: threshold, window_days: window },
                follow_up: FollowUpSchedule {
                    active_interval_days: interval,
                    grace_days: grace,
                    ..FollowUpSchedule::default()
                },
            }),
            _ => Err(ServiceError::InvalidArgument(violations)),
        }
    }
}

/// The steps of a ladder in configuration form.
pub fn ladder_config(ladder: &WorkLadder) -> Vec<LadderStepConfig> {
    ladder
        .steps()
        .iter()
        .map(|s| LadderStepConfig { code: s.code.clone(), label: s.label.clone(), level: s.level })
        .collect()
}

/// The rules of the caller's municipality (the defaults when it has set none).
pub async fn load(conn: &impl ConnectionTrait, kommun: &str) -> ServiceResult<UnitRules> {
    let Some(row) = unit_rules::Entity::find_by_id(kommun.to_string()).one(conn).await? else {
        return Ok(UnitRules::default());
    };
    let corrupt = |what: &str| ServiceError::Internal(anyhow::anyhow!("stored unit rules: {what}"));
    let steps: Vec<LadderStepConfig> = serde_json::from_str(&row.ladder).map_err(|_| corrupt("ladder"))?;
    let number = |v: i32| u32::try_from(v).map_err(|_| corrupt("a negative number"));
    Ok(UnitRules {
        ladder: WorkLadder::from_config(&steps).map_err(|_| corrupt("ladder"))?,
        absence: UnexcusedThreshold {
            occasions: number(row.unexcused_threshold)?,
            window_days: number(row.unexcused_window_days)?,
        },
        follow_up: FollowUpSchedule {
            active_interval_days: number(row.follow_up_interval_days)?,
            grace_days: number(row.follow_up_grace_days)?,
            ..FollowUpSchedule::default()
        },
    })
}

/// Replaces the caller's municipality's rules; audited as a master-data change.
pub async fn update(
    db: &sea_orm::DatabaseConnection,
    context: &CallContext,
    rules: UnitRules,
) -> ServiceResult<UnitRules> {
    use sea_orm::TransactionTrait;
    let ladder = serde_json::to_string(&ladder_config(&rules.ladder))
        .map_err(|error| ServiceError::Internal(anyhow::anyhow!("encoding the ladder: {error}")))?;
    let whole = |v: u32| i32::try_from(v).unwrap_or(i32::MAX);
    let txn = db.begin().await?;
    let row = unit_rules::ActiveModel {
        kommun: Set(context.kommun().to_string()),
        ladder: Set(ladder),
        unexcused_threshold: Set(whole(rules.absence.occasions)),
        unexcused_window_days: Set(whole(rules.absence.window_days)),
        follow_up_interval_days: Set(whole(rules.follow_up.active_interval_days)),
        follow_up_grace_days: Set(whole(rules.follow_up.grace_days)),
        updated_at: Set(chrono::Utc::now()),
    };
    // One statement, so two managers saving at once cannot collide on the first save.
    unit_rules::Entity::insert(row)
        .on_conflict(
            OnConflict::column(unit_rules::Column::Kommun)
                .update_columns([
                    unit_rules::Column::Ladder,
                    unit_rules::Column::UnexcusedThreshold,
                    unit_rules::Column::UnexcusedWindowDays,
                    unit_rules::Column::FollowUpIntervalDays,
                    unit_rules::Column::FollowUpGraceDays,
                    unit_rules::Column::UpdatedAt,
                ])
                .to_owned(),
        )
        .exec(&txn)
        .await?;
    audit::record(&txn, context, "unit_rules", context.kommun(), Outcome::Updated).await?;
    txn.commit().await?;
    Ok(rules)
}

/// The municipality's catalogue: the default entries, then the unit's own in the order added.
pub async fn catalogue(conn: &impl ConnectionTrait, kommun: &str) -> ServiceResult<Catalogue> {
    let added = catalogue_entry::Entity::find()
        .filter(catalogue_entry::Column::Kommun.eq(kommun))
        .order_by_asc(catalogue_entry::Column::Id)
        .all(conn)
        .await?;
    let mut entries = Catalogue::default_catalogue().entries().to_vec();
    for row in added {
        let kolada_type = KoladaActivityType::from_code(&row.activity_type)
            .ok_or_else(|| ServiceError::Internal(anyhow::anyhow!("stored catalogue entry: unknown activity type")))?;
        entries.push(CatalogueEntry { code: row.code, label: row.label, kolada_type });
    }
    Catalogue::from_config(entries)
        .map_err(|error| ServiceError::Internal(anyhow::anyhow!("stored catalogue is inconsistent: {error}")))
}

/// Whether `code` is one of the default catalogue's.
pub fn is_built_in(code: &str) -> bool {
    Catalogue::default_catalogue().get(code).is_some()
}

/// Adds an entry to the caller's municipality's catalogue. A retried request returns the entry; a code
/// already in the catalogue is ALREADY_EXISTS.
pub async fn add_catalogue_entry(
    db: &sea_orm::DatabaseConnection,
    context: &CallContext,
    request_id: Uuid,
    entry: CatalogueEntry,
) -> ServiceResult<CatalogueEntry> {
    use sea_orm::TransactionTrait;
    let existing = |conn| async move {
        catalogue_entry::Entity::find()
            .filter(catalogue_entry::Column::Kommun.eq(context.kommun()))
            .filter(catalogue_entry::Column::RequestId.eq(request_id))
            .one(conn)
            .await
    };
    let to_entry = |row: catalogue_entry::Model| -> ServiceResult<CatalogueEntry> {
        let kolada_type = KoladaActivityType::from_code(&row.activity_type)
            .ok_or_else(|| ServiceError::Internal(anyhow::anyhow!("stored catalogue entry: unknown activity type")))?;
        Ok(CatalogueEntry { code: row.code, label: row.label, kolada_type })
    };
    if let Some(row) = existing(db).await? {
        return to_entry(row);
    }
    let txn = db.begin().await?;
    let mut entries = catalogue(&txn, context.kommun()).await?.entries().to_vec();
    entries.push(entry.clone());
    let entry = match Catalogue::from_config(entries) {
        Ok(catalogue) => catalogue.entries().last().cloned().unwrap_or(entry),
        Err(CatalogueError::DuplicateCode { .. }) => {
            return Err(ServiceError::AlreadyExists("the catalogue already has an entry with this code".into()));
        }
        Err(CatalogueError::InvalidCode { .. }) => {
            return Err(ServiceError::invalid("entry.code", "must be lowercase letters, digits and underscores"));
        }
        Err(CatalogueError::EmptyLabel { .. }) => return Err(ServiceError::invalid("entry.label", "is required")),
        Err(CatalogueError::Empty) => return Err(ServiceError::invalid("entry", "is required")),
    };
    let inserted = catalogue_entry::ActiveModel {
        id: Set(Uuid::now_v7()),
        kommun: Set(context.kommun().to_string()),
        request_id: Set(request_id),
        code: Set(entry.code.clone()),
        label: Set(entry.label.clone()),
        activity_type: Set(entry.kolada_type.code().to_string()),
        created_at: Set(chrono::Utc::now()),
    }
    .insert(&txn)
    .await;
    match inserted {
        Ok(row) => {
            audit::record(&txn, context, "catalogue_entry", &row.id.to_string(), Outcome::Created).await?;
            txn.commit().await?;
            Ok(entry)
        }
        Err(error) if is_unique_violation(&error) => {
            txn.rollback().await?;
            match existing(db).await? {
                Some(row) => to_entry(row),
                None => Err(ServiceError::AlreadyExists("the catalogue already has an entry with this code".into())),
            }
        }
        Err(error) => Err(error.into()),
    }
}
