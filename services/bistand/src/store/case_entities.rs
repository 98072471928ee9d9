//! The tables of the case flow: applications, decisions, payments, budgets and the labour-market unit's
//! reports. Structured parts that are only ever read whole (cost lines, the stored calculation and its
//! inputs) are JSON text, so a decision keeps exactly what it was made from.

/// A monthly application (ansökan).
pub mod application {
    use sea_orm::entity::prelude::*;

    /// One application for one household and month.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "application")]
    pub struct Model {
        /// Time-ordered identifier (UUIDv7).
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        /// The municipality.
        pub kommun: String,
        /// The idempotency key of the create request.
        pub request_id: Uuid,
        /// The household.
        pub household_id: Uuid,
        /// The month, `year * 100 + month`.
        pub month: i32,
        /// The claimed cost lines (JSON of `applications::StoredCost`).
        pub cost_lines: String,
        /// The declared income lines (JSON of `applications::StoredIncome`).
        pub income_lines: String,
        /// Whether the income is verified.
        pub income_verified: bool,
        /// waiting, decided or superseded.
        pub state: String,
        /// The application this one supersedes.
        pub supersedes_id: Option<Uuid>,
        /// Unique per municipality: `household:month` for the first application of a month, `supersedes:id`
        /// for a reconsideration. Enforces one application per household and month in the store.
        pub chain_key: String,
        /// Who registered it.
        pub registered_by: String,
        /// When registered.
        pub created_at: DateTimeUtc,
    }

    /// No relations modelled.
    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// A decision (beslut).
pub mod decision {
    use sea_orm::entity::prelude::*;

    /// One decision; never updated except to record the decision that superseded it.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "decision")]
    pub struct Model {
        /// Time-ordered identifier (UUIDv7).
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        /// The municipality.
        pub kommun: String,
        /// The idempotency key of the decide request.
        pub request_id: Uuid,
        /// The application decided.
        pub application_id: Uuid,
        /// The household.
        pub household_id: Uuid,
        /// The month, `year * 100 + month`.
        pub month: i32,
        /// granted, partly_granted or refused.
        pub outcome: String,
        /// The amount granted, öre.
        pub granted_ore: i64,
        /// The cost lines with approved amounts (JSON of `applications::StoredCost`).
        pub cost_lines: String,
        /// The calculation as made (JSON of `decisions::StoredCalculation`).
        pub calculation: String,
        /// The calculation's inputs (JSON of `decisions::CalculationInputs`), to recompute it.
        pub inputs: String,
        /// The riksnorm year used.
        pub norm_year: i32,
        /// The riksnorm table's version used.
        pub norm_version: String,
        /// The reason text.
        pub reason: String,
        /// Who decided (token subject).
        pub decided_by: String,
        /// The decision date.
        pub decided_on: Date,
        /// The notification date.
        pub notified_on: Date,
        /// The last day to appeal.
        pub appeal_deadline: Date,
        /// The decision this one supersedes (omprövning).
        pub supersedes_id: Option<Uuid>,
        /// The decision that superseded this one.
        pub superseded_by: Option<Uuid>,
        /// Unique per municipality: `household:month` for the first decision of a month, `supersedes:id` for
        /// an omprövning. Enforces one standing decision per month in the store.
        pub chain_key: String,
        /// When recorded.
        pub created_at: DateTimeUtc,
    }

    /// No relations modelled.
    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// A payment (utbetalning).
pub mod payment {
    use sea_orm::entity::prelude::*;

    /// The one payment of a granted decision.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "payment")]
    pub struct Model {
        /// Time-ordered identifier (UUIDv7).
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        /// The municipality.
        pub kommun: String,
        /// The idempotency key of the create request.
        pub request_id: Uuid,
        /// The decision paid; unique, so a decision is never paid twice.
        pub decision_id: Uuid,
        /// The household.
        pub household_id: Uuid,
        /// The month, `year * 100 + month`.
        pub month: i32,
        /// The amount, öre.
        pub amount_ore: i64,
        /// planned, paid or stopped.
        pub status: String,
        /// The planned date.
        pub planned_on: Date,
        /// The payment date.
        pub paid_on: Option<Date>,
        /// The stop date.
        pub stopped_on: Option<Date>,
        /// Why stopped.
        pub stop_reason: Option<String>,
        /// When planned.
        pub created_at: DateTimeUtc,
    }

    /// No relations modelled.
    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// A municipality's allocated budget for a year.
pub mod budget {
    use sea_orm::entity::prelude::*;

    /// One budget year.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "budget")]
    pub struct Model {
        /// Identifier.
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        /// The municipality.
        pub kommun: String,
        /// The year.
        pub year: i32,
        /// The allocated budget, öre.
        pub allocated_ore: i64,
        /// Who set it last.
        pub set_by: String,
        /// When set last.
        pub updated_at: DateTimeUtc,
    }

    /// No relations modelled.
    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// A report from the labour-market unit on a household's case.
pub mod case_report {
    use sea_orm::entity::prelude::*;

    /// One received report.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "case_report")]
    pub struct Model {
        /// Time-ordered identifier (UUIDv7).
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        /// The municipality.
        pub kommun: String,
        /// The sender's report identifier (the idempotency key).
        pub report_id: Uuid,
        /// The referral it concerns.
        pub referral_id: Uuid,
        /// The household.
        pub household_id: Uuid,
        /// The member referred.
        pub member_id: Uuid,
        /// unexcused_absence, plan_changed or exited.
        pub kind: String,
        /// When it happened.
        pub occurred_on: Date,
        /// Unexcused absences in the period.
        pub unexcused_absences: i32,
        /// The period's first day.
        pub period_start: Option<Date>,
        /// The exit outcome (common.v1.ExitOutcome number).
        pub exit_outcome: i32,
        /// The sender's short text.
        pub summary: String,
        /// When received.
        pub received_at: DateTimeUtc,
    }

    /// No relations modelled.
    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// An återkrav claim: what was paid for a household and month above the grant of the omprövning that now
/// stands (see `store::claims`).
pub mod claim {
    use sea_orm::entity::prelude::*;

    /// One claim; never updated except to mark it superseded by a later omprövning's claim.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "claim")]
    pub struct Model {
        /// Time-ordered identifier (UUIDv7).
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        /// The municipality.
        pub kommun: String,
        /// The household.
        pub household_id: Uuid,
        /// The month, `year * 100 + month`.
        pub month: i32,
        /// The omprövning whose grant the claim is measured against.
        pub decision_id: Uuid,
        /// The decision the omprövning replaced.
        pub replaced_decision_id: Uuid,
        /// Paid for the month above the omprövning's grant, öre (always > 0).
        pub amount_ore: i64,
        /// open or superseded.
        pub status: String,
        /// When recorded.
        pub created_at: DateTimeUtc,
    }

    /// No relations modelled.
    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}
