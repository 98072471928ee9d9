//! bistand's tables as sea-orm entities.

/// A household.
pub mod household {
    use sea_orm::entity::prelude::*;

    /// One household of one municipality.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "household")]
    pub struct Model {
        /// Time-ordered identifier (UUIDv7), so newest-first paging is by key.
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        /// The municipality.
        pub kommun: String,
        /// The idempotency key of the create request.
        pub request_id: Uuid,
        /// The responsible unit.
        pub responsible_unit: String,
        /// The responsible socialsekreterare (token subject).
        pub responsible_case_worker: String,
        /// When registered.
        pub created_at: DateTimeUtc,
    }

    /// Relations.
    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {
        /// The household's members.
        #[sea_orm(has_many = "super::member::Entity")]
        Member,
    }

    impl Related<super::member::Entity> for Entity {
        fn to() -> RelationDef {
            Relation::Member.def()
        }
    }

    impl ActiveModelBehavior for ActiveModel {}
}

/// A member of a household.
pub mod member {
    use sea_orm::entity::prelude::*;

    /// One person in a household over a span of months.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "household_member")]
    pub struct Model {
        /// Identifier.
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        /// The household.
        pub household_id: Uuid,
        /// The municipality (denormalised so every query can be scoped by it).
        pub kommun: String,
        /// The 12-digit identity number.
        pub personnummer: String,
        /// Given name.
        pub given_name: String,
        /// Family name.
        pub family_name: String,
        /// applicant, co_applicant, child, other_adult.
        pub role: String,
        /// A child under 7 eats lunch at förskola/skola on weekdays.
        pub lunch_at_school: bool,
        /// A 19–20-year-old at home is in upper-secondary school.
        pub in_upper_secondary_school: bool,
        /// Born abroad, when recorded.
        pub born_abroad: Option<bool>,
        /// First month as a member, `year * 100 + month`.
        pub member_from: i32,
        /// Last month as a member, `year * 100 + month`; unset while a member.
        pub member_until: Option<i32>,
        /// Position in the household's list (applicant first).
        pub position: i32,
        /// An adult's försörjningshinder (a `Forsorjningshinder::store_code`); unset when not recorded.
        pub forsorjningshinder: Option<String>,
    }

    /// Relations.
    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {
        /// The household.
        #[sea_orm(
            belongs_to = "super::household::Entity",
            from = "Column::HouseholdId",
            to = "super::household::Column::Id"
        )]
        Household,
    }

    impl Related<super::household::Entity> for Entity {
        fn to() -> RelationDef {
            Relation::Household.def()
        }
    }

    impl ActiveModelBehavior for ActiveModel {}
}

/// A consent to share with another unit.
pub mod consent {
    use sea_orm::entity::prelude::*;

    /// One recorded consent.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "consent")]
    pub struct Model {
        /// Identifier.
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        /// The municipality.
        pub kommun: String,
        /// The idempotency key of the record request.
        pub request_id: Uuid,
        /// The household.
        pub household_id: Uuid,
        /// The member who consented.
        pub member_id: Uuid,
        /// arbetsmarknadsenheten or ungsam.
        pub recipient_unit: String,
        /// Comma-separated scopes: referral, report_back.
        pub scopes: String,
        /// Given on.
        pub given_on: Date,
        /// Withdrawn on.
        pub withdrawn_on: Option<Date>,
    }

    /// No relations modelled.
    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// A referral to the labour-market unit.
pub mod referral {
    use sea_orm::entity::prelude::*;

    /// One referral and its delivery state.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "referral")]
    pub struct Model {
        /// Identifier; also the idempotency key insatser sees.
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        /// The municipality.
        pub kommun: String,
        /// The idempotency key of the create request.
        pub request_id: Uuid,
        /// The household.
        pub household_id: Uuid,
        /// The member referred.
        pub member_id: Uuid,
        /// The consent that allowed it.
        pub consent_id: Uuid,
        /// Why.
        pub reason: String,
        /// pending or delivered.
        pub state: String,
        /// The participant insatser created.
        pub insatser_participant_id: Option<String>,
        /// When made.
        pub created_at: DateTimeUtc,
    }

    /// No relations modelled.
    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}
