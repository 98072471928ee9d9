//! Överklagande of a decision on ekonomiskt bistånd: the last day to appeal and the instruction every
//! decision carries (*överklagandehänvisning*).
//!
//! - The appeal is lodged with the authority that made the decision (förvaltningslagen (2017:900) 43 §),
//!   addressed to förvaltningsrätten (former socialtjänstlagen (2001:453) 16 kap. 3 §; the provision of the
//!   socialtjänstlag (2025:400) that continues it is not verified here, see `docs/law.md`).
//! - It must have come in within **three weeks from the day the person was notified** of the decision
//!   (*delgivning*; förvaltningslagen 44 §), which can be later than the decision day.
//! - When the last day is a Saturday, a Sunday or another public holiday, Midsummer Eve, Christmas Eve or
//!   New Year's Eve, the appeal may come in on the next weekday (lag (1930:173) om beräkning av lagstadgad
//!   tid 2 §; the days in [`crate::domain::calendar`]).
//! - The decision must tell the person how to appeal (förvaltningslagen 33 § third paragraph).

use chrono::{Days, NaiveDate};

use super::calendar;

/// Days from the notification to the last day to appeal, before moving off a non-weekday: three weeks.
pub const APPEAL_DAYS: u64 = 21;

/// The last day to appeal a decision the person was notified of on `notified_on`; `None` only at the end
/// of the supported date range.
pub fn appeal_deadline(notified_on: NaiveDate) -> Option<NaiveDate> {
    calendar::next_weekday_from(notified_on.checked_add_days(Days::new(APPEAL_DAYS))?)
}

/// The överklagandehänvisning of a decision whose last day to appeal is `deadline`, in Swedish as the
/// person receives it.
pub fn appeal_instruction(deadline: NaiveDate) -> String {
    format!(
        "Om du inte är nöjd med beslutet kan du överklaga det hos förvaltningsrätten. Skicka eller lämna \
         överklagandet till enheten för ekonomiskt bistånd, som prövar om beslutet ska ändras och annars \
         skickar överklagandet vidare till förvaltningsrätten. Överklagandet ska ha kommit in inom tre veckor \
         från den dag du fick del av beslutet, det vill säga senast den {deadline}. Skriv vilket beslut du \
         överklagar, hur du vill att det ska ändras och varför, och skriv under överklagandet.",
        deadline = deadline.format("%Y-%m-%d")
    )
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn three_weeks_from_notification() {
        // notified Wednesday 5 March 2025 → Wednesday 26 March 2025, a weekday
        assert_eq!(appeal_deadline(d(2025, 3, 5)), Some(d(2025, 3, 26)));
        // notified Monday 11 March 2024 → Monday 1 April 2024 = Easter Monday → Tuesday 2 April
        assert_eq!(appeal_deadline(d(2024, 3, 11)), Some(d(2024, 4, 2)));
        // notified Saturday 1 March 2025 → Saturday 22 March → Monday 24 March
        assert_eq!(appeal_deadline(d(2025, 3, 1)), Some(d(2025, 3, 24)));
        // notified Wednesday 3 December 2025 → Christmas Eve → Monday 29 December
        assert_eq!(appeal_deadline(d(2025, 12, 3)), Some(d(2025, 12, 29)));
        // notified Friday 30 May 2025 → Friday 20 June 2025 = Midsummer Eve → Monday 23 June
        assert_eq!(appeal_deadline(d(2025, 5, 30)), Some(d(2025, 6, 23)));
        // notified Thursday 8 May 2025 → Thursday 29 May 2025 = Ascension Day → Friday 30 May
        assert_eq!(appeal_deadline(d(2025, 5, 8)), Some(d(2025, 5, 30)));
    }

    #[test]
    fn the_instruction_names_the_court_the_time_and_the_day() {
        let text = appeal_instruction(d(2024, 4, 2));
        assert!(text.contains("förvaltningsrätten"));
        assert!(text.contains("tre veckor från den dag du fick del av beslutet"));
        assert!(text.contains("senast den 2024-04-02"));
    }
}
