//! The Swedish calendar of days on which a statutory time limit cannot end.
//!
//! - Public holidays (*allmänna helgdagar*), lag (1989:253) om allmänna helgdagar 1 §: New Year's Day,
//!   Epiphany (6 January), Good Friday, Easter Sunday, Easter Monday, 1 May, Ascension Day (the 6th
//!   Thursday after Easter, Easter + 39 days), Whit Sunday (*pingstdagen*, Easter + 49 days), the National
//!   Day (6 June), Midsummer Day (the Saturday 20–26 June), All Saints' Day (the Saturday 31 October –
//!   6 November), Christmas Day, Boxing Day; and every Sunday.
//! - Lag (1930:173) om beräkning av lagstadgad tid 2 §: when the last day of a time limit falls on a
//!   Saturday, a Sunday or another public holiday, on Midsummer Eve, Christmas Eve or New Year's Eve, the
//!   act may be done on the next weekday ([`next_weekday_from`]). Midsummer Eve is the Friday 19–25 June.
//!
//! Easter Sunday is computed with the anonymous Gregorian computus (Meeus/Jones/Butcher).

use chrono::{Datelike, Days, NaiveDate, Weekday};

/// Easter Sunday of `year` (Gregorian calendar), or `None` outside chrono's date range.
pub fn easter_sunday(year: i32) -> Option<NaiveDate> {
    let a = year.rem_euclid(19);
    let b = year.div_euclid(100);
    let c = year.rem_euclid(100);
    let d = b / 4;
    let e = b % 4;
    let f = (b + 8) / 25;
    let g = (b - f + 1) / 3;
    let h = (19 * a + b - d - g + 15).rem_euclid(30);
    let i = c / 4;
    let k = c % 4;
    let l = (32 + 2 * e + 2 * i - h - k).rem_euclid(7);
    let m = (a + 11 * h + 22 * l) / 451;
    let month = (h + l - 7 * m + 114) / 31;
    let day = (h + l - 7 * m + 114) % 31 + 1;
    NaiveDate::from_ymd_opt(year, u32::try_from(month).ok()?, u32::try_from(day).ok()?)
}

/// The Saturday of `year`-`month` between `first_day` and `first_day + 6` (both within one week).
fn saturday_from(year: i32, month: u32, first_day: u32) -> Option<NaiveDate> {
    let start = NaiveDate::from_ymd_opt(year, month, first_day)?;
    let offset = (Weekday::Sat.num_days_from_monday() + 7 - start.weekday().num_days_from_monday()) % 7;
    start.checked_add_days(Days::new(u64::from(offset)))
}

/// Whether `date` is an allmän helgdag (every Sunday included), lag (1989:253) 1 §.
pub fn is_public_holiday(date: NaiveDate) -> bool {
    if date.weekday() == Weekday::Sun {
        return true;
    }
    let fixed = matches!((date.month(), date.day()), (1, 1) | (1, 6) | (5, 1) | (6, 6) | (12, 25) | (12, 26));
    if fixed {
        return true;
    }
    let year = date.year();
    let from_easter = easter_sunday(year).map(|easter| date.signed_duration_since(easter).num_days());
    if matches!(from_easter, Some(-2 | 0 | 1 | 39 | 49)) {
        return true;
    }
    saturday_from(year, 6, 20) == Some(date) || saturday_from(year, 10, 31) == Some(date)
}

/// Whether `date` is Midsummer Eve (the Friday 19–25 June), Christmas Eve or New Year's Eve.
pub fn is_eve(date: NaiveDate) -> bool {
    let midsummer_eve = saturday_from(date.year(), 6, 20).and_then(|day| day.pred_opt());
    matches!((date.month(), date.day()), (12, 24) | (12, 31)) || midsummer_eve == Some(date)
}

/// Whether a time limit may end on `date` (lag (1930:173) 2 §): not a Saturday, a public holiday or an eve.
pub fn is_weekday_for_time_limits(date: NaiveDate) -> bool {
    date.weekday() != Weekday::Sat && !is_public_holiday(date) && !is_eve(date)
}

/// `date` itself when a time limit may end on it, otherwise the next day on which one may; `None` only
/// at the end of chrono's date range.
pub fn next_weekday_from(date: NaiveDate) -> Option<NaiveDate> {
    let mut day = date;
    while !is_weekday_for_time_limits(day) {
        day = day.succ_opt()?;
    }
    Some(day)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn easter_of_known_years() {
        let known = [
            (2000, d(2000, 4, 23)),
            (2008, d(2008, 3, 23)),
            (2011, d(2011, 4, 24)),
            (2019, d(2019, 4, 21)),
            (2020, d(2020, 4, 12)),
            (2021, d(2021, 4, 4)),
            (2022, d(2022, 4, 17)),
            (2023, d(2023, 4, 9)),
            (2024, d(2024, 3, 31)),
            (2025, d(2025, 4, 20)),
            (2026, d(2026, 4, 5)),
            (2027, d(2027, 3, 28)),
            (2038, d(2038, 4, 25)),
        ];
        for (year, easter) in known {
            assert_eq!(easter_sunday(year), Some(easter), "{year}");
        }
    }

    #[test]
    fn the_public_holidays_of_2025() {
        // Easter 2025-04-20: Good Friday 18 Apr, Easter Monday 21 Apr, Ascension 29 May (+39),
        // Whit Sunday 8 June (+49); Midsummer Day Sat 21 June; All Saints' Day Sat 1 Nov.
        let holidays = [
            d(2025, 1, 1),
            d(2025, 1, 6),
            d(2025, 4, 18),
            d(2025, 4, 20),
            d(2025, 4, 21),
            d(2025, 5, 1),
            d(2025, 5, 29),
            d(2025, 6, 6),
            d(2025, 6, 8),
            d(2025, 6, 21),
            d(2025, 11, 1),
            d(2025, 12, 25),
            d(2025, 12, 26),
        ];
        for day in holidays {
            assert!(is_public_holiday(day), "{day}");
        }
        let weekdays_and_saturdays = [
            d(2025, 4, 17),
            d(2025, 4, 22),
            d(2025, 5, 2),
            d(2025, 5, 30),
            d(2025, 6, 9),
            d(2025, 6, 20),
            d(2025, 10, 31),
        ];
        for day in weekdays_and_saturdays {
            assert!(!is_public_holiday(day), "{day}");
        }
        // every Sunday is a holiday; an ordinary Saturday is not a holiday (but no time limit ends on it)
        assert!(is_public_holiday(d(2025, 3, 9)));
        assert!(!is_public_holiday(d(2025, 3, 8)));
        assert!(!is_weekday_for_time_limits(d(2025, 3, 8)));
    }

    #[test]
    fn midsummer_and_all_saints_move_with_the_week() {
        // 2024: Midsummer Eve Fri 21 June, Midsummer Day Sat 22 June; All Saints' Day Sat 2 Nov.
        assert!(is_eve(d(2024, 6, 21)) && is_public_holiday(d(2024, 6, 22)));
        assert!(is_public_holiday(d(2024, 11, 2)) && !is_public_holiday(d(2024, 11, 1)));
        // 2026: Midsummer Eve Fri 19 June, Day Sat 20 June; All Saints' Day Sat 31 Oct.
        assert!(is_eve(d(2026, 6, 19)) && is_public_holiday(d(2026, 6, 20)));
        assert!(is_public_holiday(d(2026, 10, 31)));
        // 2027: Midsummer Day Sat 26 June (the last possible day)
        assert!(is_public_holiday(d(2027, 6, 26)) && is_eve(d(2027, 6, 25)));
        assert!(is_eve(d(2025, 12, 24)) && is_eve(d(2025, 12, 31)) && !is_eve(d(2025, 12, 23)));
    }

    #[test]
    fn the_next_weekday() {
        // Wednesday stays
        assert_eq!(next_weekday_from(d(2025, 3, 12)), Some(d(2025, 3, 12)));
        // Saturday 8 March 2025 → Monday 10 March
        assert_eq!(next_weekday_from(d(2025, 3, 8)), Some(d(2025, 3, 10)));
        // Good Friday 18 April 2025 → (Sat, Easter Sunday, Easter Monday) → Tuesday 22 April
        assert_eq!(next_weekday_from(d(2025, 4, 18)), Some(d(2025, 4, 22)));
        // Christmas Eve Wed 24 Dec 2025 → (25, 26 holidays, Sat 27, Sun 28) → Monday 29 Dec
        assert_eq!(next_weekday_from(d(2025, 12, 24)), Some(d(2025, 12, 29)));
        // New Year's Eve Wed 31 Dec 2025 → (1 Jan holiday) → Friday 2 Jan 2026
        assert_eq!(next_weekday_from(d(2025, 12, 31)), Some(d(2026, 1, 2)));
        // Midsummer Eve Fri 20 June 2025 → Monday 23 June
        assert_eq!(next_weekday_from(d(2025, 6, 20)), Some(d(2025, 6, 23)));
    }
}
