//! Municipal time: the calendar date in Sweden, whatever time zone the process runs in.
//!
//! Why: a date in a case (the day a decision was made, an appeal deadline, a person's age, the month an
//! application is for) is a date in the municipality, Europe/Stockholm. Pods run in UTC and laptops in any
//! zone; between midnight in Stockholm and midnight in UTC (one hour in winter, two in summer) the two
//! disagree on the date, so every "today" in Trappan comes from here.

use chrono::{DateTime, NaiveDate, Utc};

/// The municipalities' time zone (Swedish time: CET in winter, CEST in summer).
pub const MUNICIPAL_TIME_ZONE: chrono_tz::Tz = chrono_tz::Europe::Stockholm;

/// The calendar date in the municipality at the instant `at`.
pub fn municipal_date(at: DateTime<Utc>) -> NaiveDate {
    at.with_timezone(&MUNICIPAL_TIME_ZONE).date_naive()
}

/// Today's date in the municipality.
pub fn today() -> NaiveDate {
    municipal_date(Utc::now())
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn utc(year: i32, month: u32, day: u32, hour: u32, minute: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(year, month, day, hour, minute, 0).single().expect("a valid instant")
    }

    fn date(year: i32, month: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(year, month, day).expect("a valid date")
    }

    /// Hand-computed: Stockholm is UTC+1 in winter and UTC+2 from the last Sunday of March (02:00 CET) to
    /// the last Sunday of October (03:00 CEST).
    #[test]
    fn the_date_is_stockholms_not_utcs() {
        // Winter (CET, +1): 23:30 UTC on New Year's Eve is 00:30 on New Year's Day.
        assert_eq!(municipal_date(utc(2026, 12, 31, 23, 30)), date(2027, 1, 1));
        assert_eq!(municipal_date(utc(2026, 12, 31, 22, 59)), date(2026, 12, 31));
        // Summer (CEST, +2): 22:30 UTC on 30 June is 00:30 on 1 July, the first day of a new month.
        assert_eq!(municipal_date(utc(2026, 6, 30, 22, 30)), date(2026, 7, 1));
        assert_eq!(municipal_date(utc(2026, 6, 30, 21, 59)), date(2026, 6, 30));
        // The spring change, 29 March 2026 01:00 UTC (02:00 CET becomes 03:00 CEST).
        assert_eq!(municipal_date(utc(2026, 3, 28, 23, 0)), date(2026, 3, 29));
        assert_eq!(municipal_date(utc(2026, 3, 28, 22, 59)), date(2026, 3, 28));
        // The autumn change, 25 October 2026 01:00 UTC (03:00 CEST becomes 02:00 CET).
        assert_eq!(municipal_date(utc(2026, 10, 24, 22, 0)), date(2026, 10, 25));
        assert_eq!(municipal_date(utc(2026, 10, 25, 22, 59)), date(2026, 10, 25));
        assert_eq!(municipal_date(utc(2026, 10, 25, 23, 0)), date(2026, 10, 26));
    }
}
