//! A calendar month (`YYYY-MM`): the unit applications, decisions, norms and jobbstimulans
//! are counted in.

use std::fmt;
use std::str::FromStr;

use chrono::{Datelike, Months, NaiveDate};
use serde::{Deserialize, Serialize};

/// Why a text or a pair of numbers is not a month.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum YearMonthError {
    /// The text is not `YYYY-MM`.
    #[error("month must be written YYYY-MM")]
    Format,
    /// Year outside 1..=9999 or month outside 1..=12.
    #[error("year must be 1-9999 and month 1-12")]
    OutOfRange,
}

/// One calendar month; ordered chronologically, written `YYYY-MM`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct YearMonth {
    /// The first day of the month (the invariant: day is always 1, year 1..=9999).
    first: NaiveDate,
}

impl YearMonth {
    /// Builds a month from a year (1..=9999) and a month number (1..=12).
    pub fn new(year: i32, month: u32) -> Result<Self, YearMonthError> {
        if !(1..=9999).contains(&year) {
            return Err(YearMonthError::OutOfRange);
        }
        NaiveDate::from_ymd_opt(year, month, 1).map(|first| Self { first }).ok_or(YearMonthError::OutOfRange)
    }

    /// The month a date falls in.
    pub fn of(date: NaiveDate) -> Self {
        Self { first: date.with_day(1).unwrap_or(date) }
    }

    /// Parses `YYYY-MM` (exactly four year digits and two month digits).
    pub fn parse(text: &str) -> Result<Self, YearMonthError> {
        let b = text.as_bytes();
        let well_formed = b.len() == 7 && b[4] == b'-' && b[..4].iter().chain(&b[5..]).all(u8::is_ascii_digit);
        if !well_formed {
            return Err(YearMonthError::Format);
        }
        let year = text[..4].parse().map_err(|_| YearMonthError::Format)?;
        let month = text[5..].parse().map_err(|_| YearMonthError::Format)?;
        Self::new(year, month)
    }

    /// The calendar year.
    pub fn year(self) -> i32 {
        self.first.year()
    }

    /// The month number, 1..=12.
    pub fn month(self) -> u32 {
        self.first.month()
    }

    /// The first day of the month.
    pub fn first_day(self) -> NaiveDate {
        self.first
    }

    /// The last day of the month (28, 29, 30 or 31); the reference date for ages in a month.
    pub fn last_day(self) -> NaiveDate {
        self.first.checked_add_months(Months::new(1)).and_then(|d| d.pred_opt()).unwrap_or(self.first)
    }

    /// The following month, or `None` after 9999-12.
    pub fn checked_next(self) -> Option<Self> {
        self.add_months(1)
    }

    /// The preceding month, or `None` before 0001-01.
    pub fn checked_prev(self) -> Option<Self> {
        self.add_months(-1)
    }

    /// The following month (stays at 9999-12, the end of the supported range).
    pub fn next(self) -> Self {
        self.checked_next().unwrap_or(self)
    }

    /// The preceding month (stays at 0001-01, the start of the supported range).
    pub fn prev(self) -> Self {
        self.checked_prev().unwrap_or(self)
    }

    /// The month `n` months later (negative: earlier), if inside the supported range.
    pub fn add_months(self, n: i64) -> Option<Self> {
        let index = self.index().checked_add(n)?;
        let year = i32::try_from(index.div_euclid(12)).ok()?;
        let month = u32::try_from(index.rem_euclid(12) + 1).ok()?;
        Self::new(year, month).ok()
    }

    /// Number of months from `self` to `later` (negative if `later` is earlier).
    pub fn months_until(self, later: Self) -> i64 {
        later.index() - self.index()
    }

    /// Months since year 0, for arithmetic.
    fn index(self) -> i64 {
        i64::from(self.year()) * 12 + i64::from(self.month()) - 1
    }
}

impl fmt::Display for YearMonth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}", self.year(), self.month())
    }
}

impl FromStr for YearMonth {
    type Err = YearMonthError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl TryFrom<String> for YearMonth {
    type Error = YearMonthError;

    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<YearMonth> for String {
    fn from(value: YearMonth) -> Self {
        value.to_string()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn ym(s: &str) -> YearMonth {
        YearMonth::parse(s).unwrap()
    }

    #[test]
    fn parse_and_display() {
        let m = ym("2024-02");
        assert_eq!((m.year(), m.month()), (2024, 2));
        assert_eq!(m.to_string(), "2024-02");
        assert_eq!("2019-12".parse::<YearMonth>().unwrap(), ym("2019-12"));
        for bad in ["2024-2", "24-02", "2024/02", "2024-13", "2024-00", "0000-01", "abcd-ef"] {
            assert!(YearMonth::parse(bad).is_err(), "{bad}");
        }
        assert_eq!(YearMonth::parse("2024-13"), Err(YearMonthError::OutOfRange));
        assert_eq!(YearMonth::parse("2024-1x"), Err(YearMonthError::Format));
    }

    #[test]
    fn next_prev_and_order() {
        assert_eq!(ym("2023-12").next(), ym("2024-01"));
        assert_eq!(ym("2024-01").prev(), ym("2023-12"));
        assert_eq!(ym("2024-05").next(), ym("2024-06"));
        assert!(ym("2023-12") < ym("2024-01"));
        assert_eq!(ym("9999-12").checked_next(), None);
        assert_eq!(ym("9999-12").next(), ym("9999-12"));
        assert_eq!(ym("0001-01").checked_prev(), None);
        assert_eq!(ym("2020-01").add_months(24), Some(ym("2022-01")));
        assert_eq!(ym("2020-01").add_months(-13), Some(ym("2018-12")));
        assert_eq!(ym("2020-01").months_until(ym("2021-03")), 14);
    }

    #[test]
    fn last_day_follows_leap_years() {
        let d = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).unwrap();
        assert_eq!(ym("2024-02").last_day(), d(2024, 2, 29));
        assert_eq!(ym("2023-02").last_day(), d(2023, 2, 28));
        assert_eq!(ym("1900-02").last_day(), d(1900, 2, 28));
        assert_eq!(ym("2000-02").last_day(), d(2000, 2, 29));
        assert_eq!(ym("2023-04").last_day(), d(2023, 4, 30));
        assert_eq!(ym("2023-12").last_day(), d(2023, 12, 31));
        assert_eq!(ym("9999-12").last_day(), d(9999, 12, 31));
        assert_eq!(YearMonth::of(d(2023, 7, 19)), ym("2023-07"));
    }
}
