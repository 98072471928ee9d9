//! The pseudonymous facts rapport keeps from the three feeds, and the public figures it imports.
//!
//! Every key that names a producer's record is a keyed hash ([`crate::pseudonym`]); counts, amounts, dates,
//! bands and code values are stored as the feeds carry them. Every table is scoped by municipality except the
//! imported unemployment statistics, which are public figures for every region.

use sea_orm::sea_query::OnConflict;
use sea_orm::{ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter};
use sea_orm_migration::prelude::*;

/// Decisions from bistand's feed.
pub mod bistand_decision {
    use sea_orm::entity::prelude::*;

    /// One decision on one household's application for one month.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "bistand_decision")]
    pub struct Model {
        /// Keyed hash of the decision's identifier.
        #[sea_orm(primary_key, auto_increment = false)]
        pub pseudonym: String,
        /// The municipality.
        pub kommun: String,
        /// Keyed hash of the household's identifier.
        pub household: String,
        /// The month applied for, `year * 100 + month`.
        pub month_key: i32,
        /// True for a granted or partly granted decision.
        pub granted: bool,
        /// The amount granted, öre.
        pub granted_ore: i64,
        /// Persons in the household.
        pub persons: i32,
        /// Adults in the household.
        pub adults: i32,
        /// Children in the household.
        pub children: i32,
        /// Adults born abroad.
        pub adults_born_abroad: i32,
        /// Socialstyrelsen's household type code.
        pub household_type_code: String,
        /// True once an omprövning has replaced this decision's figures.
        pub superseded: bool,
    }

    /// No relations.
    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// Payments from bistand's feed, in their latest status.
pub mod bistand_payment {
    use sea_orm::entity::prelude::*;

    /// One payment.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "bistand_payment")]
    pub struct Model {
        /// Keyed hash of the payment's identifier.
        #[sea_orm(primary_key, auto_increment = false)]
        pub pseudonym: String,
        /// The municipality.
        pub kommun: String,
        /// Keyed hash of the household's identifier.
        pub household: String,
        /// The month the decision is for, `year * 100 + month`.
        pub month_key: i32,
        /// The amount, öre.
        pub amount_ore: i64,
        /// True when the latest status is PAID.
        pub paid: bool,
        /// The payment date when paid.
        pub paid_on: Option<Date>,
    }

    /// No relations.
    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// bistand's budget status, one row per municipality and month reported.
pub mod bistand_budget {
    use sea_orm::entity::prelude::*;

    /// The budget as bistand reported it for a month.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "bistand_budget")]
    pub struct Model {
        /// The municipality.
        #[sea_orm(primary_key, auto_increment = false)]
        pub kommun: String,
        /// The last month with payments counted, `year * 100 + month`.
        #[sea_orm(primary_key, auto_increment = false)]
        pub as_of_key: i32,
        /// The budget year.
        pub year: i32,
        /// The allocated budget, öre.
        pub allocated_ore: i64,
        /// Paid to date as bistand counted it, öre.
        pub paid_to_date_ore: i64,
        /// bistand's forecast for the year, öre.
        pub forecast_ore: i64,
    }

    /// No relations.
    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// Participants from insatser's feed.
pub mod insatser_participant {
    use sea_orm::entity::prelude::*;

    /// One participant of the labour-market unit.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "insatser_participant")]
    pub struct Model {
        /// Keyed hash of the participant's identifier.
        #[sea_orm(primary_key, auto_increment = false)]
        pub pseudonym: String,
        /// The municipality.
        pub kommun: String,
        /// The date of registration.
        pub registered_on: Date,
        /// The exit date, once exited.
        pub exited_on: Option<Date>,
        /// The exit outcome (`common.v1.ExitOutcome` value), once exited.
        pub exit_outcome: Option<i32>,
        /// Days from registration to exit, once exited.
        pub days_to_exit: Option<i32>,
    }

    /// No relations.
    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// Interventions from insatser's feed.
pub mod insatser_intervention {
    use sea_orm::entity::prelude::*;

    /// One intervention of one participant.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "insatser_intervention")]
    pub struct Model {
        /// Keyed hash of the intervention's identifier.
        #[sea_orm(primary_key, auto_increment = false)]
        pub pseudonym: String,
        /// The municipality.
        pub kommun: String,
        /// Keyed hash of the participant's identifier.
        pub participant: String,
        /// The catalogue code of the kind of intervention.
        pub kind: String,
        /// The start date.
        pub started_on: Date,
        /// The end date, once ended.
        pub ended_on: Option<Date>,
    }

    /// No relations.
    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// Follow-ups from insatser's feed.
pub mod insatser_follow_up {
    use sea_orm::entity::prelude::*;

    /// One recorded follow-up.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "insatser_follow_up")]
    pub struct Model {
        /// Keyed hash of the follow-up's identifier.
        #[sea_orm(primary_key, auto_increment = false)]
        pub pseudonym: String,
        /// The municipality.
        pub kommun: String,
        /// The date it was due.
        pub due_on: Date,
        /// True when done on time.
        pub on_time: bool,
    }

    /// No relations.
    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// Young people from ungsam's feed.
pub mod ungsam_person {
    use sea_orm::entity::prelude::*;

    /// One young person of Ungsam's target group.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "ungsam_person")]
    pub struct Model {
        /// Keyed hash of the young person's identifier.
        #[sea_orm(primary_key, auto_increment = false)]
        pub pseudonym: String,
        /// The municipality.
        pub kommun: String,
        /// The date of identification.
        pub identified_on: Date,
        /// The date the person was first reached.
        pub first_reached_on: Option<Date>,
        /// Days from identification to the first contact that reached the person.
        pub days_to_first_contact: Option<i32>,
    }

    /// No relations.
    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// Status changes and handovers from ungsam's feed.
pub mod ungsam_event {
    use sea_orm::entity::prelude::*;

    /// One status change (or handover, status `handed_over`) of one young person.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "ungsam_event")]
    pub struct Model {
        /// The municipality.
        #[sea_orm(primary_key, auto_increment = false)]
        pub kommun: String,
        /// The feed sequence that carried it (unique per municipality within ungsam's feed).
        #[sea_orm(primary_key, auto_increment = false)]
        pub sequence: i64,
        /// Keyed hash of the young person's identifier.
        pub person: String,
        /// The date of the change.
        pub changed_on: Date,
        /// The status after the change.
        pub to_status: String,
        /// For an exit, the outcome (`common.v1.ExitOutcome` value); 0 otherwise.
        pub exit_outcome: i32,
    }

    /// No relations.
    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// Imported unemployment statistics (public figures for every region), kept per importing municipality:
/// one municipality's import never changes the figures another sees
/// ([`super::migration_unemployment_importer`]).
pub mod unemployment_figure {
    use sea_orm::entity::prelude::*;

    /// One published figure, as one municipality imported it.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "unemployment_figure")]
    pub struct Model {
        /// The municipality whose analytiker imported the figure; only that municipality reads it.
        #[sea_orm(primary_key, auto_increment = false)]
        pub importer: String,
        /// `00` nation, 2-digit county, 4-digit municipality.
        #[sea_orm(primary_key, auto_increment = false)]
        pub region: String,
        /// `year * 100 + month`.
        #[sea_orm(primary_key, auto_increment = false)]
        pub month_key: i32,
        /// `all`, `18-24` or `foreign_born`.
        #[sea_orm(primary_key, auto_increment = false)]
        pub group_code: String,
        /// The series definition.
        #[sea_orm(primary_key, auto_increment = false)]
        pub series: String,
        /// Registered unemployed; `None` when published as suppressed.
        pub registered_unemployed: Option<i64>,
        /// Share of the labour force in basis points, when published.
        pub share_bp: Option<i32>,
    }

    /// No relations.
    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// Imported population figures per municipality and year.
pub mod population {
    use sea_orm::entity::prelude::*;

    /// One municipality's population on 31 December of a year.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "population")]
    pub struct Model {
        /// The municipality.
        #[sea_orm(primary_key, auto_increment = false)]
        pub kommun: String,
        /// The year.
        #[sea_orm(primary_key, auto_increment = false)]
        pub year: i32,
        /// All residents.
        pub residents: i64,
        /// Residents 0–17.
        pub children: i64,
        /// The population N31816 is divided by; 0 when not known.
        pub n31816_population: i64,
    }

    /// No relations.
    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// The fact tables for every event of the three feeds and the imported figures.
pub struct FactTables;

impl MigrationName for FactTables {
    fn name(&self) -> &str {
        "m0003_rapport_facts"
    }
}

fn text(name: &'static str) -> ColumnDef {
    ColumnDef::new(Alias::new(name)).string().not_null().to_owned()
}

fn kommun() -> ColumnDef {
    ColumnDef::new(Alias::new("kommun")).string_len(4).not_null().to_owned()
}

fn int(name: &'static str) -> ColumnDef {
    ColumnDef::new(Alias::new(name)).integer().not_null().to_owned()
}

fn big(name: &'static str) -> ColumnDef {
    ColumnDef::new(Alias::new(name)).big_integer().not_null().to_owned()
}

fn flag(name: &'static str) -> ColumnDef {
    ColumnDef::new(Alias::new(name)).boolean().not_null().to_owned()
}

fn date(name: &'static str) -> ColumnDef {
    ColumnDef::new(Alias::new(name)).date().not_null().to_owned()
}

fn optional_date(name: &'static str) -> ColumnDef {
    ColumnDef::new(Alias::new(name)).date().null().to_owned()
}

fn pseudonym_key() -> ColumnDef {
    ColumnDef::new(Alias::new("pseudonym")).string().not_null().primary_key().to_owned()
}

fn index(table: &'static str, columns: &[&'static str]) -> IndexCreateStatement {
    let mut index = Index::create();
    index.name(format!("{table}_{}", columns.join("_"))).table(Alias::new(table));
    for column in columns {
        index.col(Alias::new(*column));
    }
    index.to_owned()
}

fn composite_key(columns: &[&'static str]) -> IndexCreateStatement {
    let mut index = Index::create();
    for column in columns {
        index.col(Alias::new(*column));
    }
    index.to_owned()
}

/// Every table of the migration, in creation order.
fn tables() -> Vec<(TableCreateStatement, Vec<IndexCreateStatement>)> {
    let table = |name: &'static str, columns: Vec<ColumnDef>| {
        let mut statement = Table::create();
        statement.table(Alias::new(name));
        for mut column in columns {
            statement.col(&mut column);
        }
        statement
    };
    vec![
        (
            table(
                "bistand_decision",
                vec![
                    pseudonym_key(),
                    kommun(),
                    text("household"),
                    int("month_key"),
                    flag("granted"),
                    big("granted_ore"),
                    int("persons"),
                    int("adults"),
                    int("children"),
                    int("adults_born_abroad"),
                    text("household_type_code"),
                    flag("superseded"),
                ],
            )
            .to_owned(),
            vec![index("bistand_decision", &["kommun", "month_key"])],
        ),
        (
            table(
                "bistand_payment",
                vec![
                    pseudonym_key(),
                    kommun(),
                    text("household"),
                    int("month_key"),
                    big("amount_ore"),
                    flag("paid"),
                    optional_date("paid_on"),
                ],
            )
            .to_owned(),
            vec![index("bistand_payment", &["kommun", "month_key"]), index("bistand_payment", &["kommun", "paid_on"])],
        ),
        (
            table(
                "bistand_budget",
                vec![
                    kommun(),
                    int("as_of_key"),
                    int("year"),
                    big("allocated_ore"),
                    big("paid_to_date_ore"),
                    big("forecast_ore"),
                ],
            )
            .primary_key(&mut composite_key(&["kommun", "as_of_key"]))
            .to_owned(),
            vec![],
        ),
        (
            table(
                "insatser_participant",
                vec![
                    pseudonym_key(),
                    kommun(),
                    date("registered_on"),
                    optional_date("exited_on"),
                    ColumnDef::new(Alias::new("exit_outcome")).integer().null().to_owned(),
                    ColumnDef::new(Alias::new("days_to_exit")).integer().null().to_owned(),
                ],
            )
            .to_owned(),
            vec![index("insatser_participant", &["kommun", "registered_on"])],
        ),
        (
            table(
                "insatser_intervention",
                vec![
                    pseudonym_key(),
                    kommun(),
                    text("participant"),
                    text("kind"),
                    date("started_on"),
                    optional_date("ended_on"),
                ],
            )
            .to_owned(),
            vec![index("insatser_intervention", &["kommun", "started_on"])],
        ),
        (
            table("insatser_follow_up", vec![pseudonym_key(), kommun(), date("due_on"), flag("on_time")]).to_owned(),
            vec![index("insatser_follow_up", &["kommun", "due_on"])],
        ),
        (
            table(
                "ungsam_person",
                vec![
                    pseudonym_key(),
                    kommun(),
                    date("identified_on"),
                    optional_date("first_reached_on"),
                    ColumnDef::new(Alias::new("days_to_first_contact")).integer().null().to_owned(),
                ],
            )
            .to_owned(),
            vec![index("ungsam_person", &["kommun", "identified_on"])],
        ),
        (
            table(
                "ungsam_event",
                vec![
                    kommun(),
                    big("sequence"),
                    text("person"),
                    date("changed_on"),
                    text("to_status"),
                    int("exit_outcome"),
                ],
            )
            .primary_key(&mut composite_key(&["kommun", "sequence"]))
            .to_owned(),
            vec![index("ungsam_event", &["kommun", "changed_on"])],
        ),
        (
            table(
                "unemployment_figure",
                vec![
                    text("region"),
                    int("month_key"),
                    text("group_code"),
                    text("series"),
                    ColumnDef::new(Alias::new("registered_unemployed")).big_integer().null().to_owned(),
                    ColumnDef::new(Alias::new("share_bp")).integer().null().to_owned(),
                ],
            )
            .primary_key(&mut composite_key(&["region", "month_key", "group_code", "series"]))
            .to_owned(),
            vec![],
        ),
        (
            table(
                "population",
                vec![kommun(), int("year"), big("residents"), big("children"), big("n31816_population")],
            )
            .primary_key(&mut composite_key(&["kommun", "year"]))
            .to_owned(),
            vec![],
        ),
    ]
}

#[async_trait::async_trait]
impl MigrationTrait for FactTables {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for (table, indexes) in tables() {
            manager.create_table(table).await?;
            for index in indexes {
                manager.create_index(index).await?;
            }
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for (table, _) in tables().into_iter().rev() {
            if let Some(name) = table.get_table_name() {
                manager.drop_table(Table::drop().table(name.clone()).to_owned()).await?;
            }
        }
        Ok(())
    }
}

/// One fact derived from one feed event, ready to be written in the event's transaction.
#[derive(Debug, Clone)]
pub enum Fact {
    /// A decision; `supersedes` names the decision an omprövning replaces.
    Decision {
        /// The decision.
        row: bistand_decision::Model,
        /// The superseded decision's pseudonym.
        supersedes: Option<String>,
    },
    /// A payment in its new status.
    Payment(bistand_payment::Model),
    /// bistand's budget status.
    Budget(bistand_budget::Model),
    /// A registered participant.
    Participant(insatser_participant::Model),
    /// A started intervention.
    InterventionStarted(insatser_intervention::Model),
    /// An ended intervention.
    InterventionEnded {
        /// The municipality.
        kommun: String,
        /// The intervention's pseudonym.
        pseudonym: String,
        /// The end date.
        ended_on: chrono::NaiveDate,
    },
    /// A recorded follow-up.
    FollowUp(insatser_follow_up::Model),
    /// An exit.
    ParticipantExited {
        /// The municipality.
        kommun: String,
        /// The participant's pseudonym.
        pseudonym: String,
        /// The exit date.
        exited_on: chrono::NaiveDate,
        /// The outcome.
        outcome: i32,
        /// Days from registration to exit.
        days: i32,
    },
    /// An identified young person.
    YoungPerson(ungsam_person::Model),
    /// A contact attempt that reached the person for the first time.
    FirstReached {
        /// The municipality.
        kommun: String,
        /// The young person's pseudonym.
        pseudonym: String,
        /// The date of the contact.
        reached_on: chrono::NaiveDate,
        /// Days from identification.
        days: i32,
    },
    /// A status change or handover.
    UngsamEvent(ungsam_event::Model),
}

/// Writes `fact` inside the event's transaction.
pub async fn write(conn: &impl ConnectionTrait, fact: Fact) -> Result<(), DbErr> {
    match fact {
        Fact::Decision { row, supersedes } => {
            if let Some(superseded) = supersedes {
                bistand_decision::Entity::update_many()
                    .col_expr(bistand_decision::Column::Superseded, Expr::value(true))
                    .filter(bistand_decision::Column::Pseudonym.eq(superseded))
                    .filter(bistand_decision::Column::Kommun.eq(row.kommun.clone()))
                    .exec(conn)
                    .await?;
            }
            bistand_decision::Entity::insert(bistand_decision::ActiveModel::from(row))
                .on_conflict_do_nothing_on([bistand_decision::Column::Pseudonym])
                .exec(conn)
                .await?;
        }
        Fact::Payment(row) => {
            bistand_payment::Entity::insert(bistand_payment::ActiveModel::from(row))
                .on_conflict(
                    OnConflict::column(bistand_payment::Column::Pseudonym)
                        .update_columns([
                            bistand_payment::Column::Paid,
                            bistand_payment::Column::PaidOn,
                            bistand_payment::Column::AmountOre,
                        ])
                        .to_owned(),
                )
                .exec(conn)
                .await?;
        }
        Fact::Budget(row) => {
            bistand_budget::Entity::insert(bistand_budget::ActiveModel::from(row))
                .on_conflict(
                    OnConflict::columns([bistand_budget::Column::Kommun, bistand_budget::Column::AsOfKey])
                        .update_columns([
                            bistand_budget::Column::Year,
                            bistand_budget::Column::AllocatedOre,
                            bistand_budget::Column::PaidToDateOre,
                            bistand_budget::Column::ForecastOre,
                        ])
                        .to_owned(),
                )
                .exec(conn)
                .await?;
        }
        Fact::Participant(row) => {
            insatser_participant::Entity::insert(insatser_participant::ActiveModel::from(row))
                .on_conflict_do_nothing_on([insatser_participant::Column::Pseudonym])
                .exec(conn)
                .await?;
        }
        Fact::InterventionStarted(row) => {
            insatser_intervention::Entity::insert(insatser_intervention::ActiveModel::from(row))
                .on_conflict_do_nothing_on([insatser_intervention::Column::Pseudonym])
                .exec(conn)
                .await?;
        }
        Fact::InterventionEnded { kommun, pseudonym, ended_on } => {
            insatser_intervention::Entity::update_many()
                .col_expr(insatser_intervention::Column::EndedOn, Expr::value(ended_on))
                .filter(insatser_intervention::Column::Pseudonym.eq(pseudonym))
                .filter(insatser_intervention::Column::Kommun.eq(kommun))
                .exec(conn)
                .await?;
        }
        Fact::FollowUp(row) => {
            insatser_follow_up::Entity::insert(insatser_follow_up::ActiveModel::from(row))
                .on_conflict_do_nothing_on([insatser_follow_up::Column::Pseudonym])
                .exec(conn)
                .await?;
        }
        Fact::ParticipantExited { kommun, pseudonym, exited_on, outcome, days } => {
            insatser_participant::Entity::update_many()
                .col_expr(insatser_participant::Column::ExitedOn, Expr::value(exited_on))
                .col_expr(insatser_participant::Column::ExitOutcome, Expr::value(outcome))
                .col_expr(insatser_participant::Column::DaysToExit, Expr::value(days))
                .filter(insatser_participant::Column::Pseudonym.eq(pseudonym))
                .filter(insatser_participant::Column::Kommun.eq(kommun))
                .exec(conn)
                .await?;
        }
        Fact::YoungPerson(row) => {
            ungsam_person::Entity::insert(ungsam_person::ActiveModel::from(row))
                .on_conflict_do_nothing_on([ungsam_person::Column::Pseudonym])
                .exec(conn)
                .await?;
        }
        Fact::FirstReached { kommun, pseudonym, reached_on, days } => {
            if let Some(found) = ungsam_person::Entity::find_by_id(pseudonym).one(conn).await?
                && found.kommun == kommun
                && found.first_reached_on.is_none()
            {
                let mut row: ungsam_person::ActiveModel = found.into();
                row.first_reached_on = Set(Some(reached_on));
                row.days_to_first_contact = Set(Some(days));
                row.update(conn).await?;
            }
        }
        Fact::UngsamEvent(row) => {
            ungsam_event::Entity::insert(ungsam_event::ActiveModel::from(row))
                .on_conflict_do_nothing_on([ungsam_event::Column::Kommun, ungsam_event::Column::Sequence])
                .exec(conn)
                .await?;
        }
    }
    Ok(())
}
