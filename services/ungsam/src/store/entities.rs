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
    }

    /// No relations modelled.
    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}
