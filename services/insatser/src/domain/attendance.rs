//! Attendance at planned insatser and the rule for when unexcused absence must
//! be raised with the participant's socialsekreterare.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// Whether the participant attended an occasion.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AttendanceStatus {
    /// Attended.
    Present,
    /// Absent with a valid reason (illness, appointment, …).
    Excused,
    /// Absent without a valid reason.
    Unexcused,
}

/// One registered occasion; each record counts as one occasion.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttendanceRecord {
    /// Day of the occasion.
    pub date: NaiveDate,
    /// What happened.
    pub status: AttendanceStatus,
}

/// When unexcused absence is flagged: `occasions` or more unexcused occasions
/// within any window of `window_days` consecutive days.
///
/// The default (3 occasions within 4 weeks = 28 days) is only a starting point;
/// the unit configures its own value in its local guidelines.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnexcusedThreshold {
    /// Number of unexcused occasions that triggers the flag (at least 1).
    pub occasions: u32,
    /// Length of the sliding window in days (at least 1).
    pub window_days: u32,
}

impl Default for UnexcusedThreshold {
    fn default() -> Self {
        Self { occasions: 3, window_days: 28 }
    }
}

/// Whether the unexcused occasions among `records` reach the threshold within
/// any sliding window (records may come in any order).
pub fn unexcused_exceeds(threshold: &UnexcusedThreshold, records: &[AttendanceRecord]) -> bool {
    let needed = threshold.occasions.max(1) as usize;
    let window = i64::from(threshold.window_days.max(1));
    let mut days: Vec<NaiveDate> =
        records.iter().filter(|r| r.status == AttendanceStatus::Unexcused).map(|r| r.date).collect();
    if days.len() < needed {
        return false;
    }
    days.sort();
    // Window [first, first + window_days - 1] holds `needed` consecutive sorted days.
    days.windows(needed).any(|w| (w[needed - 1] - w[0]).num_days() < window)
}

/// Counts unexcused occasions in the `window_days` days ending on `last_day` (inclusive).
pub fn unexcused_in_window(records: &[AttendanceRecord], last_day: NaiveDate, window_days: u32) -> u32 {
    let window = i64::from(window_days);
    let n = records
        .iter()
        .filter(|r| r.status == AttendanceStatus::Unexcused)
        .filter(|r| {
            let back = (last_day - r.date).num_days();
            (0..window).contains(&back)
        })
        .count();
    u32::try_from(n).unwrap_or(u32::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(day: u32, status: AttendanceStatus) -> AttendanceRecord {
        AttendanceRecord { date: NaiveDate::from_ymd_opt(2025, 3, day).expect("valid date"), status }
    }
    use AttendanceStatus::*;

    #[test]
    fn default_threshold() {
        let t = UnexcusedThreshold::default();
        assert_eq!((t.occasions, t.window_days), (3, 28));
    }

    #[test]
    fn three_within_28_days_triggers() {
        let t = UnexcusedThreshold::default();
        // 1st and 28th are 27 days apart: same 28-day window.
        let recs = [r(28, Unexcused), r(1, Unexcused), r(10, Unexcused), r(11, Present)];
        assert!(unexcused_exceeds(&t, &recs));
        // 1st and 29th are 28 days apart: not in one window.
        let recs = [r(1, Unexcused), r(10, Unexcused), r(29, Unexcused)];
        assert!(!unexcused_exceeds(&t, &recs));
    }

    #[test]
    fn excused_and_present_do_not_count() {
        let t = UnexcusedThreshold::default();
        let recs = [r(1, Unexcused), r(2, Excused), r(3, Excused), r(4, Unexcused)];
        assert!(!unexcused_exceeds(&t, &recs));
        assert!(!unexcused_exceeds(&t, &[]));
    }

    #[test]
    fn configurable_threshold() {
        let t = UnexcusedThreshold { occasions: 2, window_days: 7 };
        assert!(unexcused_exceeds(&t, &[r(1, Unexcused), r(7, Unexcused)]));
        assert!(!unexcused_exceeds(&t, &[r(1, Unexcused), r(8, Unexcused)]));
    }

    #[test]
    fn window_count() {
        let recs = [r(1, Unexcused), r(10, Unexcused), r(29, Unexcused), r(28, Excused)];
        let last = NaiveDate::from_ymd_opt(2025, 3, 29).expect("valid date");
        assert_eq!(unexcused_in_window(&recs, last, 28), 2);
        assert_eq!(unexcused_in_window(&recs, last, 29), 3);
    }
}
