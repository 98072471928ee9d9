//! ungsam's tables as sea-orm entities.

/// A young person in the outreach target group.
pub mod young_person {
    use sea_orm::entity::prelude::*;

    /// One young person of one municipality.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "young_person")]
    pub struct Model {
        /// Time-ordered identifier (UUIDv7), so newest-first paging is by key.
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        /// The municipality.
        pub kommun: String,
        /// The idempotency key of the create request.
        pub request_id: Uuid,
        /// The 12-digit identity number.
        pub personnummer: String,
        /// Given name.
        pub given_name: String,
        /// Family name.
        pub family_name: String,
        /// Who identified the person: a [`crate::domain::IdentificationSource`] code.
        pub source: String,
        /// The outreach status: a [`crate::domain::Status`] code.
        pub status: String,
        /// When registered.
        pub created_at: DateTimeUtc,
        /// The date of identification (unset only for rows registered before the column existed).
        pub identified_on: Option<Date>,
        /// Preferred contact channel: a [`crate::domain::ContactChannel`] code.
        pub contact_channel: Option<String>,
        /// Contact detail for that channel.
        pub contact_detail: Option<String>,
        /// The responsible ungdomscoach (token subject).
        pub coach: Option<String>,
        /// Needs and circumstances; held only with consent for the needs scope.
        pub needs: Option<String>,
        /// The plan; held only with consent for the plans scope.
        pub plan: Option<String>,
        /// For an exited person: the `common.v1.ExitOutcome` value.
        pub exit_outcome: Option<i32>,
        /// The date of the first contact that reached the person.
        pub first_reached_on: Option<Date>,
        /// The date of the latest contact attempt.
        pub last_contact_on: Option<Date>,
    }

    /// No relations modelled.
    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// One change of a young person's status: the history the API shows.
pub mod status_change {
    use sea_orm::entity::prelude::*;

    /// One status change.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "status_change")]
    pub struct Model {
        /// Time-ordered identifier, so the history sorts by key.
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        /// The municipality.
        pub kommun: String,
        /// The young person.
        pub young_person_id: Uuid,
        /// The status before; unset for the registration.
        pub from_status: Option<String>,
        /// The status after.
        pub to_status: String,
        /// The date of the change.
        pub changed_on: Date,
        /// What caused it (`registered`, `manual`, `contact`, `handover`, `handover_outcome`, `aged_out`).
        pub cause: String,
        /// When recorded.
        pub created_at: DateTimeUtc,
    }

    /// No relations modelled.
    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// Outreach contact attempts.
pub mod outreach_contact {
    use sea_orm::entity::prelude::*;

    /// One contact attempt.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "outreach_contact")]
    pub struct Model {
        /// Time-ordered identifier.
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        /// The municipality.
        pub kommun: String,
        /// The young person.
        pub young_person_id: Uuid,
        /// The idempotency key of the request.
        pub request_id: Uuid,
        /// The date of the attempt.
        pub contacted_on: Date,
        /// A [`crate::domain::ContactChannel`] code.
        pub channel: String,
        /// Who made the attempt.
        pub made_by: String,
        /// `reached`, `not_reached` or `declined`.
        pub outcome: String,
        /// Free-text note.
        pub note: Option<String>,
        /// When recorded.
        pub created_at: DateTimeUtc,
    }

    /// No relations modelled.
    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// Consents a young person gave, per scope.
pub mod consent {
    use sea_orm::entity::prelude::*;

    /// One consent.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "consent")]
    pub struct Model {
        /// Identifier; sent to insatser as the consent behind a handover.
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        /// The municipality.
        pub kommun: String,
        /// The young person.
        pub young_person_id: Uuid,
        /// A [`crate::domain::ConsentScope`] code.
        pub scope: String,
        /// The date given.
        pub given_on: Date,
        /// When withdrawn; unset while in force.
        pub withdrawn_at: Option<DateTimeUtc>,
        /// When recorded.
        pub created_at: DateTimeUtc,
    }

    /// No relations modelled.
    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// Handovers to the labour-market unit.
pub mod handover {
    use sea_orm::entity::prelude::*;

    /// One handover.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "handover")]
    pub struct Model {
        /// Identifier; the referral_id insatser receives.
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        /// The municipality.
        pub kommun: String,
        /// The young person.
        pub young_person_id: Uuid,
        /// The idempotency key of the request.
        pub request_id: Uuid,
        /// The consent that allows it.
        pub consent_id: Uuid,
        /// Why the person is handed over.
        pub reason: String,
        /// `pending`, `delivered` or `cancelled`.
        pub state: String,
        /// The participant at insatser, once delivered.
        pub participant_id: Option<String>,
        /// The date of the handover.
        pub handed_over_on: Date,
        /// The reported `common.v1.ExitOutcome` value.
        pub outcome: Option<i32>,
        /// The idempotency key of the outcome report.
        pub outcome_report_id: Option<Uuid>,
        /// When the path at insatser ended.
        pub exited_on: Option<Date>,
        /// When recorded.
        pub created_at: DateTimeUtc,
    }

    /// No relations modelled.
    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// Partner organisations.
pub mod partner {
    use sea_orm::entity::prelude::*;

    /// One partner organisation.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "partner")]
    pub struct Model {
        /// Time-ordered identifier.
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        /// The municipality.
        pub kommun: String,
        /// The idempotency key of the request.
        pub request_id: Uuid,
        /// The organisation's name.
        pub name: String,
        /// A [`crate::store::PartnerKind`] code.
        pub kind: String,
        /// When recorded.
        pub created_at: DateTimeUtc,
    }

    /// No relations modelled.
    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// Joint activities with partners.
pub mod joint_activity {
    use sea_orm::entity::prelude::*;

    /// One activity.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "joint_activity")]
    pub struct Model {
        /// Time-ordered identifier.
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        /// The municipality.
        pub kommun: String,
        /// The idempotency key of the request.
        pub request_id: Uuid,
        /// `meeting`, `dialogue` or `webinar`.
        pub kind: String,
        /// Short title.
        pub title: String,
        /// The partners' identifiers, comma-separated.
        pub partner_ids: String,
        /// The planned date.
        pub planned_on: Date,
        /// The date it took place.
        pub completed_on: Option<Date>,
        /// How many took part.
        pub participant_count: i32,
        /// When recorded.
        pub created_at: DateTimeUtc,
    }

    /// No relations modelled.
    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}
