//! Calendar months (`YYYY-MM`), the unit every statistic is reported for.

use std::fmt;

use serde::{Deserialize, Serialize};

/// A calendar month.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct YearMonth {
    /// Year, 1900–9999.
    pub year: i32,
    /// Month, 1–12.
    pub month: u32,
}

impl YearMonth {
    /// Creates a month, `None` if out of range.
    pub fn new(year: i32, month: u32) -> Option<Self> {
        ((1900..=9999).contains(&year) && (1..=12).contains(&month)).then_some(Self { year, month })
    }

    /// Parses `YYYY-MM` exactly.
    pub fn parse(text: &str) -> Option<Self> {
        let b = text.as_bytes();
        if b.len() != 7 || b[4] != b'-' || !text[..4].bytes().chain(text[5..].bytes()).all(|c| c.is_ascii_digit()) {
            return None;
        }
        Self::new(text[..4].parse().ok()?, text[5..].parse().ok()?)
    }

    /// The same month a year earlier.
    pub fn year_earlier(self) -> Option<Self> {
        Self::new(self.year - 1, self.month)
    }
}

impl fmt::Display for YearMonth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}", self.year, self.month)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_and_display() {
        let m = YearMonth::parse("2020-08").expect("valid");
        assert_eq!(m, YearMonth { year: 2020, month: 8 });
        assert_eq!(m.to_string(), "2020-08");
        assert_eq!(m.year_earlier().map(|y| y.to_string()).as_deref(), Some("2019-08"));
        for bad in ["2020-13", "2020-00", "2020-8", "20-08", "2020/08", "abcd-ef", "2020-081", "+020-08"] {
            assert_eq!(YearMonth::parse(bad), None, "{bad}");
        }
    }
}
