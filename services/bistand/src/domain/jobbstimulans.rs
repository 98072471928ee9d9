//! Jobbstimulans: whether 25 % of employment income is disregarded in a given month.
//!
//! Rule (socialtjänstlagen's jobbstimulans, as the domain README states it):
//! - A household qualifies after **6 consecutive calendar months** each decided *bifall* or
//!   *delvis bifall*. A month decided *avslag*, or a month with no decision at all (no
//!   application, so no assistance received), breaks the chain.
//! - The disregard then runs for **24 consecutive months**, starting the month after the sixth
//!   granted month, whatever happens in those months (it runs on through months without
//!   assistance and through *avslag*).
//! - After the 24 months a new chain of 6 is needed; only months after the period count
//!   towards it.
//!
//! Only decisions for months *before* the month asked about matter: the decision for the month
//! itself is the one being calculated. Where the history lists a month twice, the later entry
//! wins (an *omprövning* is a new decision for the same month).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::year_month::YearMonth;

/// Consecutive granted months needed before jobbstimulans starts.
pub const QUALIFYING_MONTHS: u32 = 6;
/// Months the disregard runs once started.
pub const DISREGARD_MONTHS: u32 = 24;
/// Per cent of employment income disregarded while active.
pub const DISREGARD_PERCENT: i64 = 25;

/// A month's decision outcome, as far as jobbstimulans is concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum DecisionOutcome {
    /// Granted in full.
    Bifall,
    /// Partly granted.
    DelvisBifall,
    /// Refused.
    Avslag,
    /// No decision for the month (no application, so no assistance received).
    NoDecision,
}

impl DecisionOutcome {
    /// Whether the household received försörjningsstöd for the month.
    pub fn is_granted(self) -> bool {
        matches!(self, DecisionOutcome::Bifall | DecisionOutcome::DelvisBifall)
    }
}

/// Whether jobbstimulans applies in a month, and where the household stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum JobbstimulansStatus {
    /// 25 % of employment income is disregarded this month.
    Active {
        /// First month of the 24-month period.
        start: YearMonth,
        /// Months left including the month asked about (24 in the first month, 1 in the last).
        months_remaining: u32,
    },
    /// No disregard this month.
    NotActive {
        /// Consecutive granted months counted so far towards a new period (0..=5).
        consecutive_granted_months: u32,
    },
}

impl JobbstimulansStatus {
    /// A household with no qualifying history.
    pub const fn none() -> Self {
        JobbstimulansStatus::NotActive { consecutive_granted_months: 0 }
    }

    /// Whether the disregard applies.
    pub fn is_active(&self) -> bool {
        matches!(self, JobbstimulansStatus::Active { .. })
    }

    /// The period's first month, when active.
    pub fn start(&self) -> Option<YearMonth> {
        match self {
            JobbstimulansStatus::Active { start, .. } => Some(*start),
            JobbstimulansStatus::NotActive { .. } => None,
        }
    }

    /// The period's last month, when active.
    pub fn last_month(&self) -> Option<YearMonth> {
        self.start().and_then(|s| s.add_months(i64::from(DISREGARD_MONTHS) - 1))
    }
}

/// Internal state while walking the history month by month.
enum State {
    Counting(u32),
    Active(YearMonth),
}

/// Decides jobbstimulans for `month` from the household's decision history.
pub fn status_for(history: &[(YearMonth, DecisionOutcome)], month: YearMonth) -> JobbstimulansStatus {
    let decisions: BTreeMap<YearMonth, DecisionOutcome> = history.iter().copied().filter(|(m, _)| *m < month).collect();
    let period = i64::from(DISREGARD_MONTHS);
    let mut state = State::Counting(0);
    let mut current = decisions.keys().next().copied();
    while let Some(m) = current.filter(|m| *m < month) {
        if let State::Active(start) = state
            && start.months_until(m) >= period
        {
            state = State::Counting(0);
        }
        if let State::Counting(n) = state {
            let granted = decisions.get(&m).is_some_and(|o| o.is_granted());
            state = match (granted, n + 1) {
                (true, QUALIFYING_MONTHS) => State::Active(m.next()),
                (true, n) => State::Counting(n),
                (false, _) => State::Counting(0),
            };
        }
        current = m.checked_next();
    }
    match state {
        State::Active(start) if start.months_until(month) < period => {
            let elapsed = u32::try_from(start.months_until(month)).unwrap_or(0);
            JobbstimulansStatus::Active { start, months_remaining: DISREGARD_MONTHS - elapsed }
        }
        State::Active(_) => JobbstimulansStatus::none(),
        State::Counting(n) => JobbstimulansStatus::NotActive { consecutive_granted_months: n },
    }
}

/// The part of one employment-income amount disregarded under jobbstimulans: 25 %, rounded up
/// to whole öre (in the household's favour). Negative amounts disregard nothing.
pub fn disregarded_part(employment_income_ore: i64) -> i64 {
    if employment_income_ore <= 0 {
        return 0;
    }
    let scaled = i128::from(employment_income_ore) * i128::from(DISREGARD_PERCENT);
    i64::try_from((scaled + 99) / 100).unwrap_or(i64::MAX)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::DecisionOutcome::{Avslag, Bifall, DelvisBifall};
    use super::*;

    fn ym(s: &str) -> YearMonth {
        YearMonth::parse(s).unwrap()
    }

    /// `n` months of `outcome` from `from`.
    fn run(from: &str, n: i64, outcome: DecisionOutcome) -> Vec<(YearMonth, DecisionOutcome)> {
        (0..n).map(|i| (ym(from).add_months(i).unwrap(), outcome)).collect()
    }

    fn active(start: &str, remaining: u32) -> JobbstimulansStatus {
        JobbstimulansStatus::Active { start: ym(start), months_remaining: remaining }
    }

    fn counting(n: u32) -> JobbstimulansStatus {
        JobbstimulansStatus::NotActive { consecutive_granted_months: n }
    }

    #[test]
    fn starts_after_six_granted_months() {
        let mut h = run("2020-01", 5, Bifall);
        h.push((ym("2020-06"), DelvisBifall));
        assert_eq!(status_for(&h, ym("2020-06")), counting(5));
        assert_eq!(status_for(&h, ym("2020-07")), active("2020-07", 24));
        assert!(status_for(&h, ym("2020-07")).is_active());
        assert_eq!(status_for(&h, ym("2020-07")).last_month(), Some(ym("2022-06")));
        assert_eq!(status_for(&[], ym("2020-07")), counting(0));
    }

    #[test]
    fn runs_24_months_even_without_assistance() {
        let h = run("2020-01", 6, Bifall);
        assert_eq!(status_for(&h, ym("2021-01")), active("2020-07", 18));
        assert_eq!(status_for(&h, ym("2022-06")), active("2020-07", 1));
        assert_eq!(status_for(&h, ym("2022-07")), counting(0));
        // avslag inside the period does not stop it
        let mut h2 = h.clone();
        h2.extend(run("2020-07", 3, Avslag));
        assert_eq!(status_for(&h2, ym("2020-12")), active("2020-07", 19));
    }

    #[test]
    fn avslag_breaks_the_chain() {
        let mut h = run("2020-01", 3, Bifall);
        h.push((ym("2020-04"), Avslag));
        h.extend(run("2020-05", 6, Bifall));
        assert_eq!(status_for(&h, ym("2020-07")), counting(2));
        assert_eq!(status_for(&h, ym("2020-10")), counting(5));
        assert_eq!(status_for(&h, ym("2020-11")), active("2020-11", 24));
    }

    #[test]
    fn a_month_without_decision_breaks_the_chain() {
        let mut h = run("2020-01", 5, Bifall);
        // 2020-06 missing entirely; 2020-07 explicitly none
        h.push((ym("2020-07"), DecisionOutcome::NoDecision));
        h.extend(run("2020-08", 4, Bifall));
        assert_eq!(status_for(&h, ym("2020-06")), counting(5));
        assert_eq!(status_for(&h, ym("2020-07")), counting(0));
        assert_eq!(status_for(&h, ym("2020-12")), counting(4));
    }

    #[test]
    fn new_run_needed_after_24_months() {
        // granted every month for four years
        let h = run("2020-01", 48, Bifall);
        assert_eq!(status_for(&h, ym("2022-06")), active("2020-07", 1));
        // months granted inside the period do not count towards the next one
        assert_eq!(status_for(&h, ym("2022-07")), counting(0));
        assert_eq!(status_for(&h, ym("2022-12")), counting(5));
        assert_eq!(status_for(&h, ym("2023-01")), active("2023-01", 24));
        assert_eq!(status_for(&h, ym("2024-12")), active("2023-01", 1));
    }

    #[test]
    fn order_and_later_entries() {
        let mut h = run("2020-01", 6, Bifall);
        h.reverse();
        assert_eq!(status_for(&h, ym("2020-07")), active("2020-07", 24));
        // an omprövning of 2020-03 to avslag, listed later, wins
        h.push((ym("2020-03"), Avslag));
        assert_eq!(status_for(&h, ym("2020-07")), counting(3));
        // months after the one asked about are ignored
        assert_eq!(status_for(&h, ym("2020-02")), counting(1));
    }

    #[test]
    fn disregard_rounds_in_the_households_favour() {
        assert_eq!(disregarded_part(10_000), 2_500);
        assert_eq!(disregarded_part(10_001), 2_501); // 2500.25 -> 2501
        assert_eq!(disregarded_part(3), 1); // 0.75 -> 1
        assert_eq!(disregarded_part(0), 0);
        assert_eq!(disregarded_part(-500), 0);
    }
}
