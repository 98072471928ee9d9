//! Reports at Stockholm's scale against a small municipality in the same store.
//!
//! Setup: a synthetic municipality `0180` with `TRAPPAN_BENCH_HOUSEHOLDS` households on assistance every month
//! (default 25 000, about Stockholm) for `TRAPPAN_BENCH_YEARS` years (default 10, 2011–2020), one decision and
//! one paid payment per household and month, a tenth as many labour-market participants and a twentieth as many
//! young people a year; and a small municipality `0767` with 100 households a month. History is loaded in bulk
//! through the store's entities; ingestion through the followers' `apply` (one transaction per event, cursor
//! included) is measured separately on both stores. The setup asserts that every report gives the known totals
//! for both municipalities, then criterion times the reports. Run by `cargo test --all-targets` (without
//! `--bench`) it uses 300 households over 2 years, as a quick check. SQLite, or PostgreSQL when
//! `TRAPPAN_TEST_POSTGRES_URL` is set. Run: `cargo bench -p trappan-rapport --bench scale`.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

use std::time::{Duration, Instant};

use chrono::NaiveDate;
use criterion::Criterion;
use sea_orm::{DatabaseConnection, EntityTrait};
use sea_orm_migration::MigratorTrait;
use trappan_api::bistand::v1 as bistand;
use trappan_api::common::v1::{ChangeEvent, Money, YearMonth as ApiYearMonth};
use trappan_platform::auth::Kommun;
use trappan_platform::testing::{Backend, TestDatabase};
use trappan_rapport::domain::{Figure, YearMonth};
use trappan_rapport::figures::Period;
use trappan_rapport::follower::{self, Producer};
use trappan_rapport::pseudonym::Pseudonymiser;
use trappan_rapport::reports;
use trappan_rapport::store::facts::{bistand_decision, bistand_payment, insatser_participant, ungsam_person};

const LARGE: &str = "0180";
const SMALL: &str = "0767";
const LAST_YEAR: i32 = 2020;
const CHUNK: usize = 400;

fn env(name: &str, default: usize) -> usize {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

struct Scale {
    kommun: &'static str,
    households: usize,
    years: i32,
}

impl Scale {
    fn children(&self) -> u64 {
        self.households.div_ceil(3) as u64
    }
    fn participants(&self) -> usize {
        (self.households / 10).max(10)
    }
    fn young_people(&self) -> usize {
        (self.households / 20).max(10)
    }
}

fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

async fn load(db: &DatabaseConnection, scale: &Scale) {
    let first_year = LAST_YEAR - scale.years + 1;
    for year in first_year..=LAST_YEAR {
        for month in 1..=12u32 {
            let key = year * 100 + month as i32;
            let mut decisions = Vec::with_capacity(CHUNK);
            let mut payments = Vec::with_capacity(CHUNK);
            for i in 0..scale.households {
                let children = i32::from(i % 3 == 0);
                decisions.push(bistand_decision::Model {
                    pseudonym: format!("{}-d{key}-{i}", scale.kommun),
                    kommun: scale.kommun.into(),
                    household: format!("{}-h{i}", scale.kommun),
                    month_key: key,
                    granted: true,
                    granted_ore: 100_000,
                    persons: 1 + children,
                    adults: 1,
                    children,
                    adults_born_abroad: 0,
                    household_type_code: if children > 0 { "4".into() } else { "3".into() },
                    superseded: false,
                });
                payments.push(bistand_payment::Model {
                    pseudonym: format!("{}-p{key}-{i}", scale.kommun),
                    kommun: scale.kommun.into(),
                    household: format!("{}-h{i}", scale.kommun),
                    month_key: key,
                    amount_ore: 100_000,
                    paid: true,
                    paid_on: Some(day(year, month, 25)),
                });
                if decisions.len() == CHUNK || i + 1 == scale.households {
                    let d: Vec<bistand_decision::ActiveModel> = decisions.drain(..).map(Into::into).collect();
                    bistand_decision::Entity::insert_many(d).exec(db).await.unwrap();
                    let p: Vec<bistand_payment::ActiveModel> = payments.drain(..).map(Into::into).collect();
                    bistand_payment::Entity::insert_many(p).exec(db).await.unwrap();
                }
            }
        }
        let participants: Vec<insatser_participant::ActiveModel> = (0..scale.participants())
            .map(|i| {
                insatser_participant::Model {
                    pseudonym: format!("{}-pa{year}-{i}", scale.kommun),
                    kommun: scale.kommun.into(),
                    registered_on: day(year, 1, 10),
                    exited_on: Some(day(year, 6, 15)),
                    exit_outcome: Some(if i % 2 == 0 { 1 } else { 6 }),
                    days_to_exit: Some(156),
                }
                .into()
            })
            .collect();
        for chunk in participants.chunks(CHUNK) {
            insatser_participant::Entity::insert_many(chunk.to_vec()).exec(db).await.unwrap();
        }
        let young: Vec<ungsam_person::ActiveModel> = (0..scale.young_people())
            .map(|i| {
                ungsam_person::Model {
                    pseudonym: format!("{}-y{year}-{i}", scale.kommun),
                    kommun: scale.kommun.into(),
                    identified_on: day(year, 3, 1),
                    first_reached_on: (i % 2 == 0).then(|| day(year, 3, 11)),
                    days_to_first_contact: (i % 2 == 0).then_some(10),
                }
                .into()
            })
            .collect();
        for chunk in young.chunks(CHUNK) {
            ungsam_person::Entity::insert_many(chunk.to_vec()).exec(db).await.unwrap();
        }
    }
}

/// Every report gives the totals the synthetic data was built with (threshold 0: nothing suppressed, so every
/// figure can be compared; suppression itself is tested elsewhere).
async fn assert_correct(db: &DatabaseConnection, scale: &Scale) {
    let month = Period::Month(YearMonth::new(LAST_YEAR, 8).unwrap());
    let figures = reports::bistand(db, scale.kommun, month, 0).await.unwrap();
    let households = scale.households as u64;
    assert_eq!(figures.granted_households, Figure::Shown(households));
    assert_eq!(figures.long_term, Figure::Shown(households), "every household has 12 of 12 months");
    assert_eq!(figures.children, Figure::Shown(scale.children()));
    assert_eq!(figures.paid_ore, 100_000 * scale.households as i64);
    assert_eq!(figures.median_months, 12);
    let year = reports::bistand(db, scale.kommun, Period::Year(LAST_YEAR), 0).await.unwrap();
    assert_eq!(year.granted_households, Figure::Shown(households));
    assert_eq!(year.paid_ore, 12 * 100_000 * scale.households as i64);
    let labour = reports::labour_market(db, scale.kommun, Period::Year(LAST_YEAR), 0).await.unwrap();
    assert_eq!(labour.exits, Figure::Shown(scale.participants() as u64));
    assert_eq!(labour.median_days_to_exit, 156);
    let young = reports::ungsam(db, scale.kommun, Period::Year(LAST_YEAR), 0).await.unwrap();
    assert_eq!(young.identified, Figure::Shown(scale.young_people() as u64));
    assert_eq!(young.reached, Figure::Shown(scale.young_people().div_ceil(2) as u64));
}

fn decision_event(sequence: u64, kommun: &str, i: u64) -> ChangeEvent {
    let payload = bistand::DecisionMadeEvent {
        decision_id: format!("ingest-{i}"),
        household_id: format!("ingest-h{}", i % 500),
        month: Some(ApiYearMonth { year: LAST_YEAR + 1, month: 1 }),
        outcome: bistand::DecisionOutcome::Granted as i32,
        granted: Some(Money { ore: 50_000 }),
        persons: 1,
        adults: 1,
        ..Default::default()
    };
    ChangeEvent {
        sequence,
        kommun: kommun.into(),
        occurred_at: None,
        payload: Some(prost_types::Any::from_msg(&payload).unwrap()),
    }
}

/// Events per second through the followers' `apply` into `kommun`'s store.
async fn ingestion_rate(db: &DatabaseConnection, kommun: &str, events: u64) -> f64 {
    let pseudonymiser = Pseudonymiser::from_key(&[7u8; 32]);
    let kommun = Kommun::parse(kommun).unwrap();
    let started = Instant::now();
    for i in 1..=events {
        follower::apply(db, &pseudonymiser, Producer::Bistand, &kommun, &decision_event(i, kommun.as_str(), i))
            .await
            .unwrap();
    }
    events as f64 / started.elapsed().as_secs_f64()
}

fn mean_time(runtime: &tokio::runtime::Runtime, mut run: impl AsyncFnMut()) -> Duration {
    let started = Instant::now();
    for _ in 0..3 {
        runtime.block_on(run());
    }
    started.elapsed() / 3
}

fn main() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let backend = if std::env::var(trappan_platform::testing::POSTGRES_URL_VAR).is_ok() {
        Backend::Postgres
    } else {
        Backend::Sqlite
    };
    // `cargo bench` passes --bench; `cargo test --all-targets` runs this once without it, as a quick check
    // that the bench and its correctness assertions still work, on a municipality small enough for a test run.
    let benchmarking = std::env::args().any(|arg| arg == "--bench");
    let large = Scale {
        kommun: LARGE,
        households: env("TRAPPAN_BENCH_HOUSEHOLDS", if benchmarking { 25_000 } else { 300 }),
        years: i32::try_from(env("TRAPPAN_BENCH_YEARS", if benchmarking { 10 } else { 2 })).unwrap(),
    };
    let small = Scale { kommun: SMALL, households: 100, years: large.years };
    let (database, db) = runtime.block_on(async {
        let database = TestDatabase::create(backend).await;
        let db = trappan_platform::store::connect(&database.url).await.unwrap();
        trappan_rapport::store::Migrator::up(&db, None).await.unwrap();
        (database, db)
    });
    let events = env("TRAPPAN_BENCH_INGEST_EVENTS", if benchmarking { 2_000 } else { 100 }) as u64;
    let started = Instant::now();
    let small_rate = runtime.block_on(async {
        load(&db, &small).await;
        ingestion_rate(&db, SMALL, events).await
    });
    runtime.block_on(load(&db, &large));
    let rows = 2 * large.households * 12 * large.years as usize;
    eprintln!("{backend:?}: loaded {rows} decision and payment rows for {LARGE} in {:?}", started.elapsed());
    let large_rate = runtime.block_on(ingestion_rate(&db, LARGE, events));
    eprintln!(
        "ingestion through apply: {small_rate:.0} events/s into the small store, {large_rate:.0} events/s after \
         the Stockholm-size load (ratio {:.2})",
        large_rate / small_rate
    );
    runtime.block_on(async {
        assert_correct(&db, &small).await;
        assert_correct(&db, &large).await;
    });

    let august = Period::Month(YearMonth::new(LAST_YEAR, 8).unwrap());
    for (name, period) in [("bistand month", august), ("bistand year", Period::Year(LAST_YEAR))] {
        let small_time = mean_time(&runtime, async || {
            reports::bistand(&db, SMALL, period, 5).await.unwrap();
        });
        let large_time = mean_time(&runtime, async || {
            reports::bistand(&db, LARGE, period, 5).await.unwrap();
        });
        eprintln!(
            "{name}: {small_time:?} small, {large_time:?} Stockholm-size (ratio {:.1})",
            large_time.as_secs_f64() / small_time.as_secs_f64()
        );
    }

    let mut criterion = Criterion::default().sample_size(10).configure_from_args();
    for (label, kommun) in [("small", SMALL), ("stockholm", LARGE)] {
        criterion.bench_function(&format!("bistand_month/{label}"), |b| {
            b.iter(|| runtime.block_on(reports::bistand(&db, kommun, august, 5)).unwrap())
        });
        criterion.bench_function(&format!("bistand_year/{label}"), |b| {
            b.iter(|| runtime.block_on(reports::bistand(&db, kommun, Period::Year(LAST_YEAR), 5)).unwrap())
        });
        criterion.bench_function(&format!("labour_market_year/{label}"), |b| {
            b.iter(|| runtime.block_on(reports::labour_market(&db, kommun, Period::Year(LAST_YEAR), 5)).unwrap())
        });
        criterion.bench_function(&format!("ungsam_year/{label}"), |b| {
            b.iter(|| runtime.block_on(reports::ungsam(&db, kommun, Period::Year(LAST_YEAR), 5)).unwrap())
        });
    }
    criterion.final_summary();
    runtime.block_on(async {
        db.close().await.ok();
        drop(database);
    });
}
