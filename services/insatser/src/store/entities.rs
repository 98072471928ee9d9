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
    }

    /// No relations modelled yet.
    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}
