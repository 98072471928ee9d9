//! Gallring (retention) of a household's case file (*akt*) of ekonomiskt bistånd.
//!
//! # Legal basis
//! - Gallring five years after the last entry in the personakt, completed by the end of the following
//!   calendar year: socialtjänstlagen (2001:453) 12 kap. 1 § (wording of SFS 2003:135, verified against the
//!   SFS text). The same rule continues in the socialtjänstlag (2025:400) in force since 1 July 2025; its
//!   chapter and section number could **not** be verified here (see `docs/law.md`).
//! - The research exemption: socialtjänstförordningen (2001:937) 7 kap. 2 §, as amended by SFS 2003:583 —
//!   in every municipality of Östergötland (county 05), Gotland (09) and Västernorrland (22) counties and in
//!   Göteborg (1480) nothing is disposed of; elsewhere the records of persons born on the 5th, 15th or 25th
//!   of a month are kept. The förordning that replaced 2001:937 on 1 July 2025 and its section number could
//!   **not** be verified here (see `docs/law.md`); the rule is taken from the domain brief and the issue.
//!
//! # Decided per case file
//! The unit of gallring is the household's case file, as in a dokumenthanteringsplan: every document in it
//! (applications, decisions with their calculation inputs, payments, consents, referrals) concerns the
//! persons of the case together, so it is kept or disposed of as a whole. The file is **kept** when the
//! municipality keeps everything, or when any person in it was born on the 5th, 15th or 25th (its
//! documents concern that person); otherwise it is due five years after its last entry. So a kept file
//! never holds the data of a person whose records were erased.
//!
//! Precisely, for a file whose last entry was made on date `D`:
//! - it becomes **due** when `today > D + 5 years` (calendar years; an entry on 29 February counts from
//!   28 February five years later);
//! - disposal must be **completed by 31 December of the year after** the year in which the five years ran
//!   out, i.e. by `31 Dec ((D + 5 years).year + 1)`.
//!
//! The real birth day is used: for a samordningsnummer the day minus 60 (this module also accepts the raw
//! identity-number day 61–91 and subtracts 60 itself).

use chrono::{Datelike, Months, NaiveDate};
use serde::{Deserialize, Serialize};

/// Years after the last entry before records are due for removal.
pub const RETENTION_YEARS: u32 = 5;
/// Birth days of the month whose records are kept for research (outside the research municipalities).
pub const RESEARCH_BIRTH_DAYS: [u32; 3] = [5, 15, 25];
/// Counties (the first two digits of the kommunkod) in whose every municipality nothing is disposed of:
/// Östergötland, Gotland, Västernorrland.
pub const RESEARCH_COUNTIES: [&str; 3] = ["05", "09", "22"];
/// Single municipalities in which nothing is disposed of: Göteborg.
pub const RESEARCH_MUNICIPALITIES: [&str; 1] = ["1480"];

/// Why a retention question could not be answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum RetentionError {
    /// The birth day is not 1–31 (or 61–91 for a samordningsnummer).
    #[error("birth day of month must be 1-31 (or 61-91 for a samordningsnummer)")]
    InvalidBirthDay,
    /// The kommunkod is not four digits.
    #[error("a kommunkod is four digits")]
    InvalidKommun,
    /// The date arithmetic left the supported calendar range.
    #[error("date out of range")]
    DateOutOfRange,
}

/// Why a case file is kept for research.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ResearchExemption {
    /// The municipality (its county, or Göteborg) keeps every record.
    Municipality,
    /// A person in the file was born on the 5th, 15th or 25th.
    BirthDay,
}

/// What gallring means for one case file today.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum RetentionDecision {
    /// Kept for research, never removed by gallring.
    KeptForResearch(ResearchExemption),
    /// Not yet due.
    NotDue {
        /// The first day on which the file is due.
        due_from: NaiveDate,
        /// The day by which removal must be completed.
        deadline: NaiveDate,
    },
    /// Due for removal now.
    Due {
        /// The first day on which the file was due.
        due_from: NaiveDate,
        /// The day by which removal must be completed.
        deadline: NaiveDate,
        /// Whether `today` is already past the deadline.
        overdue: bool,
    },
}

impl RetentionDecision {
    /// Whether the file should be removed now.
    pub fn is_due(&self) -> bool {
        matches!(self, RetentionDecision::Due { .. })
    }
}

/// Whether a (real or samordningsnummer) birth day exempts the person's records from gallring.
pub fn is_research_birth_day(birth_day_of_month: u32) -> Result<bool, RetentionError> {
    let day = match birth_day_of_month {
        1..=31 => birth_day_of_month,
        61..=91 => birth_day_of_month - 60,
        _ => return Err(RetentionError::InvalidBirthDay),
    };
    Ok(RESEARCH_BIRTH_DAYS.contains(&day))
}

/// Whether the municipality (a four-digit kommunkod; its county is the first two digits) keeps every record.
pub fn is_research_municipality(kommun: &str) -> Result<bool, RetentionError> {
    if kommun.len() != 4 || !kommun.bytes().all(|b| b.is_ascii_digit()) {
        return Err(RetentionError::InvalidKommun);
    }
    Ok(RESEARCH_COUNTIES.contains(&&kommun[..2]) || RESEARCH_MUNICIPALITIES.contains(&kommun))
}

/// Decides gallring for one case file of municipality `kommun`, from the file's last entry date and the
/// birth days of month of every person in it, as of `today` (rules in the module doc).
pub fn assess(
    kommun: &str,
    last_entry: NaiveDate,
    birth_days_of_month: &[u32],
    today: NaiveDate,
) -> Result<RetentionDecision, RetentionError> {
    let municipality_keeps = is_research_municipality(kommun)?;
    let mut birth_day_keeps = false;
    for day in birth_days_of_month {
        birth_day_keeps |= is_research_birth_day(*day)?;
    }
    if municipality_keeps {
        return Ok(RetentionDecision::KeptForResearch(ResearchExemption::Municipality));
    }
    if birth_day_keeps {
        return Ok(RetentionDecision::KeptForResearch(ResearchExemption::BirthDay));
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

    /// Markaryd, Kronoberg county: the 5/15/25 rule applies.
    const MARKARYD: &str = "0767";

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn due_after_five_years_deadline_end_of_following_year() {
        let last = d(2019, 3, 10);
        // 2019-03-10 + 5 years = 2024-03-10: due from the day after; completed by 31 Dec 2025
        assert_eq!(
            assess(MARKARYD, last, &[18], d(2024, 3, 10)),
            Ok(RetentionDecision::NotDue { due_from: d(2024, 3, 11), deadline: d(2025, 12, 31) })
        );
        assert_eq!(
            assess(MARKARYD, last, &[18, 3], d(2024, 3, 11)),
            Ok(RetentionDecision::Due { due_from: d(2024, 3, 11), deadline: d(2025, 12, 31), overdue: false })
        );
        assert_eq!(
            assess(MARKARYD, last, &[18], d(2025, 12, 31)).unwrap(),
            RetentionDecision::Due { due_from: d(2024, 3, 11), deadline: d(2025, 12, 31), overdue: false }
        );
        assert!(matches!(
            assess(MARKARYD, last, &[18], d(2026, 1, 1)),
            Ok(RetentionDecision::Due { overdue: true, .. })
        ));
        assert!(assess(MARKARYD, last, &[1], d(2030, 1, 1)).unwrap().is_due());
    }

    #[test]
    fn entry_late_in_december() {
        // 5 years end 2024-12-31; due from 2025-01-01; completed by 2025-12-31
        assert_eq!(
            assess(MARKARYD, d(2019, 12, 31), &[3], d(2025, 1, 1)),
            Ok(RetentionDecision::Due { due_from: d(2025, 1, 1), deadline: d(2025, 12, 31), overdue: false })
        );
    }

    #[test]
    fn leap_day_entry() {
        // 2020-02-29 + 5 years = 2025-02-28
        assert_eq!(
            assess(MARKARYD, d(2020, 2, 29), &[3], d(2025, 2, 28)),
            Ok(RetentionDecision::NotDue { due_from: d(2025, 3, 1), deadline: d(2026, 12, 31) })
        );
    }

    #[test]
    fn a_research_birth_day_keeps_the_whole_file() {
        let kept = Ok(RetentionDecision::KeptForResearch(ResearchExemption::BirthDay));
        for day in [5, 15, 25, 65, 75, 85] {
            assert_eq!(assess(MARKARYD, d(2000, 1, 1), &[day], d(2030, 1, 1)), kept, "{day}");
            // one such person among others keeps the file for all of them
            assert_eq!(assess(MARKARYD, d(2000, 1, 1), &[18, day, 3], d(2030, 1, 1)), kept, "{day}");
        }
        for day in [4, 6, 14, 16, 24, 26, 31, 64, 66] {
            assert!(assess(MARKARYD, d(2000, 1, 1), &[day], d(2030, 1, 1)).unwrap().is_due(), "{day}");
        }
        for day in [0, 32, 60, 92] {
            assert_eq!(assess(MARKARYD, d(2000, 1, 1), &[day], d(2030, 1, 1)), Err(RetentionError::InvalidBirthDay));
        }
    }

    #[test]
    fn research_municipalities_keep_everything() {
        let kept = Ok(RetentionDecision::KeptForResearch(ResearchExemption::Municipality));
        // Linköping (0580, Östergötland), Gotland (0980), Sundsvall (2281, Västernorrland), Göteborg (1480)
        for kommun in ["0580", "0509", "0980", "2281", "2262", "1480"] {
            assert_eq!(assess(kommun, d(2000, 1, 1), &[18], d(2030, 1, 1)), kept, "{kommun}");
        }
        // elsewhere in Västra Götaland (14) and elsewhere: the 5/15/25 rule
        for kommun in ["1481", "1402", "0767", "0180", "2580"] {
            assert!(assess(kommun, d(2000, 1, 1), &[18], d(2030, 1, 1)).unwrap().is_due(), "{kommun}");
        }
        for kommun in ["", "058", "05800", "05a0"] {
            assert_eq!(assess(kommun, d(2000, 1, 1), &[18], d(2030, 1, 1)), Err(RetentionError::InvalidKommun));
        }
    }

    #[test]
    fn a_file_without_persons_follows_the_dates() {
        assert!(assess(MARKARYD, d(2000, 1, 1), &[], d(2030, 1, 1)).unwrap().is_due());
    }
}
