//! Region codes: the nation (`00`), counties (2 digits) and municipalities
//! (*kommunkod*, 4 digits whose first two are the county), plus the shipped
//! list of Kronoberg's municipalities for county comparisons.

use std::fmt;

use serde::{Deserialize, Serialize};

/// The county codes in use (*länskod*).
pub const COUNTY_CODES: [u8; 21] = [1, 3, 4, 5, 6, 7, 8, 9, 10, 12, 13, 14, 17, 18, 19, 20, 21, 22, 23, 24, 25];

/// A county code, e.g. `07` Kronoberg.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct CountyCode(u8);

/// A municipality code, e.g. `0767` Markaryd.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct KommunCode(u16);

/// A region in Arbetsförmedlingen's and Kolada's statistics.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Region {
    /// The whole country (`00`).
    Nation,
    /// A county.
    County(CountyCode),
    /// A municipality.
    Municipality(KommunCode),
}

impl CountyCode {
    /// A county code, if it is one in use.
    pub fn new(code: u8) -> Option<Self> {
        COUNTY_CODES.contains(&code).then_some(Self(code))
    }

    /// Parses exactly two digits.
    pub fn parse(text: &str) -> Option<Self> {
        if text.len() != 2 || !text.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        Self::new(text.parse().ok()?)
    }

    /// The numeric code.
    pub fn value(self) -> u8 {
        self.0
    }
}

impl KommunCode {
    /// A municipality code whose county part is a county in use.
    pub fn new(code: u16) -> Option<Self> {
        let county = u8::try_from(code / 100).ok()?;
        CountyCode::new(county)?;
        (!code.is_multiple_of(100)).then_some(Self(code))
    }

    /// Parses exactly four digits.
    pub fn parse(text: &str) -> Option<Self> {
        if text.len() != 4 || !text.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        Self::new(text.parse().ok()?)
    }

    /// The county: the first two digits.
    pub fn county(self) -> CountyCode {
        // Validated in `new`.
        CountyCode((self.0 / 100) as u8)
    }

    /// The numeric code.
    pub fn value(self) -> u16 {
        self.0
    }
}

impl Region {
    /// Parses `00`, a two-digit county or a four-digit municipality code.
    pub fn parse(text: &str) -> Option<Self> {
        match text.len() {
            2 if text == "00" => Some(Region::Nation),
            2 => CountyCode::parse(text).map(Region::County),
            4 => KommunCode::parse(text).map(Region::Municipality),
            _ => None,
        }
    }
}

impl fmt::Display for CountyCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:02}", self.0)
    }
}

impl fmt::Display for KommunCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}", self.0)
    }
}

impl fmt::Display for Region {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Region::Nation => f.write_str("00"),
            Region::County(c) => c.fmt(f),
            Region::Municipality(k) => k.fmt(f),
        }
    }
}

/// A municipality with its name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Kommun {
    /// Code.
    pub code: KommunCode,
    /// Name.
    pub name: &'static str,
}

/// Kronoberg county (07).
pub const KRONOBERG: CountyCode = CountyCode(7);

const KRONOBERG_KOMMUNER: [Kommun; 8] = [
    Kommun { code: KommunCode(760), name: "Uppvidinge" },
    Kommun { code: KommunCode(761), name: "Lessebo" },
    Kommun { code: KommunCode(763), name: "Tingsryd" },
    Kommun { code: KommunCode(764), name: "Alvesta" },
    Kommun { code: KommunCode(765), name: "Älmhult" },
    Kommun { code: KommunCode(767), name: "Markaryd" },
    Kommun { code: KommunCode(780), name: "Växjö" },
    Kommun { code: KommunCode(781), name: "Ljungby" },
];

/// The shipped municipality lists; only Kronoberg (07) so far, `None` for other counties.
pub fn kommuner_in(county: CountyCode) -> Option<&'static [Kommun]> {
    (county == KRONOBERG).then_some(&KRONOBERG_KOMMUNER[..])
}

/// The name of a county whose municipalities are shipped (only Kronoberg so far).
pub fn county_name(county: CountyCode) -> Option<&'static str> {
    (county == KRONOBERG).then_some("Kronobergs län")
}

/// The name of a municipality from the shipped lists.
pub fn kommun_name(code: KommunCode) -> Option<&'static str> {
    kommuner_in(code.county())?.iter().find(|k| k.code == code).map(|k| k.name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_regions() {
        assert_eq!(Region::parse("00"), Some(Region::Nation));
        assert_eq!(Region::parse("07"), Some(Region::County(KRONOBERG)));
        assert_eq!(Region::parse("02"), None);
        assert_eq!(Region::parse("0767").map(|r| r.to_string()).as_deref(), Some("0767"));
        assert_eq!(Region::parse("0267"), None);
        assert_eq!(Region::parse("767"), None);
        assert_eq!(Region::parse("07a7"), None);
        assert_eq!(Region::parse("+767"), None);
        assert_eq!(Region::parse("0700"), None);
        assert_eq!(Region::parse("0180").map(|r| r.to_string()).as_deref(), Some("0180"));
    }

    #[test]
    fn county_from_kommun_and_names() {
        let k = KommunCode::parse("0767").expect("valid");
        assert_eq!(k.county(), KRONOBERG);
        assert_eq!(k.county().to_string(), "07");
        assert_eq!(kommun_name(k), Some("Markaryd"));
        assert_eq!(county_name(k.county()), Some("Kronobergs län"));
        let list = kommuner_in(KRONOBERG).expect("shipped");
        assert_eq!(list.len(), 8);
        assert!(list.iter().all(|k| k.code.county() == KRONOBERG));
        assert_eq!(kommuner_in(CountyCode::new(1).expect("valid")), None);
    }
}
