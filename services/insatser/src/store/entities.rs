//! insatser's tables as sea-orm entities.

/// A participant of the labour-market unit.
pub mod participant {
    use sea_orm::entity::prelude::*;

    /// One participant of one municipality.
    ///
    /// A participant is registered either directly (then `request_id` is set and `referral_id` is not) or
    /// by a referral from another unit (then `referral_id` and `consent_id` are set and `request_id` is
    /// not). Each key is unique per municipality; both SQLite and PostgreSQL allow any number of NULLs in
    /// a unique index, so the unset key never collides.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "participant")]
    pub struct Model {
        /// Time-ordered identifier (UUIDv7), so newest-first paging is by key.
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        /// The municipality.
        pub kommun: String,
        /// The idempotency key of a direct create request.
        pub request_id: Option<Uuid>,
        /// The referring unit's referral identifier; the idempotency key of a referral.
        pub referral_id: Option<String>,
        /// The 12-digit identity number.
        pub personnummer: String,
        /// Given name.
        pub given_name: String,
        /// Family name.
        pub family_name: String,
        /// ekonomiskt_bistand, ungsam, self, arbetsformedlingen, other.
        pub source: String,
        /// Whether the person consented to reports back to the referring unit.
        pub report_back_allowed: bool,
        /// The referring unit's consent that allowed the referral.
        pub consent_id: Option<String>,
        /// Why the person was referred; empty for direct registrations.
        pub reason: String,
        /// When registered.
        pub created_at: DateTimeUtc,
        /// The registration date (unset on rows from before it was recorded: then the creation day).
        pub registered_on: Option<Date>,
        /// Whether the person was born abroad, when known.
        pub born_abroad: Option<bool>,
        /// The responsible coordinator (the current plan's), when a plan exists.
        pub coordinator: Option<String>,
        /// The first plan's start, from which regular follow-ups are scheduled.
        pub plan_start: Option<Date>,
        /// The exit date, when exited.
        pub exited_on: Option<Date>,
        /// The exit outcome code, when exited.
        pub exit_outcome: Option<String>,
    }

    /// No relations modelled yet.
    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// The unit's own rules, one row per municipality; a municipality without a row uses the defaults.
pub mod unit_rules {
    use sea_orm::entity::prelude::*;

    /// The rules of one municipality's labour-market unit.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "unit_rules")]
    pub struct Model {
        /// The municipality.
        #[sea_orm(primary_key, auto_increment = false)]
        pub kommun: String,
        /// The work ladder as JSON (a list of `LadderStepConfig`).
        pub ladder: String,
        /// Unexcused absences within the window that are reported.
        pub unexcused_threshold: i32,
        /// The absence window in days.
        pub unexcused_window_days: i32,
        /// Days between follow-ups while active.
        pub follow_up_interval_days: i32,
        /// Days of grace before a follow-up is overdue.
        pub follow_up_grace_days: i32,
        /// When last changed.
        pub updated_at: DateTimeUtc,
    }

    /// No relations.
    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// Revisions of individual plans; a revision is never changed.
pub mod plan_revision {
    use sea_orm::entity::prelude::*;

    /// One revision of one participant's plan.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "plan_revision")]
    pub struct Model {
        /// Time-ordered identifier.
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        /// The municipality.
        pub kommun: String,
        /// The idempotency key of the create or revise request.
        pub request_id: Uuid,
        /// The participant.
        pub participant_id: Uuid,
        /// 1 for the first plan; unique per participant.
        pub revision: i32,
        /// work, studies or ladder_step.
        pub goal: String,
        /// The ladder step aimed for, when the goal is a ladder step.
        pub goal_step: Option<String>,
        /// The participant's current ladder step.
        pub current_step: String,
        /// The planned activities as JSON (a list of `PlannedActivity`).
        pub activities: String,
        /// The responsible coordinator (token subject).
        pub coordinator: String,
        /// The day the plan was made.
        pub decided_on: Date,
        /// When recorded.
        pub created_at: DateTimeUtc,
    }

    /// No relations.
    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// Intervention kinds a unit added to the default catalogue.
pub mod catalogue_entry {
    use sea_orm::entity::prelude::*;

    /// One added catalogue entry.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "catalogue_entry")]
    pub struct Model {
        /// Time-ordered identifier.
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        /// The municipality.
        pub kommun: String,
        /// The idempotency key.
        pub request_id: Uuid,
        /// The code, unique per municipality.
        pub code: String,
        /// The label.
        pub label: String,
        /// The Kolada activity type code.
        pub activity_type: String,
        /// When added.
        pub created_at: DateTimeUtc,
    }

    /// No relations.
    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// Local employers and organisations.
pub mod employer {
    use sea_orm::entity::prelude::*;

    /// One employer or organisation (no personal data: organisations only).
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "employer")]
    pub struct Model {
        /// Time-ordered identifier.
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        /// The municipality.
        pub kommun: String,
        /// The idempotency key.
        pub request_id: Uuid,
        /// The name.
        pub name: String,
        /// The organisation number (NNNNNN-NNNN), when known.
        pub organisation_number: Option<String>,
        /// private, public or non_profit.
        pub sector: String,
        /// The branch of trade.
        pub industry: String,
        /// When registered.
        pub created_at: DateTimeUtc,
    }

    /// No relations.
    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// Interventions (insatser) of participants.
pub mod intervention {
    use sea_orm::entity::prelude::*;

    /// One intervention.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "intervention")]
    pub struct Model {
        /// Time-ordered identifier.
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        /// The municipality.
        pub kommun: String,
        /// The idempotency key.
        pub request_id: Uuid,
        /// The participant.
        pub participant_id: Uuid,
        /// The catalogue code.
        pub kind: String,
        /// The start date.
        pub start_date: Date,
        /// The planned last day.
        pub planned_end_date: Date,
        /// Hours per week.
        pub weekly_hours: i32,
        /// The workplace, when at an employer.
        pub employer_id: Option<Uuid>,
        /// The day it ended; unset while open.
        pub ended_on: Option<Date>,
        /// When recorded.
        pub created_at: DateTimeUtc,
    }

    /// No relations.
    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// Attendance registrations.
pub mod attendance {
    use sea_orm::entity::prelude::*;

    /// One occasion or week of one intervention.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "attendance")]
    pub struct Model {
        /// Time-ordered identifier.
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        /// The municipality.
        pub kommun: String,
        /// The idempotency key.
        pub request_id: Uuid,
        /// The intervention.
        pub intervention_id: Uuid,
        /// The participant (denormalised for the absence rule).
        pub participant_id: Uuid,
        /// The occasion's day, or the Monday of the week.
        pub date: Date,
        /// occasion or week.
        pub period: String,
        /// present, excused or unexcused.
        pub status: String,
        /// When recorded.
        pub created_at: DateTimeUtc,
    }

    /// No relations.
    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// Periods in which unexcused absence reached the threshold; at most one per window.
pub mod absence_report {
    use sea_orm::entity::prelude::*;

    /// One period that reached the threshold.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "absence_report")]
    pub struct Model {
        /// Time-ordered identifier; also the report_id sent to bistand.
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        /// The municipality.
        pub kommun: String,
        /// The participant.
        pub participant_id: Uuid,
        /// The first unexcused day of the period.
        pub period_start: Date,
        /// The day the threshold was reached.
        pub period_end: Date,
        /// Unexcused absences counted.
        pub unexcused: i32,
        /// Whether a report to bistand was enqueued (only with consent).
        pub reported: bool,
        /// When recorded.
        pub created_at: DateTimeUtc,
    }

    /// No relations.
    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// Scheduled and done follow-ups.
pub mod follow_up {
    use sea_orm::entity::prelude::*;

    /// One follow-up occasion of one participant.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "follow_up")]
    pub struct Model {
        /// Time-ordered identifier.
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        /// The municipality.
        pub kommun: String,
        /// The participant.
        pub participant_id: Uuid,
        /// The regular follow-up's number from 1; 0 after exit.
        pub number: i32,
        /// Months after exit; 0 while active.
        pub months_after_exit: i32,
        /// The due date.
        pub due_on: Date,
        /// The day done; unset while waiting.
        pub done_on: Option<Date>,
        /// The recorded progress code.
        pub progress: Option<String>,
        /// The agreed next step.
        pub next_step: Option<String>,
        /// Whether it was done within the grace days.
        pub on_time: Option<bool>,
        /// When scheduled.
        pub created_at: DateTimeUtc,
    }

    /// No relations.
    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}
