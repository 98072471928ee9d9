//! Swedish personal identity numbers (*personnummer*) and coordination numbers
//! (*samordningsnummer*): parsing, validation and the facts the services derive from them.
//!
//! Accepted written forms (surrounding whitespace is ignored):
//!
//! | form            | example          | century                                   |
//! |-----------------|------------------|-------------------------------------------|
//! | `YYMMDD-NNNC`   | `811218-9876`    | inferred, person under 100                |
//! | `YYMMDD+NNNC`   | `181218+9876`    | inferred, person 100 or older             |
//! | `YYMMDDNNNC`    | `8112189876`     | inferred, as with `-`                     |
//! | `YYYYMMDDNNNC`  | `198112189876`   | given                                     |
//! | `YYYYMMDD-NNNC` | `19811218-9876`  | given                                     |
//!
//! Rules applied:
//! - `C` is the Luhn check digit over the nine digits `YYMMDDNNN` (weights 2,1,2,1,…; the digits
//!   of each product are summed; `C = (10 − sum mod 10) mod 10`).
//! - The date must exist (Gregorian leap years: 1900-02-29 does not exist, 2000-02-29 does).
//! - A samordningsnummer adds 60 to the day (61–91); the real birth day is the day minus 60.
//! - Century of the 10-digit forms, relative to a reference date `today` (Skatteverket's rule:
//!   the separator becomes `+` from the calendar year in which the person turns 100): with `-` or
//!   no separator the birth year is the latest year ending in `YY` that is not after
//!   `today.year()`; with `+` it is the latest such year not after `today.year() − 100`.
//! - A birth date after `today` is refused (nobody can hold a number before being born).
//!
//! Privacy: a [`Personnummer`] never prints itself. `Debug` and `Display` show
//! `Personnummer(**redacted**)`, errors never echo the input, and there is no `Serialize`
//! impl, so the number cannot reach a log or a JSON payload by accident. The only way out is
//! the explicit [`Personnummer::as_canonical`].

use std::fmt;
use std::str::FromStr;

use chrono::{Datelike, NaiveDate};

/// Why a written identity number was refused; messages never contain the input itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PersonnummerError {
    /// The text does not have one of the accepted shapes.
    #[error("identity number has an invalid format: {0}")]
    Format(FormatProblem),
    /// The Luhn check digit does not match the first nine digits.
    #[error("identity number has an invalid check digit")]
    CheckDigit,
    /// The date part is not a real calendar date (or not a valid samordningsnummer day).
    #[error("identity number contains a date that does not exist")]
    Date,
    /// The birth date lies after the reference date used for parsing.
    #[error("identity number has a birth date after the reference date")]
    FutureDate,
}

/// Which part of the format was wrong, so a form can tell the user without echoing the number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum FormatProblem {
    /// Not 10, 11, 12 or 13 characters long.
    #[error("wrong length (expected 10, 11, 12 or 13 characters)")]
    Length,
    /// A character other than a digit where a digit is expected.
    #[error("non-digit character")]
    NonDigit,
    /// The separator is missing, misplaced or not allowed in this form.
    #[error("invalid separator (use '-' or, from age 100, '+')")]
    Separator,
}

/// Legal sex as encoded in the ninth digit, needed for Socialstyrelsen's household type codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Sex {
    /// Odd ninth digit.
    Man,
    /// Even ninth digit.
    Woman,
}

/// A validated personnummer or samordningsnummer, stored in its 12-digit form and never printed.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Personnummer {
    canonical: String,
    birth_date: NaiveDate,
    samordningsnummer: bool,
}

/// Separator of the short written forms, which decides the century.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Separator {
    Minus,
    Plus,
}

impl Personnummer {
    /// Parses any accepted form, inferring the century of short forms from today's local date.
    pub fn parse(input: &str) -> Result<Self, PersonnummerError> {
        Self::parse_at(input, crate::clock::today())
    }

    /// The personnummer of a person born on `birth` with birth serial `serial` (0–999), its check digit
    /// computed: for generating demo and test identities, never for guessing real ones.
    pub fn for_birth(birth: NaiveDate, serial: u16) -> Option<Self> {
        if serial > 999 || !(1000..=9999).contains(&birth.year()) {
            return None;
        }
        let short = format!("{:02}{:02}{:02}{serial:03}", birth.year() % 100, birth.month(), birth.day());
        let digits: Vec<u8> = short.bytes().map(|b| b - b'0').collect();
        let canonical = format!("{}{short}{}", birth.year() / 100, luhn_check_digit(&digits));
        Some(Personnummer { canonical, birth_date: birth, samordningsnummer: false })
    }

    /// Parses any accepted form, inferring the century of short forms relative to `today`.
    pub fn parse_at(input: &str, today: NaiveDate) -> Result<Self, PersonnummerError> {
        let s = input.trim();
        if !s.is_ascii() {
            return Err(PersonnummerError::Format(FormatProblem::NonDigit));
        }
        let b = s.as_bytes();
        let has_separator = b.iter().any(|&c| c == b'-' || c == b'+');
        let separator_form = b.len() == 11 || b.len() == 13;
        if has_separator != separator_form && b.iter().all(|&c| c.is_ascii_digit() || c == b'-' || c == b'+') {
            // digits only in a separator-length text, or a separator in a digits-only length:
            // a digit is missing or extra
            return Err(PersonnummerError::Format(FormatProblem::Length));
        }
        match b.len() {
            10 => Self::from_parts(&b[..6], &b[6..], None, Separator::Minus, today),
            11 => {
                let sep = match b[6] {
                    b'-' => Separator::Minus,
                    b'+' => Separator::Plus,
                    c if c.is_ascii_digit() => {
                        return Err(PersonnummerError::Format(FormatProblem::Separator));
                    }
                    _ => return Err(PersonnummerError::Format(FormatProblem::NonDigit)),
                };
                Self::from_parts(&b[..6], &b[7..], None, sep, today)
            }
            12 => Self::from_parts(&b[2..8], &b[8..], Some(&b[..2]), Separator::Minus, today),
            13 => match b[8] {
                b'-' => Self::from_parts(&b[2..8], &b[9..], Some(&b[..2]), Separator::Minus, today),
                c if c.is_ascii_digit() || c == b'+' => Err(PersonnummerError::Format(FormatProblem::Separator)),
                _ => Err(PersonnummerError::Format(FormatProblem::NonDigit)),
            },
            _ => Err(PersonnummerError::Format(FormatProblem::Length)),
        }
    }

    /// Validates the pieces `YYMMDD` and `NNNC` and builds the number.
    fn from_parts(
        date_part: &[u8],
        serial_part: &[u8],
        century: Option<&[u8]>,
        sep: Separator,
        today: NaiveDate,
    ) -> Result<Self, PersonnummerError> {
        let all_digits = date_part.iter().chain(serial_part).chain(century.unwrap_or(&[])).all(u8::is_ascii_digit);
        if !all_digits {
            return Err(PersonnummerError::Format(FormatProblem::NonDigit));
        }
        let mut ten = [0u8; 10];
        for (slot, byte) in ten.iter_mut().zip(date_part.iter().chain(serial_part)) {
            *slot = byte - b'0';
        }
        if luhn_check_digit(&ten[..9]) != ten[9] {
            return Err(PersonnummerError::CheckDigit);
        }
        let yy = i32::from(ten[0]) * 10 + i32::from(ten[1]);
        let year = match century {
            Some(c) => (i32::from(c[0] - b'0') * 10 + i32::from(c[1] - b'0')) * 100 + yy,
            None => {
                let base = today.year() - if sep == Separator::Plus { 100 } else { 0 };
                base - (base - yy).rem_euclid(100)
            }
        };
        let month = u32::from(ten[2]) * 10 + u32::from(ten[3]);
        let raw_day = u32::from(ten[4]) * 10 + u32::from(ten[5]);
        let (day, samordningsnummer) = match raw_day {
            1..=31 => (raw_day, false),
            61..=91 => (raw_day - 60, true),
            _ => return Err(PersonnummerError::Date),
        };
        if year < 0 {
            return Err(PersonnummerError::Date);
        }
        let birth_date = NaiveDate::from_ymd_opt(year, month, day).ok_or(PersonnummerError::Date)?;
        if birth_date > today {
            return Err(PersonnummerError::FutureDate);
        }
        let mut canonical = format!("{year:04}");
        canonical.extend(ten[2..].iter().map(|d| char::from(b'0' + d)));
        Ok(Self { canonical, birth_date, samordningsnummer })
    }

    /// The 12-digit form `YYYYMMDDNNNC` for storage; the only way to read the number itself.
    pub fn as_canonical(&self) -> &str {
        &self.canonical
    }

    /// The real birth date (for a samordningsnummer the day minus 60).
    pub fn birth_date(&self) -> NaiveDate {
        self.birth_date
    }

    /// Age in whole years on `date` (0 before birth); a 29 February birthday counts from 1 March
    /// in common years.
    pub fn age_on(&self, date: NaiveDate) -> u32 {
        age_in_years(self.birth_date, date)
    }

    /// Legal sex from the ninth digit of the 10-digit form: odd is a man, even a woman.
    pub fn sex(&self) -> Sex {
        let ninth = self.canonical.as_bytes().get(10).copied().unwrap_or(b'0');
        if (ninth - b'0') % 2 == 1 { Sex::Man } else { Sex::Woman }
    }

    /// Whether this is a samordningsnummer (day 61–91) rather than a personnummer.
    pub fn is_samordningsnummer(&self) -> bool {
        self.samordningsnummer
    }

    /// The real day of the month of birth (1–31), as the retention (gallring) exemption needs.
    pub fn birth_day_of_month(&self) -> u32 {
        self.birth_date.day()
    }
}

/// Whole years from `birth` to `on`, 0 if `on` is before `birth`.
fn age_in_years(birth: NaiveDate, on: NaiveDate) -> u32 {
    if on < birth {
        return 0;
    }
    let mut years = on.year() - birth.year();
    if (on.month(), on.day()) < (birth.month(), birth.day()) {
        years -= 1;
    }
    u32::try_from(years).unwrap_or(0)
}

/// Luhn check digit over the given digits (weights 2,1,2,1,… from the left).
fn luhn_check_digit(digits: &[u8]) -> u8 {
    let sum: u32 = digits
        .iter()
        .enumerate()
        .map(|(i, &d)| {
            let p = u32::from(d) * if i % 2 == 0 { 2 } else { 1 };
            p / 10 + p % 10
        })
        .sum();
    u8::try_from((10 - sum % 10) % 10).unwrap_or(0)
}

impl fmt::Debug for Personnummer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Personnummer(**redacted**)")
    }
}

impl fmt::Display for Personnummer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Personnummer(**redacted**)")
    }
}

impl FromStr for Personnummer {
    type Err = PersonnummerError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    fn today() -> NaiveDate {
        d(2025, 6, 15)
    }

    /// Builds `YYMMDDNNN` + check digit.
    fn with_check(nine: &str) -> String {
        let digits: Vec<u8> = nine.bytes().map(|b| b - b'0').collect();
        format!("{nine}{}", luhn_check_digit(&digits))
    }

    #[test]
    fn luhn_of_the_official_example() {
        assert_eq!(luhn_check_digit(&[8, 1, 1, 2, 1, 8, 9, 8, 7]), 6);
        assert_eq!(with_check("811218987"), "8112189876");
    }

    #[test]
    fn for_birth_builds_numbers_that_parse_back() {
        let built = Personnummer::for_birth(d(1981, 12, 18), 987).unwrap();
        assert_eq!(built.as_canonical(), "198112189876");
        for (birth, serial) in [(d(2000, 2, 29), 1), (d(1975, 6, 30), 555), (d(2015, 3, 12), 0)] {
            let built = Personnummer::for_birth(birth, serial).unwrap();
            let parsed = Personnummer::parse_at(built.as_canonical(), today()).unwrap();
            assert_eq!(parsed, built);
        }
        assert!(Personnummer::for_birth(d(1981, 12, 18), 1000).is_none());
    }

    #[test]
    fn example_in_all_forms() {
        for form in ["811218-9876", "8112189876", "198112189876", "19811218-9876", "  811218-9876 "] {
            let p = Personnummer::parse_at(form, today()).unwrap();
            assert_eq!(p.as_canonical(), "198112189876", "{form}");
            assert_eq!(p.birth_date(), d(1981, 12, 18));
            assert_eq!(p.sex(), Sex::Man); // ninth digit 7
            assert!(!p.is_samordningsnummer());
            assert_eq!(p.birth_day_of_month(), 18);
            assert_eq!(p.age_on(today()), 43);
            assert_eq!(p.age_on(d(2025, 12, 17)), 43);
            assert_eq!(p.age_on(d(2025, 12, 18)), 44);
        }
    }

    #[test]
    fn plus_form_means_100_or_older() {
        // 1918-12-18, serial 987: "181218987" -> check digit
        let ten = with_check("181218987");
        let plus = format!("{}+{}", &ten[..6], &ten[6..]);
        let p = Personnummer::parse_at(&plus, today()).unwrap();
        assert_eq!(p.birth_date(), d(1918, 12, 18));
        assert_eq!(p.age_on(today()), 106);
        // the same digits with '-' are a child born 2018
        let minus = format!("{}-{}", &ten[..6], &ten[6..]);
        let q = Personnummer::parse_at(&minus, today()).unwrap();
        assert_eq!(q.birth_date(), d(2018, 12, 18));
        assert_eq!(q.as_canonical(), format!("20{ten}"));
    }

    #[test]
    fn plus_changes_in_the_year_of_the_100th_birthday() {
        // born 1925-12-01; in 2025 (the year they turn 100) the '+' form applies
        let ten = with_check("251201123");
        let plus = format!("{}+{}", &ten[..6], &ten[6..]);
        assert_eq!(Personnummer::parse_at(&plus, today()).unwrap().birth_date(), d(1925, 12, 1));
        // with '-' it would be a birth date in December 2025: after the reference date
        let minus = format!("{}-{}", &ten[..6], &ten[6..]);
        assert_eq!(Personnummer::parse_at(&minus, today()), Err(PersonnummerError::FutureDate));
    }

    #[test]
    fn samordningsnummer() {
        // 1970-10-03 -> day 63
        let ten = with_check("701063239");
        assert_eq!(ten, "7010632391");
        let p = Personnummer::parse_at("701063-2391", today()).unwrap();
        assert!(p.is_samordningsnummer());
        assert_eq!(p.birth_date(), d(1970, 10, 3));
        assert_eq!(p.birth_day_of_month(), 3);
        assert_eq!(p.as_canonical(), "197010632391");
        assert_eq!(p.sex(), Sex::Man); // ninth digit 9
        // 1990-02-25 (day 85), woman (ninth digit 2)
        let ten = with_check("900285242");
        let s = Personnummer::parse_at(&format!("19{ten}"), today()).unwrap();
        assert_eq!(s.birth_date(), d(1990, 2, 25));
        assert_eq!(s.birth_day_of_month(), 25);
        assert_eq!(s.sex(), Sex::Woman);
    }

    #[test]
    fn invalid_check_digit() {
        assert_eq!(Personnummer::parse_at("811218-9877", today()), Err(PersonnummerError::CheckDigit));
        assert_eq!(Personnummer::parse_at("198112189870", today()), Err(PersonnummerError::CheckDigit));
    }

    #[test]
    fn leap_years() {
        let ten = with_check("000229123");
        // 2000 is a leap year (divisible by 400)
        let p = Personnummer::parse_at(&format!("20{ten}"), today()).unwrap();
        assert_eq!(p.birth_date(), d(2000, 2, 29));
        assert_eq!(p.age_on(d(2001, 2, 28)), 0);
        assert_eq!(p.age_on(d(2001, 3, 1)), 1);
        // 1900 is not (divisible by 100, not by 400)
        assert_eq!(Personnummer::parse_at(&format!("19{ten}"), today()), Err(PersonnummerError::Date));
        // short forms: '-' gives 2000 (valid), '+' gives 1900 (invalid)
        let minus = format!("{}-{}", &ten[..6], &ten[6..]);
        let plus = format!("{}+{}", &ten[..6], &ten[6..]);
        assert!(Personnummer::parse_at(&minus, today()).is_ok());
        assert_eq!(Personnummer::parse_at(&plus, today()), Err(PersonnummerError::Date));
    }

    #[test]
    fn impossible_dates() {
        let feb31 = with_check("810231123");
        assert_eq!(Personnummer::parse_at(&feb31, today()), Err(PersonnummerError::Date));
        let day92 = with_check("810192123");
        assert_eq!(Personnummer::parse_at(&day92, today()), Err(PersonnummerError::Date));
        let day45 = with_check("810145123");
        assert_eq!(Personnummer::parse_at(&day45, today()), Err(PersonnummerError::Date));
        let day00 = with_check("810100123");
        assert_eq!(Personnummer::parse_at(&day00, today()), Err(PersonnummerError::Date));
        let month13 = with_check("811318123");
        assert_eq!(Personnummer::parse_at(&month13, today()), Err(PersonnummerError::Date));
        // samordningsnummer for 31 February (day 91) does not exist either
        let s91 = with_check("810291123");
        assert_eq!(Personnummer::parse_at(&s91, today()), Err(PersonnummerError::Date));
    }

    #[test]
    fn non_digits_and_lengths() {
        let fmt = |p| Err(PersonnummerError::Format(p));
        assert_eq!(Personnummer::parse_at("81121a-9876", today()), fmt(FormatProblem::NonDigit));
        assert_eq!(Personnummer::parse_at("811218_9876", today()), fmt(FormatProblem::NonDigit));
        assert_eq!(Personnummer::parse_at("811218–9876", today()), fmt(FormatProblem::NonDigit));
        assert_eq!(Personnummer::parse_at("8112-189876", today()), fmt(FormatProblem::Separator));
        assert_eq!(Personnummer::parse_at("19811-2189876", today()), fmt(FormatProblem::Separator));
        assert_eq!(Personnummer::parse_at("19811218+9876", today()), fmt(FormatProblem::Separator));
        for bad in ["", "811218", "811218-987", "81121819876", "1981121898765", "19811218-98765", "1981121-9876"] {
            assert_eq!(Personnummer::parse_at(bad, today()), fmt(FormatProblem::Length), "{bad:?}");
        }
    }

    #[test]
    fn future_full_form_is_refused() {
        let ten = with_check("300101123");
        assert_eq!(Personnummer::parse_at(&format!("20{ten}"), today()), Err(PersonnummerError::FutureDate));
    }

    #[test]
    fn never_prints_the_number() {
        let p = Personnummer::parse_at("811218-9876", today()).unwrap();
        let shown = format!("{p} {p:?} {:?}", Some(&p));
        assert!(!shown.contains("811218"), "{shown}");
        assert!(!shown.contains("9876"), "{shown}");
        assert_eq!(format!("{p:?}"), "Personnummer(**redacted**)");
        for e in [
            Personnummer::parse_at("811218-9877", today()).unwrap_err(),
            Personnummer::parse_at("81121a-9876", today()).unwrap_err(),
            Personnummer::parse_at("810231-1234", today()).unwrap_err(),
        ] {
            let msg = format!("{e} {e:?}");
            assert!(!msg.contains("8112") && !msg.contains("9876"), "{msg}");
        }
    }

    #[test]
    fn parse_uses_today() {
        let p: Personnummer = "811218-9876".parse().unwrap();
        assert_eq!(p.as_canonical(), "198112189876");
    }

    proptest! {
        #[test]
        fn every_valid_number_round_trips_through_all_forms(
            ref_days in 0i64..36_500,
            age_days in 0i64..(199 * 365),
            serial in 0u32..1000,
            samordning in any::<bool>(),
        ) {
            let today = d(2000, 1, 1) + chrono::Duration::days(ref_days);
            let birth = today - chrono::Duration::days(age_days);
            prop_assume!(today.year() - birth.year() < 200);
            let day = birth.day() + if samordning { 60 } else { 0 };
            let nine = format!(
                "{:02}{:02}{:02}{:03}",
                birth.year() % 100, birth.month(), day, serial
            );
            let ten = with_check(&nine);
            let canonical = format!("{:02}{ten}", birth.year() / 100);
            let sep = if today.year() - birth.year() >= 100 { '+' } else { '-' };
            let mut forms = vec![
                canonical.clone(),
                format!("{}-{}", &canonical[..8], &canonical[8..]),
                format!("{}{sep}{}", &ten[..6], &ten[6..]),
            ];
            if sep == '-' {
                forms.push(ten.clone());
            }
            for form in forms {
                let p = Personnummer::parse_at(&form, today).unwrap();
                prop_assert_eq!(p.as_canonical(), canonical.as_str());
                prop_assert_eq!(p.birth_date(), birth);
                prop_assert_eq!(p.is_samordningsnummer(), samordning);
                prop_assert_eq!(p.birth_day_of_month(), birth.day());
                prop_assert_eq!(p.sex() == Sex::Man, serial % 2 == 1);
            }
        }
    }
}
