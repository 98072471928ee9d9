//! The riksnorm tables (national standard amounts for försörjningsstöd), one per calendar year.
//!
//! The shipped tables come from `riksnorm/riksnorm.toml` (embedded at build time); an operator can
//! load further years from a TOML file of the same shape with [`NormTables::from_toml`] and
//! [`NormTables::extend`]. The file holds whole kronor; every amount here is öre (kr × 100).
//! A year that is not loaded is refused with [`NormError::MissingYear`], and an item a year lacks
//! (the without-lunch amounts of 2022 and 2023) with [`NormError::MissingItem`].

use std::collections::BTreeMap;
use std::fmt;

use serde::Deserialize;

use super::household::PersonRef;

/// The riksnorm file shipped with the service (official and derived years).
const SHIPPED_TOML: &str = include_str!("../../riksnorm/riksnorm.toml");

/// Number of household sizes the common-cost table lists (1..=7 persons).
pub const COMMON_COST_SIZES: usize = 7;

/// Why a norm could not be produced, worded for a case worker and free of personal data.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NormError {
    /// No riksnorm table is loaded for the year.
    #[error("no riksnorm is loaded for {0}; an operator must load that year's table first")]
    MissingYear(i32),
    /// The year's table lacks an amount the household needs.
    #[error("the riksnorm for {year} has no amount for {item}; an operator must add it")]
    MissingItem {
        /// The norm year.
        year: i32,
        /// The missing item.
        item: NormItem,
    },
    /// The TOML text could not be read as a riksnorm file.
    #[error("riksnorm file is invalid: {0}")]
    InvalidFile(String),
    /// A table in the file breaks a rule (negative amount, unparsable year, …).
    #[error("riksnorm table for {year} is invalid: {reason}")]
    InvalidTable {
        /// The year key as written in the file.
        year: String,
        /// What is wrong.
        reason: String,
    },
    /// A household member is born after the month applied for.
    #[error("{0} is not born in the month applied for")]
    NotBorn(PersonRef),
}

/// Whether a year's figures were copied from the regulation or derived by calculation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum NormStatus {
    /// Copied from the published regulation or Socialstyrelsen's table.
    Official,
    /// Computed from an official year and a percentage; must be shown as unverified.
    Derived,
}

/// The age bands children and school youth living at home are normed by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum AgeBand {
    /// Under 1 year.
    Age0,
    /// 1–2 years.
    Age1To2,
    /// 3 years.
    Age3,
    /// 4–6 years.
    Age4To6,
    /// 7–10 years.
    Age7To10,
    /// 11–14 years.
    Age11To14,
    /// 15–18 years.
    Age15To18,
    /// 19–20 years, living at home in upper-secondary school.
    Age19To20,
}

impl AgeBand {
    /// Every band, youngest first (the order of the table's columns).
    pub const ALL: [AgeBand; 8] = [
        AgeBand::Age0,
        AgeBand::Age1To2,
        AgeBand::Age3,
        AgeBand::Age4To6,
        AgeBand::Age7To10,
        AgeBand::Age11To14,
        AgeBand::Age15To18,
        AgeBand::Age19To20,
    ];

    /// The band for an age in whole years; `None` from 21, when a person is normed as an adult.
    pub fn for_age(years: u32) -> Option<AgeBand> {
        Some(match years {
            0 => AgeBand::Age0,
            1..=2 => AgeBand::Age1To2,
            3 => AgeBand::Age3,
            4..=6 => AgeBand::Age4To6,
            7..=10 => AgeBand::Age7To10,
            11..=14 => AgeBand::Age11To14,
            15..=18 => AgeBand::Age15To18,
            19..=20 => AgeBand::Age19To20,
            _ => return None,
        })
    }

    /// Whether the band has a lower amount for a child who eats lunch away on weekdays.
    pub fn is_under_7(self) -> bool {
        self.index() < 4
    }

    /// Position in [`AgeBand::ALL`].
    fn index(self) -> usize {
        self as usize
    }
}

impl fmt::Display for AgeBand {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            AgeBand::Age0 => "age 0",
            AgeBand::Age1To2 => "age 1-2",
            AgeBand::Age3 => "age 3",
            AgeBand::Age4To6 => "age 4-6",
            AgeBand::Age7To10 => "age 7-10",
            AgeBand::Age11To14 => "age 11-14",
            AgeBand::Age15To18 => "age 15-18",
            AgeBand::Age19To20 => "age 19-20",
        })
    }
}

/// One line of the riksnorm: which amount a norm row uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum NormItem {
    /// A child or school youth living at home, eating lunch at home on weekdays.
    Child(AgeBand),
    /// A child under 7 who eats lunch at förskola/skola on weekdays.
    ChildWithoutLunch(AgeBand),
    /// A single adult (ensamstående).
    Ensamstaende,
    /// A member of a couple (sambor/spouses): half of the couple amount.
    SamborShare,
    /// An adult sharing the household without being a sambo: ensamstående + share of common cost.
    SharingAdult,
    /// The household's common cost (after the sharing adults' shares).
    CommonCost {
        /// Number of persons in the household.
        household_size: usize,
    },
}

impl fmt::Display for NormItem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NormItem::Child(band) => write!(f, "child {band} (lunch at home)"),
            NormItem::ChildWithoutLunch(band) => {
                write!(f, "child {band} without lunch (lunch at förskola/skola)")
            }
            NormItem::Ensamstaende => f.write_str("ensamstående adult"),
            NormItem::SamborShare => f.write_str("sambor (half of the couple amount)"),
            NormItem::SharingAdult => f.write_str("adult sharing the household without being sambo"),
            NormItem::CommonCost { household_size } => {
                write!(f, "common cost, household of {household_size}")
            }
        }
    }
}

/// One year's riksnorm, amounts in öre, with where the figures come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NormTable {
    year: i32,
    status: NormStatus,
    source: String,
    children_with_lunch: [i64; 8],
    children_without_lunch: Option<[i64; 4]>,
    ensamstaende: i64,
    sambor: i64,
    common: [i64; COMMON_COST_SIZES],
}

impl NormTable {
    /// The calendar year the table applies to.
    pub fn year(&self) -> i32 {
        self.year
    }

    /// Official or derived (derived figures must be shown as unverified).
    pub fn status(&self) -> NormStatus {
        self.status
    }

    /// Where the figures come from, as written in the file.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// Personal cost of a child living at home eating lunch at home on weekdays, in öre.
    pub fn child_with_lunch(&self, band: AgeBand) -> i64 {
        self.children_with_lunch[band.index()]
    }

    /// Personal cost of a child under 7 eating lunch away on weekdays, in öre; fails when the
    /// year's table lacks it (or for bands from 7, which have no such amount).
    pub fn child_without_lunch(&self, band: AgeBand) -> Result<i64, NormError> {
        let missing = NormError::MissingItem { year: self.year, item: NormItem::ChildWithoutLunch(band) };
        let table = self.children_without_lunch.as_ref().ok_or(missing.clone())?;
        table.get(band.index()).copied().ok_or(missing)
    }

    /// Whether the year lists the without-lunch amounts for children under 7.
    pub fn has_without_lunch_amounts(&self) -> bool {
        self.children_without_lunch.is_some()
    }

    /// Personal cost of a single adult (ensamstående), in öre.
    pub fn ensamstaende(&self) -> i64 {
        self.ensamstaende
    }

    /// Personal cost of a couple together (sambor), in öre.
    pub fn sambor(&self) -> i64 {
        self.sambor
    }

    /// A fingerprint of the table's figures (FNV-1a, 64 bits, over a canonical listing of every amount),
    /// written as 16 hex digits. Two tables with the same figures have the same version, so a stored
    /// calculation can tell whether the table it used is still the one loaded.
    pub fn version(&self) -> String {
        let without: Vec<i64> = self.children_without_lunch.map(|w| w.to_vec()).unwrap_or_default();
        let canonical = format!(
            "{};{:?};{:?};{:?};{};{};{:?}",
            self.year,
            self.children_with_lunch,
            without,
            self.children_without_lunch.is_some(),
            self.ensamstaende,
            self.sambor,
            self.common
        );
        let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
        for byte in canonical.bytes() {
            hash ^= u64::from(byte);
            hash = hash.wrapping_mul(0x0100_0000_01b3);
        }
        format!("{hash:016x}")
    }

    /// Common cost for a household of `size` persons, in öre: the table for 1..=7 and
    /// `common[7] − common[6]` more for each person beyond 7; 0 for an empty household.
    pub fn common_cost(&self, size: usize) -> i64 {
        match size {
            0 => 0,
            1..=COMMON_COST_SIZES => self.common[size - 1],
            _ => {
                let step = self.common[COMMON_COST_SIZES - 1] - self.common[COMMON_COST_SIZES - 2];
                let extra = i64::try_from(size - COMMON_COST_SIZES).unwrap_or(i64::MAX);
                self.common[COMMON_COST_SIZES - 1].saturating_add(step.saturating_mul(extra))
            }
        }
    }
}

/// The riksnorm tables the service knows, by year.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NormTables {
    years: BTreeMap<i32, NormTable>,
}

impl NormTables {
    /// The tables shipped with the service (`riksnorm/riksnorm.toml`).
    pub fn shipped() -> Result<Self, NormError> {
        Self::from_toml(SHIPPED_TOML)
    }

    /// Reads an operator-supplied file of the same shape as the shipped one.
    pub fn from_toml(text: &str) -> Result<Self, NormError> {
        let file: FileDoc = toml::from_str(text).map_err(|e| NormError::InvalidFile(e.message().to_owned()))?;
        let mut years = BTreeMap::new();
        for (key, doc) in file.years {
            let table = doc.into_table(&key)?;
            years.insert(table.year, table);
        }
        Ok(Self { years })
    }

    /// The table for `year`, or [`NormError::MissingYear`].
    pub fn get(&self, year: i32) -> Result<&NormTable, NormError> {
        self.years.get(&year).ok_or(NormError::MissingYear(year))
    }

    /// Adds (or replaces, year by year) the tables of `other`, e.g. an operator's file on top of
    /// the shipped one.
    pub fn extend(&mut self, other: NormTables) {
        self.years.extend(other.years);
    }

    /// The tables loaded, oldest year first.
    pub fn tables(&self) -> impl Iterator<Item = &NormTable> + '_ {
        self.years.values()
    }

    /// The years loaded, in order.
    pub fn years(&self) -> impl Iterator<Item = i32> + '_ {
        self.years.keys().copied()
    }
}

/// The file as written: `[years.YYYY]` tables in kronor.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileDoc {
    #[serde(default)]
    years: BTreeMap<String, YearDoc>,
}

/// One `[years.YYYY]` table as written.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct YearDoc {
    status: NormStatus,
    source: String,
    children_with_lunch_at_home: ChildrenDoc,
    children_without_lunch: Option<YoungChildrenDoc>,
    adults: AdultsDoc,
    common: Vec<i64>,
}

/// Children's amounts in kronor, every band.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ChildrenDoc {
    age0: i64,
    age1_2: i64,
    age3: i64,
    age4_6: i64,
    age7_10: i64,
    age11_14: i64,
    age15_18: i64,
    age19_20: i64,
}

/// Without-lunch amounts in kronor, bands under 7.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct YoungChildrenDoc {
    age0: i64,
    age1_2: i64,
    age3: i64,
    age4_6: i64,
}

/// Adults' amounts in kronor.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AdultsDoc {
    ensamstaende: i64,
    sambor: i64,
}

/// Largest amount accepted in the file, in kronor per month (guards the öre arithmetic).
const MAX_KRONOR: i64 = 10_000_000;

impl YearDoc {
    /// Checks the table and converts kronor to öre.
    fn into_table(self, key: &str) -> Result<NormTable, NormError> {
        let invalid = |reason: &str| NormError::InvalidTable { year: key.to_owned(), reason: reason.to_owned() };
        let year: i32 = key
            .parse()
            .ok()
            .filter(|y| (1..=9999).contains(y))
            .ok_or_else(|| invalid("the key must be a year such as 2024"))?;
        let ore = |kr: i64| -> Result<i64, NormError> {
            if (0..=MAX_KRONOR).contains(&kr) {
                Ok(kr * 100)
            } else {
                Err(invalid("amounts must be whole kronor from 0 to 10 000 000"))
            }
        };
        let c = &self.children_with_lunch_at_home;
        let children_with_lunch = [
            ore(c.age0)?,
            ore(c.age1_2)?,
            ore(c.age3)?,
            ore(c.age4_6)?,
            ore(c.age7_10)?,
            ore(c.age11_14)?,
            ore(c.age15_18)?,
            ore(c.age19_20)?,
        ];
        let children_without_lunch = match &self.children_without_lunch {
            Some(w) => Some([ore(w.age0)?, ore(w.age1_2)?, ore(w.age3)?, ore(w.age4_6)?]),
            None => None,
        };
        if self.common.len() != COMMON_COST_SIZES {
            return Err(invalid("common must list exactly 7 amounts (households of 1..7)"));
        }
        let mut common = [0; COMMON_COST_SIZES];
        for (slot, kr) in common.iter_mut().zip(&self.common) {
            *slot = ore(*kr)?;
        }
        Ok(NormTable {
            year,
            status: self.status,
            source: self.source,
            children_with_lunch,
            children_without_lunch,
            ensamstaende: ore(self.adults.ensamstaende)?,
            sambor: ore(self.adults.sambor)?,
            common,
        })
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn shipped_years_and_status() {
        let t = NormTables::shipped().unwrap();
        assert_eq!(t.years().collect::<Vec<_>>(), vec![2014, 2019, 2020, 2021, 2022, 2023]);
        assert_eq!(t.get(2020).unwrap().status(), NormStatus::Derived);
        assert_eq!(t.get(2021).unwrap().status(), NormStatus::Official);
        assert!(t.get(2021).unwrap().source().contains("SFS 2020:1013"));
        assert_eq!(t.get(2024), Err(NormError::MissingYear(2024)));
    }

    #[test]
    fn version_fingerprints_the_figures() {
        let t = NormTables::shipped().unwrap();
        let versions: Vec<String> = t.tables().map(NormTable::version).collect();
        assert!(versions.iter().all(|v| v.len() == 16 && v.chars().all(|c| c.is_ascii_hexdigit())));
        let mut unique = versions.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), versions.len(), "every year has its own version");
        // the same figures give the same version; one changed amount gives another
        assert_eq!(NormTables::shipped().unwrap().get(2021).unwrap().version(), versions[3]);
        let mut changed = t.get(2021).unwrap().clone();
        changed.ensamstaende += 100;
        assert_ne!(changed.version(), versions[3]);
        // provenance text is not part of the figures
        let mut renamed = t.get(2021).unwrap().clone();
        renamed.source = "another source".into();
        assert_eq!(renamed.version(), versions[3]);
    }

    #[test]
    fn amounts_are_in_ore() {
        let t = NormTables::shipped().unwrap();
        let y = t.get(2014).unwrap();
        assert_eq!(y.ensamstaende(), 295_000);
        assert_eq!(y.sambor(), 532_000);
        assert_eq!(y.child_with_lunch(AgeBand::Age19To20), 328_000);
        assert_eq!(y.child_without_lunch(AgeBand::Age3), Ok(155_000));
        assert_eq!(y.common_cost(1), 93_000);
        assert_eq!(y.common_cost(7), 212_000);
        // beyond 7: + (2120 - 1950) per person
        assert_eq!(y.common_cost(8), 229_000);
        assert_eq!(y.common_cost(10), 263_000);
        assert_eq!(y.common_cost(0), 0);
    }

    #[test]
    fn missing_without_lunch_is_a_clear_error() {
        let t = NormTables::shipped().unwrap();
        let y = t.get(2022).unwrap();
        assert!(!y.has_without_lunch_amounts());
        let err = y.child_without_lunch(AgeBand::Age1To2).unwrap_err();
        assert_eq!(err, NormError::MissingItem { year: 2022, item: NormItem::ChildWithoutLunch(AgeBand::Age1To2) });
        let text = err.to_string();
        assert!(text.contains("2022") && text.contains("without lunch"), "{text}");
        // bands from 7 never have a without-lunch amount
        assert!(t.get(2014).unwrap().child_without_lunch(AgeBand::Age7To10).is_err());
    }

    #[test]
    fn age_bands() {
        assert_eq!(AgeBand::for_age(0), Some(AgeBand::Age0));
        assert_eq!(AgeBand::for_age(2), Some(AgeBand::Age1To2));
        assert_eq!(AgeBand::for_age(3), Some(AgeBand::Age3));
        assert_eq!(AgeBand::for_age(6), Some(AgeBand::Age4To6));
        assert_eq!(AgeBand::for_age(7), Some(AgeBand::Age7To10));
        assert_eq!(AgeBand::for_age(14), Some(AgeBand::Age11To14));
        assert_eq!(AgeBand::for_age(18), Some(AgeBand::Age15To18));
        assert_eq!(AgeBand::for_age(20), Some(AgeBand::Age19To20));
        assert_eq!(AgeBand::for_age(21), None);
        assert!(AgeBand::Age4To6.is_under_7());
        assert!(!AgeBand::Age7To10.is_under_7());
    }

    #[test]
    fn operator_file_adds_a_year() {
        let text = r#"
            [years.2024]
            status = "official"
            source = "SFS 2023:xxx (test)"
            children_with_lunch_at_home = { age0 = 1, age1_2 = 2, age3 = 3, age4_6 = 4, age7_10 = 5, age11_14 = 6, age15_18 = 7, age19_20 = 8 }
            adults = { ensamstaende = 3790, sambor = 6850 }
            common = [1, 2, 3, 4, 5, 6, 7]
        "#;
        let mut t = NormTables::shipped().unwrap();
        t.extend(NormTables::from_toml(text).unwrap());
        assert_eq!(t.get(2024).unwrap().ensamstaende(), 379_000);
        assert!(t.get(2014).is_ok());
    }

    #[test]
    fn operator_file_errors() {
        let bad_common = r#"
            [years.2024]
            status = "official"
            source = "x"
            children_with_lunch_at_home = { age0 = 1, age1_2 = 2, age3 = 3, age4_6 = 4, age7_10 = 5, age11_14 = 6, age15_18 = 7, age19_20 = 8 }
            adults = { ensamstaende = 1, sambor = 2 }
            common = [1, 2, 3]
        "#;
        assert!(matches!(NormTables::from_toml(bad_common), Err(NormError::InvalidTable { .. })));
        let negative = bad_common.replace("common = [1, 2, 3]", "common = [1, 2, 3, 4, 5, 6, -7]");
        assert!(matches!(NormTables::from_toml(&negative), Err(NormError::InvalidTable { .. })));
        let bad_year = bad_common.replace("years.2024", "years.next");
        assert!(matches!(NormTables::from_toml(&bad_year), Err(NormError::InvalidTable { .. })));
        let missing_band = bad_common.replace("age19_20 = 8 ", "");
        assert!(matches!(NormTables::from_toml(&missing_band), Err(NormError::InvalidFile(_))));
        let typo = bad_common.replace("sambor", "sambo");
        assert!(matches!(NormTables::from_toml(&typo), Err(NormError::InvalidFile(_))));
        let bad_status = bad_common.replace("\"official\"", "\"guessed\"");
        assert!(matches!(NormTables::from_toml(&bad_status), Err(NormError::InvalidFile(_))));
    }
}
