//! The year's Kolada key figures from the stored facts, and their CSV file (documented in
//! `docs/kolada-export.md`). Pure: the store hands in the year's rows.

use std::collections::{BTreeMap, BTreeSet};

use chrono::NaiveDate;

use crate::domain::{Kpi, KpiValue, is_long_term, n31001, n31807, n31816, u31803, u40455};
use crate::figures::WORK_OR_STUDIES;
use crate::store::facts::{bistand_decision, bistand_payment, insatser_participant, population};

/// One household's year: its largest size and the months with assistance.
#[derive(Default)]
struct Household {
    persons: i32,
    adults: i32,
    children: i32,
    months: BTreeSet<i32>,
}

/// The five KPIs in file order, each with its value when the figures it needs are known.
pub fn year_values(
    decisions: &[bistand_decision::Model],
    paid: &[bistand_payment::Model],
    participants: &[insatser_participant::Model],
    population: Option<&population::Model>,
    (from, to): (NaiveDate, NaiveDate),
) -> Vec<(Kpi, Option<KpiValue>)> {
    // Each household with its largest size in the year and the months it had assistance.
    let mut households: BTreeMap<&str, Household> = BTreeMap::new();
    for decision in decisions {
        let entry = households.entry(decision.household.as_str()).or_default();
        entry.persons = entry.persons.max(decision.persons);
        entry.adults = entry.adults.max(decision.adults);
        entry.children = entry.children.max(decision.children);
        entry.months.insert(decision.month_key);
    }
    let sum = |f: &dyn Fn(&Household) -> i32| -> u64 {
        households.values().map(|h| u64::try_from(f(h)).unwrap_or_default()).sum()
    };
    let persons = sum(&|h| h.persons);
    let adults_long_term =
        sum(&|h| if is_long_term(u32::try_from(h.months.len()).unwrap_or_default()) { h.adults } else { 0 });
    let children = sum(&|h| h.children);
    let cost: i64 = paid.iter().map(|p| p.amount_ore).sum();
    let exits: Vec<i32> = participants
        .iter()
        .filter(|p| p.exited_on.is_some_and(|d| (from..=to).contains(&d)))
        .map(|p| p.exit_outcome.unwrap_or_default())
        .collect();
    let to_work_or_studies = exits.iter().filter(|o| WORK_OR_STUDIES.contains(o)).count();
    let known = |v: i64| u64::try_from(v).ok().filter(|v| *v > 0);
    let residents = population.and_then(|p| known(p.residents));
    vec![
        (Kpi::N31807, n31807(persons, residents)),
        (Kpi::N31816, n31816(adults_long_term, population.and_then(|p| known(p.n31816_population)))),
        (Kpi::N31001, n31001(cost, residents)),
        (Kpi::U31803, u31803(children, population.and_then(|p| known(p.children)))),
        (
            Kpi::U40455,
            u40455(
                u64::try_from(to_work_or_studies).unwrap_or_default(),
                u64::try_from(exits.len()).unwrap_or_default(),
            ),
        ),
    ]
}

/// The CSV file: header `kpi,kommun,year,value,unit`, one line per KPI, an empty value when unknown.
pub fn to_csv(kommun: &str, year: i32, values: &[(Kpi, Option<KpiValue>)]) -> String {
    let mut out = String::from("kpi,kommun,year,value,unit\n");
    for (kpi, value) in values {
        let value = value.map(KpiValue::to_csv).unwrap_or_default();
        out.push_str(&format!("{},{kommun},{year},{value},{}\n", kpi.id(), kpi.unit()));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_population_leaves_values_empty() {
        let values = year_values(&[], &[], &[], None, (NaiveDate::MIN, NaiveDate::MAX));
        let csv = to_csv("0767", 2020, &values);
        assert_eq!(
            csv,
            "kpi,kommun,year,value,unit\nN31807,0767,2020,,%\nN31816,0767,2020,,%\nN31001,0767,2020,,kr/inv\n\
             U31803,0767,2020,,%\nU40455,0767,2020,,%\n"
        );
    }
}
