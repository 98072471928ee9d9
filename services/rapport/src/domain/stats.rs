//! Small statistics helpers in integers: median of durations and shares.

use std::fmt;

use serde::Serialize;

use super::change::div_round_half_away;

/// A median number of days; exact, so it may end in a half day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct MedianDays {
    /// Twice the median (so `25` means 12.5 days).
    pub half_days: u64,
}

impl MedianDays {
    /// Whole days, rounded half away from zero (12.5 → 13).
    pub fn rounded_days(self) -> u64 {
        self.half_days / 2 + self.half_days % 2
    }
}

impl fmt::Display for MedianDays {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.half_days.is_multiple_of(2) {
            write!(f, "{}", self.half_days / 2)
        } else {
            write!(f, "{}.5", self.half_days / 2)
        }
    }
}

/// The median of durations in days (mean of the two middle values for an even
/// count); `None` for no values.
pub fn median_days(durations: &[u32]) -> Option<MedianDays> {
    if durations.is_empty() {
        return None;
    }
    let mut v: Vec<u64> = durations.iter().map(|d| u64::from(*d)).collect();
    v.sort_unstable();
    let n = v.len();
    let half_days = if n % 2 == 1 { v[n / 2] * 2 } else { v[n / 2 - 1] + v[n / 2] };
    Some(MedianDays { half_days })
}

/// `part` as a share of `whole` in basis points (10 000 = 100 %), rounded half
/// away from zero; `None` if `whole` is 0.
pub fn share_basis_points(part: u64, whole: u64) -> Option<u64> {
    let v = div_round_half_away(i128::from(part) * 10_000, i128::from(whole))?;
    u64::try_from(v).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn medians() {
        assert_eq!(median_days(&[]), None);
        assert_eq!(median_days(&[7]).map(|m| m.to_string()).as_deref(), Some("7"));
        let m = median_days(&[30, 10, 20, 15]).expect("some");
        assert_eq!(m.to_string(), "17.5");
        assert_eq!(m.rounded_days(), 18);
        assert_eq!(median_days(&[3, 1, 2]).map(|m| m.rounded_days()), Some(2));
    }

    #[test]
    fn shares() {
        assert_eq!(share_basis_points(1, 3), Some(3333));
        assert_eq!(share_basis_points(2, 3), Some(6667));
        assert_eq!(share_basis_points(1, 8), Some(1250));
        assert_eq!(share_basis_points(5, 0), None);
        assert_eq!(share_basis_points(0, 7), Some(0));
    }
}
