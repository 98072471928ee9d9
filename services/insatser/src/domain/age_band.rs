//! Age bands for statistics, so no report shows exact ages.

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};

/// Age in whole years on a given day. A person born on 29 February turns a
/// year older on 1 March in non-leap years. `None` if `on` is before birth.
pub fn age_on(birth: NaiveDate, on: NaiveDate) -> Option<u32> {
    if on < birth {
        return None;
    }
    let mut years = on.year() - birth.year();
    if (on.month(), on.day()) < (birth.month(), birth.day()) {
        years -= 1;
    }
    u32::try_from(years).ok()
}

/// Age bands used in statistics.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum AgeBand {
    /// 0–15 years.
    Under16,
    /// 16–19 years.
    From16To19,
    /// 20–24 years.
    From20To24,
    /// 25–29 years.
    From25To29,
    /// 30–39 years.
    From30To39,
    /// 40–49 years.
    From40To49,
    /// 50–59 years.
    From50To59,
    /// 60 years and over.
    From60,
}

impl AgeBand {
    /// Every band, youngest first.
    pub const ALL: [AgeBand; 8] = [
        Self::Under16,
        Self::From16To19,
        Self::From20To24,
        Self::From25To29,
        Self::From30To39,
        Self::From40To49,
        Self::From50To59,
        Self::From60,
    ];

    /// The band an age in whole years falls in.
    pub fn from_age(age: u32) -> Self {
        match age {
            0..=15 => Self::Under16,
            16..=19 => Self::From16To19,
            20..=24 => Self::From20To24,
            25..=29 => Self::From25To29,
            30..=39 => Self::From30To39,
            40..=49 => Self::From40To49,
            50..=59 => Self::From50To59,
            _ => Self::From60,
        }
    }

    /// The band of a person born on `birth`, on day `on`.
    pub fn on(birth: NaiveDate, on: NaiveDate) -> Option<Self> {
        age_on(birth, on).map(Self::from_age)
    }

    /// Label for tables and CSV, e.g. `"16-19"`, `"60+"`.
    pub fn label(self) -> &'static str {
        match self {
            Self::Under16 => "0-15",
            Self::From16To19 => "16-19",
            Self::From20To24 => "20-24",
            Self::From25To29 => "25-29",
            Self::From30To39 => "30-39",
            Self::From40To49 => "40-49",
            Self::From50To59 => "50-59",
            Self::From60 => "60+",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).expect("valid date")
    }

    #[test]
    fn ages() {
        assert_eq!(age_on(d(2000, 5, 10), d(2025, 5, 9)), Some(24));
        assert_eq!(age_on(d(2000, 5, 10), d(2025, 5, 10)), Some(25));
        assert_eq!(age_on(d(2004, 2, 29), d(2025, 2, 28)), Some(20));
        assert_eq!(age_on(d(2004, 2, 29), d(2025, 3, 1)), Some(21));
        assert_eq!(age_on(d(2025, 1, 2), d(2025, 1, 1)), None);
    }

    #[test]
    fn bands() {
        let cases = [
            (15, "0-15"),
            (16, "16-19"),
            (19, "16-19"),
            (20, "20-24"),
            (24, "20-24"),
            (25, "25-29"),
            (29, "25-29"),
            (30, "30-39"),
            (49, "40-49"),
            (50, "50-59"),
            (59, "50-59"),
            (60, "60+"),
            (99, "60+"),
        ];
        for (age, label) in cases {
            assert_eq!(AgeBand::from_age(age).label(), label, "{age}");
        }
        assert_eq!(AgeBand::on(d(2000, 1, 1), d(2025, 1, 1)), Some(AgeBand::From25To29));
        assert_eq!(AgeBand::ALL.len(), 8);
    }
}
