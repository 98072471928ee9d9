//! Kolada key figures (KPIs) for ekonomiskt bistånd and the labour-market
//! activity, as pure formulas over counts and imported population figures.
//!
//! Output values are decimal strings for CSV with a dot decimal:
//! percentages with one decimal (`"3.4"`), kronor per resident as a whole
//! number (`"1234"`). All rounding is half away from zero. A missing or zero
//! denominator gives `None` (published as an empty value, never as 0).
//!
//! Definitions (numerator / denominator):
//! - **N31807** residents who received ekonomiskt bistånd at some time during
//!   the year / the municipality's population (31 December), in %.
//! - **N31816** adults with long-term assistance (assistance in 10–12 months of
//!   the calendar year, see [`is_long_term`]) / the population, in %. Which
//!   population Kolada uses as the denominator (all residents or adults of some
//!   age band) is *unverified*: pass the figure Kolada's definition names.
//! - **N31001** gross cost of ekonomiskt bistånd during the year (kr) / the
//!   population, in whole kr per resident.
//! - **U31803** children (0–17) living in families that received assistance
//!   during the year / all children 0–17 in the municipality, in %.
//! - **U40455** participants who at exit from the municipal labour-market
//!   activity started work or studies / all participants who exited, in %.

use std::fmt;

use serde::Serialize;

use super::change::div_round_half_away;

/// The supported KPIs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum Kpi {
    /// Residents who received assistance during the year, % of population.
    N31807,
    /// Adults with long-term assistance (10–12 months), % of population.
    N31816,
    /// Cost of assistance, kr per resident.
    N31001,
    /// Children in families with assistance, % of children.
    U31803,
    /// Participants exiting the labour-market activity to work or studies, %.
    U40455,
}

impl Kpi {
    /// Kolada's KPI id.
    pub fn id(self) -> &'static str {
        match self {
            Kpi::N31807 => "N31807",
            Kpi::N31816 => "N31816",
            Kpi::N31001 => "N31001",
            Kpi::U31803 => "U31803",
            Kpi::U40455 => "U40455",
        }
    }

    /// Unit of the value, for CSV headers.
    pub fn unit(self) -> &'static str {
        match self {
            Kpi::N31001 => "kr/inv",
            _ => "%",
        }
    }
}

/// A computed KPI value, kept as a scaled integer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct KpiValue {
    /// Which KPI.
    pub kpi: Kpi,
    /// The value times 10^`decimals`.
    pub scaled: i64,
    /// Decimals in the published value.
    pub decimals: u8,
}

impl KpiValue {
    /// The value as a CSV decimal string, e.g. `"3.4"` or `"1234"`.
    pub fn to_csv(self) -> String {
        let neg = self.scaled < 0;
        let abs = self.scaled.unsigned_abs();
        let sign = if neg { "-" } else { "" };
        if self.decimals == 0 {
            return format!("{sign}{abs}");
        }
        let unit = 10u64.pow(u32::from(self.decimals));
        format!("{sign}{}.{:0w$}", abs / unit, abs % unit, w = usize::from(self.decimals))
    }
}

impl fmt::Display for KpiValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_csv())
    }
}

/// Whether assistance in this many months of a calendar year is long-term (10–12).
pub fn is_long_term(months_with_assistance: u32) -> bool {
    (10..=12).contains(&months_with_assistance)
}

fn percent_1dp(kpi: Kpi, part: u64, whole: Option<u64>) -> Option<KpiValue> {
    let whole = whole.filter(|w| *w > 0)?;
    let scaled = div_round_half_away(i128::from(part) * 1000, i128::from(whole))?;
    Some(KpiValue { kpi, scaled: i64::try_from(scaled).ok()?, decimals: 1 })
}

/// N31807 from persons with assistance during the year and the population.
pub fn n31807(persons_with_assistance: u64, population: Option<u64>) -> Option<KpiValue> {
    percent_1dp(Kpi::N31807, persons_with_assistance, population)
}

/// N31816 from adults with assistance in 10–12 months and the population named by Kolada.
pub fn n31816(adults_long_term: u64, population: Option<u64>) -> Option<KpiValue> {
    percent_1dp(Kpi::N31816, adults_long_term, population)
}

/// N31001 from the year's gross cost in öre and the population.
pub fn n31001(cost_ore: i64, population: Option<u64>) -> Option<KpiValue> {
    let population = population.filter(|p| *p > 0)?;
    let kr = div_round_half_away(i128::from(cost_ore), i128::from(population) * 100)?;
    Some(KpiValue { kpi: Kpi::N31001, scaled: i64::try_from(kr).ok()?, decimals: 0 })
}

/// U31803 from children in families with assistance and children 0–17 in the municipality.
pub fn u31803(children_in_families: u64, children_population: Option<u64>) -> Option<KpiValue> {
    percent_1dp(Kpi::U31803, children_in_families, children_population)
}

/// U40455 from exits to work or studies and all exits in the period.
pub fn u40455(exits_to_work_or_studies: u64, all_exits: u64) -> Option<KpiValue> {
    percent_1dp(Kpi::U40455, exits_to_work_or_studies, Some(all_exits))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentages() {
        assert_eq!(n31807(340, Some(10_000)).map(KpiValue::to_csv).as_deref(), Some("3.4"));
        assert_eq!(n31807(345, Some(10_000)).map(KpiValue::to_csv).as_deref(), Some("3.5"));
        assert_eq!(n31807(344, Some(10_000)).map(KpiValue::to_csv).as_deref(), Some("3.4"));
        assert_eq!(n31807(1, None), None);
        assert_eq!(n31807(1, Some(0)), None);
        assert_eq!(n31816(12, Some(10_000)).map(|v| v.to_string()).as_deref(), Some("0.1"));
        assert_eq!(u31803(53, Some(2_000)).map(KpiValue::to_csv).as_deref(), Some("2.7"));
        assert_eq!(u40455(2, 3).map(KpiValue::to_csv).as_deref(), Some("66.7"));
        assert_eq!(u40455(0, 0), None);
        assert_eq!(u40455(0, 5).map(KpiValue::to_csv).as_deref(), Some("0.0"));
    }

    #[test]
    fn cost_per_resident() {
        // 12 345 678.50 kr over 10 000 residents = 1234.57 → 1235.
        let v = n31001(1_234_567_850, Some(10_000)).expect("value");
        assert_eq!(v.to_csv(), "1235");
        assert_eq!(v.kpi.unit(), "kr/inv");
        assert_eq!(n31001(-150, Some(1)).map(KpiValue::to_csv).as_deref(), Some("-2"));
        assert_eq!(n31001(100, None), None);
    }

    #[test]
    fn long_term_rule_and_ids() {
        assert!(!is_long_term(9));
        assert!(is_long_term(10) && is_long_term(12));
        assert!(!is_long_term(13));
        assert_eq!(Kpi::U40455.id(), "U40455");
        assert_eq!(Kpi::N31807.unit(), "%");
    }
}
