//! Benchmark of the riksnorm and försörjningsstöd calculation on a few household compositions.

use std::hint::black_box;

use chrono::NaiveDate;
use criterion::{Criterion, criterion_main};
use trappan_bistand::domain::{
    Adult, Child, ChildIncomeAllowance, CostKind, CostLine, Household, IncomeKind, IncomeLine, JobbstimulansStatus,
    NormTables, PersonRef, Sex, YearMonth, calculate, norm_for,
};

/// A date that is known to exist.
fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap_or_default()
}

/// An adult born on 1 January of `year`.
fn adult(year: i32, sex: Sex) -> Adult {
    Adult { birth_date: date(year, 1, 1), sex: Some(sex) }
}

/// A child born on 1 March of `year`.
fn child(year: i32, lunch_away: bool) -> Child {
    Child { birth_date: date(year, 3, 1), lunch_away_on_weekdays: lunch_away, in_upper_secondary: year <= 2002 }
}

/// Named household compositions to benchmark.
fn compositions() -> Vec<(&'static str, Household)> {
    vec![
        ("single", Household::single(adult(1985, Sex::Man))),
        (
            "couple_two_children",
            Household {
                applicant: adult(1985, Sex::Woman),
                co_applicant: Some(adult(1983, Sex::Man)),
                children: vec![child(2018, true), child(2012, false)],
                other_adults: vec![],
            },
        ),
        (
            "large_with_lodger",
            Household {
                applicant: adult(1975, Sex::Woman),
                co_applicant: Some(adult(1973, Sex::Man)),
                children: (2002..2021).step_by(3).map(|y| child(y, y > 2016)).collect(),
                other_adults: vec![adult(1999, Sex::Man)],
            },
        ),
    ]
}

/// Benchmarks `norm_for` + `calculate` per composition.
fn bench_norm(c: &mut Criterion) {
    let Ok(tables) = NormTables::shipped() else {
        return;
    };
    let Ok(month) = YearMonth::new(2021, 6) else {
        return;
    };
    let costs: Vec<CostLine> = [
        CostLine::new(CostKind::Housing, 850_000, 800_000),
        CostLine::new(CostKind::HouseholdElectricity, 40_000, 40_000),
        CostLine::new(CostKind::HomeInsurance, 15_000, 15_000),
    ]
    .into_iter()
    .flatten()
    .collect();
    let incomes: Vec<IncomeLine> = [
        IncomeLine::new(IncomeKind::Salary, 900_000).map(|l| l.for_person(PersonRef::Applicant)),
        IncomeLine::new(IncomeKind::ChildAllowance, 250_000),
    ]
    .into_iter()
    .flatten()
    .collect();
    let status = JobbstimulansStatus::Active { start: month, months_remaining: 24 };
    let allowance = ChildIncomeAllowance { prisbasbelopp_ore: Some(4_760_000), disregarded_earlier_ore: Vec::new() };
    for (name, household) in compositions() {
        c.bench_function(&format!("norm_and_calculate/{name}"), |b| {
            b.iter(|| {
                let norm = norm_for(black_box(&household), black_box(month), &tables);
                norm.map(|n| calculate(&n, black_box(&costs), black_box(&incomes), &status, &allowance))
            })
        });
    }
}

/// The benchmark group (the macro's generated function carries no doc comment of its own).
#[allow(missing_docs)]
mod group {
    criterion::criterion_group!(benches, super::bench_norm);
}

criterion_main!(group::benches);
