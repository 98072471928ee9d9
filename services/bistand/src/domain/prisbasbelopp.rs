//! Prisbasbeloppet per calendar year (socialförsäkringsbalken 2 kap. 6–7 §§), set by the government in a
//! förordning each year. The calculation needs it for the ceiling on children's own earned income (see
//! [`crate::domain::calculation`]). A year without a figure here cannot apply that rule: the caller refuses
//! the calculation (FAILED_PRECONDITION) rather than guess.

/// One year's prisbasbelopp with where the figure comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Prisbasbelopp {
    /// The calendar year.
    pub year: i32,
    /// The amount in whole kronor.
    pub kronor: i64,
    /// The source of the figure.
    pub source: &'static str,
}

impl Prisbasbelopp {
    /// The amount in öre.
    pub fn ore(&self) -> i64 {
        self.kronor * 100
    }
}

/// Every loaded year, oldest first. Add a year here from its förordning (and its SFS number) when it is
/// published.
pub const PRISBASBELOPP: &[Prisbasbelopp] = &[
    Prisbasbelopp {
        year: 2019,
        kronor: 46_500,
        source: "revisi.se 'Prisbasbelopp 2020' (2019: 46 500 kr); förordning's SFS number not verified here",
    },
    Prisbasbelopp {
        year: 2020,
        kronor: 47_300,
        source: "revisi.se 'Prisbasbelopp 2020'; förordning's SFS number not verified here",
    },
    Prisbasbelopp {
        year: 2021,
        kronor: 47_600,
        source: "domain brief (issue 15); förordning's SFS number not verified here",
    },
    Prisbasbelopp {
        year: 2022,
        kronor: 48_300,
        source: "domain brief (issue 15); förordning's SFS number not verified here",
    },
    Prisbasbelopp {
        year: 2023,
        kronor: 52_500,
        source: "regeringens fastställelse as reported by redeko.net 'Prisbasbelopp 2023'; SFS number not verified here",
    },
    Prisbasbelopp {
        year: 2024,
        kronor: 57_300,
        source: "Företagarna, 'Prisbasbeloppet och inkomstbasbeloppet'; SFS number not verified here",
    },
    Prisbasbelopp {
        year: 2025,
        kronor: 58_800,
        source: "Företagarna, 'Prisbasbeloppet och inkomstbasbeloppet'; SFS number not verified here",
    },
    Prisbasbelopp {
        year: 2026,
        kronor: 59_200,
        source: "förordning (2025:872) om prisbasbelopp och förhöjt prisbasbelopp för år 2026, 1 §",
    },
];

/// The prisbasbelopp of `year`, if loaded.
pub fn for_year(year: i32) -> Option<Prisbasbelopp> {
    PRISBASBELOPP.iter().copied().find(|p| p.year == year)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn years_are_unique_ascending_and_plausible() {
        for pair in PRISBASBELOPP.windows(2) {
            assert_eq!(pair[1].year, pair[0].year + 1, "no gaps, no duplicates");
            assert!(pair[1].kronor >= pair[0].kronor, "the prisbasbelopp has not fallen in these years");
        }
        assert!(PRISBASBELOPP.iter().all(|p| !p.source.is_empty()));
    }

    #[test]
    fn known_years() {
        assert_eq!(for_year(2025).map(|p| p.ore()), Some(5_880_000));
        assert_eq!(for_year(2026).map(|p| p.kronor), Some(59_200));
        assert_eq!(for_year(2019).map(|p| p.kronor), Some(46_500));
        assert_eq!(for_year(2018), None);
        assert_eq!(for_year(2027), None);
    }
}
