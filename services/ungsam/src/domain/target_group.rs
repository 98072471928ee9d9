//! Who belongs to Ungsam's target group (young people 18–24) and when they age out.

use chrono::{Datelike, Months, NaiveDate};
use serde::{Deserialize, Serialize};

/// A person's date of birth, derived by the caller from the personnummer.
pub type BirthDate = NaiveDate;

/// Age in whole years on a day; someone born on 29 February turns a year older
/// on 1 March in non-leap years. `None` before birth.
pub fn age_on(birth: BirthDate, on: NaiveDate) -> Option<u32> {
    if on < birth {
        return None;
    }
    let mut years = on.year() - birth.year();
    if (on.month(), on.day()) < (birth.month(), birth.day()) {
        years -= 1;
    }
    u32::try_from(years).ok()
}

/// Result of checking a person against the target group.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Eligibility {
    /// In the target group.
    InTargetGroup,
    /// Younger than the lower age.
    TooYoung,
    /// Older than the upper age.
    TooOld,
}

/// The target-group rule.
///
/// **Chosen rule:** a person is in the target group for a month if their age on
/// the *first day* of that month is within `min_age..=max_age` (default 18–24).
/// So someone who turns 18 during a month becomes eligible from the next month,
/// and someone who turns 25 during a month stays in the group for the rest of
/// that month. Ageing out happens on the 25th birthday (the day they are no
/// longer `max_age`), with exit reason "aged out".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct TargetGroupRule {
    /// Lowest age in the group (default 18).
    pub min_age: u32,
    /// Highest age in the group (default 24).
    pub max_age: u32,
}

impl Default for TargetGroupRule {
    fn default() -> Self {
        Self { min_age: 18, max_age: 24 }
    }
}

impl TargetGroupRule {
    /// Checks a person for the month containing `registration_day`, using the
    /// age on the first day of that month.
    pub fn eligibility(&self, birth: BirthDate, registration_day: NaiveDate) -> Eligibility {
        let first = registration_day.with_day(1).unwrap_or(registration_day);
        match age_on(birth, first) {
            None => Eligibility::TooYoung,
            Some(a) if a < self.min_age => Eligibility::TooYoung,
            Some(a) if a > self.max_age => Eligibility::TooOld,
            Some(_) => Eligibility::InTargetGroup,
        }
    }

    /// The day the person ages out: the birthday on which they turn `max_age + 1`.
    pub fn aged_out_on(&self, birth: BirthDate) -> Option<NaiveDate> {
        birthday(birth, self.max_age.checked_add(1)?)
    }

    /// Whether a registered person must be exited as "aged out" on `today`.
    pub fn has_aged_out(&self, birth: BirthDate, today: NaiveDate) -> bool {
        self.aged_out_on(birth).is_some_and(|d| today >= d)
    }

    /// The first day of the first month in which the person is in the target group.
    pub fn eligible_from_month(&self, birth: BirthDate) -> Option<NaiveDate> {
        let day = birthday(birth, self.min_age)?;
        if day.day() == 1 { Some(day) } else { day.with_day(1)?.checked_add_months(Months::new(1)) }
    }
}

/// The day a person turns `years` (29 February births: 1 March in non-leap years).
fn birthday(birth: BirthDate, years: u32) -> Option<NaiveDate> {
    let year = birth.year().checked_add(i32::try_from(years).ok()?)?;
    NaiveDate::from_ymd_opt(year, birth.month(), birth.day()).or_else(|| NaiveDate::from_ymd_opt(year, 3, 1))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).expect("valid date")
    }

    #[test]
    fn age_on_first_day_of_month() {
        let r = TargetGroupRule::default();
        // Turns 18 on 15 March 2025: not eligible in March, eligible in April.
        let b = d(2007, 3, 15);
        assert_eq!(r.eligibility(b, d(2025, 3, 20)), Eligibility::TooYoung);
        assert_eq!(r.eligibility(b, d(2025, 4, 1)), Eligibility::InTargetGroup);
        assert_eq!(r.eligible_from_month(b), Some(d(2025, 4, 1)));
        // Born on the 1st: eligible from that very month.
        assert_eq!(r.eligible_from_month(d(2007, 3, 1)), Some(d(2025, 3, 1)));
        assert_eq!(r.eligibility(d(2007, 3, 1), d(2025, 3, 31)), Eligibility::InTargetGroup);
        // Turns 25 on 10 June 2025: still in the group in June, not in July.
        let b = d(2000, 6, 10);
        assert_eq!(r.eligibility(b, d(2025, 6, 30)), Eligibility::InTargetGroup);
        assert_eq!(r.eligibility(b, d(2025, 7, 1)), Eligibility::TooOld);
        assert_eq!(r.eligibility(d(2030, 1, 1), d(2025, 7, 1)), Eligibility::TooYoung);
    }

    #[test]
    fn aging_out() {
        let r = TargetGroupRule::default();
        let b = d(2000, 6, 10);
        assert_eq!(r.aged_out_on(b), Some(d(2025, 6, 10)));
        assert!(!r.has_aged_out(b, d(2025, 6, 9)));
        assert!(r.has_aged_out(b, d(2025, 6, 10)));
        assert_eq!(r.aged_out_on(d(2000, 2, 29)), Some(d(2025, 3, 1)));
        assert_eq!(age_on(d(2000, 2, 29), d(2025, 2, 28)), Some(24));
        assert_eq!(age_on(d(2000, 2, 29), d(2025, 3, 1)), Some(25));
        assert_eq!(r.eligible_from_month(d(2007, 2, 28)), Some(d(2025, 3, 1)));
        assert_eq!(r.eligible_from_month(d(2004, 2, 29)), Some(d(2022, 3, 1)));
        assert_eq!(r.eligible_from_month(d(2006, 12, 31)), Some(d(2025, 1, 1)));
    }
}
