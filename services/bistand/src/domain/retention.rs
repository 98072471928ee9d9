//! Gallring (retention) of a person's social-services records (socialtjänstförordningen
//! (2001:937) 7 kap.; the research exemption in 7 kap. 2 §).
//!
//! Precisely, for a person whose household's last entry was made on date `D`:
//! - the records become **due** for removal when `today > D + 5 years` (calendar years; an entry
//!   on 29 February counts from 28 February five years later);
//! - removal must be **completed by 31 December of the year after** the year in which the five
//!   years ran out, i.e. by `31 Dec ((D + 5 years).year + 1)`;
//! - **except** persons born on the 5th, 15th or 25th of a month, whose records are kept for
//!   research. The real birth day is used: for a samordningsnummer the day minus 60 (this module
//!   also accepts the raw identity-number day 61–91 and subtracts 60 itself).

use chrono::{Datelike, Months, NaiveDate};
use serde::{Deserialize, Serialize};

/// Years after the last entry before records are due for removal.
pub const RETENTION_YEARS: u32 = 5;
/// Birth days of the month whose records are kept for research.
pub const RESEARCH_BIRTH_DAYS: [u32; 3] = [5, 15, 25];

/// Why a retention question could not be answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum RetentionError {
    /// The birth day is not 1–31 (or 61–91 for a samordningsnummer).
    #[error("birth day of month must be 1-31 (or 61-91 for a samordningsnummer)")]
    InvalidBirthDay,
    /// The date arithmetic left the supported calendar range.
    #[error("date out of range")]
    DateOutOfRange,
}

/// What gallring means for one person's records today.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum RetentionDecision {
    /// Born on the 5th, 15th or 25th: kept for research, never removed by gallring.
    KeptForResearch,
    /// Not yet due.
    NotDue {
        /// The first day on which the records are due.
        due_from: NaiveDate,
        /// The day by which removal must be completed.
        deadline: NaiveDate,
    },
    /// Due for removal now.
    Due {
        /// The first day on which the records were due.
        due_from: NaiveDate,
        /// The day by which removal must be completed.
        deadline: NaiveDate,
        /// Whether `today` is already past the deadline.
        overdue: bool,
    },
}

impl RetentionDecision {
    /// Whether the records should be removed now.
    pub fn is_due(&self) -> bool {
        matches!(self, RetentionDecision::Due { .. })
    }
}

/// Whether a (real or samordningsnummer) birth day exempts the person from gallring.
pub fn is_research_exempt(birth_day_of_month: u32) -> Result<bool, RetentionError> {
    let day = match birth_day_of_month {
        1..=31 => birth_day_of_month,
        61..=91 => birth_day_of_month - 60,
        _ => return Err(RetentionError::InvalidBirthDay),
    };
    Ok(RESEARCH_BIRTH_DAYS.contains(&day))
}

/// Decides gallring for one person from the household's last entry date and the person's birth
/// day of month, as of `today`.
pub fn assess(
    last_entry: NaiveDate,
    birth_day_of_month: u32,
    today: NaiveDate,
) -> Result<RetentionDecision, RetentionError> {
    if is_research_exempt(birth_day_of_month)? {
        return Ok(RetentionDecision::KeptForResearch);
    }
    let five_years =
        last_entry.checked_add_months(Months::new(RETENTION_YEARS * 12)).ok_or(RetentionError::DateOutOfRange)?;
    let due_from = five_years.succ_opt().ok_or(RetentionError::DateOutOfRange)?;
    let deadline = NaiveDate::from_ymd_opt(five_years.year() + 1, 12, 31).ok_or(RetentionError::DateOutOfRange)?;
    Ok(if today > five_years {
        RetentionDecision::Due { due_from, deadline, overdue: today > deadline }
    } else {
        RetentionDecision::NotDue { due_from, deadline }
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn due_after_five_years_deadline_end_of_following_year() {
        let last = d(2019, 3, 10);
        assert_eq!(
            assess(last, 18, d(2024, 3, 10)),
            Ok(RetentionDecision::NotDue { due_from: d(2024, 3, 11), deadline: d(2025, 12, 31) })
        );
        assert_eq!(
            assess(last, 18, d(2024, 3, 11)),
            Ok(RetentionDecision::Due { due_from: d(2024, 3, 11), deadline: d(2025, 12, 31), overdue: false })
        );
        assert_eq!(
            assess(last, 18, d(2025, 12, 31)).unwrap(),
            RetentionDecision::Due { due_from: d(2024, 3, 11), deadline: d(2025, 12, 31), overdue: false }
        );
        assert!(matches!(assess(last, 18, d(2026, 1, 1)), Ok(RetentionDecision::Due { overdue: true, .. })));
        assert!(assess(last, 1, d(2030, 1, 1)).unwrap().is_due());
    }

    #[test]
    fn entry_late_in_december() {
        // 5 years end 2024-12-31; due from 2025-01-01; completed by 2025-12-31
        assert_eq!(
            assess(d(2019, 12, 31), 3, d(2025, 1, 1)),
            Ok(RetentionDecision::Due { due_from: d(2025, 1, 1), deadline: d(2025, 12, 31), overdue: false })
        );
    }

    #[test]
    fn leap_day_entry() {
        assert_eq!(
            assess(d(2020, 2, 29), 3, d(2025, 2, 28)),
            Ok(RetentionDecision::NotDue { due_from: d(2025, 3, 1), deadline: d(2026, 12, 31) })
        );
    }

    #[test]
    fn research_birth_days_are_kept() {
        for day in [5, 15, 25, 65, 75, 85] {
            assert_eq!(assess(d(2000, 1, 1), day, d(2030, 1, 1)), Ok(RetentionDecision::KeptForResearch), "{day}");
        }
        for day in [4, 6, 14, 16, 24, 26, 31, 64, 66] {
            assert!(assess(d(2000, 1, 1), day, d(2030, 1, 1)).unwrap().is_due(), "{day}");
        }
        for day in [0, 32, 60, 92] {
            assert_eq!(assess(d(2000, 1, 1), day, d(2030, 1, 1)), Err(RetentionError::InvalidBirthDay));
        }
    }
}
