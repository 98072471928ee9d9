//! The household composition a calculation and the statistics are made for.
//!
//! Members carry a birth date and a sex, not an identity number, so this module stays pure; the
//! caller converts from `Personnummer` (real birth date, sex from the ninth digit).

use std::fmt;

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};

/// Legal sex, as Socialstyrelsen's household type codes need it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Sex {
    /// Man (odd ninth digit).
    Man,
    /// Woman (even ninth digit).
    Woman,
}

/// An adult member: the applicant, the co-applicant or an adult sharing without being sambo.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Adult {
    /// Real birth date.
    pub birth_date: NaiveDate,
    /// Sex, `None` when not known (household type then becomes 9, unknown, for a single adult).
    pub sex: Option<Sex>,
}

/// A child or school youth living at home.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Child {
    /// Real birth date.
    pub birth_date: NaiveDate,
    /// Under 7: eats lunch at förskola/skola on weekdays (the lower without-lunch amount applies).
    pub lunch_away_on_weekdays: bool,
    /// 19–20: lives at home and attends upper-secondary school (gymnasium), so the 19–20 band
    /// applies; otherwise a 19–20-year-old is normed as an adult sharing the household.
    pub in_upper_secondary: bool,
}

/// Who a norm row, cost or income belongs to; an index into the household, never an identity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum PersonRef {
    /// The applicant (sökande).
    Applicant,
    /// The co-applicant (medsökande, sambo or spouse).
    CoApplicant,
    /// A child living at home, by position in [`Household::children`].
    Child(usize),
    /// An adult sharing without being sambo, by position in [`Household::other_adults`].
    OtherAdult(usize),
}

impl fmt::Display for PersonRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PersonRef::Applicant => f.write_str("the applicant"),
            PersonRef::CoApplicant => f.write_str("the co-applicant"),
            PersonRef::Child(i) => write!(f, "child no. {}", i + 1),
            PersonRef::OtherAdult(i) => write!(f, "other adult no. {}", i + 1),
        }
    }
}

/// The household applied for: applicant, optional sambo, children at home, other adults.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Household {
    /// The applicant (sökande).
    pub applicant: Adult,
    /// The co-applicant (medsökande), sambo or spouse.
    pub co_applicant: Option<Adult>,
    /// Children and school youth living at home.
    pub children: Vec<Child>,
    /// Adults sharing the household without being sambo (adult child, lodger with shared
    /// housekeeping).
    pub other_adults: Vec<Adult>,
}

/// Socialstyrelsen's household type (variable list of the ekonomiskt bistånd register).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum HouseholdType {
    /// 1: only children under 18.
    OnlyChildren,
    /// 3: single man without children.
    SingleManWithoutChildren,
    /// 4: single man with children.
    SingleManWithChildren,
    /// 5: single woman without children.
    SingleWomanWithoutChildren,
    /// 6: single woman with children.
    SingleWomanWithChildren,
    /// 7: cohabiting couple without children.
    CoupleWithoutChildren,
    /// 8: cohabiting couple with children.
    CoupleWithChildren,
    /// 9: unknown.
    Unknown,
}

impl HouseholdType {
    /// The numeric code in the register file (there is no code 2).
    pub fn code(self) -> u8 {
        match self {
            HouseholdType::OnlyChildren => 1,
            HouseholdType::SingleManWithoutChildren => 3,
            HouseholdType::SingleManWithChildren => 4,
            HouseholdType::SingleWomanWithoutChildren => 5,
            HouseholdType::SingleWomanWithChildren => 6,
            HouseholdType::CoupleWithoutChildren => 7,
            HouseholdType::CoupleWithChildren => 8,
            HouseholdType::Unknown => 9,
        }
    }
}

impl Household {
    /// A single applicant with no one else in the household.
    pub fn single(applicant: Adult) -> Self {
        Self { applicant, co_applicant: None, children: Vec::new(), other_adults: Vec::new() }
    }

    /// Number of persons in the household (applicant, co-applicant, children, other adults).
    pub fn size(&self) -> usize {
        1 + usize::from(self.co_applicant.is_some()) + self.children.len() + self.other_adults.len()
    }

    /// Number of children living at home who are under 18 on `on`.
    pub fn children_under_18(&self, on: NaiveDate) -> usize {
        self.children.iter().filter(|c| c.birth_date <= on && age_in_years(c.birth_date, on) < 18).count()
    }

    /// Number of children living at home who are under 16 on `on` (a register column).
    pub fn children_under_16(&self, on: NaiveDate) -> usize {
        self.children.iter().filter(|c| c.birth_date <= on && age_in_years(c.birth_date, on) < 16).count()
    }

    /// Socialstyrelsen's household type on `on` (use the last day of the month reported).
    ///
    /// "With children" means at least one child living at home under 18 on that date; other
    /// adults sharing the household do not change the type. An applicant under 18 without a
    /// co-applicant gives 1 (only children under 18). A couple is 7/8 whatever the sexes; a
    /// single applicant of unknown sex is 9.
    pub fn household_type(&self, on: NaiveDate) -> HouseholdType {
        let with_children = self.children_under_18(on) > 0;
        let applicant_minor = age_in_years(self.applicant.birth_date, on) < 18;
        match (self.co_applicant, self.applicant.sex) {
            (Some(co), _) => {
                if applicant_minor && age_in_years(co.birth_date, on) < 18 {
                    HouseholdType::OnlyChildren
                } else if with_children {
                    HouseholdType::CoupleWithChildren
                } else {
                    HouseholdType::CoupleWithoutChildren
                }
            }
            (None, _) if applicant_minor => HouseholdType::OnlyChildren,
            (None, None) => HouseholdType::Unknown,
            (None, Some(Sex::Man)) if with_children => HouseholdType::SingleManWithChildren,
            (None, Some(Sex::Man)) => HouseholdType::SingleManWithoutChildren,
            (None, Some(Sex::Woman)) if with_children => HouseholdType::SingleWomanWithChildren,
            (None, Some(Sex::Woman)) => HouseholdType::SingleWomanWithoutChildren,
        }
    }
}

/// Age in whole years on `on` (0 before birth); a 29 February birthday counts from 1 March in
/// common years.
pub fn age_in_years(birth: NaiveDate, on: NaiveDate) -> u32 {
    if on < birth {
        return 0;
    }
    let mut years = on.year() - birth.year();
    if (on.month(), on.day()) < (birth.month(), birth.day()) {
        years -= 1;
    }
    u32::try_from(years).unwrap_or(0)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    fn adult(y: i32, sex: Option<Sex>) -> Adult {
        Adult { birth_date: d(y, 3, 1), sex }
    }

    fn child(y: i32) -> Child {
        Child { birth_date: d(y, 3, 1), lunch_away_on_weekdays: false, in_upper_secondary: false }
    }

    fn on() -> NaiveDate {
        d(2023, 6, 30)
    }

    #[test]
    fn ages() {
        assert_eq!(age_in_years(d(2000, 6, 30), on()), 23);
        assert_eq!(age_in_years(d(2000, 7, 1), on()), 22);
        assert_eq!(age_in_years(d(2024, 1, 1), on()), 0);
        assert_eq!(age_in_years(d(2004, 2, 29), d(2023, 2, 28)), 18);
        assert_eq!(age_in_years(d(2004, 2, 29), d(2023, 3, 1)), 19);
    }

    #[test]
    fn household_type_codes() {
        let man = adult(1980, Some(Sex::Man));
        let woman = adult(1982, Some(Sex::Woman));
        let mut h = Household::single(man);
        assert_eq!(h.household_type(on()).code(), 3);
        h.children.push(child(2015));
        assert_eq!(h.household_type(on()).code(), 4);
        let mut h = Household::single(woman);
        assert_eq!(h.household_type(on()).code(), 5);
        h.children.push(child(2010));
        assert_eq!(h.household_type(on()).code(), 6);
        assert_eq!(h.size(), 2);
        // a child who is 19 does not make it "with children"
        h.children[0] = child(2004);
        assert_eq!(h.household_type(on()).code(), 5);
        let mut h = Household::single(man);
        h.co_applicant = Some(woman);
        assert_eq!(h.household_type(on()).code(), 7);
        h.children.push(child(2020));
        assert_eq!(h.household_type(on()).code(), 8);
        assert_eq!(h.size(), 3);
        // a lodger does not change the type
        let mut h = Household::single(woman);
        h.other_adults.push(adult(1990, Some(Sex::Man)));
        assert_eq!(h.household_type(on()).code(), 5);
        // unknown sex
        assert_eq!(Household::single(adult(1980, None)).household_type(on()).code(), 9);
        // an applicant under 18
        assert_eq!(Household::single(adult(2007, Some(Sex::Man))).household_type(on()).code(), 1);
    }

    #[test]
    fn children_counts() {
        let mut h = Household::single(adult(1980, Some(Sex::Woman)));
        h.children = vec![child(2006), child(2008), child(2010), child(2024)];
        // 2006-03-01 is 17 on 2023-06-30; 2008 is 15; 2010 is 13; 2024 not yet born
        assert_eq!(h.children_under_18(on()), 3);
        assert_eq!(h.children_under_16(on()), 2);
    }
}
